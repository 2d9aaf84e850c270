// Helpers shared by the Vulkan op files (the shape checks common to all backends are in
// crossenc/op_checks.h, run by the op front before any backend sees the op).
#pragma once

#include <cstdint>

#include "crossenc/backend.h"
#include "crossenc/error.h"
#include "crossenc/op_checks.h"

namespace crossenc::vk {

// True when the byte ranges of a and b in the same buffer overlap.
inline bool overlaps(const Tensor& a, const Tensor& b) {
  return a.buffer == b.buffer && a.offset < b.offset + b.nbytes() &&
         b.offset < a.offset + a.nbytes();
}

// A 2-D grid of at most 65535 x N workgroups covering `count` (the shaders fold y back in).
inline void grid_2d(uint64_t count, uint32_t& gx, uint32_t& gy) {
  gx = static_cast<uint32_t>(count < 65535 ? count : 65535);
  gy = gx ? static_cast<uint32_t>((count + gx - 1) / gx) : 0;
}

}  // namespace crossenc::vk
