// The public API: open a model, score (query, passage) pairs, rank passages for a query.
//
//   auto engine = crossenc::Engine::open("model.cenc", {.backend = "cpu", .threads = 2});
//   std::vector<float> s = engine.score({{"what is a flea", "A flea is ..."}});
//   std::vector<crossenc::Ranked> top = engine.rank("what is a flea", passages, 10);
//
// All errors are thrown as crossenc::Error with a message meant for the user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crossenc/error.h"
#include "crossenc/model_config.h"
#include "crossenc/tokenizer.h"
#include "crossenc/types.h"

namespace crossenc {

struct PackedBatch;  // crossenc/backend.h

struct Options {
  std::string backend = "cpu";  // cpu | vulkan | auto
  int threads = 0;              // CPU threads; 0 = all cores
  int batch_size = 32;          // pairs per forward pass
  int max_batch_tokens = 0;     // also cap a batch by total tokens; 0 = no cap
  int max_length = 0;           // token budget per pair; 0 = the model's (512)
  std::optional<DType> dtype;   // f32, f16 or bf16 (CPU); unset = the model file's
  int device = -1;              // Vulkan device index; -1 = best
  std::string gemm = "auto";    // CPU GEMM path: auto | own | own-amx | blas | eigen | ...
  bool profile = false;         // time every op (see Engine::profile_report)
  LongPairOptions long_pairs;   // truncation side, windows for long passages (score, rank)
};

struct Pair {
  std::string query;
  std::string passage;
};

struct Ranked {
  size_t index;  // position in the passages given to rank()
  float score;
};

struct EngineInfo {
  std::string model_path;
  ModelConfig config;
  DType dtype;          // precision the weights are used in
  std::string backend;  // "cpu" / "vulkan"
  std::string device;   // human-readable device description
  int max_length;
  // What to know before trusting these scores (e.g. bf16/int8 on a model with outlier channels);
  // the CLI and the server print them at start.
  std::vector<std::string> warnings;
};

class Engine {
 public:
  // path: a .cenc file or a Hugging Face model folder (converted in memory).
  static Engine open(const std::string& path, const Options& options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // Raw logits (first label) in input order. Thread-safe.
  std::vector<float> score(std::span<const Pair> pairs);
  std::vector<float> score(std::initializer_list<Pair> pairs) {
    return score(std::span<const Pair>(pairs.begin(), pairs.size()));
  }
  // Scores already-tokenized pairs (ids are checked against the model). Thread-safe.
  std::vector<float> score_encoded(std::span<const Encoding> encodings);
  // Scores one already-formed batch in one forward pass, ignoring batch_size and
  // max_batch_tokens (the serving batcher formed it). Thread-safe.
  std::vector<float> score_batch(const PackedBatch& batch);
  // Passages sorted by descending score; top_k = 0 keeps all.
  std::vector<Ranked> rank(std::string_view query, std::span<const std::string> passages,
                           size_t top_k = 0);

  // The pair as the model sees it (cut on Options::long_pairs.side).
  Encoding tokenize(std::string_view query, std::string_view passage) const;
  // The pair as its windows under Options::long_pairs (score() takes the best of them).
  PairWindows tokenize_windows(std::string_view query, std::string_view passage) const;
  const Tokenizer& tokenizer() const;
  const EngineInfo& info() const;
  // With Options::profile: a table of the time each op took over every forward pass so far
  // and its share of the total (CPU: wall clock per op; Vulkan: GPU timestamps). "" otherwise.
  std::string profile_report() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc
