// crossenc_eval: trec_eval-semantics metrics against hand-computed values (tests/data/trec-mini)
// and the published BM25 figures of TREC DL 2019/2020 (../shared), the TREC file readers and
// writer, the reranking driver, the dtype comparison and `crossenc eval`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "crossenc/eval/rerank.h"
#include "test_util.h"

namespace crossenc::eval {
namespace {

using test::data_path;
using test::shared_path;

const std::string kMini = data_path("trec-mini").string();
const std::string kSharedData = shared_path("data/trec-dl-passage-bm25-top100").string();

// Query 1 of trec-mini in trec_eval order: d1 (grade 0), then d3 (1) before d2 (3) because
// their scores tie and trec_eval puts the larger docno first, then d4 (2); d5 (2) is judged but
// not retrieved. By hand: DCG@10 = 1/log2(3) + 3/log2(4) + 2/log2(5); the ideal order 3,2,2,1
// gives 3 + 2/log2(3) + 2/log2(4) + 1/log2(5).
double mini_q1_ndcg() {
  const double dcg = 1 / std::log2(3.0) + 3 / std::log2(4.0) + 2 / std::log2(5.0);
  const double idcg = 3 + 2 / std::log2(3.0) + 2 / std::log2(4.0) + 1 / std::log2(5.0);
  return dcg / idcg;  // 0.525650...
}

TEST(EvalMetrics, TrecOrderBreaksTiesByDescendingDocno) {
  const std::vector<ScoredDoc> docs = {{"d2", 2.0}, {"d1", 3.0}, {"d3", 2.0}, {"d10", 2.0}};
  const auto ranked = trec_order(docs);
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0].docno, "d1");
  EXPECT_EQ(ranked[1].docno, "d3");  // strcmp: "d3" > "d2" > "d10"
  EXPECT_EQ(ranked[2].docno, "d2");
  EXPECT_EQ(ranked[3].docno, "d10");
}

TEST(EvalMetrics, HandComputedValuesOnTheMiniDataset) {
  const Dataset ds = load_dataset("dl19", kMini);
  ASSERT_EQ(ds.queries.size(), 3u);
  const RunMetrics m = evaluate_run(first_stage_run(ds), ds.qrels);
  ASSERT_EQ(m.per_query.size(), 2u);  // query 3 has no judgments: left out, as trec_eval does
  const Metrics& q1 = m.per_query.at("1");
  EXPECT_NEAR(q1.ndcg10, mini_q1_ndcg(), 1e-12);
  EXPECT_NEAR(q1.mrr10, 1.0 / 3.0, 1e-12);      // d2 (grade 3) at rank 3; d3 (1) is not >= 2
  EXPECT_NEAR(q1.recall100, 2.0 / 3.0, 1e-12);  // d2, d4 of d2, d4, d5
  const Metrics& q2 = m.per_query.at("2");
  EXPECT_DOUBLE_EQ(q2.ndcg10, 1.0);
  EXPECT_DOUBLE_EQ(q2.mrr10, 1.0);
  EXPECT_DOUBLE_EQ(q2.recall100, 1.0);
  EXPECT_NEAR(m.mean.ndcg10, (mini_q1_ndcg() + 1.0) / 2.0, 1e-12);
  EXPECT_NEAR(m.mean.mrr10, (1.0 / 3.0 + 1.0) / 2.0, 1e-12);
  EXPECT_NEAR(m.mean.recall100, (2.0 / 3.0 + 1.0) / 2.0, 1e-12);
}

TEST(EvalMetrics, CutoffsAndEmptyJudgments) {
  std::vector<ScoredDoc> ranked;
  for (int i = 0; i < 12; ++i) {
    std::string docno = "x";  // appended, not "x" + ...: GCC 12's -Wrestrict false positive
    docno += std::to_string(i);
    ranked.push_back({docno, 12.0 - i});
  }
  const std::map<std::string, int> judged = {{"x10", 3}, {"x11", 2}};
  EXPECT_EQ(ndcg_at(ranked, judged, 10), 0.0);  // both below the cutoff
  EXPECT_EQ(reciprocal_rank_at(ranked, judged, 10, 2), 0.0);
  EXPECT_DOUBLE_EQ(reciprocal_rank_at(ranked, judged, 11, 2), 1.0 / 11.0);
  EXPECT_DOUBLE_EQ(recall_at(ranked, judged, 11, 2), 0.5);
  EXPECT_EQ(ndcg_at(ranked, {{"x0", 0}}, 10), 0.0);  // no relevant document at all
  EXPECT_EQ(recall_at(ranked, {}, 100, 2), 0.0);
}

TEST(EvalMetrics, SpearmanWithTies) {
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}), -1.0);
  // Ranks (1, 2.5, 2.5) against (1, 2, 3): deviations from the mean rank 2 are (-1, .5, .5)
  // and (-1, 0, 1): covariance 1.5, variances 1.5 and 2 -> 1.5 / sqrt(3).
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 2}, std::vector<double>{1, 2, 3}),
              1.5 / std::sqrt(3.0), 1e-12);
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 1}, std::vector<double>{1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 1}, std::vector<double>{1, 2}), 0.0);
  EXPECT_THROW(spearman(std::vector<double>{1}, std::vector<double>{1, 2}), Error);
}

TEST(EvalFiles, RunFileRoundTripKeepsEveryScore) {
  const Dataset ds = load_dataset("dl19", kMini);
  eval::Run run = first_stage_run(ds);
  run["1"][0].score = 0.1f;  // a float score must read back as the same value
  const std::string path = (test::temp_dir() / "mini.run").string();
  write_run(path, run, "test");
  const eval::Run back = read_run(path);
  ASSERT_EQ(back.size(), run.size());
  for (const auto& [qid, docs] : run) {
    const auto a = trec_order(docs), b = trec_order(back.at(qid));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].docno, b[i].docno);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
}

TEST(EvalFiles, BadInputNamesFileAndLine) {
  const auto write = [](const std::string& name, const std::string& text) {
    const std::string path = (test::temp_dir() / name).string();
    std::ofstream(path) << text;
    return path;
  };
  try {
    read_qrels(write("bad.qrels", "1 0 d1 2\n1 0 d2 high\n"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.qrels:2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_run(write("dup.run", "1 Q0 d1 1 2.0 t\n1 Q0 d1 2 1.0 t\n")), Error);
  EXPECT_THROW(read_run(write("short.run", "1 Q0 d1 1\n")), Error);
  EXPECT_THROW(read_topics(write("notab.tsv", "1 no tab here\n")), Error);
  EXPECT_THROW(read_qrels((test::temp_dir() / "missing").string()), Error);
  EXPECT_THROW(load_dataset("dl21", kMini), Error);
  EXPECT_THROW(load_dataset("dl20", kMini), Error);  // the folder lacks the dl20 files
  const std::string bad_json = (test::temp_dir() / "badjson").string();
  std::filesystem::create_directories(bad_json);
  write("badjson/retrieve_results_dl19_top100.json", "[{\"query\": \"q\", \"hits\": [{}]}]");
  write("badjson/qrels.dl19-passage.txt", "1 0 d1 1\n");
  EXPECT_THROW(load_dataset("dl19", bad_json), Error);
}

TEST(EvalFiles, TopicsGiveTheQueryText) {
  const Topics t = read_topics(data_path("trec-mini/topics.dl19-passage.txt").string());
  EXPECT_EQ(t.at("2"), "how tall is mount everest");
  EXPECT_EQ(load_dataset("dl19", kMini).queries[1].text, "how tall is mount everest");
}

Engine tiny_engine(std::optional<DType> dtype = std::nullopt) {
  return Engine::open(data_path("tiny-random").string(),
                      {.backend = "cpu", .threads = 1, .dtype = dtype});
}

TEST(EvalRerank, RerankedRunKeepsEveryCandidateAndItsScores) {
  const Dataset ds = load_dataset("dl19", kMini);
  Engine engine = tiny_engine();
  size_t calls = 0;
  const Reranked r = rerank(engine, ds, {.top_k = 3, .progress = [&](size_t done, size_t total) {
                                           ++calls;
                                           EXPECT_EQ(total, 6u);  // 3 + 2 + 1
                                           EXPECT_LE(done, total);
                                         }});
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(r.pairs, 6u);
  ASSERT_EQ(r.run.at("1").size(), 4u);  // d4 was not reranked but stays, after the others
  const auto order = trec_order(r.run.at("1"));
  EXPECT_EQ(order.back().docno, "d4");
  const auto expected = engine.score({{"what is a flea", ds.queries[0].candidates[0].text}});
  EXPECT_EQ(r.model_scores.at("1")[0], expected[0]);
  // The run file gives the same metrics as the run in memory.
  const std::string path = (test::temp_dir() / "reranked.run").string();
  write_run(path, r.run, "crossenc");
  const RunMetrics a = evaluate_run(r.run, ds.qrels), b = evaluate_run(read_run(path), ds.qrels);
  EXPECT_EQ(a.mean.ndcg10, b.mean.ndcg10);
  EXPECT_EQ(a.mean.mrr10, b.mean.mrr10);
}

TEST(EvalRerank, CompareDtypesPutsTheReferenceFirst) {
  const Dataset ds = load_dataset("dl19", kMini);
  const auto rows =
      compare_dtypes(data_path("tiny-random").string(), {.backend = "cpu", .threads = 1},
                     {DType::F16, DType::F32, DType::F16}, ds, {});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].dtype, DType::F32);
  EXPECT_EQ(rows[1].dtype, DType::F16);
  EXPECT_FALSE(rows[1].worst_qid.empty());
  // FP16 weights keep each query's order on tiny-random (README: Spearman >= 0.999 per query).
  EXPECT_GE(rows[1].worst_spearman, 0.999);
  Engine f32 = tiny_engine(DType::F32);
  EXPECT_EQ(evaluate(f32, ds, {}).reranked.mean.ndcg10, rows[0].metrics.mean.ndcg10);
}

// The published Pyserini BM25 figures (trec_eval) from the BM25 order alone.
void expect_bm25(const std::string& ds_name, size_t queries, double ndcg10, double recall100) {
  const Dataset ds = load_dataset(ds_name, kSharedData);
  const RunMetrics m = evaluate_run(first_stage_run(ds), ds.qrels);
  EXPECT_EQ(m.per_query.size(), queries);
  EXPECT_NEAR(m.mean.ndcg10, ndcg10, 5e-5);        // published to 4 decimals
  EXPECT_NEAR(m.mean.recall100, recall100, 5e-4);  // SOURCE.txt gives 3 decimals
}

TEST(EvalShared, Bm25OrderReproducesDl19) {
  CROSSENC_REQUIRE_SHARED_FILE(kSharedData + "/retrieve_results_dl19_top100.json");
  expect_bm25("dl19", 43, 0.5058, 0.491);
}

TEST(EvalShared, Bm25OrderReproducesDl20) {
  CROSSENC_REQUIRE_SHARED_FILE(kSharedData + "/retrieve_results_dl20_top100.json");
  expect_bm25("dl20", 54, 0.4796, 0.560);
}

TEST(EvalShared, TrecRunFileMatchesTheJsonCandidates) {
  CROSSENC_REQUIRE_SHARED_FILE(kSharedData + "/trec_results_dl20_top100.txt");
  const Dataset ds = load_dataset("dl20", kSharedData);
  const RunMetrics a =
      evaluate_run(read_run(kSharedData + "/trec_results_dl20_top100.txt"), ds.qrels);
  const RunMetrics b = evaluate_run(first_stage_run(ds), ds.qrels);
  EXPECT_EQ(a.mean.ndcg10, b.mean.ndcg10);
  EXPECT_EQ(a.mean.recall100, b.mean.recall100);
}

std::string run_cli(const std::string& args, int* status) {
  const std::string cmd = std::string(CROSSENC_CLI_PATH) + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *status = ::pclose(p);
  return out;
}

TEST(EvalCli, PrintsBothOrdersAndWritesTheFiles) {
  const std::string run = (test::temp_dir() / "cli.run").string();
  const std::string csv = (test::temp_dir() / "cli.csv").string();
  int status = 0;
  const std::string out =
      run_cli("eval -m " + data_path("tiny-random").string() + " --dataset dl19 --data " + kMini +
                  " --threads 1 --run " + run + " --per-query " + csv,
              &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("nDCG@10"), std::string::npos) << out;
  EXPECT_NE(out.find("0.7628"), std::string::npos) << out;  // BM25 nDCG@10, as computed above
  EXPECT_NE(out.find("pairs/s"), std::string::npos) << out;
  EXPECT_NE(out.find("[####"), std::string::npos) << out;  // a progress line (not a terminal)
  EXPECT_EQ(read_run(run).size(), 3u);
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("qid,ndcg10_bm25", 0), 0u);
  size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 2u);
}

TEST(EvalCli, CompareDtypesTable) {
  int status = 0;
  const std::string out =
      run_cli("eval -m " + data_path("tiny-random").string() + " --dataset dl19 --data " + kMini +
                  " --threads 1 --compare-dtypes f32,f16",
              &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("worst Spearman"), std::string::npos) << out;
  EXPECT_NE(out.find("(reference)"), std::string::npos) << out;
}

TEST(EvalCli, BadArgumentsAreClearErrors) {
  int status = 0;
  const std::string model = data_path("tiny-random").string();
  std::string out =
      run_cli("eval -m " + model + " --dataset dl19 --data " + kMini + " --compare-dtypes f32,f64",
              &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("error:"), std::string::npos) << out;
  out = run_cli("eval -m " + model + " --dataset dl19 --data /nonexistent", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("lacks"), std::string::npos) << out;
  out = run_cli("eval -m " + model + " --dataset dl19 --data " + kMini + " --top-k 0", &status);
  EXPECT_NE(status, 0);
  out = run_cli("eval -m " + model + " --dataset dl18", &status);
  EXPECT_NE(status, 0);
  out = run_cli("eval -m " + model + " --dataset dl19 --dtype f16 --compare-dtypes f16", &status);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace crossenc::eval
