// CpuBackend: zero-copy weights from the mmapped file, a block arena for activations,
// and each op run immediately on a shared thread pool.
#include "cpu_backend.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <list>
#include <string>
#include <thread>
#include <vector>

#include "cpu_ops.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "crossenc/model_file.h"

namespace crossenc {

namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<std::byte, FreeDeleter>;

AlignedBytes aligned_bytes(size_t n) {
  n = (n + 63) / 64 * 64;
  auto* p = static_cast<std::byte*>(std::aligned_alloc(64, n == 0 ? 64 : n));
  if (!p) throw Error("out of memory allocating " + std::to_string(n) + " bytes");
  return AlignedBytes(p);
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      if (pos != std::string::npos) return line.substr(pos + 2);
    }
  }
  return "cpu";
}

// Bump allocator over blocks that never move during a batch; merged into one block on reset.
class Arena {
 public:
  void* allocate(size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    if (blocks_.empty() || used_ + bytes > capacity_) {
      const size_t cap = std::max(bytes, size_t{16} << 20);
      blocks_.push_back(aligned_bytes(cap));
      capacity_ = cap;
      used_ = 0;
      total_ += cap;
    }
    void* p = blocks_.back().get() + used_;
    used_ += bytes;
    return p;
  }
  void reset() {
    if (blocks_.size() > 1) {  // the last batch needed more: keep one block that fits it all
      blocks_.clear();
      blocks_.push_back(aligned_bytes(total_));
      capacity_ = total_;
    }
    used_ = 0;
  }

 private:
  std::list<AlignedBytes> blocks_;
  size_t capacity_ = 0, used_ = 0, total_ = 0;
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options)
      : pool_(options.threads),
        gemm_path_(cpu::parse_gemm_path(options.gemm.c_str())),
        device_(cpu_model_name()) {
    // One pool of threads: OpenBLAS uses as many as ours and runs only while ours are idle.
    openblas_set_num_threads(pool_.size());
  }

  std::string name() const override { return "cpu"; }
  std::string device_name() const override {
    return device_ + " (" + std::to_string(pool_.size()) + " threads, gemm " +
           cpu::gemm_path_name(gemm_path_) + ")";
  }
  DType activation_dtype(DType) const override { return DType::F32; }

  Tensor load_weight(const ModelFile& file, const std::string& name, DType dtype) override {
    const TensorInfo& info = file.info(name);
    Tensor t;
    t.rows = info.shape.size() == 2 ? info.shape[0] : 1;
    t.cols = info.shape.size() == 2 ? info.shape[1] : info.shape[0];
    t.dtype = DType::F32;
    const size_t n = static_cast<size_t>(info.numel());
    if (info.dtype == DType::F32 && dtype == DType::F32) {
      t.data = const_cast<void*>(file.data(info));  // zero copy: the mapping is read-only
      return t;
    }
    // F16 storage is widened once here; F16 requested on an F32 file rounds the weights so
    // results match an F16 file. Computing directly on F16 is the job of fused kernels.
    auto storage = aligned_bytes(n * sizeof(float));
    auto* dst = reinterpret_cast<float*>(storage.get());
    if (info.dtype == DType::F16) {
      half_to_float(static_cast<const uint16_t*>(file.data(info)), dst, n);
    } else {
      const auto* src = static_cast<const float*>(file.data(info));
      for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(float_to_half(src[i]));
    }
    t.data = dst;
    owned_.push_back(std::move(storage));
    return t;
  }

  void begin_batch(const PackedBatch& batch) override {
    arena_.reset();
    batch_ = &batch;
  }

  Tensor scratch(int64_t rows, int64_t cols, DType dtype) override {
    Tensor t;
    t.rows = rows;
    t.cols = cols;
    t.dtype = dtype;
    t.data = arena_.allocate(t.nbytes());
    return t;
  }

  void embed(const Tensor& word, const Tensor& position, const Tensor& token_type,
             const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override {
    const PackedBatch& b = batch();
    cpu::embed(b.input_ids.data(), b.token_type_ids.data(), b.positions.data(),
               b.total_tokens(), word.as<float>(), position.as<float>(), token_type.as<float>(),
               gamma.as<float>(), beta.as<float>(), eps, static_cast<int>(word.cols),
               out.as<float>(), pool_);
  }

  void gemm(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
            Tensor& out) override {
    const float* wf = w.as<float>();
    if (w.dtype == DType::F16) {  // an F16 activation-side tensor (tests): widen once
      widened_.resize(static_cast<size_t>(w.numel()));
      half_to_float(w.as<uint16_t>(), widened_.data(), widened_.size());
      wf = widened_.data();
    }
    cpu::gemm(gemm_path_, a.as<float>(), wf, out.as<float>(), a.rows, w.rows, a.cols, pool_);
    cpu::bias_activation(out.as<float>(), bias ? bias->as<float>() : nullptr, out.rows, out.cols,
                         act, pool_);
  }

  void add_layernorm(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                     const Tensor& beta, float eps, Tensor& out) override {
    cpu::add_layernorm(x.as<float>(), residual.as<float>(), gamma.as<float>(), beta.as<float>(),
                       eps, out.as<float>(), x.rows, x.cols, pool_);
  }

  void attention(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) override {
    const PackedBatch& b = batch();
    cpu::attention(qkv.as<float>(), b.offsets.data(), b.num_seqs(), static_cast<int>(out.cols),
                   num_heads, cls_only, out.as<float>(), pool_);
  }

  void gather_cls(const Tensor& x, Tensor& out) override {
    const PackedBatch& b = batch();
    for (int s = 0; s < b.num_seqs(); ++s) {
      std::memcpy(out.as<float>() + s * x.cols, x.as<float>() + int64_t{b.offsets[s]} * x.cols,
                  x.cols * sizeof(float));
    }
  }

  void upload(const float* host, Tensor& t) override {
    if (t.dtype == DType::F16) {
      float_to_half(host, t.as<uint16_t>(), static_cast<size_t>(t.numel()));
    } else {
      std::memcpy(t.data, host, t.numel() * sizeof(float));
    }
  }

  void download(const Tensor& t, float* host) override {
    std::memcpy(host, t.data, t.numel() * sizeof(float));
  }
  void sync() override {}

 private:
  const PackedBatch& batch() const {
    if (!batch_) throw Error("cpu backend: op called before begin_batch()");
    return *batch_;
  }

  cpu::ThreadPool pool_;
  cpu::GemmPath gemm_path_;
  std::string device_;
  Arena arena_;
  std::vector<AlignedBytes> owned_;
  std::vector<float> widened_;
  const PackedBatch* batch_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace crossenc
