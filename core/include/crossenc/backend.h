// The backend interface: every op the encoder needs, implemented once per device (cpu, vulkan).
//
// Execution model: ops may be queued (Vulkan records them into one command buffer) and are only
// guaranteed complete after sync() or download(). The CPU backend runs them immediately.
// Activations are packed: all tokens of a batch form one [total_tokens x hidden] matrix and
// sequence s owns rows [offsets[s], offsets[s+1]); no padding is ever computed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossenc/types.h"

namespace crossenc {

class ModelFile;

// A non-owning view of a row-major 2-D matrix that lives in backend memory.
struct Tensor {
  void* data = nullptr;  // host-addressable pointer (CPU backend), else nullptr
  uint32_t buffer = 0;   // backend buffer id (device backends)
  uint64_t offset = 0;   // byte offset into `buffer`
  int64_t rows = 0;
  int64_t cols = 0;
  DType dtype = DType::F32;

  int64_t numel() const { return rows * cols; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// One batch of tokenized sequences, packed end to end.
struct PackedBatch {
  std::vector<int32_t> input_ids;       // total_tokens
  std::vector<int32_t> token_type_ids;  // total_tokens
  std::vector<int32_t> positions;       // total_tokens: 0..len-1 within each sequence
  std::vector<int32_t> offsets;         // num_seqs + 1, offsets[0] = 0
  int32_t max_seq_len = 0;

  int num_seqs() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1; }
  int64_t total_tokens() const { return static_cast<int64_t>(input_ids.size()); }
  // Appends one sequence (ids and types of equal length).
  void add(const std::vector<int32_t>& ids, const std::vector<int32_t>& types);
};

enum class Activation : uint8_t { None = 0, Gelu = 1, Tanh = 2 };  // Gelu is the exact erf form

struct BackendOptions {
  std::string name = "cpu";   // cpu | vulkan | auto
  int threads = 0;            // CPU threads; 0 = all cores
  int device = -1;            // Vulkan device index; -1 = best
  std::string gemm = "auto";  // CPU GEMM path: auto | blas | eigen | own | reference
  bool profile = false;       // per-op timing where the backend supports it
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;         // "cpu", "vulkan"
  virtual std::string device_name() const = 0;  // e.g. CPU model / GPU name

  // Weights: made resident once (CPU: a zero-copy view of the mmapped file where possible).
  // `dtype` is the storage type wanted on the device (F32 or F16; the CPU also takes BF16 for
  // GEMM weights, whose inputs are then rounded to BF16 too); converted if the file differs.
  virtual Tensor load_weight(const ModelFile& file, const std::string& name, DType dtype) = 0;

  // The ops (a non-virtual front, as in CTranslate2): each checks shapes and dtypes once, with
  // a message naming the op and the tensor, then runs the backend's <op>_impl.
  //
  // Starts a batch: uploads ids, types, positions and offsets, and resets the scratch arena.
  // `batch` must outlive the batch's last op.
  void begin_batch(const PackedBatch& batch);
  // Activation memory valid until the next begin_batch().
  virtual Tensor scratch(int64_t rows, int64_t cols, DType dtype) = 0;

  // out[t] = LayerNorm(word[id_t] + position[pos_t] + token_type[type_t]) for every token.
  void embed(const Tensor& word, const Tensor& position, const Tensor& token_type,
             const Tensor& gamma, const Tensor& beta, float eps, Tensor& out);
  // out = act(a · wᵀ + bias); a [m x k], w [n x k], bias [1 x n] or null, out [m x n].
  void gemm(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act, Tensor& out);
  // out = LayerNorm(x + residual) * gamma + beta, row-wise; out may alias x or residual.
  void add_layernorm(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                     const Tensor& beta, float eps, Tensor& out);
  // Multi-head self-attention per sequence of the current batch. qkv [T x 3H] holds Q, K, V
  // side by side; out [T x H]. With cls_only, only each sequence's first query row is
  // computed and out is [num_seqs x H] (the last layer needs nothing else).
  void attention(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out);
  // out row s = x row offsets[s] (each sequence's [CLS] token).
  void gather_cls(const Tensor& x, Tensor& out);

  // Copies t.numel() float32 values from the host into `t`, converting to t.dtype (queued like
  // an op). Used for inputs that are not weights, and by the op tests.
  virtual void upload(const float* host, Tensor& t) = 0;
  // Waits for queued work, then copies `t` to the host as float32 (t.numel() values).
  virtual void download(const Tensor& t, float* host) = 0;
  virtual void sync() = 0;
  // Per-op timings of the last batch, when options.profile is set ("" otherwise).
  virtual std::string profile_report() const { return {}; }

 protected:
  // What each backend computes, called by the front above with shapes already checked.
  virtual void begin_batch_impl(const PackedBatch& batch) = 0;
  virtual void embed_impl(const Tensor& word, const Tensor& position, const Tensor& token_type,
                          const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) = 0;
  virtual void gemm_impl(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                         Tensor& out) = 0;
  virtual void add_layernorm_impl(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                                  const Tensor& beta, float eps, Tensor& out) = 0;
  virtual void attention_impl(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) = 0;
  virtual void gather_cls_impl(const Tensor& x, Tensor& out) = 0;

 private:
  // The current batch (the caller keeps it alive until its last op), for the checks.
  const PackedBatch* checked_batch_ = nullptr;
  const PackedBatch& current_batch(const char* op) const;
};

// How a backend describes itself (ggml's device interface, reduced to what we need): each
// backend library exposes one through its public header (crossenc/backends/<name>.h), and the
// engine's registry knows backends only through these.
struct BackendRegistration {
  const char* name;  // what --backend takes: "cpu", "vulkan"
  // True when this backend has a real accelerator here, so that `--backend auto` picks it.
  bool (*accelerated)();
  // Lines for `crossenc info --devices`: each device, its kernels and capabilities.
  std::string (*describe_devices)();
  // Throws Error with a clear cause (e.g. "no Vulkan device").
  std::unique_ptr<Backend> (*create)(const BackendOptions& options);
};

// Creates the backend named in options ("auto": the first accelerated one, else CPU).
// Throws Error with a clear cause (e.g. "Vulkan backend not built", "no Vulkan device").
std::unique_ptr<Backend> make_backend(const BackendOptions& options);

}  // namespace crossenc
