// TREC files: qrels (graded judgments), runs (scored documents per query) and topics.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace crossenc::eval {

struct ScoredDoc {
  std::string docno;
  double score = 0.0;
};

// qid -> docno -> grade (0 = judged irrelevant).
using Qrels = std::map<std::string, std::map<std::string, int>>;
// qid -> the query's documents, in any order (metrics sort them as trec_eval does).
using Run = std::map<std::string, std::vector<ScoredDoc>>;
// qid -> query text.
using Topics = std::map<std::string, std::string>;

// "qid 0|Q0 docno grade" lines. Throws crossenc::Error naming the file and line.
Qrels read_qrels(const std::string& path);
// "qid Q0 docno rank score tag" lines; the rank column is ignored, as trec_eval does. A docno
// twice for one query is an error.
Run read_run(const std::string& path);
// "qid<TAB>text" lines.
Topics read_topics(const std::string& path);

// Writes `run` in TREC format, each query best first (trec_eval's order), scores with enough
// digits to read back the same float. Atomic (temp file + rename). Throws crossenc::Error.
void write_run(const std::string& path, const Run& run, const std::string& tag);

}  // namespace crossenc::eval
