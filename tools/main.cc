// crossenc: command-line front end (convert, info, tokenize, score, rank, bench, ...).
//
// Exit codes: 0 done; 1 the command failed (unreadable model, bad input file, ...); 2 the
// command line is wrong (unknown command or flag, missing or invalid value); 3 some input
// lines were invalid (score/tokenize with --skip-invalid wrote an error line for each).
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli_common.h"
#include "commands.h"

namespace {

constexpr int kUsageError = 2;

// Levenshtein distance, for "did you mean".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate nearest to word, if it is near enough to be a typo.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

int usage_error(const std::string& message, const std::string& suggestion,
                const std::string& help_command) {
  std::fprintf(stderr, "error: %s%s\nRun '%s --help' for the list.\n", message.c_str(),
               suggestion.empty() ? "" : ("; did you mean '" + suggestion + "'?").c_str(),
               help_command.c_str());
  return kUsageError;
}

// Unknown commands and --flags, named with a suggestion before CLI11 would report something
// less useful ("A subcommand is required", "--model is required").
int check_words(const CLI::App& root, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return 0;
  std::vector<std::string> names;
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : root.get_subcommands({})) {
    names.push_back(sub->get_name());
    if (sub->get_name() == argv[1]) command = sub;
  }
  if (command == nullptr) {
    return usage_error("unknown command '" + std::string(argv[1]) + "'", nearest(argv[1], names),
                       "crossenc");
  }
  std::vector<std::string> flags;
  for (const CLI::Option* o : command->get_options()) {
    for (const std::string& n : o->get_lnames()) flags.push_back("--" + n);
  }
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // the rest are values
    if (!arg.starts_with("--")) continue;
    const std::string flag(arg.substr(0, arg.find('=')));
    if (std::find(flags.begin(), flags.end(), flag) != flags.end()) continue;
    return usage_error("unknown option '" + flag + "' for 'crossenc " + argv[1] + "'",
                       nearest(flag, flags), std::string("crossenc ") + argv[1]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace crossenc::cli;
  CLI::App root{
      "crossenc: fast cross-encoder (query, passage) scoring for BERT-family rerankers.\n"
      "Run 'crossenc <command> --help' for the options of each command.\n"
      "Exit codes: 0 done, 1 the command failed, 2 a wrong command line, 3 some input lines "
      "were invalid (--skip-invalid)."};
  root.require_subcommand(1);
  root.set_version_flag("--version", "crossenc 0.1.0");
  std::vector<Command> commands = {add_convert(root), add_info(root), add_tokenize(root),
                                   add_score(root),   add_rank(root), add_bench(root),
                                   add_serve(root),   add_eval(root)};
  if (argc == 1) {
    std::fputs(root.help().c_str(), stdout);
    return 0;
  }
  if (const int rc = check_words(root, argc, argv); rc != 0) return rc;
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = root.exit(e);  // prints the help, the version or the message
    return rc == 0 ? 0 : kUsageError;
  }
  for (auto& c : commands) {
    if (c.app->parsed()) return run_guarded(c.run);
  }
  return kUsageError;
}
