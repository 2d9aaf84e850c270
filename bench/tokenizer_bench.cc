// Tokenizer throughput on one core: every (query, passage) pair of the DL19 BM25 top-100 file
// (real MS MARCO text, ~95 tokens a pair) through Tokenizer::encode_pair, as the engine does
// before scoring. Reports tokens/s (the target: >= 1 million on one core) and pairs/s.
//
//   build/bench/tokenizer_bench [--benchmark_min_time=2]
// Data: $CROSSENC_SHARED_DIR or ../shared next to the source tree (golden/tokenize_dl19.jsonl,
// whose query/passage fields are used); vocab: the committed tests/data/tiny-random/vocab.txt
// (the bert-base-uncased vocabulary every MiniLM cross-encoder uses).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crossenc/tokenizer.h"

namespace {

namespace fs = std::filesystem;

struct TextPair {
  std::string query, passage;
};

std::vector<TextPair> load_pairs() {
  const char* env = std::getenv("CROSSENC_SHARED_DIR");
  const fs::path shared =
      env && *env ? fs::path(env) : fs::path(CROSSENC_SOURCE_DIR) / ".." / "shared";
  std::ifstream in(shared / "golden" / "tokenize_dl19.jsonl");
  std::vector<TextPair> out;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    out.push_back({j["query"].get<std::string>(), j["passage"].get<std::string>()});
  }
  return out;
}

void BM_EncodePairs(benchmark::State& state) {
  static const std::vector<TextPair> pairs = load_pairs();
  if (pairs.empty()) {
    state.SkipWithError("no ../shared/golden/tokenize_dl19.jsonl (set CROSSENC_SHARED_DIR)");
    return;
  }
  const auto tok = crossenc::Tokenizer::from_vocab_file(
      (fs::path(CROSSENC_SOURCE_DIR) / "tests" / "data" / "tiny-random" / "vocab.txt").string());
  int64_t tokens = 0, done = 0;
  for (auto _ : state) {
    for (const TextPair& p : pairs) {
      const auto enc = tok.encode_pair(p.query, p.passage);
      tokens += static_cast<int64_t>(enc.input_ids.size());
      benchmark::DoNotOptimize(enc.input_ids.data());
    }
    done += static_cast<int64_t>(pairs.size());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["tokens/pair"] = static_cast<double>(tokens) / static_cast<double>(done);
}
BENCHMARK(BM_EncodePairs)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
