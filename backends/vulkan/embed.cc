// embed: word + position + token-type gather and LayerNorm (shaders/embed.comp).
#include <algorithm>

#include "ops_common.h"
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc::vk {

void VulkanBackend::embed_impl(const Tensor& word, const Tensor& position, const Tensor& token_type,
                               const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) {
  const int64_t tokens = batch_.total_tokens();
  const int64_t h = word.cols;
  const int v = variant_for({&word, &position, &token_type, &gamma, &beta});
  Bound bw = bind(word, "word embeddings"), bp = bind(position, "position embeddings"),
        bt = bind(token_type, "token-type embeddings"), bg = bind(gamma, "gamma"),
        bb = bind(beta, "beta"), bo = bind(out, "out");
  EmbedPush pc{};
  pc.tokens = static_cast<uint32_t>(tokens);
  pc.cols = static_cast<uint32_t>(h);
  pc.ids_off = ids_off_;
  pc.types_off = types_off_;
  pc.positions_off = positions_off_;
  pc.word_off = bw.elem_offset;
  pc.position_off = bp.elem_offset;
  pc.type_off = bt.elem_offset;
  pc.gamma_off = bg.elem_offset;
  pc.beta_off = bb.elem_offset;
  pc.out_off = bo.elem_offset;
  pc.f16_mask = (word.dtype == DType::F16 ? 1u : 0u) | (position.dtype == DType::F16 ? 2u : 0u) |
                (token_type.dtype == DType::F16 ? 4u : 0u) | (gamma.dtype == DType::F16 ? 8u : 0u) |
                (beta.dtype == DType::F16 ? 16u : 0u);
  pc.eps = eps;
  const BufferBinding bindings[] = {bind_inputs(), bw.binding, bp.binding, bt.binding,
                                    bg.binding,    bb.binding, bo.binding};
  uint32_t gx, gy;
  grid_2d(static_cast<uint64_t>(tokens), gx, gy);
  recorder_->dispatch(*embed_[v], bindings, &pc, gx, gy, 1, "embed");
}

}  // namespace crossenc::vk
