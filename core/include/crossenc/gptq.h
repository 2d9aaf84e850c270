// GPTQ rounding of INT8 weights (Frantar et al., 2022) on the same grid as quantize_rows_int8:
// the same per-row scales, so the file, the kernels and the inference cost are unchanged; only
// which of the two nearest levels each weight takes. Each input column's rounding error is
// spread over the columns not yet rounded, weighted by the layer's input statistics, so that
// the GEMM's output on inputs like the calibration ones moves least.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace crossenc {

// Sum of xᵀx over the rows x [1 x k] a GEMM read during calibration, and how many rows.
struct InputGram {
  int64_t k = 0;
  int64_t rows = 0;
  std::vector<double> sum;  // k x k, row-major, symmetric

  explicit InputGram(int64_t cols = 0) : k(cols), sum(static_cast<size_t>(cols * cols)) {}
  // Adds the rows of x [m x k] (row-major floats).
  void add_rows(const float* x, int64_t m);
};

// Per .cenc weight name (e.g. "layer.0.attn.qkv.weight"): the Gram of that GEMM's inputs.
using InputGrams = std::map<std::string, InputGram>;

// Rounds w [n x k] like quantize_rows_int8 (same scales, same [-127, 127] range) but in GPTQ's
// order: column c rounded, its error pushed onto columns > c through the Cholesky factor of
// the inverse of gram + damp * mean(diag) * I. Input columns the calibration never excited
// (zero diagonal) are rounded to nearest. Throws Error on a non-finite weight or a Gram of
// another width.
void quantize_rows_int8_gptq(const float* w, int64_t n, int64_t k, const InputGram& gram, int8_t* q,
                             float* scales, double damp = 0.01);

}  // namespace crossenc
