// libFuzzer target: the CLI's JSONL input path, read_jsonl + pair_from_line (tools/cli_common.cc).
//
// The input is written to a scratch file and read back the way `crossenc score -i FILE` reads
// it. Invariants: only crossenc::Error escapes (and only for an unreadable file); each line is
// either usable or carries an error; usable text pairs tokenize without error (the JSON parser
// has already rejected invalid UTF-8); id arrays are in range; every line, good or bad, can be
// written back as one line of valid JSON.
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "crossenc/error.h"
#include "crossenc/tokenizer.h"
#include "fuzz_util.h"

namespace {

using crossenc::fuzz::require;

const crossenc::Tokenizer& tokenizer() {
  static const crossenc::Tokenizer t = crossenc::Tokenizer::from_vocab_file(
      std::string(CROSSENC_TEST_DATA_DIR) + "/tiny-random/vocab.txt");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto path = crossenc::fuzz::scratch_dir() / "input.jsonl";
  crossenc::fuzz::write_file(path, text);

  std::vector<crossenc::cli::JsonLine> lines;
  try {
    lines = crossenc::cli::read_jsonl(path.string());
  } catch (const crossenc::Error& e) {
    crossenc::fuzz::fail(std::string("read_jsonl threw on a readable file: ") + e.what());
  }
  size_t newlines = 0;
  for (char c : text) newlines += c == '\n';
  require(lines.size() <= newlines + 1, "more lines than the input has");
  size_t last = 0;
  for (auto& line : lines) {
    require(line.line_no > last, "line numbers not increasing");
    last = line.line_no;
    require(line.error.empty() == line.value.is_object(), "error set iff not an object");
    const auto pair = crossenc::cli::pair_from_line(line);
    require(pair.has_value() == line.error.empty(), "pair_from_line and error disagree");
    if (pair && pair->encoding) {
      const auto& e = *pair->encoding;
      require(!e.input_ids.empty() && e.input_ids.size() == e.token_type_ids.size(),
              "bad pre-tokenized encoding accepted");
      for (int32_t id : e.input_ids) require(id >= 0, "negative id accepted");
    } else if (pair) {
      try {
        tokenizer().encode_pair(pair->query, pair->passage, 32);
      } catch (const crossenc::Error& err) {
        crossenc::fuzz::fail(std::string("a parsed JSON pair does not tokenize: ") + err.what());
      }
    }
    // What `score --skip-invalid` writes for the line: must be one line of valid JSON.
    crossenc::cli::ordered_json out =
        line.error.empty() ? line.value : crossenc::cli::ordered_json{};
    if (!line.error.empty()) out = {{"line", line.line_no}, {"error", line.error}};
    const std::string written = crossenc::cli::to_line(out);
    require(written.find('\n') == std::string::npos, "output line contains a newline");
    require(nlohmann::json::accept(written), "output line is not valid JSON");
  }
  return 0;
}
