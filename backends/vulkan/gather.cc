// gather: each sequence's [CLS] row of the packed activations (shaders/gather_cls.comp).
#include "push_constants.h"
#include "vulkan_backend.h"

namespace crossenc::vk {

void VulkanBackend::gather_cls_impl(const Tensor& x, Tensor& out) {
  Bound bx = bind(x, "x"), bo = bind(out, "out");
  GatherClsPush pc{};
  pc.seqs = static_cast<uint32_t>(batch_.num_seqs());
  pc.cols = static_cast<uint32_t>(x.cols);
  pc.offsets_off = offsets_off_;
  pc.x_off = bx.elem_offset;
  pc.out_off = bo.elem_offset;
  const BufferBinding bindings[] = {bind_inputs(), bx.binding, bo.binding};
  recorder_->dispatch(*gather_cls_, bindings, &pc, pc.seqs, 1, 1, "gather_cls");
}

}  // namespace crossenc::vk
