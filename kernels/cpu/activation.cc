// GEMM epilogue: bias add plus GELU/tanh in one pass over the output.
#include <cmath>

#include "cpu_ops.h"
#include "vec_math.h"

namespace crossenc::cpu {

namespace {

__attribute__((target_clones("avx512f", "avx2", "default"))) void bias_gelu_rows(
    float* out, const float* bias, int64_t r0, int64_t r1, int64_t n) {
  for (int64_t i = r0; i < r1; ++i) {
    float* row = out + i * n;
    if (bias) {
      for (int64_t j = 0; j < n; ++j) row[j] = gelu(row[j] + bias[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] = gelu(row[j]);
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void bias_rows(
    float* out, const float* bias, int64_t r0, int64_t r1, int64_t n) {
  for (int64_t i = r0; i < r1; ++i) {
    float* row = out + i * n;
    for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
  }
}

}  // namespace

void bias_activation(float* out, const float* bias, int64_t m, int64_t n, Activation act,
                     ThreadPool& pool) {
  switch (act) {
    case Activation::Gelu:
      pool.parallel_for(m, [&](int64_t r0, int64_t r1) { bias_gelu_rows(out, bias, r0, r1, n); });
      return;
    case Activation::Tanh:  // only the pooler's few rows: scalar is fine
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          out[i * n + j] = std::tanh(out[i * n + j] + (bias ? bias[j] : 0.0f));
        }
      }
      return;
    case Activation::None:
      if (bias) pool.parallel_for(m, [&](int64_t r0, int64_t r1) { bias_rows(out, bias, r0, r1, n); });
      return;
  }
}

}  // namespace crossenc::cpu
