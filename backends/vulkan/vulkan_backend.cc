// Vulkan backend lifecycle: device + pipelines at creation, weights uploaded once, per-batch
// inputs and activation arena, download/sync (the op methods live in embed.cc, gemm.cc, ...).
#include "crossenc/backends/vulkan.h"

#include <algorithm>
#include <cstring>

#include "crossenc/error.h"
#include "crossenc/half.h"
#include "crossenc/model_file.h"
#include "crossenc/op_checks.h"
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc {

std::unique_ptr<Backend> make_vulkan_backend(const BackendOptions& options) {
  return std::make_unique<vk::VulkanBackend>(options);
}

}  // namespace crossenc

namespace crossenc::vk {
namespace {

constexpr uint64_t kWeightChunk = 64ull << 20;   // weight pool chunk (MiniLM fits in two)
constexpr uint64_t kStagingBytes = 16ull << 20;  // upload staging, reused piece by piece
constexpr uint64_t kMinArenaChunk = 4ull << 20;

uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

VulkanBackend::VulkanBackend(const BackendOptions& options)
    : ctx_(std::make_unique<Context>(options.device, validation_requested())),
      profile_(options.profile) {
  recorder_ = std::make_unique<Recorder>(*ctx_, options.profile);
  const auto& limits = ctx_->caps.props.limits;
  align_ = std::max<uint64_t>(256, limits.minStorageBufferOffsetAlignment);
  max_range_ = std::min<uint64_t>(limits.maxStorageBufferRange, ctx_->caps.max_allocation);

  dummy_id_ = add_buffer(Buffer(*ctx_, 256, MemoryUse::DeviceLocal, "dummy binding"));
  staging_id_ = add_buffer(Buffer(*ctx_, kStagingBytes, MemoryUse::Upload, "upload staging"));

  // All pipelines are built once here (the f16 variants only where 16-bit storage exists).
  const char* acts[3] = {"none", "gelu", "tanh"};
  for (int v = 0; v < 2; ++v) {
    if (v == 1 && !ctx_->f16_enabled) break;
    std::string dt = v ? "f16" : "f32";
    embed_[v] = std::make_unique<Pipeline>(*ctx_, "embed_" + dt, 7, sizeof(EmbedPush));
    add_layernorm_[v] =
        std::make_unique<Pipeline>(*ctx_, "add_layernorm_" + dt, 5, sizeof(AddLayerNormPush));
    for (int a = 0; a < 3; ++a)
      gemm_[v][a] =
          std::make_unique<Pipeline>(*ctx_, "gemm_" + dt + "_" + acts[a], 4, sizeof(GemmPush));
  }
  gather_cls_ = std::make_unique<Pipeline>(*ctx_, "gather_cls", 3, sizeof(GatherClsPush));
}

VulkanBackend::~VulkanBackend() {
  // Finish in-flight work before buffers and pipelines are destroyed.
  try {
    if (recorder_) recorder_->submit_and_wait();
  } catch (const Error&) {
  }
}

uint32_t VulkanBackend::add_buffer(Buffer buffer) {
  uint32_t id = next_id_++;
  buffers_.emplace(id, std::move(buffer));
  return id;
}

void VulkanBackend::drop_buffer(uint32_t id) { buffers_.erase(id); }

const Buffer& VulkanBackend::buffer_of(const Tensor& t, const char* what) const {
  auto it = buffers_.find(t.buffer);
  if (it == buffers_.end())
    throw Error(std::string("vulkan: ") + what + " " + shape_of(t) +
                " is not a live tensor of this backend (stale scratch from an earlier batch?)");
  if (t.rows < 0 || t.cols < 0 || t.offset + t.nbytes() > it->second.size())
    throw Error(std::string("vulkan: ") + what + " " + shape_of(t) + " overruns its buffer");
  return it->second;
}

VulkanBackend::Bound VulkanBackend::bind(const Tensor& t, const char* what) const {
  const Buffer& b = buffer_of(t, what);
  uint64_t esize = dtype_size(t.dtype);
  if (t.offset % esize != 0)
    throw Error(std::string("vulkan: ") + what + " offset is not a multiple of its element size");
  // Descriptor offsets must be aligned; the remainder travels as an element offset.
  uint64_t min_align =
      std::max<uint64_t>(1, ctx_->caps.props.limits.minStorageBufferOffsetAlignment);
  uint64_t base = t.offset / min_align * min_align;
  uint64_t range = std::max<uint64_t>(t.offset + t.nbytes() - base, 4);
  range = std::min(range, b.size() - base);
  if (range > max_range_)
    throw Error(std::string("vulkan: ") + what + " " + shape_of(t) +
                " is larger than one storage-buffer binding may be on this device");
  return {{b.handle(), base, range}, static_cast<uint32_t>((t.offset - base) / esize)};
}

BufferBinding VulkanBackend::bind_inputs() const {
  const Buffer& b = buffers_.at(inputs_id_);
  return {b.handle(), 0, std::max<uint64_t>(inputs_bytes_, 4)};
}

BufferBinding VulkanBackend::bind_dummy() const {
  const Buffer& b = buffers_.at(dummy_id_);
  return {b.handle(), 0, b.size()};
}

int VulkanBackend::variant_for(std::initializer_list<const Tensor*> weights) const {
  for (const Tensor* w : weights) {
    if (!w) continue;
    if (w->dtype == DType::F16) return 1;
    if (w->dtype != DType::F32)
      throw Error("vulkan: weights must be F32 or F16, got " + std::string(dtype_name(w->dtype)));
  }
  return 0;
}

Tensor VulkanBackend::allocate_weight(int64_t rows, int64_t cols, DType dtype,
                                      const std::string& name) {
  uint64_t bytes = static_cast<uint64_t>(rows * cols) * dtype_size(dtype);
  uint64_t chunk_size = std::min(kWeightChunk, max_range_);
  Tensor t;
  t.rows = rows;
  t.cols = cols;
  t.dtype = dtype;
  if (bytes > chunk_size) {
    if (bytes > max_range_)
      throw Error("vulkan: weight " + name + " (" + std::to_string(bytes >> 20) +
                  " MiB) exceeds the device's storage-buffer range");
    t.buffer = add_buffer(Buffer(*ctx_, bytes, MemoryUse::DeviceLocal, "weight " + name));
    return t;
  }
  if (weight_chunks_.empty() || weight_chunks_.back().used + bytes > weight_chunks_.back().size) {
    Chunk c;
    c.size = chunk_size;
    c.id = add_buffer(Buffer(*ctx_, chunk_size, MemoryUse::DeviceLocal, "weights"));
    weight_chunks_.push_back(c);
  }
  Chunk& c = weight_chunks_.back();
  t.buffer = c.id;
  t.offset = c.used;
  c.used = round_up(c.used + bytes, align_);
  return t;
}

void VulkanBackend::upload_weight(const Tensor& dst, const void* src, DType src_dtype) {
  const Buffer& staging = buffers_.at(staging_id_);
  const Buffer& target = buffer_of(dst, "weight");
  const size_t n = static_cast<size_t>(dst.numel());
  const size_t out_size = dtype_size(dst.dtype);
  const size_t in_size = dtype_size(src_dtype);
  const size_t per_piece = staging.size() / out_size;
  std::vector<float> tmp;
  for (size_t start = 0; start < n; start += per_piece) {
    size_t count = std::min(per_piece, n - start);
    const uint8_t* in = static_cast<const uint8_t*>(src) + start * in_size;
    void* out = staging.mapped();
    if (src_dtype == dst.dtype) {
      std::memcpy(out, in, count * out_size);
    } else {
      // Through float: F16/BF16 -> F32 is exact; F32 -> F16 rounds to nearest even.
      tmp.resize(count);
      if (src_dtype == DType::F32) {
        std::memcpy(tmp.data(), in, count * sizeof(float));
      } else if (src_dtype == DType::F16) {
        half_to_float(reinterpret_cast<const uint16_t*>(in), tmp.data(), count);
      } else if (src_dtype == DType::BF16) {
        bf16_to_float(reinterpret_cast<const uint16_t*>(in), tmp.data(), count);
      } else {
        throw Error("vulkan: cannot load weights stored as " + std::string(dtype_name(src_dtype)));
      }
      if (dst.dtype == DType::F32)
        std::memcpy(out, tmp.data(), count * sizeof(float));
      else
        float_to_half(tmp.data(), static_cast<uint16_t*>(out), count);
    }
    recorder_->copy(staging.handle(), 0, target.handle(), dst.offset + start * out_size,
                    count * out_size, "upload");
    recorder_->submit_and_wait();  // staging is reused by the next piece
  }
}

Tensor VulkanBackend::load_weight(const ModelFile& file, const std::string& name, DType dtype) {
  const TensorInfo& info = file.info(name);
  if (dtype != DType::F32 && dtype != DType::F16)
    throw Error("vulkan: weight " + name + " requested as " + std::string(dtype_name(dtype)) +
                "; only f32 and f16 are supported");
  if (dtype == DType::F16 && !ctx_->f16_enabled)
    throw Error("vulkan: f16 weights need storageBuffer16BitAccess, which " + ctx_->info.name +
                " lacks; use --dtype f32");
  int64_t rows = 1, cols = 0;
  if (info.shape.size() == 1) {
    cols = info.shape[0];
  } else if (info.shape.size() == 2) {
    rows = info.shape[0];
    cols = info.shape[1];
  } else {
    throw Error("vulkan: weight " + name + " has " + std::to_string(info.shape.size()) +
                " dimensions; expected 1 or 2");
  }
  if (rows * cols != info.numel() || rows * cols <= 0)
    throw Error("vulkan: weight " + name + " has an inconsistent shape");
  Tensor t = allocate_weight(rows, cols, dtype, name);
  upload_weight(t, file.data(info), info.dtype);
  return t;
}

void VulkanBackend::begin_batch_impl(const PackedBatch& batch) {
  recorder_->submit_and_wait();  // the previous batch may still use the arena and inputs
  batch_ = batch;

  // Inputs: ids | types | positions | offsets, each section 256-byte aligned.
  auto section = [&](size_t n) { return round_up(n * sizeof(int32_t), align_); };
  size_t t = batch.input_ids.size();
  ids_off_ = 0;
  types_off_ = static_cast<uint32_t>(section(t) / 4);
  positions_off_ = types_off_ + static_cast<uint32_t>(section(t) / 4);
  offsets_off_ = positions_off_ + static_cast<uint32_t>(section(t) / 4);
  inputs_bytes_ = offsets_off_ * 4ull + batch.offsets.size() * 4;
  if (!inputs_id_ || buffers_.at(inputs_id_).size() < inputs_bytes_) {
    if (inputs_id_) drop_buffer(inputs_id_);
    inputs_id_ =
        add_buffer(Buffer(*ctx_, std::max<uint64_t>(round_up(inputs_bytes_ * 5 / 4, 4096), 65536),
                          MemoryUse::Upload, "batch inputs"));
  }
  auto* base = static_cast<int32_t*>(buffers_.at(inputs_id_).mapped());
  std::memcpy(base + ids_off_, batch.input_ids.data(), t * 4);
  std::memcpy(base + types_off_, batch.token_type_ids.data(), t * 4);
  std::memcpy(base + positions_off_, batch.positions.data(), t * 4);
  std::memcpy(base + offsets_off_, batch.offsets.data(), batch.offsets.size() * 4);

  // Arena: if the last batch spilled into several chunks, replace them by one chunk of the
  // high-water size, so steady state is one buffer sized for the largest batch.
  arena_high_water_ = std::max(arena_high_water_, batch_bytes_);
  if (arena_.size() > 1) {
    for (const Chunk& c : arena_) drop_buffer(c.id);
    arena_.clear();
    Chunk c;
    c.size = std::min(round_up(arena_high_water_, 1 << 20), max_range_);
    c.id = add_buffer(Buffer(*ctx_, c.size, MemoryUse::DeviceLocal, "activation arena"));
    arena_.push_back(c);
  }
  for (Chunk& c : arena_) c.used = 0;
  batch_bytes_ = 0;
}

Tensor VulkanBackend::scratch(int64_t rows, int64_t cols, DType dtype) {
  if (rows < 0 || cols < 0) throw Error("vulkan: scratch with negative shape");
  uint64_t bytes = std::max<uint64_t>(
      round_up(static_cast<uint64_t>(rows * cols) * dtype_size(dtype), align_), align_);
  if (bytes > max_range_)
    throw Error("vulkan: activation of " + std::to_string(bytes >> 20) +
                " MiB exceeds the device's storage-buffer range; use a smaller batch");
  // First fit over this batch's chunks, else a new chunk (merged at the next begin_batch).
  Chunk* chunk = nullptr;
  for (Chunk& c : arena_)
    if (c.used + bytes <= c.size) {
      chunk = &c;
      break;
    }
  if (!chunk) {
    uint64_t last = arena_.empty() ? 0 : arena_.back().size;
    Chunk c;
    c.size = std::min(std::max({bytes, last, kMinArenaChunk}), max_range_);
    c.id = add_buffer(Buffer(*ctx_, c.size, MemoryUse::DeviceLocal, "activation arena"));
    arena_.push_back(c);
    chunk = &arena_.back();
  }
  Tensor t;
  t.buffer = chunk->id;
  t.offset = chunk->used;
  t.rows = rows;
  t.cols = cols;
  t.dtype = dtype;
  chunk->used += bytes;
  batch_bytes_ += bytes;
  return t;
}

void VulkanBackend::upload(const float* host, Tensor& t) {
  const Buffer& dst = buffer_of(t, "upload target");
  if (t.dtype != DType::F32 && t.dtype != DType::F16)
    throw Error("vulkan: upload supports f32 and f16 tensors, got " + shape_of(t));
  const uint64_t bytes = t.nbytes();
  if (bytes == 0) return;
  // Queued like an op: the data waits in a host-visible ring until the batch is submitted.
  if (upload_epoch_ != recorder_->submissions()) upload_used_ = 0;
  uint64_t offset = round_up(upload_used_, 16);
  if (!upload_ring_id_ || offset + bytes > buffers_.at(upload_ring_id_).size()) {
    recorder_->submit_and_wait();  // earlier uploads land first; the ring is then free
    offset = 0;
    if (!upload_ring_id_ || bytes > buffers_.at(upload_ring_id_).size()) {
      if (upload_ring_id_) drop_buffer(upload_ring_id_);
      upload_ring_id_ =
          add_buffer(Buffer(*ctx_, std::max<uint64_t>(round_up(bytes, 1 << 20), 4ull << 20),
                            MemoryUse::Upload, "upload staging"));
    }
  }
  const Buffer& ring = buffers_.at(upload_ring_id_);
  auto* p = static_cast<uint8_t*>(ring.mapped()) + offset;
  if (t.dtype == DType::F32)
    std::memcpy(p, host, bytes);
  else
    float_to_half(host, reinterpret_cast<uint16_t*>(p), static_cast<size_t>(t.numel()));
  recorder_->copy(ring.handle(), offset, dst.handle(), t.offset, bytes, "upload");
  upload_used_ = offset + bytes;
  upload_epoch_ = recorder_->submissions();
}

void VulkanBackend::download(const Tensor& t, float* host) {
  const Buffer& src = buffer_of(t, "download source");
  if (t.dtype != DType::F32 && t.dtype != DType::F16)
    throw Error("vulkan: download supports f32 and f16 tensors, got " + shape_of(t));
  uint64_t bytes = t.nbytes();
  if (bytes == 0) {
    recorder_->submit_and_wait();
    return;
  }
  if (!readback_id_ || buffers_.at(readback_id_).size() < bytes) {
    recorder_->submit_and_wait();  // the old readback buffer may be a pending copy target
    if (readback_id_) drop_buffer(readback_id_);
    readback_id_ = add_buffer(Buffer(*ctx_, std::max<uint64_t>(round_up(bytes, 1 << 16), 1 << 16),
                                     MemoryUse::Readback, "download staging"));
  }
  const Buffer& dst = buffers_.at(readback_id_);
  recorder_->copy(src.handle(), t.offset, dst.handle(), 0, bytes, "download");
  recorder_->submit_and_wait();
  if (t.dtype == DType::F32)
    std::memcpy(host, dst.mapped(), bytes);
  else
    half_to_float(static_cast<const uint16_t*>(dst.mapped()), host, static_cast<size_t>(t.numel()));
}

void VulkanBackend::sync() { recorder_->submit_and_wait(); }

std::string VulkanBackend::profile_report() const {
  return profile_ ? recorder_->profile_report() : std::string();
}

const Pipeline& VulkanBackend::attention_pipeline(uint32_t head_dim) {
  auto it = attention_.find(head_dim);
  if (it == attention_.end()) {
    // One specialization per head size, built on first use and kept.
    it = attention_
             .emplace(head_dim,
                      std::make_unique<Pipeline>(*ctx_, "attention", 3, sizeof(AttentionPush),
                                                 std::vector<uint32_t>{head_dim}))
             .first;
  }
  return *it->second;
}

}  // namespace crossenc::vk
