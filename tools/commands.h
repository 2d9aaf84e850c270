// Registration of every crossenc subcommand; each lives in its own cmd_<name>.cc.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <vector>

namespace crossenc::cli {

// A subcommand: its parser and what to run when it was chosen (returns the exit code).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_convert(CLI::App& root);
Command add_info(CLI::App& root);
Command add_tokenize(CLI::App& root);
Command add_score(CLI::App& root);
Command add_rank(CLI::App& root);
Command add_bench(CLI::App& root);
Command add_serve(CLI::App& root);  // cmd_serve.cc
Command add_eval(CLI::App& root);   // cmd_eval.cc

}  // namespace crossenc::cli
