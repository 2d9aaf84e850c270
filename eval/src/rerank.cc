// The reranking driver: each query's candidates through Engine::score, one query at a time.
#include "crossenc/eval/rerank.h"

#include <algorithm>
#include <chrono>

namespace crossenc::eval {

Reranked rerank(Engine& engine, const Dataset& dataset, const RerankOptions& options) {
  Reranked out;
  size_t total = 0;
  for (const Query& q : dataset.queries) total += std::min(options.top_k, q.candidates.size());
  for (const Query& q : dataset.queries) {
    const size_t n = std::min(options.top_k, q.candidates.size());
    std::vector<Pair> pairs;
    pairs.reserve(n);
    for (size_t i = 0; i < n; ++i) pairs.push_back({q.text, q.candidates[i].text});
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> scores;
    try {
      scores = engine.score(pairs);
    } catch (const InputError& e) {
      throw Error("query " + q.qid + ", passage " + q.candidates[e.index].docno + ": " + e.detail);
    }
    out.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.pairs += n;

    auto& docs = out.run[q.qid];
    auto& kept = out.model_scores[q.qid];
    double lowest = 0.0;
    for (size_t i = 0; i < n; ++i) {
      docs.push_back({q.candidates[i].docno, scores[i]});
      kept.push_back(scores[i]);
      lowest = i == 0 ? scores[i] : std::min(lowest, static_cast<double>(scores[i]));
    }
    for (size_t i = n; i < q.candidates.size(); ++i) {
      docs.push_back({q.candidates[i].docno, lowest - 1.0 - static_cast<double>(i - n)});
    }
    if (options.progress) options.progress(out.pairs, total);
  }
  return out;
}

Evaluation evaluate(Engine& engine, const Dataset& dataset, const RerankOptions& options) {
  Evaluation e;
  e.first_stage = evaluate_run(first_stage_run(dataset), dataset.qrels);
  e.details = rerank(engine, dataset, options);
  e.reranked = evaluate_run(e.details.run, dataset.qrels);
  return e;
}

}  // namespace crossenc::eval
