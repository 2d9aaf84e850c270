// Fused residual add + LayerNorm: dispatch to the vector kernel (layernorm_simd.h) or the
// portable version (sum, centred variance, scale: two-pass, like the reference).
#include <cmath>

#include "cpu_ops.h"

namespace crossenc::cpu {

namespace {

void add_layernorm_rows(const float* x, const float* residual, const float* gamma,
                        const float* beta, float eps, float* out, int64_t r0, int64_t r1,
                        int64_t cols) {
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
    for (int64_t j = 0; j < cols; ++j) var += (o[j] - mean) * (o[j] - mean);
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(cols) + eps);
    for (int64_t j = 0; j < cols; ++j) o[j] = (o[j] - mean) * inv * gamma[j] + beta[j];
  }
}

}  // namespace

void add_layernorm(Isa isa, const float* x, const float* residual, const float* gamma,
                   const float* beta, float eps, float* out, int64_t rows, int64_t cols,
                   ThreadPool& pool) {
  if (const SimdKernels* simd = simd_kernels(isa)) {
    simd->add_layernorm(x, residual, gamma, beta, eps, out, rows, cols, pool);
    return;
  }
  pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
    add_layernorm_rows(x, residual, gamma, beta, eps, out, r0, r1, cols);
  });
}

}  // namespace crossenc::cpu
