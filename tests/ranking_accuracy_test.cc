// How well each CPU dtype keeps the float64 ranking: 3 DL19 queries x 30 BM25 candidates
// (tests/data/ranking_tiny_dl19.jsonl, float64 logits of tiny-random), on a fresh clone. Per
// query: Spearman of the scores against the reference, and how many of the reference's top 10
// are in the dtype's top 10; overall: max |logit - reference|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/eval/metrics.h"
#include "gptq_model.h"
#include "test_util.h"

namespace crossenc {
namespace {

struct Query {
  std::vector<Pair> pairs;
  std::vector<double> reference;
};

std::map<int64_t, Query> read_fixture() {
  std::map<int64_t, Query> out;
  std::ifstream in(test::data_path("ranking_tiny_dl19.jsonl"));
  EXPECT_TRUE(in.good());
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    Query& q = out[j.at("qid").get<int64_t>()];
    q.pairs.push_back({j.at("query").get<std::string>(), j.at("passage").get<std::string>()});
    q.reference.push_back(j.at("logit").get<double>());
  }
  return out;
}

// How many of a's 10 best are among b's 10 best.
size_t top10_overlap(const std::vector<double>& a, const std::vector<double>& b) {
  const auto best = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return v[x] > v[y]; });
    idx.resize(std::min<size_t>(10, idx.size()));
    std::sort(idx.begin(), idx.end());
    return idx;
  };
  const auto ta = best(a), tb = best(b);
  std::vector<size_t> common;
  std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(common));
  return common.size();
}

struct Bounds {
  const char* dtype;
  double max_error;     // max |logit - float64| over the 90 pairs
  double min_spearman;  // worst query
  size_t min_top10;     // worst query
};

struct Measured {
  double max_error = 0.0, worst_spearman = 1.0;
  size_t worst_top10 = 10;
};

Measured measure(Engine& engine) {
  const auto queries = read_fixture();
  EXPECT_EQ(queries.size(), 3u);
  Measured m;
  for (const auto& [qid, q] : queries) {
    EXPECT_GE(q.pairs.size(), 20u) << qid;
    const std::vector<float> got = engine.score(q.pairs);
    const std::vector<double> scores(got.begin(), got.end());
    for (size_t i = 0; i < scores.size(); ++i) {
      m.max_error = std::max(m.max_error, std::fabs(scores[i] - q.reference[i]));
    }
    m.worst_spearman = std::min(m.worst_spearman, eval::spearman(scores, q.reference));
    m.worst_top10 = std::min(m.worst_top10, top10_overlap(scores, q.reference));
  }
  return m;
}

void expect_within(const Bounds& b, const Measured& m) {
  testing::Test::RecordProperty("max_error", std::to_string(m.max_error));
  testing::Test::RecordProperty("worst_spearman", std::to_string(m.worst_spearman));
  std::printf("%s: max |err| %.3g, worst Spearman %.4f, worst top-10 %zu/10\n", b.dtype,
              m.max_error, m.worst_spearman, m.worst_top10);
  EXPECT_LE(m.max_error, b.max_error);
  EXPECT_GE(m.worst_spearman, b.min_spearman);
  EXPECT_GE(m.worst_top10, b.min_top10);
}

class RankingAccuracy : public testing::TestWithParam<Bounds> {};

TEST_P(RankingAccuracy, KeepsTheReferenceRanking) {
  const Bounds& b = GetParam();
  Options options{.threads = 2};
  if (std::string(b.dtype) != "f32") options.dtype = parse_dtype(b.dtype);
  Engine engine = Engine::open(test::data_path("tiny-random").string(), options);
  expect_within(b, measure(engine));
}

// Bounds about 2x the error measured (and 2x the Spearman gap to 1, one top-10 place below)
// with `build/tests/ranking_accuracy_test` on an AMD EPYC (AVX-512 VNNI + BF16), 2026-12-03:
// f32 6.1e-6 / 1.0000 / 10; f16 0.011 / 1.0000 / 10; bf16 0.114 / 0.9996 / 10; and with
// asymmetric activation rows, 2026-12-04: int8 0.206 / 0.9969 / 9.
INSTANTIATE_TEST_SUITE_P(
    CpuDtypes, RankingAccuracy,
    testing::Values(Bounds{"f32", 1.2e-5, 0.9999, 10}, Bounds{"f16", 0.022, 0.999, 9},
                    Bounds{"bf16", 0.23, 0.9992, 9}, Bounds{"int8", 0.41, 0.993, 8}),
    [](const testing::TestParamInfo<Bounds>& info) { return std::string(info.param.dtype); });

// `crossenc convert --dtype int8 --calibrate`: GPTQ rounding calibrated on the 32 pairs of
// examples/calibration_dl19.jsonl (none of them in the fixture). Measured with
// `build/tests/ranking_accuracy_test` on an AMD EPYC, 2026-12-04: 0.303 / 0.9969 / 9 (round to
// nearest: 0.206 / 0.9969 / 9 above). On this hidden-32 model the activation rounding
// dominates and GPTQ gains nothing here (over all 4300 tiny DL19 pairs: 0.303 vs 0.331); its
// gain on the real shape is checked in golden_scores_test (Int8Gptq). Bounds as above.
TEST(RankingAccuracyGptq, KeepsTheReferenceRanking) {
  const auto path =
      test::write_gptq_model(test::data_path("tiny-random").string(), "tiny-gptq.cenc");
  Engine engine = Engine::open(path, {.threads = 2});
  ASSERT_EQ(engine.info().dtype, DType::I8);
  expect_within(Bounds{"int8-gptq", 0.61, 0.993, 8}, measure(engine));
}

}  // namespace
}  // namespace crossenc
