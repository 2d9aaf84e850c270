// attention: multi-head self-attention over packed sequences (shaders/attention.comp).
#include <cmath>

#include "ops_common.h"
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc::vk {

void VulkanBackend::attention_impl(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) {
  const int seqs = batch_.num_seqs();
  const int64_t hidden = qkv.cols / 3;
  const int64_t head_dim = hidden / num_heads;
  if (head_dim > kAttentionMaxHeadDim)
    throw Error("vulkan attention: head size " + std::to_string(head_dim) + " exceeds " +
                std::to_string(kAttentionMaxHeadDim));
  if (overlaps(qkv, out)) throw Error("vulkan attention: out overlaps qkv");
  if (seqs > 65535 || num_heads > 65535)
    throw Error("vulkan attention: too many sequences in one batch");
  Bound bq = bind(qkv, "qkv"), bo = bind(out, "out");
  AttentionPush pc{};
  pc.offsets_off = offsets_off_;
  pc.hidden = static_cast<uint32_t>(hidden);
  pc.qkv_off = bq.elem_offset;
  pc.out_off = bo.elem_offset;
  pc.cls_only = cls_only ? 1u : 0u;
  pc.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const BufferBinding bindings[] = {bind_inputs(), bq.binding, bo.binding};
  const uint32_t query_blocks =
      cls_only ? 1u
               : static_cast<uint32_t>((batch_.max_seq_len + kAttentionQueryBlock - 1) /
                                       kAttentionQueryBlock);
  recorder_->dispatch(attention_pipeline(static_cast<uint32_t>(head_dim)), bindings, &pc,
                      query_blocks, static_cast<uint32_t>(num_heads), static_cast<uint32_t>(seqs),
                      cls_only ? "attention(cls)" : "attention");
}

}  // namespace crossenc::vk
