// The AVX512-VNNI INT8 kernel (gemm_int8.h): vpdpbusd, 16 INT32 lanes = 16 output channels,
// register blocks of up to 6 rows x 4 column blocks (24 accumulators). Built with
// -mavx512f/bw/vl/vnni where the compiler knows them.
#include <cstring>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVX512VNNI
// GCC 12 reports its own _mm512_undefined_ps() as uninitialised once inlined (a known false
// positive of the intrinsic headers; simd.h does the same).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

// The accumulators go through `sums` before the epilogue: when the epilogue converts them to
// float straight from acc[][], GCC 12 keeps acc[][] in memory and stores all of them to the
// stack in every k step (a fraction of the vpdpbusd rate). The loops over R and C are unrolled
// by pragma for the same reason.
template <int R, int C>
void tile(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t i0,
          int64_t cb0) {
  const int64_t groups = w.k_pad / kInt8KGroup;
  const int64_t block_bytes = groups * kInt8Cols * kInt8KGroup;
  const int8_t* wb = w.packed + cb0 * block_bytes;
  const uint8_t* rows = a.q + i0 * w.k_pad;
  __m512i acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_si512();
  for (int64_t g = 0; g < groups; ++g) {
    __m512i wv[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) wv[c] = _mm512_loadu_si512(wb + c * block_bytes + g * 64);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, rows + r * w.k_pad + g * kInt8KGroup, sizeof four);
      const __m512i av = _mm512_set1_epi32(four);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], av, wv[c]);
    }
  }
  alignas(64) int32_t sums[R][C][kInt8Cols];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) _mm512_store_si512(sums[r][c], acc[r][c]);
  for (int c = 0; c < C; ++c) {
    const int64_t j0 = (cb0 + c) * kInt8Cols;
    const __mmask16 keep =
        j0 + kInt8Cols <= w.n ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (w.n - j0)) - 1);
    const __m512i col_sums = _mm512_loadu_si512(w.col_sums + j0);
    const __m512 scales = _mm512_loadu_ps(w.scales + j0);
    for (int r = 0; r < R; ++r) {
      const __m512i zero = _mm512_mullo_epi32(_mm512_set1_epi32(a.zero[i0 + r]), col_sums);
      const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_load_si512(sums[r][c]), zero));
      const __m512 s = _mm512_mul_ps(_mm512_set1_ps(a.scale[i0 + r]), scales);
      _mm512_mask_storeu_ps(out + (i0 + r) * ldo + j0, keep, _mm512_mul_ps(v, s));
    }
  }
}

template <int C>
void rows_of(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0,
             int64_t r1, int64_t cb) {
  int64_t i = r0;
  for (; i + 6 <= r1; i += 6) tile<6, C>(a, w, out, ldo, i, cb);
  switch (r1 - i) {
    case 5: tile<5, C>(a, w, out, ldo, i, cb); break;
    case 4: tile<4, C>(a, w, out, ldo, i, cb); break;
    case 3: tile<3, C>(a, w, out, ldo, i, cb); break;
    case 2: tile<2, C>(a, w, out, ldo, i, cb); break;
    case 1: tile<1, C>(a, w, out, ldo, i, cb); break;
    default: break;
  }
}

void blocks(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0, int64_t r1,
            int64_t cb0, int64_t cb1) {
  int64_t cb = cb0;
  for (; cb + 4 <= cb1; cb += 4) rows_of<4>(a, w, out, ldo, r0, r1, cb);
  for (; cb < cb1; ++cb) rows_of<1>(a, w, out, ldo, r0, r1, cb);
}

}  // namespace

Int8BlockKernel int8_avx512vnni_kernel() { return &blocks; }

}  // namespace crossenc::cpu
#else
namespace crossenc::cpu {
Int8BlockKernel int8_avx512vnni_kernel() { return nullptr; }
}  // namespace crossenc::cpu
#endif
