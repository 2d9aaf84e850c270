// Fused residual add + LayerNorm, one pass to sum, one to normalise (two-pass variance).
#include <cmath>

#include "cpu_ops.h"

namespace crossenc::cpu {

namespace {

__attribute__((target_clones("avx512f", "avx2", "default"))) void add_layernorm_rows(
    const float* x, const float* residual, const float* gamma, const float* beta, float eps,
    float* out, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t i = r0; i < r1; ++i) {
    const float* xr = x + i * cols;
    const float* rr = residual + i * cols;
    float* o = out + i * cols;
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      o[j] = xr[j] + rr[j];
      sum += o[j];
    }
    const float mean = sum / static_cast<float>(cols);
    float var = 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      const float d = o[j] - mean;
      var += d * d;
    }
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(cols) + eps);
    for (int64_t j = 0; j < cols; ++j) o[j] = (o[j] - mean) * inv * gamma[j] + beta[j];
  }
}

}  // namespace

void add_layernorm(const float* x, const float* residual, const float* gamma, const float* beta,
                   float eps, float* out, int64_t rows, int64_t cols, ThreadPool& pool) {
  pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
    add_layernorm_rows(x, residual, gamma, beta, eps, out, r0, r1, cols);
  });
}

}  // namespace crossenc::cpu
