// TREC DL passage reranking data: each query's BM25 top-100 candidates with their text, and the
// graded qrels. Files as in the shared trec-dl-passage-bm25-top100 folder:
//   retrieve_results_<ds>_top100.json  [{"query", "hits": [{"qid", "docid", "rank", "score",
//                                       "content"}, ...]}, ...]
//   qrels.<ds>-passage.txt             TREC qrels, grades 0..3
//   topics file (optional)             qid<TAB>text; when present it gives the query text
#pragma once

#include <string>
#include <vector>

#include "crossenc/eval/trec.h"

namespace crossenc::eval {

struct Candidate {
  std::string docno;
  std::string text;
  double bm25 = 0.0;
};

struct Query {
  std::string qid;
  std::string text;
  std::vector<Candidate> candidates;  // first-stage order (rank 1 first)
};

struct Dataset {
  std::string name;
  std::vector<Query> queries;
  Qrels qrels;
};

// The datasets load_dataset knows: "dl19", "dl20".
const std::vector<std::string>& dataset_names();

// Folders searched when no data folder is given, in order: $CROSSENC_SHARED_DIR/data/<sub>,
// ../shared/data/<sub> from the current folder (a checkout's root), and the same beside the
// checkout that holds this executable (build/tools/crossenc); <sub> = trec-dl-passage-bm25-top100.
std::vector<std::string> default_data_dirs();

// Loads `name` from `data_dir` ("" = the first of default_data_dirs() that has its files).
// Throws crossenc::Error naming the missing or malformed file.
Dataset load_dataset(const std::string& name, const std::string& data_dir = "");

// The first-stage ranking: every candidate with its BM25 score.
Run first_stage_run(const Dataset& dataset);

}  // namespace crossenc::eval
