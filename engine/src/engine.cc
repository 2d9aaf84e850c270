// Engine: tokenizer + encoder on one backend; packs direct callers' work into batches.
#include "crossenc/engine.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <numeric>

#include "crossenc/backend.h"
#include "crossenc/converter.h"
#include "encoder.h"
#include "outlier_channels.h"

namespace crossenc {

struct Engine::Impl {
  std::shared_ptr<const ModelFile> model;
  Tokenizer tokenizer;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Encoder> encoder;
  Options options;
  EngineInfo info;
  std::mutex forward_mutex;  // one forward pass at a time per backend

  Impl(std::shared_ptr<const ModelFile> m, const Options& o)
      : model(std::move(m)), tokenizer(model->vocab(), model->tokenizer_config()), options(o) {}

  // One forward pass; the encoder validates the batch (ids, types, positions) once.
  std::vector<float> forward(const PackedBatch& batch) {
    const int labels = model->config().num_labels;
    std::vector<float> logits;
    {
      std::lock_guard<std::mutex> lock(forward_mutex);
      logits = encoder->forward(batch);
    }
    std::vector<float> scores(static_cast<size_t>(batch.num_seqs()));
    for (size_t s = 0; s < scores.size(); ++s) scores[s] = logits[s * labels];
    return scores;
  }

  // Direct callers (CLI, C++ API) get their work split here by batch_size / max_batch_tokens;
  // the serving path arrives already batched and calls forward() (score_batch) instead.
  std::vector<float> run(std::span<const Encoding> encodings) {
    std::vector<float> scores;
    scores.reserve(encodings.size());
    const size_t batch_pairs = static_cast<size_t>(std::max(1, options.batch_size));
    const size_t token_cap = options.max_batch_tokens > 0 ? options.max_batch_tokens : SIZE_MAX;
    size_t i = 0;
    while (i < encodings.size()) {
      PackedBatch batch;
      const size_t first = i;
      while (i < encodings.size() && i - first < batch_pairs &&
             (i == first || batch.input_ids.size() + encodings[i].input_ids.size() <= token_cap)) {
        batch.add(encodings[i].input_ids, encodings[i].token_type_ids);
        ++i;
      }
      const std::vector<float> batch_scores = forward(batch);
      scores.insert(scores.end(), batch_scores.begin(), batch_scores.end());
    }
    return scores;
  }

  // Every pair as its windows (options.long_pairs), all scored in the same batches; a pair
  // scores as the best of its windows. pair_at(i) gives the (query, passage) of pair i.
  template <class PairAt>
  std::vector<float> score_pairs(size_t n, PairAt pair_at, const char* what) {
    std::vector<Encoding> encodings;
    encodings.reserve(n);
    std::vector<size_t> first(n + 1);
    for (size_t i = 0; i < n; ++i) {
      first[i] = encodings.size();
      try {
        const auto [query, passage] = pair_at(i);
        PairWindows w =
            tokenizer.encode_pair_windows(query, passage, options.max_length, options.long_pairs);
        std::move(w.windows.begin(), w.windows.end(), std::back_inserter(encodings));
      } catch (const Error& e) {
        throw InputError(i, what, e.what());
      }
    }
    first[n] = encodings.size();
    const std::vector<float> window_scores = run(encodings);
    std::vector<float> scores(n);
    for (size_t i = 0; i < n; ++i) {
      scores[i] = *std::max_element(window_scores.begin() + static_cast<ptrdiff_t>(first[i]),
                                    window_scores.begin() + static_cast<ptrdiff_t>(first[i + 1]));
    }
    return scores;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Engine Engine::open(const std::string& path, const Options& options) {
  // A Hugging Face folder is converted in memory; BF16 is rounded by the backend from F32.
  const DType hf_dtype = options.dtype == DType::F16 ? DType::F16 : DType::F32;
  auto model = open_model(path, hf_dtype);
  auto impl = std::make_unique<Impl>(model, options);
  const DType dtype = options.dtype.value_or(model->config().dtype);
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16 && dtype != DType::I8) {
    throw Error("dtype must be f32, f16, bf16 or int8");
  }
  // BF16 and INT8 are CPU modes: "auto" means the CPU there, another backend is refused up front.
  std::string backend = options.backend;
  const bool cpu_only = dtype == DType::BF16 || dtype == DType::I8;
  if (cpu_only && backend == "auto") backend = "cpu";
  if (cpu_only && backend != "cpu") {
    throw Error("dtype " + std::string(dtype_name(dtype)) +
                " runs on the cpu backend only (AMX tiles or VNNI where the CPU has them); " +
                backend + " runs f32 or f16");
  }
  impl->backend = make_backend({.name = backend,
                                .threads = options.threads,
                                .device = options.device,
                                .gemm = options.gemm,
                                .profile = options.profile});
  impl->encoder = std::make_unique<Encoder>(model, *impl->backend, dtype);
  const int model_max =
      std::min(model->tokenizer_config().max_length, model->config().max_position_embeddings);
  if (options.max_length < 0) throw Error("max_length must be >= 3");
  if (options.long_pairs.max_windows < 1) throw Error("max_windows must be >= 1");
  const int max_length = options.max_length > 0 ? options.max_length : model_max;
  if (max_length < 3) throw Error("max_length must be >= 3");
  if (max_length > model->config().max_position_embeddings) {
    throw Error("max_length " + std::to_string(max_length) + " exceeds the model's " +
                std::to_string(model->config().max_position_embeddings) + " positions");
  }
  impl->options.max_length = max_length;
  impl->info = {.model_path = path,
                .config = model->config(),
                .dtype = dtype,
                .backend = impl->backend->name(),
                .device = impl->backend->device_name(),
                .max_length = max_length,
                .warnings = precision_warnings(*model, dtype)};
  return Engine(std::move(impl));
}

Encoding Engine::tokenize(std::string_view query, std::string_view passage) const {
  LongPairOptions one = impl_->options.long_pairs;
  one.max_windows = 1;
  return std::move(
      impl_->tokenizer.encode_pair_windows(query, passage, impl_->options.max_length, one)
          .windows.front());
}

PairWindows Engine::tokenize_windows(std::string_view query, std::string_view passage) const {
  return impl_->tokenizer.encode_pair_windows(query, passage, impl_->options.max_length,
                                              impl_->options.long_pairs);
}

std::vector<float> Engine::score(std::span<const Pair> pairs) {
  return impl_->score_pairs(
      pairs.size(),
      [&](size_t i) {
        return std::pair<std::string_view, std::string_view>(pairs[i].query, pairs[i].passage);
      },
      "pair");
}

std::vector<float> Engine::score_encoded(std::span<const Encoding> encodings) {
  return impl_->run(encodings);  // PackedBatch::add and the encoder check every sequence
}

std::vector<float> Engine::score_batch(const PackedBatch& batch) { return impl_->forward(batch); }

std::vector<Ranked> Engine::rank(std::string_view query, std::span<const std::string> passages,
                                 size_t top_k) {
  const std::vector<float> scores = impl_->score_pairs(
      passages.size(),
      [&](size_t i) { return std::pair<std::string_view, std::string_view>(query, passages[i]); },
      "passage");
  std::vector<Ranked> ranked(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) ranked[i] = {i, scores[i]};
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
  if (top_k > 0 && top_k < ranked.size()) ranked.resize(top_k);
  return ranked;
}

const Tokenizer& Engine::tokenizer() const { return impl_->tokenizer; }
const EngineInfo& Engine::info() const { return impl_->info; }

std::string Engine::profile_report() const {
  std::lock_guard<std::mutex> lock(impl_->forward_mutex);  // not while a pass adds to it
  return impl_->backend->profile_report();
}

}  // namespace crossenc
