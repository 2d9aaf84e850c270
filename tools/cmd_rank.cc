// crossenc rank: score passages against one query and print them best first.
#include <cstdio>
#include <fstream>

#include "cli_common.h"
#include "commands.h"

namespace crossenc::cli {

namespace {
// One passage per line (blank lines skipped); a .jsonl file holds {"passage"|"text"|"content":
// ...} objects. Each passage keeps its line number for error messages.
struct Passages {
  std::vector<std::string> text;
  std::vector<size_t> line_no;
};

Passages read_passages(const std::string& path) {
  Passages out;
  const bool jsonl = path.size() > 6 && path.substr(path.size() - 6) == ".jsonl";
  if (jsonl) {
    for (auto& line : read_jsonl(path)) {
      if (!line.error.empty())
        throw Error(path + ":" + std::to_string(line.line_no) + ": " + line.error);
      for (const char* key : {"passage", "text", "content"}) {
        if (line.value.contains(key) && line.value[key].is_string()) {
          out.text.push_back(line.value[key].get<std::string>());
          out.line_no.push_back(line.line_no);
          break;
        }
        if (std::string(key) == "content") {
          throw Error(path + ":" + std::to_string(line.line_no) +
                      ": expected a \"passage\", \"text\" or \"content\" string");
        }
      }
    }
    return out;
  }
  std::ifstream in;
  open_input(path, in);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    out.text.push_back(line);
    out.line_no.push_back(n);
  }
  return out;
}

std::string preview(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return s.substr(0, cut) + "...";
}
}  // namespace

Command add_rank(CLI::App& root) {
  struct Args {
    EngineArgs engine;
    std::string query, passages_file;
    std::vector<std::string> passages;
    size_t top_k = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = root.add_subcommand(
      "rank",
      "Rank passages for one query, best first (scores are raw logits; higher = more "
      "relevant).");
  add_engine_options(app, args->engine);
  add_profile_flag(app, args->engine);
  add_long_pair_options(app, args->engine);
  app->add_option("--query,-q", args->query, "the query")->required();
  auto* file =
      app->add_option("--passages,-p", args->passages_file,
                      "file with one passage per line, or .jsonl with \"passage\"/\"text\"");
  app->add_option("passage", args->passages, "passages given on the command line")->excludes(file);
  app->add_option("--top-k,-k", args->top_k, "print only the best K (0 = all)");
  app->add_flag("--json", args->json, "print a JSON array of {rank, index, score, passage}");
  return {app, [args] {
            Passages from_file;
            if (!args->passages_file.empty()) from_file = read_passages(args->passages_file);
            const std::vector<std::string>& passages =
                args->passages_file.empty() ? args->passages : from_file.text;
            if (passages.empty())
              throw Error("no passages to rank (give --passages FILE or PASSAGE...)");
            const auto t0 = std::chrono::steady_clock::now();
            Engine engine = open_engine(args->engine);
            const double load_s = seconds_since(t0);
            const auto t1 = std::chrono::steady_clock::now();
            std::vector<Ranked> ranked;
            try {
              ranked = engine.rank(args->query, passages, args->top_k);
            } catch (const InputError& e) {
              if (args->passages_file.empty()) throw;  // "passage N: ..." names it already
              throw Error(args->passages_file + ":" + std::to_string(from_file.line_no[e.index]) +
                          ": " + e.detail);
            }
            const double rank_s = seconds_since(t1);
            if (args->json) {
              ordered_json out = ordered_json::array();
              for (size_t r = 0; r < ranked.size(); ++r) {
                out.push_back({{"rank", r + 1},
                               {"index", ranked[r].index},
                               {"score", ranked[r].score},
                               {"passage", passages[ranked[r].index]}});
              }
              std::printf("%s\n", to_line(out, 2).c_str());
            } else {
              std::printf("query: %s\n\n%4s  %9s  %5s  %s\n", args->query.c_str(), "rank", "score",
                          "index", "passage");
              for (size_t r = 0; r < ranked.size(); ++r) {
                std::printf("%4zu  %9.4f  %5zu  %s\n", r + 1, ranked[r].score, ranked[r].index,
                            preview(passages[ranked[r].index], 100).c_str());
              }
            }
            std::fprintf(stderr, "ranked %zu passages in %.1f ms (model load %.1f ms, %s)\n",
                         passages.size(), rank_s * 1e3, load_s * 1e3, engine.info().device.c_str());
            print_profile(engine, args->engine);
            return 0;
          }};
}

}  // namespace crossenc::cli
