// Ranking metrics with trec_eval semantics: documents sorted by score, ties broken by docno in
// descending strcmp order (trec_eval's comp_sim_docno); nDCG with linear graded gains and the
// ideal ranking taken from every judged document of the query.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "crossenc/eval/trec.h"

namespace crossenc::eval {

// TREC DL passage conventions: grade >= 2 counts as relevant for MRR and recall.
inline constexpr int kBinaryRelevance = 2;

// A copy of `docs` in trec_eval's evaluation order.
std::vector<ScoredDoc> trec_order(std::span<const ScoredDoc> docs);

// Each takes the query's documents already in trec_order and its judgments (docno -> grade).
double ndcg_at(std::span<const ScoredDoc> ranked, const std::map<std::string, int>& judged,
               size_t k);
double reciprocal_rank_at(std::span<const ScoredDoc> ranked,
                          const std::map<std::string, int>& judged, size_t k, int min_grade);
double recall_at(std::span<const ScoredDoc> ranked, const std::map<std::string, int>& judged,
                 size_t k, int min_grade);

struct Metrics {
  double ndcg10 = 0.0;
  double mrr10 = 0.0;
  double recall100 = 0.0;
};

struct RunMetrics {
  std::map<std::string, Metrics> per_query;  // queries both in the run and in the qrels
  Metrics mean;
};

// nDCG@10, MRR@10 and Recall@100 (grade >= 2) of every query of `run` that has judgments,
// averaged over those queries (trec_eval without -c).
RunMetrics evaluate_run(const Run& run, const Qrels& qrels);

// Spearman rank correlation of two equally long score lists (ties get their average rank).
// A list without variance has no ranking: 1 when both are constant, else 0.
double spearman(std::span<const double> a, std::span<const double> b);

}  // namespace crossenc::eval
