// Shape and dtype checks for backend ops: messages name the op and the tensor.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include "crossenc/backend.h"
#include "crossenc/error.h"

namespace crossenc {

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
    throw Error(
        cat(op, ": ", what, " must be f32 (activations are kept in f32), got ", shape_of(t)));
  if ((rows >= 0 && t.rows != rows) || (cols >= 0 && t.cols != cols))
    throw Error(cat(op, ": ", what, " is ", shape_of(t), ", expected [",
                    rows >= 0 ? std::to_string(rows) : "*", " x ",
                    cols >= 0 ? std::to_string(cols) : "*", "]"));
}

// Throws unless a 1-D parameter (any [1 x n] or [n x 1] layout) has n elements.
inline void expect_vector(const char* op, const char* what, const Tensor& t, int64_t n) {
  if (t.numel() != n)
    throw Error(cat(op, ": ", what, " has ", t.numel(), " elements, expected ", n));
}

}  // namespace crossenc
