// Helpers shared by the crossenc subcommands: engine flags, JSONL I/O, progress, timing.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crossenc/engine.h"
#include "crossenc/engine_flags.h"

namespace crossenc::cli {

using ordered_json = nlohmann::ordered_json;

// Flags every model-running subcommand takes: the model and the engine flags.
struct EngineArgs : EngineFlags {
  std::string model;
};
void add_engine_options(CLI::App* app, EngineArgs& args, bool model_required = true);
// --profile, for the commands that run one Engine and print its per-op table when done.
void add_profile_flag(CLI::App* app, EngineArgs& args);
// --truncation-side and --max-windows, for the commands that score text pairs (score, rank).
void add_long_pair_options(CLI::App* app, EngineArgs& args);
// With --profile, prints the engine's per-op table to stderr.
void print_profile(const Engine& engine, const EngineArgs& args);
Options to_options(const EngineArgs& args);
// Opens the engine and prints its warnings (EngineInfo::warnings) to stderr.
Engine open_engine(const EngineArgs& args);
void print_warnings(const EngineInfo& info);

// One input line: its 1-based number and parsed object, or the reason it is unusable.
struct JsonLine {
  size_t line_no = 0;
  ordered_json value;
  std::string error;  // empty when usable
};
// Reads every non-empty line of a JSONL file ("-" = stdin). Throws Error if unreadable.
std::vector<JsonLine> read_jsonl(const std::string& path);
// Opens `path` for reading (binary); a folder or unreadable file is an Error that says so.
void open_input(const std::string& path, std::ifstream& file);

// A query/passage pair, or pre-tokenized ids, taken from a JSONL object; sets line.error.
struct PairInput {
  std::optional<Encoding> encoding;  // when the line has input_ids
  std::string query, passage;
};
std::optional<PairInput> pair_from_line(JsonLine& line);

// One JSON line; invalid UTF-8 inside (e.g. quoted in an error message) becomes U+FFFD.
std::string to_line(const ordered_json& v, int indent = -1);

// Prints "INPUT:LINE: error" for every line with an error and returns how many there are;
// unless skip_invalid, throws Error when there is any (so nothing is written).
size_t report_invalid_lines(const std::vector<JsonLine>& lines, const std::string& input,
                            bool skip_invalid);

// stdout or a file written atomically (temp + rename on commit()).
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);  // "" or "-" = stdout
  ~OutputFile();
  std::FILE* get() { return file_; }
  void write_line(const std::string& s);
  void commit();  // flush/close; renames the temp file into place

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

// "\r  N/M pairs  R pairs/s  ETA s" on stderr when it is a terminal or --progress was given.
class Progress {
 public:
  Progress(size_t total, bool force, std::string unit = "pairs");
  void update(size_t done);
  void finish();

 private:
  size_t total_, done_ = 0;
  bool terminal_, enabled_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_, last_;
};

double seconds_since(std::chrono::steady_clock::time_point t0);

// Runs a subcommand body, turning crossenc::Error and std::exception into "error: ..." + exit 1.
int run_guarded(const std::function<int()>& body);

}  // namespace crossenc::cli
