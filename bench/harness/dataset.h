// The benchmark's pairs: DL19/DL20 BM25 top-100 queries with their passages (realistic
// lengths), and a deterministic request generator over them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "crossenc/engine.h"

namespace crossenc::bench {

struct QueryHits {
  std::string query;
  std::vector<std::string> passages;  // BM25 rank order
};

class Dataset {
 public:
  // Each file: [{"query": ..., "hits": [{"content": ...}, ...]}, ...] (Pyserini's layout).
  static Dataset load(const std::vector<std::string>& files);
  static Dataset from_queries(std::vector<QueryHits> queries);  // tests

  size_t queries() const { return queries_.size(); }
  size_t pairs() const { return total_pairs_; }

  // Request `index` of client `client`: B pairs. mix_queries = false: one random query and B
  // of its passages (more than it has: further queries' passages, each with its own query);
  // true: B pairs drawn from all pairs. The same (seed, client, index) gives the same pairs.
  std::vector<Pair> request(unsigned seed, int client, int index, int batch,
                            bool mix_queries) const;

 private:
  std::vector<QueryHits> queries_;
  size_t total_pairs_ = 0;
};

}  // namespace crossenc::bench
