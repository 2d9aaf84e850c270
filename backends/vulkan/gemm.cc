// gemm: out = act(a · wᵀ + bias) with a fused bias/GELU/tanh epilogue (shaders/gemm.comp).
#include <algorithm>

#include "ops_common.h"
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc::vk {

void VulkanBackend::gemm_impl(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                              Tensor& out) {
  const int64_t m = a.rows, k = a.cols, n = w.rows;
  if (overlaps(a, out)) throw Error("vulkan gemm: out overlaps a");
  if (static_cast<uint64_t>(m) * static_cast<uint64_t>(std::max(k, n)) >= (1ull << 32))
    throw Error("vulkan gemm: " + shape_of(a) + " is too large for 32-bit indexing");
  const int ai = static_cast<int>(act);
  const int v = variant_for({&w, bias});
  Bound ba = bind(a, "a"), bw = bind(w, "w"), bo = bind(out, "out");
  Bound bb{bind_dummy(), 0};
  if (bias) bb = bind(*bias, "bias");
  GemmPush pc{};
  pc.m = static_cast<uint32_t>(m);
  pc.n = static_cast<uint32_t>(n);
  pc.k = static_cast<uint32_t>(k);
  pc.a_off = ba.elem_offset;
  pc.w_off = bw.elem_offset;
  pc.bias_off = bb.elem_offset;
  pc.out_off = bo.elem_offset;
  pc.has_bias = bias ? 1u : 0u;
  pc.f16_mask = (w.dtype == DType::F16 ? 1u : 0u) | (bias && bias->dtype == DType::F16 ? 2u : 0u);
  const BufferBinding bindings[] = {ba.binding, bw.binding, bb.binding, bo.binding};
  static const char* const kLabels[3] = {"gemm", "gemm+gelu", "gemm+tanh"};
  std::string label =
      std::string(kLabels[ai]) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
  recorder_->dispatch(*gemm_[v][ai], bindings, &pc,
                      static_cast<uint32_t>((n + kGemmTileN - 1) / kGemmTileN),
                      static_cast<uint32_t>((m + kGemmTileM - 1) / kGemmTileM), 1, label.c_str());
}

}  // namespace crossenc::vk
