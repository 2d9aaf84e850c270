// Shape and dtype checks shared by the Vulkan op files (messages name the op and tensor).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include "crossenc/backend.h"
#include "crossenc/error.h"

namespace crossenc::vk {

// String building by appending (g++ 12 reports false -Wrestrict on "literal" + std::string&&).
inline void append_piece(std::string& s, std::string_view v) { s.append(v); }
template <std::integral T>
void append_piece(std::string& s, T v) {
  s += std::to_string(v);
}
template <typename... Args>
std::string cat(const Args&... args) {
  std::string s;
  (append_piece(s, args), ...);
  return s;
}

inline std::string shape_of(const Tensor& t) {
  return cat("[", t.rows, " x ", t.cols, " ", dtype_name(t.dtype), "]");
}

// Throws unless t is an F32 activation of the given shape (-1: any).
inline void expect_activation(const char* op, const char* what, const Tensor& t, int64_t rows,
                              int64_t cols) {
  if (t.dtype != DType::F32)
    throw Error(cat("vulkan ", op, ": ", what, " must be f32 (activations are kept in f32), got ",
                    shape_of(t)));
  if ((rows >= 0 && t.rows != rows) || (cols >= 0 && t.cols != cols))
    throw Error(cat("vulkan ", op, ": ", what, " is ", shape_of(t), ", expected [",
                    rows >= 0 ? std::to_string(rows) : "*", " x ",
                    cols >= 0 ? std::to_string(cols) : "*", "]"));
}

// Throws unless a 1-D parameter (any [1 x n] or [n x 1] layout) has n elements.
inline void expect_vector(const char* op, const char* what, const Tensor& t, int64_t n) {
  if (t.numel() != n)
    throw Error(cat("vulkan ", op, ": ", what, " has ", t.numel(), " elements, expected ", n));
}

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
