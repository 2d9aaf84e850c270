// crossenc eval: rerank the BM25 top-100 of TREC DL 2019/2020 and print nDCG@10, MRR@10 and
// Recall@100 (trec_eval semantics) for the BM25 order and the reranked order side by side.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "crossenc/eval/rerank.h"
#include "progress.h"

namespace crossenc::cli {

namespace {

struct EvalArgs {
  EngineArgs engine;
  std::string dataset, data, run_file, per_query_file, compare;
  size_t top_k = 100;
};

// A redrawn bar on a terminal; otherwise one line per update (at most one a second), so logs
// of a long run still show its progress. `passes` reranks of the same pairs share the bar.
std::function<void(size_t, size_t)> progress_printer(bench::ProgressBar& bar, bool terminal,
                                                     size_t passes) {
  const auto start = std::chrono::steady_clock::now();
  auto last = start - std::chrono::hours(1);
  size_t finished = 0;  // pairs of the passes already done
  return [&bar, terminal, passes, start, last, finished](size_t done, size_t total) mutable {
    const size_t overall = finished + done;
    const bool end = done == total && finished + total == total * passes;
    if (done == total) finished += total;
    if (terminal) {
      bar.update(overall);
      if (end) bar.finish();
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!end && now - last < std::chrono::seconds(1)) return;
    last = now;
    std::fprintf(stderr, "%s\n",
                 bar.render(overall, std::chrono::duration<double>(now - start).count()).c_str());
  };
}

std::vector<DType> parse_dtype_list(const std::string& list) {
  std::vector<DType> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) out.push_back(parse_dtype(name));  // the parser --dtype uses
  }
  if (out.empty()) throw Error("--compare-dtypes needs a list such as f32,f16,bf16");
  return out;
}

void print_side_by_side(const eval::Evaluation& e) {
  std::printf("%-12s %8s %9s\n", "metric", "BM25", "reranked");
  std::printf("%-12s %8.4f %9.4f\n", "nDCG@10", e.first_stage.mean.ndcg10, e.reranked.mean.ndcg10);
  std::printf("%-12s %8.4f %9.4f\n", "MRR@10", e.first_stage.mean.mrr10, e.reranked.mean.mrr10);
  std::printf("%-12s %8.4f %9.4f\n", "Recall@100", e.first_stage.mean.recall100,
              e.reranked.mean.recall100);
}

void print_dtype_table(const std::vector<eval::DtypeComparison>& rows) {
  const eval::Metrics& ref = rows.front().metrics.mean;
  std::printf("\n%-5s %8s %8s %8s %8s %10s %8s %16s %10s\n", "dtype", "nDCG@10", "delta", "MRR@10",
              "delta", "Recall@100", "delta", "worst Spearman", "pairs/s");
  for (const auto& r : rows) {
    const eval::Metrics& m = r.metrics.mean;
    std::string worst = "(reference)";
    if (r.dtype != DType::F32) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4f (q %s)", r.worst_spearman, r.worst_qid.c_str());
      worst = buf;
    }
    std::printf("%-5s %8.4f %+8.4f %8.4f %+8.4f %10.4f %+8.4f %16s %10.1f\n",
                std::string(dtype_name(r.dtype)).c_str(), m.ndcg10, m.ndcg10 - ref.ndcg10, m.mrr10,
                m.mrr10 - ref.mrr10, m.recall100, m.recall100 - ref.recall100, worst.c_str(),
                r.pairs_per_s);
  }
}

void write_per_query(const std::string& path, const eval::Evaluation& e) {
  OutputFile out(path);
  out.write_line(
      "qid,ndcg10_bm25,ndcg10_reranked,mrr10_bm25,mrr10_reranked,recall100_bm25,"
      "recall100_reranked");
  for (const auto& [qid, r] : e.reranked.per_query) {
    const eval::Metrics& b = e.first_stage.per_query.at(qid);
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", qid.c_str(), b.ndcg10,
                  r.ndcg10, b.mrr10, r.mrr10, b.recall100, r.recall100);
    out.write_line(buf);
  }
  out.commit();
}

int run_eval(const EvalArgs& a) {
  if (a.top_k < 1) throw Error("--top-k must be >= 1");
  const std::vector<DType> dtypes =
      a.compare.empty() ? std::vector<DType>{} : parse_dtype_list(a.compare);
  const Options options = to_options(a.engine);
  const eval::Dataset ds = eval::load_dataset(a.dataset, a.data);
  size_t pairs = 0;
  for (const auto& q : ds.queries) pairs += std::min(a.top_k, q.candidates.size());
  std::printf("%s: %zu queries, %zu judged, %zu pairs (BM25 top-%zu reranked)\n", a.dataset.c_str(),
              ds.queries.size(),
              eval::evaluate_run(eval::first_stage_run(ds), ds.qrels).per_query.size(), pairs,
              a.top_k);

  const bool terminal = ::isatty(2);
  const size_t passes = dtypes.empty() ? 1 : eval::with_reference_first(dtypes).size();
  bench::ProgressBar bar(pairs * passes, terminal);
  eval::RerankOptions ro{.top_k = a.top_k, .progress = progress_printer(bar, terminal, passes)};
  eval::Evaluation e;
  std::vector<eval::DtypeComparison> rows;
  std::string engine_desc;
  if (dtypes.empty()) {
    Engine engine = Engine::open(a.engine.model, options);
    print_warnings(engine.info());
    engine_desc = std::string(dtype_name(engine.info().dtype)) + ", " + engine.info().device;
    e = eval::evaluate(engine, ds, ro);
  } else {
    rows = eval::compare_dtypes(a.engine.model, options, dtypes, ds, ro);
    engine_desc = "f32 reference";
    e.first_stage = eval::evaluate_run(eval::first_stage_run(ds), ds.qrels);
    e.details = rows.front().details;
    e.reranked = rows.front().metrics;
  }
  std::printf("model %s (%s)\n\n", a.engine.model.c_str(), engine_desc.c_str());
  print_side_by_side(e);
  std::printf("\nreranked %zu pairs in %.2f s: %.1f pairs/s\n", e.details.pairs, e.details.seconds,
              e.details.pairs_per_s());
  if (!rows.empty()) print_dtype_table(rows);
  if (!a.run_file.empty()) eval::write_run(a.run_file, e.details.run, "crossenc");
  if (!a.per_query_file.empty()) write_per_query(a.per_query_file, e);
  return 0;
}

}  // namespace

Command add_eval(CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = root.add_subcommand(
      "eval",
      "Rerank the BM25 top-100 candidates of TREC DL 2019 or 2020 (passage) and print nDCG@10, "
      "MRR@10 and Recall@100 with trec_eval semantics (graded gains for nDCG; grade >= 2 is "
      "relevant for MRR and recall; ties broken by docno as trec_eval does) for the BM25 order "
      "and the reranked order side by side, and the pairs/s. Progress goes to stderr.");
  add_engine_options(app, args->engine);
  app->add_option("--dataset", args->dataset, "dl19 (43 judged queries) or dl20 (54)")
      ->required()
      ->check(CLI::IsMember(eval::dataset_names()));
  app->add_option("--data", args->data,
                  "folder with retrieve_results_<ds>_top100.json and qrels.<ds>-passage.txt "
                  "(default: the first of $CROSSENC_SHARED_DIR/data/trec-dl-passage-bm25-top100, "
                  "../shared/data/trec-dl-passage-bm25-top100 from the current folder, and the "
                  "same beside the checkout holding this program)");
  app->add_option("--top-k", args->top_k,
                  "rerank each query's first K BM25 candidates; the rest keep BM25 order after "
                  "them")
      ->capture_default_str();
  app->add_option("--run", args->run_file, "write the reranked run in TREC format to FILE");
  app->add_option("--per-query", args->per_query_file,
                  "write per-query metrics (BM25 and reranked) as CSV to FILE");
  app->add_option("--compare-dtypes", args->compare,
                  "comma-separated dtypes (those --dtype accepts, e.g. f32,f16,bf16): rerank "
                  "with each and print one table of metric deltas and the worst per-query "
                  "Spearman against f32; --run/--per-query then hold the f32 results")
      ->excludes(app->get_option("--dtype"));
  return {app, [args] { return run_eval(*args); }};
}

}  // namespace crossenc::cli
