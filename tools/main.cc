// crossenc: command-line front end (convert, info, tokenize, score, rank, bench, ...).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace crossenc::cli;
  CLI::App root{
      "crossenc: fast cross-encoder (query, passage) scoring for BERT-family rerankers.\n"
      "Run 'crossenc <command> --help' for the options of each command."};
  root.require_subcommand(1);
  root.set_version_flag("--version", "crossenc 0.1.0");
  std::vector<Command> commands = {add_convert(root), add_info(root), add_tokenize(root),
                                   add_score(root),   add_rank(root), add_bench(root),
                                   add_serve(root),   add_eval(root)};
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  }
  for (auto& c : commands) {
    if (c.app->parsed()) return run_guarded(c.run);
  }
  return 2;
}
