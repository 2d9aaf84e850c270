// The AVX2 INT8 kernel (gemm_int8.h) for CPUs without VNNI. vpmaddubsw would saturate (two
// products of up to 255 * 127 overflow INT16), so both operands are widened to INT16 and
// multiplied with vpmaddwd, which is exact: the same integers as the VNNI kernels. Built with
// -mavx2.
#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVX2_INT8
// GCC 12 reports its own _mm512_undefined_ps() as uninitialised once inlined (a known false
// positive of the intrinsic headers; simd.h does the same).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

// acc[h]: channels 4h..4h+3 of one half (8 channels), each as two INT32 lanes of partial sums.
template <int R>
void tile(const uint64_t* a16, int64_t groups, const Int8Rows& a, const Int8Weight& w, float* out,
          int64_t ldo, int64_t i0, int64_t local0, int64_t cb) {
  const int8_t* wb = w.packed + cb * groups * kInt8Cols * kInt8KGroup;
  for (int half = 0; half < 2; ++half) {
    __m256i acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (int64_t g = 0; g < groups; ++g) {
      const __m128i* src = reinterpret_cast<const __m128i*>(wb + g * 64 + half * 32);
      const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(src));
      const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(src + 1));
      for (int r = 0; r < R; ++r) {
        const __m256i av = _mm256_set1_epi64x(static_cast<int64_t>(a16[(local0 + r) * groups + g]));
        acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, w0));
        acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, w1));
      }
    }
    const int64_t j0 = cb * kInt8Cols + 8 * half;
    const __m256i col_sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.col_sums + j0));
    const __m256 scales = _mm256_loadu_ps(w.scales + j0);
    for (int r = 0; r < R; ++r) {
      // Pair sums -> channels 0 1 4 5 | 2 3 6 7 -> 0..7.
      const __m256i sums = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][0], acc[r][1]), 0xD8);
      const __m256i zero = _mm256_mullo_epi32(_mm256_set1_epi32(a.zero[i0 + r]), col_sums);
      const __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(sums, zero));
      const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a.scale[i0 + r]), scales);
      alignas(32) float vals[8];
      _mm256_store_ps(vals, _mm256_mul_ps(v, s));
      const int64_t cols = std::min<int64_t>(8, w.n - j0);
      if (cols > 0) std::memcpy(out + (i0 + r) * ldo + j0, vals, cols * sizeof(float));
    }
  }
}

void blocks(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0, int64_t r1,
            int64_t cb0, int64_t cb1) {
  // The rows widened once: each group of 4 u8 becomes 4 INT16 in one 64-bit word.
  const int64_t groups = w.k_pad / kInt8KGroup;
  thread_local std::vector<uint64_t> a16;
  a16.resize(static_cast<size_t>((r1 - r0) * groups));
  for (int64_t i = r0; i < r1; ++i) {
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t* q = a.q + i * w.k_pad + g * kInt8KGroup;
      a16[(i - r0) * groups + g] =
          uint64_t{q[0]} | uint64_t{q[1]} << 16 | uint64_t{q[2]} << 32 | uint64_t{q[3]} << 48;
    }
  }
  for (int64_t cb = cb0; cb < cb1; ++cb) {
    int64_t i = r0;
    for (; i + 4 <= r1; i += 4) tile<4>(a16.data(), groups, a, w, out, ldo, i, i - r0, cb);
    for (; i + 2 <= r1; i += 2) tile<2>(a16.data(), groups, a, w, out, ldo, i, i - r0, cb);
    if (i < r1) tile<1>(a16.data(), groups, a, w, out, ldo, i, i - r0, cb);
  }
}

}  // namespace

Int8BlockKernel int8_avx2_kernel() { return &blocks; }

}  // namespace crossenc::cpu
#else
namespace crossenc::cpu {
Int8BlockKernel int8_avx2_kernel() { return nullptr; }
}  // namespace crossenc::cpu
#endif
