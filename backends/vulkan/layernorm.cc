// add_layernorm: residual add + LayerNorm with FP32 statistics (shaders/add_layernorm.comp).
#include "ops_common.h"
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc::vk {

void VulkanBackend::add_layernorm_impl(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                                       const Tensor& beta, float eps, Tensor& out) {
  // Aliasing is fine only as the same tensor (each element read, then written, by one thread).
  for (const Tensor* in : {&x, &residual})
    if (overlaps(*in, out) && in->offset != out.offset)
      throw Error("vulkan add_layernorm: out partly overlaps an input");
  const int v = variant_for({&gamma, &beta});
  Bound bx = bind(x, "x"), br = bind(residual, "residual"), bg = bind(gamma, "gamma"),
        bb = bind(beta, "beta"), bo = bind(out, "out");
  AddLayerNormPush pc{};
  pc.rows = static_cast<uint32_t>(x.rows);
  pc.cols = static_cast<uint32_t>(x.cols);
  pc.x_off = bx.elem_offset;
  pc.res_off = br.elem_offset;
  pc.gamma_off = bg.elem_offset;
  pc.beta_off = bb.elem_offset;
  pc.out_off = bo.elem_offset;
  pc.f16_mask = (gamma.dtype == DType::F16 ? 1u : 0u) | (beta.dtype == DType::F16 ? 2u : 0u);
  pc.eps = eps;
  const BufferBinding bindings[] = {bx.binding, br.binding, bg.binding, bb.binding, bo.binding};
  uint32_t gx, gy;
  grid_2d(static_cast<uint64_t>(x.rows), gx, gy);
  recorder_->dispatch(*add_layernorm_[v], bindings, &pc, gx, gy, 1, "add_layernorm");
}

}  // namespace crossenc::vk
