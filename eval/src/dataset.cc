// Loading a TREC DL dataset (candidates json, qrels, topics) and finding its folder.
#include "crossenc/eval/dataset.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crossenc/error.h"

namespace crossenc::eval {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDataSubdir = "data/trec-dl-passage-bm25-top100";

struct DatasetFiles {
  std::string candidates, qrels, topics;
};

DatasetFiles files_of(const std::string& name) {
  if (name == "dl19") {
    return {"retrieve_results_dl19_top100.json", "qrels.dl19-passage.txt",
            "topics.dl19-passage.txt"};
  }
  if (name == "dl20") {
    return {"retrieve_results_dl20_top100.json", "qrels.dl20-passage.txt", "topics.dl20.txt"};
  }
  throw Error("unknown dataset '" + name + "' (expected dl19 or dl20)");
}

std::string hit_string(const nlohmann::json& hit, const char* key) {
  const auto& v = hit.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  throw Error(std::string("\"") + key + "\" must be a string or an integer");
}

std::vector<Query> read_candidates(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "': " + std::strerror(errno));
  std::vector<Query> queries;
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    if (!doc.is_array()) throw Error("expected a JSON array of queries");
    for (const auto& entry : doc) {
      const auto& hits = entry.at("hits");
      if (!hits.is_array() || hits.empty()) continue;  // no candidates: nothing to rerank
      Query q;
      q.qid = hit_string(hits.front(), "qid");
      q.text = entry.at("query").get<std::string>();
      std::vector<std::pair<long long, Candidate>> ranked;
      for (const auto& h : hits) {
        if (hit_string(h, "qid") != q.qid) throw Error("query " + q.qid + " mixes qids");
        ranked.push_back({h.at("rank").get<long long>(),
                          {hit_string(h, "docid"), h.at("content").get<std::string>(),
                           h.at("score").get<double>()}});
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [rank, c] : ranked) q.candidates.push_back(std::move(c));
      queries.push_back(std::move(q));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": " + e.what());
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return queries;
}

bool has_files(const fs::path& dir, const DatasetFiles& f) {
  std::error_code ec;
  return fs::is_regular_file(dir / f.candidates, ec) && fs::is_regular_file(dir / f.qrels, ec);
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"dl19", "dl20"};
  return names;
}

std::vector<std::string> default_data_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CROSSENC_SHARED_DIR"); env && *env) {
    dirs.push_back((fs::path(env) / kDataSubdir).string());
  }
  dirs.push_back((fs::path("..") / "shared" / kDataSubdir).string());
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {  // <checkout>/build/tools/crossenc -> <checkout>/../shared
    dirs.push_back((exe.parent_path() / ".." / ".." / ".." / "shared" / kDataSubdir)
                       .lexically_normal()
                       .string());
  }
  return dirs;
}

Dataset load_dataset(const std::string& name, const std::string& data_dir) {
  const DatasetFiles files = files_of(name);
  fs::path dir = data_dir;
  if (data_dir.empty()) {
    const auto candidates = default_data_dirs();
    const auto found = std::find_if(candidates.begin(), candidates.end(),
                                    [&](const std::string& d) { return has_files(d, files); });
    if (found == candidates.end()) {
      std::string tried;
      for (const auto& d : candidates) tried += "\n  " + d;
      throw Error("no " + name + " data found (looked for " + files.candidates + " in:" + tried +
                  "\n); give the folder with --data DIR");
    }
    dir = *found;
  } else if (!has_files(dir, files)) {
    throw Error("'" + data_dir + "' lacks " + files.candidates + " or " + files.qrels);
  }
  Dataset ds;
  ds.name = name;
  ds.queries = read_candidates((dir / files.candidates).string());
  ds.qrels = read_qrels((dir / files.qrels).string());
  std::error_code ec;
  if (fs::is_regular_file(dir / files.topics, ec)) {
    const Topics topics = read_topics((dir / files.topics).string());
    for (Query& q : ds.queries) {
      if (const auto it = topics.find(q.qid); it != topics.end()) q.text = it->second;
    }
  }
  return ds;
}

Run first_stage_run(const Dataset& dataset) {
  Run run;
  for (const Query& q : dataset.queries) {
    auto& docs = run[q.qid];
    for (const Candidate& c : q.candidates) docs.push_back({c.docno, c.bm25});
  }
  return run;
}

}  // namespace crossenc::eval
