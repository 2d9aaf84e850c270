// Numerical guard: FP16 weights (activations stay F32 on every backend) never turn an input into a
// NaN or Inf score, neither on every real DL19 pair nor on adversarial max-length sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend_cases.h"
#include "crossenc/engine.h"
#include "test_util.h"

namespace crossenc {
namespace {

namespace fs = std::filesystem;

// The (query, passage) texts of golden/tokenize_dl19.jsonl (4300 pairs), up to `limit`.
std::vector<Pair> dl19_pairs(size_t limit = 0) {
  std::ifstream in(test::shared_path("golden/tokenize_dl19.jsonl"));
  std::vector<Pair> out;
  for (std::string line; std::getline(in, line) && (limit == 0 || out.size() < limit);) {
    const auto j = nlohmann::json::parse(line);
    out.push_back({j.at("query").get<std::string>(), j.at("passage").get<std::string>()});
  }
  return out;
}

// An FP16 engine on `backend`, or null (after a skip or, when CI requires Vulkan, a failure).
std::unique_ptr<Engine> fp16_engine(const fs::path& hf_dir, const std::string& backend) {
  try {
    return std::make_unique<Engine>(
        Engine::open(hf_dir.string(), {.backend = backend, .threads = 2, .dtype = DType::F16}));
  } catch (const Error& e) {
    if (backend != "vulkan") throw;
    if (test::vulkan_required()) ADD_FAILURE() << "Vulkan required but unavailable: " << e.what();
    return nullptr;
  }
}

// CROSSENC_QUICK=1: the sanitizer builds, where every kernel is many times slower.
bool quick() {
  const char* env = std::getenv("CROSSENC_QUICK");
  return env && std::string(env) == "1";
}

// lavapipe emulates the GPU on the CPU: a few hundred pairs are enough there.
bool emulated(const Engine& e) {
  const std::string& d = e.info().device;
  return d.find("llvmpipe") != std::string::npos || d.find("lavapipe") != std::string::npos;
}

void expect_all_finite(const std::vector<float>& scores, const std::vector<Pair>& pairs) {
  ASSERT_EQ(scores.size(), pairs.size());
  size_t bad = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]) && bad++ < 5) {
      ADD_FAILURE() << "score " << scores[i] << " for pair " << i << ": " << pairs[i].query;
    }
  }
  EXPECT_EQ(bad, 0u) << "non-finite scores";
}

class NumericalGuard : public testing::TestWithParam<std::string> {};

TEST_P(NumericalGuard, EveryDl19PairIsFiniteInFp16) {
  const auto golden = test::shared_path("golden/tokenize_dl19.jsonl");
  CROSSENC_REQUIRE_SHARED_FILE(golden);
  auto engine = fp16_engine(test::data_path("tiny-random"), GetParam());
  if (!engine) GTEST_SKIP() << "no Vulkan device";
  const auto pairs = dl19_pairs(emulated(*engine) ? 300 : 0);
  if (!emulated(*engine)) {
    EXPECT_EQ(pairs.size(), 4300u);
  }
  expect_all_finite(engine->score(pairs), pairs);
}

// Max-length sequences of one repeated token: the attention softmax sees 512 identical keys,
// LayerNorm sees rows of equal values, and sums over 512 positions are as large as they get.
std::vector<Encoding> repeated_token_sequences(const Engine& e) {
  const Tokenizer& t = e.tokenizer();
  const int n = e.info().max_length;
  const int32_t vocab = static_cast<int32_t>(e.info().config.vocab_size);
  std::vector<Encoding> out;
  for (int32_t id : {t.pad_id(), t.unk_id(), t.cls_id(), t.sep_id(), int32_t{1996}, vocab - 1}) {
    if (id < 0 || id >= vocab) continue;
    for (int types = 0; types < 3; ++types) {  // all 0, all 1, first half 0
      Encoding enc;
      enc.input_ids.assign(n, id);
      enc.token_type_ids.assign(n, types == 1 ? 1 : 0);
      if (types == 2) std::fill(enc.token_type_ids.begin() + n / 2, enc.token_type_ids.end(), 1);
      out.push_back(std::move(enc));
    }
  }
  return out;
}

// Texts that tokenize to max_length pieces of one kind.
std::vector<Pair> repeated_texts() {
  auto times = [](const std::string& unit, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += unit;
    return s;
  };
  return {{times("the ", 600), times("the ", 600)},
          {times("flea ", 600), times("flea ", 600)},
          {times("!", 1200), times("?", 1200)},
          {times("\xE4\xB8\xAD", 1200), times("\xE4\xB8\xAD", 1200)},
          {times("[SEP] ", 600), times("[CLS] ", 600)},
          {"", times("zzzzzzzzzz ", 600)}};
}

// At most `limit` of the items, spread over the list (0 = all of them).
template <class T>
std::vector<T> spread(std::vector<T> v, size_t limit) {
  if (limit == 0 || v.size() <= limit) return v;
  std::vector<T> out;
  for (size_t i = 0; i < limit; ++i) out.push_back(std::move(v[i * v.size() / limit]));
  return out;
}

void check_adversarial(Engine& e, size_t limit = 0) {
  const auto encs = spread(repeated_token_sequences(e), limit);
  const auto texts = spread(repeated_texts(), limit);
  const auto scores = e.score_encoded(encs);
  ASSERT_EQ(scores.size(), encs.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_TRUE(std::isfinite(scores[i]))
        << "token " << encs[i].input_ids[0] << " x" << encs[i].input_ids.size() << " (types "
        << encs[i].token_type_ids.front() << ".." << encs[i].token_type_ids.back() << ")";
  }
  expect_all_finite(e.score(texts), texts);
}

TEST_P(NumericalGuard, RepeatedTokenMaxLengthSequencesAreFiniteTiny) {
  auto engine = fp16_engine(test::data_path("tiny-random"), GetParam());
  if (!engine) GTEST_SKIP() << "no Vulkan device";
  check_adversarial(*engine);
}

TEST_P(NumericalGuard, RepeatedTokenMaxLengthSequencesAreFiniteMiniLmL6) {
  const auto m = test::shared_path("models/minilm-l6-random");
  CROSSENC_REQUIRE_SHARED_FILE(m / "model.safetensors");
  auto engine = fp16_engine(m, GetParam());
  if (!engine) GTEST_SKIP() << "no Vulkan device";
  // lavapipe needs ~20 s per 512-token L6 sequence, ASan (CROSSENC_QUICK=1) ~8 s: a few there,
  // all of them on a real GPU and in the normal CPU run.
  check_adversarial(*engine, emulated(*engine) ? 1 : quick() ? 3 : 0);
}

std::vector<std::string> guard_backends() {
#ifdef CROSSENC_HAVE_VULKAN
  return {"cpu", "vulkan"};
#else
  return {"cpu"};
#endif
}

INSTANTIATE_TEST_SUITE_P(Fp16, NumericalGuard, testing::ValuesIn(guard_backends()),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace crossenc
