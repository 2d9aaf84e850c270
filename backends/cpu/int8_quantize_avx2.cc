// The per-row activation quantization of the INT8 GEMM (gemm_int8.h) on AVX2: the same formula
// as the scalar version (the row's range, one IEEE multiply, round to nearest even, plus the zero
// point, clamped), so the same bytes. Built with -mavx2.
#include <algorithm>
#include <cmath>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVX2_QUANTIZE
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

void quantize_rows(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1, uint8_t* q,
                   float* scale, int32_t* zero) {
  const __m256i lowest = _mm256_setzero_si256(), highest = _mm256_set1_epi32(255);
  // Byte 0 of each INT32 to the low 4 bytes of each 128-bit lane, then both lanes together.
  const __m256i low_bytes =
      _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0);
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = a + i * k;
    uint8_t* dst = q + i * k_pad;
    __m256 vlo = _mm256_setzero_ps(), vhi = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
      const __m256 x = _mm256_loadu_ps(row + p);
      vlo = _mm256_min_ps(vlo, x);
      vhi = _mm256_max_ps(vhi, x);
    }
    alignas(32) float lanes_lo[8], lanes_hi[8];
    _mm256_store_ps(lanes_lo, vlo);
    _mm256_store_ps(lanes_hi, vhi);
    float lo = 0, hi = 0;
    for (int t = 0; t < 8; ++t) {
      lo = std::min(lo, lanes_lo[t]);
      hi = std::max(hi, lanes_hi[t]);
    }
    for (; p < k; ++p) {
      lo = std::min(lo, row[p]);
      hi = std::max(hi, row[p]);
    }
    const Int8RowParams params = int8_row_params(lo, hi);
    const __m256 inv = _mm256_set1_ps(params.inv);
    const __m256i zv = _mm256_set1_epi32(params.zero);
    for (p = 0; p + 8 <= k; p += 8) {
      // cvtps rounds as the MXCSR says: to nearest even, like std::nearbyint.
      __m256i v =
          _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + p), inv)), zv);
      v = _mm256_min_epi32(_mm256_max_epi32(v, lowest), highest);
      const __m256i b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, low_bytes), lanes);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + p), _mm256_castsi256_si128(b));
    }
    for (; p < k; ++p) dst[p] = int8_quantize_value(row[p], params);
    std::fill(dst + k, dst + k_pad, static_cast<uint8_t>(params.zero));
    scale[i] = params.scale;
    zero[i] = params.zero;
  }
}

}  // namespace

Int8QuantizeRows int8_quantize_avx2() { return &quantize_rows; }

}  // namespace crossenc::cpu
#else
namespace crossenc::cpu {
Int8QuantizeRows int8_quantize_avx2() { return nullptr; }
}  // namespace crossenc::cpu
#endif
