// Reranking a TREC DL dataset with a cross-encoder and scoring both orders; the dtype
// comparison (every dtype against f32 on the same candidates).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crossenc/engine.h"
#include "crossenc/eval/dataset.h"
#include "crossenc/eval/metrics.h"

namespace crossenc::eval {

struct RerankOptions {
  size_t top_k = 100;  // rerank each query's first `top_k` candidates; the rest keep BM25 order
  // Called after each query with (pairs scored so far, total pairs); may be empty.
  std::function<void(size_t, size_t)> progress;
};

struct Reranked {
  // Reranked top_k with the model's scores, then the other candidates in first-stage order
  // (scores below the lowest model score of the query, so every run file stays consistent).
  Run run;
  std::map<std::string, std::vector<double>> model_scores;  // per qid, first-stage order
  size_t pairs = 0;
  double seconds = 0.0;  // time inside Engine::score
  double pairs_per_s() const { return seconds > 0 ? pairs / seconds : 0.0; }
};

Reranked rerank(Engine& engine, const Dataset& dataset, const RerankOptions& options);

// The figures `crossenc eval` prints: BM25 and reranked metrics side by side.
struct Evaluation {
  RunMetrics first_stage;
  RunMetrics reranked;
  Reranked details;
};
Evaluation evaluate(Engine& engine, const Dataset& dataset, const RerankOptions& options);

struct DtypeComparison {
  DType dtype;
  RunMetrics metrics;
  double worst_spearman = 1.0;  // lowest per-query Spearman of its scores against f32's
  std::string worst_qid;
  double pairs_per_s = 0.0;
  Reranked details;
};

// f32 (the reference) first, then the other dtypes of `dtypes` once each, in order.
std::vector<DType> with_reference_first(const std::vector<DType>& dtypes);

// Reranks with each of with_reference_first(dtypes), using `base` for every other engine
// option; the results come in that order.
std::vector<DtypeComparison> compare_dtypes(const std::string& model, const Options& base,
                                            const std::vector<DType>& dtypes,
                                            const Dataset& dataset, const RerankOptions& options);

}  // namespace crossenc::eval
