// Residual add + LayerNorm, one row at a time in L1: sum, then centred variance (two-pass, as
// accurate as the reference), then scale; written once against a SIMD wrapper V (simd.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "cpu_ops.h"
#include "simd.h"

namespace crossenc::cpu::CROSSENC_SIMD_NS {

template <class V>
struct LayerNorm {
  using F = typename V::F;

  // Normalises o[0, cols) in place given its sum; gamma/beta F32.
  static void normalise(float* o, float sum, const float* gamma, const float* beta, float eps,
                        int64_t cols) {
    const float mean = sum / static_cast<float>(cols);
    const F vmean = V::set1(mean);
    F acc = V::zero();
    int64_t j = 0;
    for (; j + V::kW <= cols; j += V::kW) {
      const F d = V::sub(V::load(o + j), vmean);
      acc = V::fmadd(d, d, acc);
    }
    float var = V::reduce_add(acc);
    for (; j < cols; ++j) var += (o[j] - mean) * (o[j] - mean);
    const float inv = 1.0f / __builtin_sqrtf(var / static_cast<float>(cols) + eps);  // see simd.h
    const F vinv = V::set1(inv);
    j = 0;
    for (; j + V::kW <= cols; j += V::kW) {
      const F y = V::mul(V::sub(V::load(o + j), vmean), vinv);
      V::store(o + j, V::fmadd(y, V::load(gamma + j), V::load(beta + j)));
    }
    for (; j < cols; ++j) o[j] = (o[j] - mean) * inv * gamma[j] + beta[j];
  }

  static void rows(const float* x, const float* residual, const float* gamma, const float* beta,
                   float eps, float* out, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* xr = x + i * cols;
      const float* rr = residual + i * cols;
      float* o = out + i * cols;
      F acc = V::zero();
      int64_t j = 0;
      for (; j + V::kW <= cols; j += V::kW) {
        const F s = V::add(V::load(xr + j), V::load(rr + j));
        V::store(o + j, s);
        acc = V::add(acc, s);
      }
      float sum = V::reduce_add(acc);
      for (; j < cols; ++j) {
        o[j] = xr[j] + rr[j];
        sum += o[j];
      }
      normalise(o, sum, gamma, beta, eps, cols);
    }
  }

  static void run(const float* x, const float* residual, const float* gamma, const float* beta,
                  float eps, float* out, int64_t rows_n, int64_t cols, ThreadPool& pool) {
    if (rows_n * cols < 8192) {
      rows(x, residual, gamma, beta, eps, out, 0, rows_n, cols);
      return;
    }
    pool.parallel_for(
        rows_n,
        [&](int64_t r0, int64_t r1) { rows(x, residual, gamma, beta, eps, out, r0, r1, cols); },
        64);
  }
};

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
