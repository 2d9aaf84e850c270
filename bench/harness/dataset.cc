// Loads the Pyserini BM25 run files and draws requests from them.
#include "dataset.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

namespace crossenc::bench {

Dataset Dataset::load(const std::vector<std::string>& files) {
  std::vector<QueryHits> all;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read data file '" + path + "'");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": not JSON: " + e.what());
    }
    if (!doc.is_array()) throw Error(path + ": expected a list of {query, hits}");
    for (const auto& q : doc) {
      if (!q.is_object() || !q.contains("query") || !q.contains("hits") ||
          !q["query"].is_string() || !q["hits"].is_array()) {
        throw Error(path + ": an entry lacks \"query\" or \"hits\"");
      }
      QueryHits h;
      h.query = q["query"].get<std::string>();
      for (const auto& hit : q["hits"]) {
        if (hit.is_object() && hit.contains("content") && hit["content"].is_string()) {
          h.passages.push_back(hit["content"].get<std::string>());
        }
      }
      if (!h.passages.empty()) all.push_back(std::move(h));
    }
  }
  return from_queries(std::move(all));
}

Dataset Dataset::from_queries(std::vector<QueryHits> queries) {
  Dataset d;
  queries.erase(std::remove_if(queries.begin(), queries.end(),
                               [](const QueryHits& q) { return q.passages.empty(); }),
                queries.end());
  if (queries.empty()) throw Error("the data set has no (query, passage) pairs");
  d.queries_ = std::move(queries);
  for (const auto& q : d.queries_) d.total_pairs_ += q.passages.size();
  return d;
}

std::vector<Pair> Dataset::request(unsigned seed, int client, int index, int batch,
                                   bool mix_queries) const {
  // Seeded per request (not per thread) so a request's pairs do not depend on scheduling.
  std::seed_seq seq{seed, static_cast<unsigned>(client), static_cast<unsigned>(index)};
  std::mt19937_64 rng(seq);
  std::vector<Pair> out;
  out.reserve(static_cast<size_t>(batch));
  if (mix_queries) {
    std::uniform_int_distribution<size_t> pick(0, total_pairs_ - 1);
    while (out.size() < static_cast<size_t>(batch)) {
      size_t k = pick(rng);
      for (const auto& q : queries_) {
        if (k < q.passages.size()) {
          out.push_back({q.query, q.passages[k]});
          break;
        }
        k -= q.passages.size();
      }
    }
    return out;
  }
  size_t qi = std::uniform_int_distribution<size_t>(0, queries_.size() - 1)(rng);
  while (out.size() < static_cast<size_t>(batch)) {
    const QueryHits& q = queries_[qi];
    std::vector<size_t> idx(q.passages.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    for (size_t i = 0; i < idx.size() && out.size() < static_cast<size_t>(batch); ++i) {
      out.push_back({q.query, q.passages[idx[i]]});
    }
    qi = (qi + 1) % queries_.size();
  }
  return out;
}

}  // namespace crossenc::bench
