// trec_eval's ndcg_cut, recip_rank (with -M k) and recall_k, and Spearman's rho.
#include "crossenc/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

#include "crossenc/error.h"

namespace crossenc::eval {

namespace {

int grade_of(const std::map<std::string, int>& judged, const std::string& docno) {
  const auto it = judged.find(docno);
  return it == judged.end() ? 0 : it->second;  // unjudged = irrelevant
}

// 1-based ranks, ties sharing their average rank.
std::vector<double> average_ranks(std::span<const double> v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t t = i; t <= j; ++t) ranks[order[t]] = rank;
    i = j + 1;
  }
  return ranks;
}

}  // namespace

std::vector<ScoredDoc> trec_order(std::span<const ScoredDoc> docs) {
  std::vector<ScoredDoc> out(docs.begin(), docs.end());
  std::sort(out.begin(), out.end(), [](const ScoredDoc& a, const ScoredDoc& b) {
    if (a.score != b.score) return a.score > b.score;
    return std::strcmp(a.docno.c_str(), b.docno.c_str()) > 0;
  });
  return out;
}

double ndcg_at(std::span<const ScoredDoc> ranked, const std::map<std::string, int>& judged,
               size_t k) {
  double dcg = 0.0;
  for (size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    const int g = grade_of(judged, ranked[i].docno);
    if (g > 0) dcg += g / std::log2(static_cast<double>(i) + 2.0);
  }
  std::vector<int> ideal;
  for (const auto& [docno, g] : judged) {
    if (g > 0) ideal.push_back(g);
  }
  std::sort(ideal.begin(), ideal.end(), std::greater<>());
  double idcg = 0.0;
  for (size_t i = 0; i < std::min(k, ideal.size()); ++i) {
    idcg += ideal[i] / std::log2(static_cast<double>(i) + 2.0);
  }
  return idcg > 0.0 ? dcg / idcg : 0.0;
}

double reciprocal_rank_at(std::span<const ScoredDoc> ranked,
                          const std::map<std::string, int>& judged, size_t k, int min_grade) {
  for (size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    if (grade_of(judged, ranked[i].docno) >= min_grade) return 1.0 / static_cast<double>(i + 1);
  }
  return 0.0;
}

double recall_at(std::span<const ScoredDoc> ranked, const std::map<std::string, int>& judged,
                 size_t k, int min_grade) {
  size_t relevant = 0;
  for (const auto& [docno, g] : judged) relevant += g >= min_grade;
  if (relevant == 0) return 0.0;
  size_t found = 0;
  for (size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    found += grade_of(judged, ranked[i].docno) >= min_grade;
  }
  return static_cast<double>(found) / static_cast<double>(relevant);
}

RunMetrics evaluate_run(const Run& run, const Qrels& qrels) {
  RunMetrics out;
  for (const auto& [qid, docs] : run) {
    const auto judged = qrels.find(qid);
    if (judged == qrels.end()) continue;
    const std::vector<ScoredDoc> ranked = trec_order(docs);
    Metrics m;
    m.ndcg10 = ndcg_at(ranked, judged->second, 10);
    m.mrr10 = reciprocal_rank_at(ranked, judged->second, 10, kBinaryRelevance);
    m.recall100 = recall_at(ranked, judged->second, 100, kBinaryRelevance);
    out.per_query[qid] = m;
    out.mean.ndcg10 += m.ndcg10;
    out.mean.mrr10 += m.mrr10;
    out.mean.recall100 += m.recall100;
  }
  if (const double n = static_cast<double>(out.per_query.size()); n > 0) {
    out.mean.ndcg10 /= n;
    out.mean.mrr10 /= n;
    out.mean.recall100 /= n;
  }
  return out;
}

double spearman(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) throw Error("spearman: the score lists differ in length");
  const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
  const double n = static_cast<double>(a.size());
  const double mean = (n + 1.0) / 2.0;  // of any rank vector with averaged ties
  double cov = 0.0, va = 0.0, vb = 0.0;
  for (size_t i = 0; i < ra.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (va == 0.0 || vb == 0.0) return va == vb ? 1.0 : 0.0;
  return cov / std::sqrt(va * vb);
}

}  // namespace crossenc::eval
