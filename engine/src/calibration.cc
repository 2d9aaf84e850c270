// collect_input_grams: the encoder on a backend wrapper that sums each GEMM's inputs.
#include "crossenc/calibration.h"

#include <unordered_map>

#include "crossenc/backend.h"
#include "crossenc/error.h"
#include "encoder.h"

namespace crossenc {

namespace {

// Forwards every op to the CPU backend; a GEMM whose weight is an encoder matrix first adds
// its input rows to that matrix's Gram. Weights are known by their data pointer.
class GramRecorder final : public Backend {
 public:
  explicit GramRecorder(Backend& inner) : inner_(inner) {}

  InputGrams take_grams() { return std::move(grams_); }

  std::string name() const override { return inner_.name(); }
  std::string device_name() const override { return inner_.device_name(); }
  Tensor load_weight(const ModelFile& file, const std::string& name, DType dtype) override {
    Tensor t = inner_.load_weight(file, name, dtype);
    if (tensor_names::is_layer_matrix(name, file.info(name).shape)) names_[t.data] = name;
    return t;
  }
  Tensor scratch(int64_t rows, int64_t cols, DType dtype) override {
    return inner_.scratch(rows, cols, dtype);
  }
  void upload(const float* host, Tensor& t) override { inner_.upload(host, t); }
  void download(const Tensor& t, float* host) override { inner_.download(t, host); }
  void sync() override { inner_.sync(); }

 protected:
  void begin_batch_impl(const PackedBatch& batch) override { inner_.begin_batch(batch); }
  void embed_impl(const Tensor& word, const Tensor& position, const Tensor& token_type,
                  const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override {
    inner_.embed(word, position, token_type, gamma, beta, eps, out);
  }
  void gemm_impl(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                 Tensor& out) override {
    if (auto it = names_.find(w.data); it != names_.end()) {
      grams_.try_emplace(it->second, a.cols).first->second.add_rows(a.as<const float>(), a.rows);
    }
    inner_.gemm(a, w, bias, act, out);
  }
  void add_layernorm_impl(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                          const Tensor& beta, float eps, Tensor& out) override {
    inner_.add_layernorm(x, residual, gamma, beta, eps, out);
  }
  void attention_impl(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) override {
    inner_.attention(qkv, num_heads, cls_only, out);
  }
  void gather_cls_impl(const Tensor& x, Tensor& out) override { inner_.gather_cls(x, out); }

 private:
  Backend& inner_;
  std::unordered_map<const void*, std::string> names_;
  InputGrams grams_;
};

}  // namespace

InputGrams collect_input_grams(std::shared_ptr<const ModelFile> model,
                               std::span<const Encoding> pairs, int threads) {
  if (pairs.empty()) throw Error("calibration needs at least one pair");
  const DType dtype = model->config().dtype;
  if (dtype != DType::F32 && dtype != DType::F16) {
    throw Error("calibration runs an F32 or F16 model, not " + std::string(dtype_name(dtype)));
  }
  const auto cpu = make_backend({.name = "cpu", .threads = threads});
  GramRecorder recorder(*cpu);
  Encoder encoder(model, recorder, DType::F32);
  constexpr size_t kBatch = 32;
  for (size_t i = 0; i < pairs.size(); i += kBatch) {
    PackedBatch batch;
    for (size_t j = i; j < std::min(pairs.size(), i + kBatch); ++j) {
      batch.add(pairs[j].input_ids, pairs[j].token_type_ids);
    }
    encoder.forward(batch);
  }
  return recorder.take_grams();
}

}  // namespace crossenc
