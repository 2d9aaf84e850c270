// GEMM out = a · wᵀ through OpenBLAS (cblas), Eigen, or a plain reference loop.
#include <cblas.h>

#include <Eigen/Core>
#include <cstring>
#include <string>

#include "cpu_ops.h"
#include "crossenc/error.h"

#ifndef CROSSENC_DEFAULT_GEMM
#define CROSSENC_DEFAULT_GEMM "blas"
#endif

namespace crossenc::cpu {

GemmPath parse_gemm_path(const char* name) {
  std::string s = name ? name : "auto";
  if (s == "auto" || s.empty()) s = CROSSENC_DEFAULT_GEMM;
  if (s == "blas" || s == "openblas") return GemmPath::Blas;
  if (s == "eigen") return GemmPath::Eigen;
  if (s == "reference") return GemmPath::Reference;
  throw Error("unknown CPU GEMM path '" + s + "' (expected auto, blas, eigen or reference)");
}

const char* gemm_path_name(GemmPath path) {
  switch (path) {
    case GemmPath::Blas: return "blas";
    case GemmPath::Eigen: return "eigen";
    case GemmPath::Reference: return "reference";
  }
  return "?";
}

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void gemm_eigen(const float* a, const float* w, float* out, int64_t m, int64_t n, int64_t k,
                ThreadPool& pool) {
  // Split rows of `a` across our pool: Eigen's own threading would need OpenMP.
  const int64_t blocks = std::min<int64_t>(pool.size(), (m + 15) / 16);
  pool.parallel_for(blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = m * b / blocks, r1 = m * (b + 1) / blocks;
      if (r0 == r1) continue;
      Eigen::Map<const RowMatrix> A(a + r0 * k, r1 - r0, k);
      Eigen::Map<const RowMatrix> W(w, n, k);
      Eigen::Map<RowMatrix> O(out + r0 * n, r1 - r0, n);
      O.noalias() = A * W.transpose();
    }
  });
}

void gemm_reference(const float* a, const float* w, float* out, int64_t m, int64_t n, int64_t k,
                    ThreadPool& pool) {
  pool.parallel_for(m, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * w[j * k + p];
        out[i * n + j] = static_cast<float>(acc);
      }
    }
  });
}

}  // namespace

void gemm(GemmPath path, const float* a, const float* w, float* out, int64_t m, int64_t n,
          int64_t k, ThreadPool& pool) {
  if (m == 0 || n == 0) return;
  switch (path) {
    case GemmPath::Blas:
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
                  static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a,
                  static_cast<blasint>(k), w, static_cast<blasint>(k), 0.0f, out,
                  static_cast<blasint>(n));
      return;
    case GemmPath::Eigen: gemm_eigen(a, w, out, m, n, k, pool); return;
    case GemmPath::Reference: gemm_reference(a, w, out, m, n, k, pool); return;
  }
}

}  // namespace crossenc::cpu
