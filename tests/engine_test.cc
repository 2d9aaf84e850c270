// The public Engine API: opening, scoring, ranking, and every bad input giving a clear Error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/model_file.h"
#include "test_util.h"

namespace crossenc {
namespace {

namespace fs = std::filesystem;

const std::string& tiny_model() {
  static const std::string path = [] {
    const auto p = ::crossenc::test::temp_dir() / "engine.cenc";
    write_model_file(p.string(), convert_hf_folder(test::data_path("tiny-random").string()));
    return p.string();
  }();
  return path;
}

Engine open_tiny(Options o = {}) {
  o.threads = 2;
  return Engine::open(tiny_model(), o);
}

TEST(Engine, Bf16IsACpuMode) {
  Options o;
  o.dtype = DType::BF16;
  o.backend = "vulkan";
  try {
    open_tiny(o);
    FAIL() << "bf16 on vulkan opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu backend only"), std::string::npos) << e.what();
  }
  o.backend = "auto";  // picks the CPU for bf16
  Engine e = open_tiny(o);
  EXPECT_EQ(e.info().backend, "cpu");
  EXPECT_EQ(e.info().dtype, DType::BF16);
  const auto scores = e.score(std::vector<Pair>{{"what is a flea", "a small insect"}});
  ASSERT_EQ(scores.size(), 1u);
  EXPECT_TRUE(std::isfinite(scores[0]));
}

TEST(Engine, HfFolderAndCencGiveIdenticalScores) {
  Engine a = open_tiny();
  Engine b = Engine::open(test::data_path("tiny-random").string(), {.threads = 2});
  const std::vector<Pair> pairs = {{"what is a flea", "A flea is a small jumping insect."},
                                   {"berlin population", "Berlin has 3.5 million people."}};
  EXPECT_EQ(a.score(pairs), b.score(pairs));
  EXPECT_EQ(a.info().config.hidden_size, 32);
  EXPECT_EQ(a.info().backend, "cpu");
  EXPECT_EQ(a.info().max_length, 512);
}

TEST(Engine, ScoreMatchesTokenizeThenScoreEncoded) {
  Engine e = open_tiny();
  const Pair p{"How many people live in Berlin?", "Berlin had a population of 3,520,031."};
  const Encoding enc = e.tokenize(p.query, p.passage);
  EXPECT_EQ(enc.input_ids.front(), 101);
  EXPECT_EQ(e.score({p})[0], e.score_encoded(std::vector<Encoding>{enc})[0]);
}

TEST(Engine, RankSortsByScoreAndHonoursTopK) {
  Engine e = open_tiny();
  const std::vector<std::string> passages = {"alpha beta", "gamma delta epsilon", "zeta",
                                             "eta theta iota kappa", "lambda"};
  const auto all = e.rank("query words", passages);
  ASSERT_EQ(all.size(), passages.size());
  const auto scores = e.score({{"query words", passages[0]},
                               {"query words", passages[1]},
                               {"query words", passages[2]},
                               {"query words", passages[3]},
                               {"query words", passages[4]}});
  for (size_t i = 0; i + 1 < all.size(); ++i) EXPECT_GE(all[i].score, all[i + 1].score);
  for (const auto& r : all) EXPECT_EQ(r.score, scores[r.index]);
  const auto top = e.rank("query words", passages, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].index, all[0].index);
  EXPECT_TRUE(e.rank("q", std::vector<std::string>{}).empty());
}

TEST(Engine, EmptyAndWhitespaceTextsScore) {
  Engine e = open_tiny();
  const auto s = e.score({{"", ""}, {"query", ""}, {"", "passage"}, {"  \t\n ", "\u3000 "}});
  ASSERT_EQ(s.size(), 4u);
  for (float v : s) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(e.tokenize("", "").input_ids, (std::vector<int32_t>{101, 102, 102}));
}

TEST(Engine, HugePassageIsTruncatedNotFatal) {
  Engine e = open_tiny();
  std::string passage;
  while (passage.size() < (1u << 20)) passage += "the quick brown fox jumps over the lazy dog ";
  const auto enc = e.tokenize("a query", passage);
  EXPECT_EQ(enc.input_ids.size(), 512u);
  const auto s = e.score({{"a query", passage}});
  EXPECT_TRUE(std::isfinite(s[0]));
}

// A passage of 20,000 word pieces, every window a different text.
std::string long_passage(const Engine& e) {
  std::string passage;
  for (int i = 0; e.tokenizer().tokenize(passage).size() < 20000; i += 50) {
    for (int j = i; j < i + 50; ++j)
      passage.append("fox").append(std::to_string(j * 7919 % 1000)).append(" jumps ");
  }
  return passage;
}

TEST(Engine, LongPassageScoresAsTheBestOfItsWindows) {
  Engine e = open_tiny({.long_pairs = {.max_windows = 100}});
  const std::string query = "which fox jumps", passage = long_passage(e);
  const PairWindows w = e.tokenize_windows(query, passage);
  ASSERT_GT(w.windows.size(), 40u);  // 20,000 pieces in windows of ~500 every ~380
  EXPECT_FALSE(w.truncated);
  const std::vector<float> each = e.score_encoded(w.windows);
  const float best = *std::max_element(each.begin(), each.end());
  EXPECT_NE(best, each.front());  // the best window is not the first: windows matter here
  EXPECT_EQ(e.score({{query, passage}})[0], best);
  const std::vector<std::string> passages = {"a short one", passage};
  const std::vector<Ranked> ranked = e.rank(query, passages);
  // Batched with another passage, so not bit for bit (1e-5: BatchingDoesNotChangeScores).
  EXPECT_NEAR(ranked[ranked[0].index == 1 ? 0 : 1].score, best, 1e-5);
  // One window (the default) is plain truncation: the first window's score.
  Engine truncating = open_tiny();
  EXPECT_NEAR(truncating.score({{query, passage}})[0], each.front(), 1e-5);  // batch of 1
  // Left truncation scores the passage's last window.
  Engine left = open_tiny({.long_pairs = {.side = TruncationSide::kLeft}});
  EXPECT_EQ(left.score({{query, passage}})[0],
            left.score_encoded({{left.tokenize(query, passage)}})[0]);
  EXPECT_EQ(left.tokenize(query, passage).input_ids,
            e.tokenize_windows(query, passage).windows.back().input_ids);
  EXPECT_THROW(open_tiny({.long_pairs = {.max_windows = 0}}), Error);
}

TEST(Engine, InvalidUtf8IsRejectedWithItsPosition) {
  Engine e = open_tiny();
  try {
    e.score({{"ok", std::string("bad \xff\xfe bytes")}});
    FAIL() << "expected Error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("invalid UTF-8"), std::string::npos) << err.what();
  }
}

TEST(Engine, MaxLengthOptionTruncatesAndIsValidated) {
  Engine e = open_tiny({.max_length = 24});
  EXPECT_EQ(e.tokenize("one two three four five six seven eight nine ten eleven twelve",
                       "a b c d e f g h i j k l m n o p q r s t u v")
                .input_ids.size(),
            24u);
  EXPECT_THROW(open_tiny({.max_length = 2}), Error);
  EXPECT_THROW(open_tiny({.max_length = 513}), Error);
}

TEST(Engine, BadTokenIdsAreRejected) {
  Engine e = open_tiny();
  Encoding bad{{101, 999999, 102}, {0, 0, 0}};
  EXPECT_THROW(e.score_encoded(std::vector<Encoding>{bad}), Error);
  Encoding bad_type{{101, 7, 102}, {0, 5, 0}};
  EXPECT_THROW(e.score_encoded(std::vector<Encoding>{bad_type}), Error);
  Encoding mismatch{{101, 102}, {0}};
  EXPECT_THROW(e.score_encoded(std::vector<Encoding>{mismatch}), Error);
  EXPECT_THROW(e.score_encoded(std::vector<Encoding>{Encoding{}}), Error);
  Encoding too_long;
  too_long.input_ids.assign(600, 1000);
  too_long.token_type_ids.assign(600, 0);
  EXPECT_THROW(e.score_encoded(std::vector<Encoding>{too_long}), Error);
  // The engine keeps working after rejecting input.
  EXPECT_TRUE(std::isfinite(e.score({{"q", "p"}})[0]));
}

TEST(Engine, BadOptionsAndModelsGiveClearErrors) {
  EXPECT_THROW(Engine::open("/nonexistent.cenc"), Error);
  EXPECT_THROW(open_tiny({.backend = "tpu"}), Error);
  EXPECT_THROW(open_tiny({.gemm = "magic"}), Error);
#ifndef CROSSENC_HAVE_VULKAN
  EXPECT_THROW(open_tiny({.backend = "vulkan"}), Error);
#endif
  try {
    Engine::open(test::data_path("tokenize_sample.jsonl").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("magic"), std::string::npos) << e.what();
  }
}

// The tiny model with channels 3 and 17 given 15x gains in every LayerNorm: outlier channels
// as in trained BERTs (and minilm-l6-outliers).
std::string tiny_with_outlier_channels() {
  const auto tiny = ModelFile::open(tiny_model());
  std::vector<TensorData> tensors;
  for (const TensorInfo& t : tiny->tensors()) {
    const auto b = tiny->bytes(t);
    tensors.push_back({t, std::vector<uint8_t>(b.begin(), b.end())});
    if (t.name.find("ln.gamma") == std::string::npos) continue;
    if (t.dtype != DType::F32) throw Error("tiny model: LayerNorm gains are not F32");
    auto* gain = reinterpret_cast<float*>(tensors.back().bytes.data());
    gain[3] *= 15.0f;
    gain[17] *= -15.0f;
  }
  const auto p = test::temp_dir() / "engine_outliers.cenc";
  write_model_file(p.string(), serialize_model(tiny->config(), tiny->tokenizer_config(),
                                               tiny->vocab(), tensors));
  return p.string();
}

TEST(Engine, EightBitOnAModelWithOutlierChannelsWarns) {
  const std::string outliers = tiny_with_outlier_channels();
  for (const DType dtype : {DType::BF16, DType::I8}) {
    const Engine e = Engine::open(outliers, {.threads = 2, .dtype = dtype});
    ASSERT_EQ(e.info().warnings.size(), 1u) << dtype_name(dtype);
    const std::string& w = e.info().warnings[0];
    EXPECT_NE(w.find("2 outlier hidden channel(s) (3, 17: LayerNorm gains up to 1"),
              std::string::npos)
        << w;
    EXPECT_NE(w.find(std::string(dtype_name(dtype)) + " rounding"), std::string::npos) << w;
    EXPECT_NE(w.find("use f32 or f16"), std::string::npos) << w;
    // The same model in the same dtype without the outliers: nothing to warn about.
    EXPECT_TRUE(open_tiny({.dtype = dtype}).info().warnings.empty()) << dtype_name(dtype);
  }
  for (const DType dtype : {DType::F32, DType::F16}) {
    EXPECT_TRUE(Engine::open(outliers, {.threads = 2, .dtype = dtype}).info().warnings.empty());
  }
}

TEST(Engine, ScoreIsThreadSafe) {
  Engine e = open_tiny({.batch_size = 4});
  const std::vector<Pair> pairs = {{"q1", "first passage"},
                                   {"q2", "second one here"},
                                   {"q3", "x"},
                                   {"q4", "a longer passage with more words in it"},
                                   {"q5", "five"}};
  const auto want = e.score(pairs);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < 20; ++r) {
        if (e.score(pairs) != want) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace crossenc
