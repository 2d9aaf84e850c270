// CpuBackend: zero-copy weights from the mmapped file (F32 or F16, never widened in memory;
// BF16 made at load, in the AMX tile layout where AMX runs them), a block arena for
// activations, and each op run immediately on one shared thread pool.
#include "crossenc/backends/cpu.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "blas_loader.h"
#include "cpu_ops.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "crossenc/host.h"
#include "crossenc/model_file.h"
#include "gemm_amx.h"
#include "gemm_bf16_dot.h"
#include "packed_weights.h"

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

// A small F32 copy of a vector parameter (bias, LayerNorm gamma/beta) stored F16.
class FloatVector {
 public:
  explicit FloatVector(const Tensor& t) {
    if (t.dtype == DType::F32) {
      ptr_ = t.as<float>();
      return;
    }
    if (t.dtype != DType::F16) throw Error("cpu backend: parameter must be F32 or F16");
    copy_.resize(static_cast<size_t>(t.numel()));
    half_to_float(t.as<uint16_t>(), copy_.data(), copy_.size());
    ptr_ = copy_.data();
  }
  const float* get() const { return ptr_; }

 private:
  const float* ptr_ = nullptr;
  std::vector<float> copy_;
};

cpu::WeightRef weight_ref(const Tensor& t) {
  if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 &&
      t.dtype != DType::I8) {
    throw Error("cpu backend: weights must be F32, F16, BF16 or INT8, got " +
                std::string(dtype_name(t.dtype)));
  }
  return {t.data, t.dtype};
}

const float* activations(const Tensor& t) {
  if (t.dtype != DType::F32) throw Error("cpu backend: activations must be F32");
  return t.as<float>();
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options)
      : pool_(options.threads),
        config_(cpu::parse_gemm_path(options.gemm.c_str())),
        device_(cpu_model_name()),
        profile_(options.profile) {
    // One pool of threads: OpenBLAS (loaded only for the blas path) gets as many as ours and
    // runs only while ours wait for it.
    if (config_.gemm == cpu::GemmPath::Blas) cpu::blas().set_num_threads(pool_.size());
  }

  std::string name() const override { return "cpu"; }
  std::string device_name() const override {
    return device_ + " (" + std::to_string(pool_.size()) + " threads, gemm " +
           cpu::kernel_config_name(config_) + ")";
  }

  Tensor load_weight(const ModelFile& file, const std::string& name, DType dtype) override {
    if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16 && dtype != DType::I8) {
      throw Error("cpu backend: weight " + name + " requested as " +
                  std::string(dtype_name(dtype)) + " (F32, F16, BF16 or INT8 only)");
    }
    const TensorInfo& info = file.info(name);
    Tensor t;
    t.rows = info.shape.size() == 2 ? info.shape[0] : 1;
    t.cols = info.shape.size() == 2 ? info.shape[1] : info.shape[0];
    t.dtype = dtype;
    const size_t n = static_cast<size_t>(info.numel());
    if (dtype == DType::BF16) return load_bf16(file, info, t);
    if (dtype == DType::I8) return load_int8(file, info, t);
    if (info.dtype == dtype) {
      t.data = const_cast<void*>(file.data(info));  // zero copy: the mapping is read-only
      return t;
    }
    // F16 stays F16: the kernels widen it as they read. Only a type the file does not have is
    // made here: F16 from an F32 file (rounded once, as an F16 file would be) or F32 from
    // F16/BF16 (small vectors: biases, LayerNorm parameters).
    const std::vector<float> wide = widened(file, info);
    auto storage = aligned_bytes(n * dtype_size(dtype));
    if (dtype == DType::F32) {
      std::memcpy(storage.get(), wide.data(), n * sizeof(float));
    } else {
      float_to_half(wide.data(), reinterpret_cast<uint16_t*>(storage.get()), n);
    }
    t.data = storage.get();
    owned_.push_back(std::move(storage));
    return t;
  }

  // A BF16 GEMM weight: rounded once from F32/F16 (a BF16 file is used as it lies), and packed
  // into the AMX tile layout or the AVX512-BF16 dot-product panels when those run it.
  Tensor load_bf16(const ModelFile& file, const TensorInfo& info, Tensor t) {
    const size_t n = static_cast<size_t>(info.numel());
    const void* src = file.data(info);
    if (info.dtype != DType::F32 && info.dtype != DType::F16 && info.dtype != DType::BF16) {
      throw Error("cpu backend: weight " + info.name + " is stored as " +
                  std::string(dtype_name(info.dtype)));
    }
    if (info.dtype == DType::BF16 && !config_.amx && !config_.bf16_dot) {
      t.data = const_cast<void*>(src);
      return t;
    }
    const size_t elems = config_.amx        ? cpu::amx_packed_size(t.rows, t.cols)
                         : config_.bf16_dot ? cpu::bf16_dot_packed_size(t.rows, t.cols)
                                            : n;
    auto storage = aligned_bytes(elems * sizeof(uint16_t));
    auto* dst = reinterpret_cast<uint16_t*>(storage.get());
    // F32 is rounded while packed or copied (one pass); BF16 packed or copied as it is.
    auto pack = [&](const auto* w) {
      if (config_.amx) {
        cpu::amx_pack_weights(w, t.rows, t.cols, dst);
      } else if (config_.bf16_dot) {
        cpu::bf16_dot_pack_weights(w, t.rows, t.cols, dst);
      } else if constexpr (std::is_same_v<decltype(w), const float*>) {
        float_to_bf16(w, dst, n);
      } else {
        std::memcpy(dst, w, n * sizeof(uint16_t));
      }
    };
    if (info.dtype == DType::F32) {
      pack(static_cast<const float*>(src));
    } else {
      std::vector<uint16_t> rounded;
      const auto* bf16 = static_cast<const uint16_t*>(src);
      if (info.dtype == DType::F16) {
        rounded.resize(n);
        for (size_t i = 0; i < n; ++i) rounded[i] = float_to_bf16(half_to_float(bf16[i]));
        bf16 = rounded.data();
      }
      pack(bf16);
    }
    t.data = storage.get();
    owned_.push_back(std::move(storage));
    return t;
  }

  // The tensor's values as F32, whatever its storage type (F32, F16, BF16).
  static std::vector<float> widened(const ModelFile& file, const TensorInfo& info) {
    if (info.dtype == DType::I8) {
      throw Error("cpu backend: weight " + info.name + " is stored as " +
                  std::string(dtype_name(info.dtype)));
    }
    return file.floats(info);
  }

  // An INT8 GEMM weight in the VNNI layout every INT8 kernel reads (packed_weights.h): as the
  // file stores it (`convert --dtype int8`: INT8 values + per-row scales, checked at open), or
  // quantized per output channel from F32/F16/BF16 once, here, the same way.
  Tensor load_int8(const ModelFile& file, const TensorInfo& info, Tensor t) {
    if (info.shape.size() != 2) {
      throw Error("cpu backend: INT8 weight " + info.name + " is not a matrix");
    }
    std::unique_ptr<cpu::PackedWeight> packed;
    if (info.dtype == DType::I8) {
      const TensorInfo& scales = file.info(tensor_names::int8_scales(info.name));
      packed =
          cpu::pack_int8_quantized(static_cast<const int8_t*>(file.data(info)),
                                   static_cast<const float*>(file.data(scales)), t.rows, t.cols);
    } else {
      const std::vector<float> wide = widened(file, info);
      packed = cpu::pack_int8(wide.data(), t.rows, t.cols);
    }
    t.data = &packed->int8;
    packed_.push_back(std::move(packed));
    return t;
  }

  void begin_batch_impl(const PackedBatch& batch) override {
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

  void embed_impl(const Tensor& word, const Tensor& position, const Tensor& token_type,
                  const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override {
    Timer timer(this, "embed");
    const PackedBatch& b = batch();
    const FloatVector g(gamma), bt(beta);
    cpu::embed(config_.isa, b.input_ids.data(), b.token_type_ids.data(), b.positions.data(),
               b.total_tokens(), weight_ref(word), weight_ref(position), weight_ref(token_type),
               g.get(), bt.get(), eps, static_cast<int>(word.cols), out.as<float>(), pool_);
  }

  void gemm_impl(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                 Tensor& out) override {
    Timer timer(this, "gemm", w.cols, w.rows);
    std::optional<FloatVector> b;
    if (bias) b.emplace(*bias);
    cpu::gemm(config_, activations(a), weight_ref(w), b ? b->get() : nullptr, act, out.as<float>(),
              a.rows, w.rows, a.cols, pool_);
  }

  void add_layernorm_impl(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                          const Tensor& beta, float eps, Tensor& out) override {
    Timer timer(this, "add_layernorm");
    const FloatVector g(gamma), b(beta);
    cpu::add_layernorm(config_.isa, activations(x), activations(residual), g.get(), b.get(), eps,
                       out.as<float>(), x.rows, x.cols, pool_);
  }

  void attention_impl(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) override {
    Timer timer(this, cls_only ? "attention cls" : "attention");
    const PackedBatch& b = batch();
    cpu::attention(config_.isa, activations(qkv), b.offsets.data(), b.num_seqs(),
                   static_cast<int>(out.cols), num_heads, cls_only, out.as<float>(), pool_);
  }

  void gather_cls_impl(const Tensor& x, Tensor& out) override {
    const PackedBatch& b = batch();
    cpu::gather_cls(x.as<float>(), b.offsets.data(), b.num_seqs(), x.cols, out.as<float>());
  }

  void upload(const float* host, Tensor& t) override {
    if (t.dtype == DType::F32) {
      std::memcpy(t.data, host, t.numel() * sizeof(float));
    } else if (t.dtype == DType::F16) {
      float_to_half(host, t.as<uint16_t>(), static_cast<size_t>(t.numel()));
    } else {
      throw Error("cpu backend: cannot upload into " + std::string(dtype_name(t.dtype)));
    }
  }

  void download(const Tensor& t, float* host) override {
    if (t.dtype == DType::F16) {
      half_to_float(t.as<uint16_t>(), host, static_cast<size_t>(t.numel()));
    } else {
      std::memcpy(host, t.data, t.numel() * sizeof(float));
    }
  }
  void sync() override {}

  std::string profile_report() const override {
    if (!profile_) return {};
    double total = 0;
    for (const auto& [name, op] : profile_ops_) total += op.seconds;
    std::string out = "cpu time per op since the backend was created (" + device_ + ")\n";
    char line[160];
    for (const auto& [name, op] : profile_ops_) {
      std::snprintf(line, sizeof line, "%-24s %4d calls %9.3f ms %5.1f%%\n", name.c_str(), op.calls,
                    op.seconds * 1e3, total > 0 ? 100.0 * op.seconds / total : 0.0);
      out += line;
    }
    std::snprintf(line, sizeof line, "%-24s %15s %9.3f ms\n", "total", "", total * 1e3);
    return out + line;
  }

 private:
  struct OpTime {
    int calls = 0;
    double seconds = 0;
  };
  // Adds the lifetime of the scope to the op's total when profiling.
  class Timer {
   public:
    Timer(CpuBackend* be, std::string_view name) : be_(be->profile_ ? be : nullptr) {
      if (be_) {
        name_ = name;
        start_ = std::chrono::steady_clock::now();
      }
    }
    // A GEMM, named by its shape (k -> n).
    Timer(CpuBackend* be, std::string_view name, int64_t k, int64_t n) : Timer(be, name) {
      if (!be_) return;
      name_.append(1, ' ').append(std::to_string(k)).append("->").append(std::to_string(n));
    }
    ~Timer() {
      if (!be_) return;
      OpTime& op = be_->profile_ops_[name_];
      ++op.calls;
      const auto elapsed = std::chrono::steady_clock::now() - start_;
      op.seconds += std::chrono::duration<double>(elapsed).count();
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

   private:
    CpuBackend* be_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
  };

  const PackedBatch& batch() const {
    if (!batch_) throw Error("cpu backend: op called before begin_batch()");
    return *batch_;
  }

  cpu::ThreadPool pool_;
  cpu::KernelConfig config_;
  std::string device_;
  bool profile_ = false;
  std::map<std::string, OpTime> profile_ops_;
  Arena arena_;
  std::vector<AlignedBytes> owned_;
  std::vector<std::unique_ptr<cpu::PackedWeight>> packed_;
  const PackedBatch* batch_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace crossenc
