// The per-row activation quantization of the INT8 GEMM (gemm_int8.h) on AVX-512: the same
// formula as the scalar version (the row's range, one IEEE multiply, round to nearest even, plus
// the zero point, clamped), so the same bytes. Built with -mavx512f/bw.
#include <algorithm>
#include <cmath>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVX512_QUANTIZE
// GCC 12 reports its own _mm512_undefined_ps() as uninitialised once inlined (a known false
// positive of the intrinsic headers; simd.h does the same).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

__mmask16 tail_mask(int64_t rest) {
  return rest >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << rest) - 1);
}

void quantize_rows(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1, uint8_t* q,
                   float* scale, int32_t* zero) {
  const __m512i lowest = _mm512_setzero_si512(), highest = _mm512_set1_epi32(255);
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = a + i * k;
    uint8_t* dst = q + i * k_pad;
    __m512 vlo = _mm512_setzero_ps(), vhi = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p += 16) {
      const __m512 x = _mm512_maskz_loadu_ps(tail_mask(k - p), row + p);  // tail lanes: 0
      vlo = _mm512_min_ps(vlo, x);
      vhi = _mm512_max_ps(vhi, x);
    }
    const float lo = _mm512_reduce_min_ps(vlo), hi = _mm512_reduce_max_ps(vhi);
    const Int8RowParams params = int8_row_params(lo, hi);
    const __m512 inv = _mm512_set1_ps(params.inv);
    const __m512i zv = _mm512_set1_epi32(params.zero);
    for (int64_t p = 0; p < k; p += 16) {
      const __mmask16 keep = tail_mask(k - p);
      const __m512 x = _mm512_maskz_loadu_ps(keep, row + p);
      // cvtps rounds as the MXCSR says: to nearest even, like std::nearbyint.
      __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x, inv)), zv);
      v = _mm512_min_epi32(_mm512_max_epi32(v, lowest), highest);
      _mm_mask_storeu_epi8(dst + p, keep, _mm512_cvtepi32_epi8(v));
    }
    std::fill(dst + k, dst + k_pad, static_cast<uint8_t>(params.zero));
    scale[i] = params.scale;
    zero[i] = params.zero;
  }
}

}  // namespace

Int8QuantizeRows int8_quantize_avx512() { return &quantize_rows; }

}  // namespace crossenc::cpu
#else
namespace crossenc::cpu {
Int8QuantizeRows int8_quantize_avx512() { return nullptr; }
}  // namespace crossenc::cpu
#endif
