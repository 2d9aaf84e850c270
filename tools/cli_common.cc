// Implementation of the CLI helpers.
#include "cli_common.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace crossenc::cli {

void add_engine_options(CLI::App* app, EngineArgs& a, bool model_required) {
  auto* m = app->add_option("--model,-m", a.model, ".cenc model file or Hugging Face model folder");
  if (model_required) m->required();
  app->add_option("--backend", a.backend, "cpu | vulkan | auto (Vulkan only on a real GPU)")
      ->capture_default_str();
  app->add_option("--threads", a.threads, "CPU threads (0 = all cores)")->capture_default_str();
  app->add_option("--batch-size", a.batch_size, "pairs per forward pass")->capture_default_str();
  app->add_option("--max-batch-tokens", a.max_batch_tokens,
                  "also cap each batch's total tokens (0 = no cap)");
  app->add_option("--max-length", a.max_length,
                  "token budget per pair incl. [CLS]/[SEP] (0 = model default, 512)");
  app->add_option(
      "--dtype", a.dtype,
      "weight precision: f32 | f16 | bf16 | int8 (default: the model file's). int8 (CPU "
      "only): GEMM weights quantized per output channel at load, activations per token, INT32 "
      "sums on VNNI/AVX2 (pooler and classifier stay f32). bf16 (CPU only): "
      "GEMMs on BF16 weights and BF16-rounded activations, F32 sums; on AMX tiles "
      "where the CPU has them, several times faster, else on AVX512-BF16 dot products where it "
      "has those; logits within ~0.05 of f32 here");
  app->add_option("--device", a.device, "Vulkan device index (see 'crossenc info --devices')");
  app->add_option(
         "--gemm", a.gemm,
         "CPU GEMM path: auto | own | own-amx | own-avx512bf16 | own-avx512 | own-avx2 | blas | "
         "eigen | reference (auto = own kernels at the best ISA; bf16 on AMX where the CPU has "
         "it, else on AVX512-BF16 dot products (own-avx512bf16), else F32 emulation "
         "(own-avx512); CROSSENC_CPU_ISA=generic|avx2|avx512|avx512bf16|amx caps it)")
      ->capture_default_str();
}

void add_profile_flag(CLI::App* app, EngineArgs& a) {
  app->add_flag("--profile", a.profile,
                "time every op and print a table (time, calls, share of the forward passes) to "
                "stderr when done (CPU: wall clock per op; Vulkan: GPU timestamps)");
}

void add_long_pair_options(CLI::App* app, EngineArgs& a) {
  app->add_option("--truncation-side", a.truncation_side,
                  "which end of an over-long text is cut: right | left (Hugging Face's "
                  "truncation_side)")
      ->capture_default_str()
      ->check(CLI::IsMember({"right", "left"}));
  app->add_option("--max-windows", a.max_windows,
                  "score a passage too long for --max-length in up to N windows that overlap "
                  "by a quarter, the query in each, and keep the best window's score (1 = "
                  "truncate)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
}

void print_profile(const Engine& engine, const EngineArgs& args) {
  if (args.profile) std::fprintf(stderr, "%s", engine.profile_report().c_str());
}

Options to_options(const EngineArgs& a) {
  Options o = a.options();
  if (a.batch_size < 1) throw Error("--batch-size must be >= 1");
  if (a.threads < 0) throw Error("--threads must be >= 0");
  return o;
}

void print_warnings(const EngineInfo& info) {
  for (const std::string& w : info.warnings)
    std::fprintf(stderr, "crossenc: warning: %s\n", w.c_str());
}

Engine open_engine(const EngineArgs& args) {
  Engine engine = Engine::open(args.model, to_options(args));
  print_warnings(engine.info());
  return engine;
}

void open_input(const std::string& path, std::ifstream& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error("'" + path + "' is a folder; expected a file");
  }
  file.open(path, std::ios::binary);
  if (!file) throw Error("cannot read '" + path + "': " + std::strerror(errno));
}

std::vector<JsonLine> read_jsonl(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    open_input(path, file);
    in = &file;
  }
  std::vector<JsonLine> lines;
  std::string text;
  size_t line_no = 0;
  while (std::getline(*in, text)) {
    ++line_no;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    JsonLine line;
    line.line_no = line_no;
    try {
      line.value = ordered_json::parse(text);
      if (!line.value.is_object()) line.error = "expected a JSON object";
    } catch (const nlohmann::json::exception& e) {
      const std::string what = e.what();
      line.error = what.find("UTF-8") != std::string::npos ? "invalid UTF-8: " + what
                                                           : "malformed JSON: " + what;
    }
    lines.push_back(std::move(line));
  }
  if (in->bad()) throw Error("error reading '" + path + "'");
  return lines;
}

namespace {
std::vector<int32_t> int_array(const ordered_json& v, const char* field) {
  if (!v.is_array()) throw Error(std::string(field) + " must be an array of integers");
  std::vector<int32_t> out;
  out.reserve(v.size());
  for (const auto& x : v) {
    if (!x.is_number_integer()) throw Error(std::string(field) + " must hold only integers");
    const auto n = x.get<int64_t>();
    if (n < 0 || n > INT32_MAX) throw Error(std::string(field) + " holds an out-of-range value");
    out.push_back(static_cast<int32_t>(n));
  }
  return out;
}
}  // namespace

std::optional<PairInput> pair_from_line(JsonLine& line) {
  if (!line.error.empty()) return std::nullopt;
  const ordered_json& v = line.value;
  PairInput p;
  try {
    if (v.contains("input_ids")) {
      Encoding e;
      e.input_ids = int_array(v["input_ids"], "input_ids");
      if (e.input_ids.empty()) throw Error("input_ids is empty");
      if (v.contains("token_type_ids")) {
        e.token_type_ids = int_array(v["token_type_ids"], "token_type_ids");
        if (e.token_type_ids.size() != e.input_ids.size()) {
          throw Error("token_type_ids and input_ids differ in length");
        }
      } else {
        e.token_type_ids.assign(e.input_ids.size(), 0);  // single-segment input
      }
      p.encoding = std::move(e);
      return p;
    }
    for (const char* field : {"query", "passage"}) {
      if (!v.contains(field)) throw Error(std::string("missing field \"") + field + "\"");
      if (!v[field].is_string())
        throw Error(std::string("field \"") + field + "\" must be a string");
    }
    p.query = v["query"].get<std::string>();
    p.passage = v["passage"].get<std::string>();
    return p;
  } catch (const std::exception& e) {
    line.error = e.what();
    return std::nullopt;
  }
}

size_t report_invalid_lines(const std::vector<JsonLine>& lines, const std::string& input,
                            bool skip_invalid) {
  size_t bad = 0;
  for (const JsonLine& line : lines) {
    if (line.error.empty()) continue;
    ++bad;
    std::fprintf(stderr, "%s:%zu: %s\n", input.c_str(), line.line_no, line.error.c_str());
  }
  if (bad && !skip_invalid) {
    throw Error(std::to_string(bad) + " of " + std::to_string(lines.size()) +
                " input lines are invalid; nothing written (use --skip-invalid to go on)");
  }
  return bad;
}

std::string to_line(const ordered_json& v, int indent) {
  return v.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    return;
  }
  tmp_ = path + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) throw Error("cannot write '" + path + "': " + std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (!tmp_.empty() && !committed_) {  // failed run: leave no partial output behind
    if (file_) std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void OutputFile::write_line(const std::string& s) {
  if (std::fwrite(s.data(), 1, s.size(), file_) != s.size() || std::fputc('\n', file_) == EOF) {
    throw Error("cannot write '" + (tmp_.empty() ? std::string("stdout") : path_) +
                "': " + std::strerror(errno));
  }
}

void OutputFile::commit() {
  if (tmp_.empty()) {
    std::fflush(file_);
    committed_ = true;
    return;
  }
  const bool ok = std::fflush(file_) == 0 && std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  committed_ = true;
}

Progress::Progress(size_t total, bool force, std::string unit)
    : total_(total),
      terminal_(::isatty(2) != 0),
      enabled_(force || terminal_),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(size_t done) {
  if (!enabled_) return;
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  // A terminal redraws one line; a log file gets a line every few seconds.
  const auto every = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (done < total_ && now - last_ < every) return;
  if (done == total_ && !terminal_) return;  // finish() says it
  last_ = now;
  const double s = std::chrono::duration<double>(now - start_).count();
  const double rate = s > 0 ? done / s : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  std::fprintf(stderr, "%s  %zu/%zu %s  %.1f %s/s  ETA %.0fs%s", terminal_ ? "\r" : "", done,
               total_, unit_.c_str(), rate, unit_.c_str(), eta, terminal_ ? "   " : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  const double s = seconds_since(start_);
  std::fprintf(stderr, "%s  done: %zu %s in %.1f s (%.1f %s/s)\n", terminal_ ? "\n" : "", done_,
               unit_.c_str(), s, s > 0 ? done_ / s : 0.0, unit_.c_str());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  }
  return 1;
}

}  // namespace crossenc::cli
