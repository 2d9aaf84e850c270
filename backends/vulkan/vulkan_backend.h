// The Vulkan Backend class (private): buffer registry, weight pool, activation arena,
// pipelines, and the op methods (defined one op family per file: embed.cc, gemm.cc, ...).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crossenc/backend.h"
#include "vk_commands.h"
#include "vk_context.h"
#include "vk_memory.h"
#include "vk_pipeline.h"

namespace crossenc::vk {

class VulkanBackend final : public Backend {
 public:
  explicit VulkanBackend(const BackendOptions& options);
  ~VulkanBackend() override;

  std::string name() const override { return "vulkan"; }
  std::string device_name() const override { return ctx_->info.name; }

  Tensor load_weight(const ModelFile& file, const std::string& name, DType dtype) override;
  Tensor scratch(int64_t rows, int64_t cols, DType dtype) override;

  void upload(const float* host, Tensor& t) override;
  void download(const Tensor& t, float* host) override;
  void sync() override;
  std::string profile_report() const override;

  const Context& context() const { return *ctx_; }

 protected:
  void begin_batch_impl(const PackedBatch& batch) override;
  void embed_impl(const Tensor& word, const Tensor& position, const Tensor& token_type,
                  const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override;
  void gemm_impl(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                 Tensor& out) override;
  void add_layernorm_impl(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                          const Tensor& beta, float eps, Tensor& out) override;
  void attention_impl(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) override;
  void gather_cls_impl(const Tensor& x, Tensor& out) override;

 private:
  // A tensor's descriptor plus its element offset inside the bound range.
  struct Bound {
    BufferBinding binding;
    uint32_t elem_offset = 0;
  };
  uint32_t add_buffer(Buffer buffer);
  void drop_buffer(uint32_t id);
  const Buffer& buffer_of(const Tensor& t, const char* what) const;
  Bound bind(const Tensor& t, const char* what) const;
  BufferBinding bind_inputs() const;
  BufferBinding bind_dummy() const;
  // Weight pool: sub-allocates device-local chunks; big tensors get their own buffer.
  Tensor allocate_weight(int64_t rows, int64_t cols, DType dtype, const std::string& name);
  void upload_weight(const Tensor& dst, const void* src, DType src_dtype);
  // Pipeline variant index for weights: 0 = f32-only shader, 1 = f32/f16 shader.
  int variant_for(std::initializer_list<const Tensor*> weights) const;
  const Pipeline& attention_pipeline(uint32_t head_dim);

  std::unique_ptr<Context> ctx_;  // first member: destroyed last
  std::unique_ptr<Recorder> recorder_;
  uint64_t align_ = 256;    // sub-allocation alignment (>= minStorageBufferOffsetAlignment)
  uint64_t max_range_ = 0;  // largest range one descriptor may cover

  std::map<uint32_t, Buffer> buffers_;
  uint32_t next_id_ = 1;  // 0 means "no buffer" in a default Tensor

  struct Chunk {
    uint32_t id = 0;
    uint64_t size = 0;
    uint64_t used = 0;
  };
  std::vector<Chunk> weight_chunks_;
  std::vector<Chunk> arena_;
  uint64_t batch_bytes_ = 0;       // arena bytes handed out in this batch
  uint64_t arena_high_water_ = 0;  // most arena bytes any batch used

  uint32_t inputs_id_ = 0;       // host-visible int32: ids | types | positions | offsets
  uint32_t staging_id_ = 0;      // host-visible staging for weights (synchronous)
  uint32_t upload_ring_id_ = 0;  // host-visible staging for queued upload() calls
  uint64_t upload_used_ = 0;     // bytes of the ring used by not-yet-finished submissions
  uint64_t upload_epoch_ = 0;    // recorder submission count when upload_used_ was set
  uint32_t readback_id_ = 0;     // host-cached download staging
  uint32_t dummy_id_ = 0;        // bound where a shader's optional input is absent

  // The current batch, kept on the host for its sizes and offsets.
  PackedBatch batch_;
  uint32_t ids_off_ = 0, types_off_ = 0, positions_off_ = 0, offsets_off_ = 0;
  uint64_t inputs_bytes_ = 0;

  std::unique_ptr<Pipeline> embed_[2];
  std::unique_ptr<Pipeline> add_layernorm_[2];
  std::unique_ptr<Pipeline> gemm_[2][3];  // [variant][Activation]
  std::unique_ptr<Pipeline> gather_cls_;
  std::map<uint32_t, std::unique_ptr<Pipeline>> attention_;  // by head dim (spec constant)
  bool profile_ = false;
};

}  // namespace crossenc::vk
