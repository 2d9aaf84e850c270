// GEMM epilogue for the library paths: bias add plus GELU/tanh in one pass over the output.
#include <cmath>

#include "cpu_ops.h"
#include "vec_math.h"

namespace crossenc::cpu {

namespace {

// Portable version (the reference path): plain loops over the scalar formulas.
void bias_activation_rows(float* out, int64_t ldo, const float* bias, int64_t r0, int64_t r1,
                          int64_t n, Activation act) {
  for (int64_t i = r0; i < r1; ++i) {
    float* row = out + i * ldo;
    for (int64_t j = 0; j < n; ++j) {
      const float x = row[j] + (bias ? bias[j] : 0.0f);
      row[j] = act == Activation::Gelu ? gelu(x) : act == Activation::Tanh ? std::tanh(x) : x;
    }
  }
}

}  // namespace

void bias_activation(Isa isa, float* out, const float* bias, int64_t m, int64_t n, Activation act,
                     ThreadPool& pool) {
  if (const SimdKernels* simd = simd_kernels(isa)) {
    simd->bias_activation(out, bias, m, n, act, pool);
    return;
  }
  if (act == Activation::None && !bias) return;
  pool.parallel_for(
      m, [&](int64_t r0, int64_t r1) { bias_activation_rows(out, n, bias, r0, r1, n, act); });
}

void bias_activation_block(Isa isa, float* out, int64_t ldo, const float* bias, int64_t rows,
                           int64_t cols, Activation act) {
  if (const SimdKernels* simd = simd_kernels(isa)) {
    simd->bias_activation_block(out, ldo, bias, rows, cols, act);
    return;
  }
  if (act == Activation::None && !bias) return;
  bias_activation_rows(out, ldo, bias, 0, rows, cols, act);
}

}  // namespace crossenc::cpu
