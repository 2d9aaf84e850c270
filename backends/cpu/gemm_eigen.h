// Eigen GEMM out = a · wᵀ, rows split over our pool. Included by gemm.cc (baseline ISA) and by
// the ISA translation units, so Eigen's packets match the flags that unit is built with. Each
// includer defines CROSSENC_SIMD_NS, and the ISA units also rename namespace Eigen (see
// simd_avx512.cc), so no two builds of the same Eigen template share a linker symbol.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

#include "thread_pool.h"

#ifndef CROSSENC_SIMD_NS
#error "define CROSSENC_SIMD_NS before including gemm_eigen.h"
#endif

namespace crossenc::cpu::CROSSENC_SIMD_NS {

inline void gemm_eigen_rows(const float* a, const float* w, float* out, int64_t m, int64_t n,
                            int64_t k, ThreadPool& pool) {
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Split rows of `a` across our pool: Eigen's own threading would need OpenMP.
  pool.parallel_for(
      m,
      [&](int64_t r0, int64_t r1) {
        Eigen::Map<const RowMatrix> A(a + r0 * k, r1 - r0, k);
        Eigen::Map<const RowMatrix> W(w, n, k);
        Eigen::Map<RowMatrix> O(out + r0 * n, r1 - r0, n);
        O.noalias() = A * W.transpose();
      },
      std::max<int64_t>(64, m / (4 * pool.size())));
}

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
