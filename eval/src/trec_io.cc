// Readers and the writer of the TREC text formats (whitespace-separated columns).
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crossenc/error.h"
#include "crossenc/eval/metrics.h"
#include "crossenc/eval/trec.h"

namespace crossenc::eval {

namespace {

std::ifstream open_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error("'" + path + "' is a folder; expected a file");
  }
  std::ifstream in(path);
  if (!in) throw Error("cannot read '" + path + "': " + std::strerror(errno));
  return in;
}

// Calls body(columns, line_no) for each non-blank line; errors it throws get "path:line: ".
template <typename Body>
void for_each_line(const std::string& path, Body body) {
  std::ifstream in = open_text(path);
  std::string line;
  for (size_t no = 1; std::getline(in, line); ++no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::vector<std::string> cols;
    for (std::string w; words >> w;) cols.push_back(std::move(w));
    if (cols.empty()) continue;
    try {
      body(cols, line);
    } catch (const Error& e) {
      throw Error(path + ":" + std::to_string(no) + ": " + e.what());
    }
  }
  if (in.bad()) throw Error("error reading '" + path + "'");
}

template <typename T>
T parse_number(const std::string& s, const char* what) {
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw Error(std::string("expected a number for the ") + what + ", got '" + s + "'");
  }
  return value;
}

}  // namespace

Qrels read_qrels(const std::string& path) {
  Qrels qrels;
  for_each_line(path, [&](const std::vector<std::string>& c, const std::string&) {
    if (c.size() != 4) throw Error("expected 4 columns (qid iter docno grade)");
    qrels[c[0]][c[2]] = parse_number<int>(c[3], "grade");
  });
  return qrels;
}

Run read_run(const std::string& path) {
  Run run;
  std::map<std::string, std::map<std::string, bool>> seen;
  for_each_line(path, [&](const std::vector<std::string>& c, const std::string&) {
    if (c.size() != 6) throw Error("expected 6 columns (qid Q0 docno rank score tag)");
    if (seen[c[0]][c[2]]) throw Error("document '" + c[2] + "' twice for query " + c[0]);
    seen[c[0]][c[2]] = true;
    run[c[0]].push_back({c[2], parse_number<double>(c[4], "score")});
  });
  return run;
}

Topics read_topics(const std::string& path) {
  Topics topics;
  for_each_line(path, [&](const std::vector<std::string>& c, const std::string& line) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) throw Error("expected 'qid<TAB>query'");
    topics[c[0]] = line.substr(tab + 1);
  });
  return topics;
}

void write_run(const std::string& path, const Run& run, const std::string& tag) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw Error("cannot write '" + path + "': " + std::strerror(errno));
  bool ok = true;
  for (const auto& [qid, docs] : run) {
    const std::vector<ScoredDoc> ranked = trec_order(docs);
    for (size_t r = 0; r < ranked.size() && ok; ++r) {
      ok = std::fprintf(f, "%s Q0 %s %zu %.17g %s\n", qid.c_str(), ranked[r].docno.c_str(), r + 1,
                        ranked[r].score, tag.c_str()) > 0;
    }
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "': " + why);
  }
}

}  // namespace crossenc::eval
