// The per-row activation quantization of the INT8 GEMM (gemm_int8.h) on AVX2: the same formula
// as the scalar version (max |a|, one IEEE multiply, round to nearest even, +128), so the same
// bytes. Built with -mavx2.
#include <algorithm>
#include <cmath>

#include "gemm_int8.h"

#ifdef CROSSENC_HAVE_AVX2_QUANTIZE
#include <immintrin.h>

namespace crossenc::cpu {
namespace {

void quantize_rows(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1, uint8_t* q,
                   float* scale) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i offset = _mm256_set1_epi32(128);
  // Byte 0 of each INT32 to the low 4 bytes of each 128-bit lane, then both lanes together.
  const __m256i low_bytes =
      _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0);
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = a + i * k;
    uint8_t* dst = q + i * k_pad;
    __m256 vmax = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
      vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + p)));
    }
    alignas(32) float lanes_max[8];
    _mm256_store_ps(lanes_max, vmax);
    float m = 0;
    for (float v : lanes_max) m = std::max(m, v);
    for (; p < k; ++p) m = std::max(m, std::fabs(row[p]));
    const float inv_s = m > 0 ? 127.0f / m : 0.0f;
    const __m256 inv = _mm256_set1_ps(inv_s);
    for (p = 0; p + 8 <= k; p += 8) {
      // cvtps rounds as the MXCSR says: to nearest even, like std::nearbyint.
      const __m256i v = _mm256_add_epi32(
          _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + p), inv)), offset);
      const __m256i b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, low_bytes), lanes);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + p), _mm256_castsi256_si128(b));
    }
    for (; p < k; ++p) {
      dst[p] = static_cast<uint8_t>(static_cast<int>(std::nearbyint(row[p] * inv_s)) + 128);
    }
    std::fill(dst + k, dst + k_pad, uint8_t{128});
    scale[i] = m / 127.0f;
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
