// Bias + activation over a row-major output (the epilogue of the BLAS/Eigen GEMM paths; the own
// GEMM applies it in registers), written once against a SIMD wrapper V (simd.h).
#pragma once

#include <cstdint>

#include "cpu_ops.h"
#include "simd.h"

namespace crossenc::cpu::CROSSENC_SIMD_NS {

template <class V>
struct BiasActivation {
  using F = typename V::F;

  static F apply(F x, Activation act) {
    if (act == Activation::Gelu) return vgelu<V>(x);
    if (act == Activation::Tanh) return vtanh<V>(x);
    return x;
  }

  static void rows(float* out, int64_t ldo, const float* bias, int64_t r0, int64_t r1, int64_t n,
                   Activation act) {
    for (int64_t i = r0; i < r1; ++i) {
      float* row = out + i * ldo;
      int64_t j = 0;
      for (; j + V::kW <= n; j += V::kW) {
        F x = V::load(row + j);
        if (bias) x = V::add(x, V::load(bias + j));
        V::store(row + j, apply(x, act));
      }
      if (j < n) {
        const int rest = static_cast<int>(n - j);
        F x = V::load_part(row + j, rest);
        if (bias) x = V::add(x, V::load_part(bias + j, rest));
        V::store_part(row + j, apply(x, act), rest);
      }
    }
  }

  static void run(float* out, const float* bias, int64_t m, int64_t n, Activation act,
                  ThreadPool& pool) {
    if (act == Activation::None && !bias) return;
    if (m * n < 8192) {
      rows(out, n, bias, 0, m, n, act);
      return;
    }
    pool.parallel_for(
        m, [&](int64_t r0, int64_t r1) { rows(out, n, bias, r0, r1, n, act); }, 32);
  }

  // One block of a larger output (rows ldo floats apart), on the calling thread.
  static void block(float* out, int64_t ldo, const float* bias, int64_t rows_n, int64_t cols,
                    Activation act) {
    if (act == Activation::None && !bias) return;
    rows(out, ldo, bias, 0, rows_n, cols, act);
  }
};

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
