// The AVX-VNNI INT8 kernel (gemm_int8.h): the 256-bit vpdpbusd of client CPUs (and Zen 5),
// one column block (two ymm of 8 channels) x up to 6 rows. Built with -mavx2 -mavxvnni where the
// compiler knows them.
#include <algorithm>
#include <cstring>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVXVNNI
// GCC 12 reports its own _mm512_undefined_ps() as uninitialised once inlined (a known false
// positive of the intrinsic headers; simd.h does the same).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

template <int R>
void tile(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t i0, int64_t cb) {
  const int64_t groups = w.k_pad / kInt8KGroup;
  const int8_t* wb = w.packed + cb * groups * kInt8Cols * kInt8KGroup;
  const uint8_t* rows = a.q + i0 * w.k_pad;
  __m256i acc[R][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int64_t g = 0; g < groups; ++g) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + g * 64));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + g * 64 + 32));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, rows + r * w.k_pad + g * kInt8KGroup, sizeof four);
      const __m256i av = _mm256_set1_epi32(four);
      acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], av, w0);
      acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], av, w1);
    }
  }
  // Through `sums`: converting straight from acc[][] makes GCC 12 keep acc[][] in memory and
  // store it in every k step (as in the AVX512-VNNI kernel).
  alignas(32) int32_t sums[R][2][8];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums[r][0]), acc[r][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums[r][1]), acc[r][1]);
  }
  const int64_t j0 = cb * kInt8Cols;
  for (int h = 0; h < 2; ++h) {
    const __m256i col_sums =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.col_sums + j0 + 8 * h));
    const __m256 scales = _mm256_loadu_ps(w.scales + j0 + 8 * h);
    for (int r = 0; r < R; ++r) {
      const __m256i sum = _mm256_load_si256(reinterpret_cast<const __m256i*>(sums[r][h]));
      const __m256i zero = _mm256_mullo_epi32(_mm256_set1_epi32(a.zero[i0 + r]), col_sums);
      const __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(sum, zero));
      const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a.scale[i0 + r]), scales);
      alignas(32) float vals[8];
      _mm256_store_ps(vals, _mm256_mul_ps(v, s));
      const int64_t cols = std::min<int64_t>(8, w.n - j0 - 8 * h);
      if (cols > 0) std::memcpy(out + (i0 + r) * ldo + j0 + 8 * h, vals, cols * sizeof(float));
    }
  }
}

void blocks(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0, int64_t r1,
            int64_t cb0, int64_t cb1) {
  for (int64_t cb = cb0; cb < cb1; ++cb) {
    int64_t i = r0;
    for (; i + 6 <= r1; i += 6) tile<6>(a, w, out, ldo, i, cb);
    switch (r1 - i) {
      case 5: tile<5>(a, w, out, ldo, i, cb); break;
      case 4: tile<4>(a, w, out, ldo, i, cb); break;
      case 3: tile<3>(a, w, out, ldo, i, cb); break;
      case 2: tile<2>(a, w, out, ldo, i, cb); break;
      case 1: tile<1>(a, w, out, ldo, i, cb); break;
      default: break;
    }
  }
}

}  // namespace

Int8BlockKernel int8_avxvnni_kernel() { return &blocks; }

}  // namespace crossenc::cpu
#else
namespace crossenc::cpu {
Int8BlockKernel int8_avxvnni_kernel() { return nullptr; }
}  // namespace crossenc::cpu
#endif
