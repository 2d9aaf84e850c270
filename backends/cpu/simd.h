// SIMD wrappers (AVX-512, AVX2) with the vector math and GEMM tile stores the kernels share.
// Included only by the ISA translation units (simd_avx512.cc, simd_avx2.cc), which are built
// with the matching -m flags; the op templates (*_simd.h) are written once against this API.
//
// Everything here and in *_simd.h lives in namespace crossenc::cpu::CROSSENC_SIMD_NS, which each
// ISA unit names differently: an inline or template symbol compiled with AVX-512 flags must
// never share a name with one from another unit, or the linker may keep the AVX-512 copy for all.
// For the same reason these headers avoid std:: inline math (std::sqrt(float) is an out-of-line
// inline function at -O0) and std::function, and use only integer std::min/max.
#pragma once

// GCC 12 reports its own _mm512_undefined_ps() (`__m512 __Y = __Y;`) as uninitialised once
// inlined into our kernels: a known false positive of the intrinsic headers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <cstdint>

#ifndef CROSSENC_SIMD_NS
#error "define CROSSENC_SIMD_NS (the ISA namespace) before including simd.h"
#endif

namespace crossenc::cpu::CROSSENC_SIMD_NS {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#define CROSSENC_SIMD_AVX512 1

struct Avx512 {
  using F = __m512;
  static constexpr int kW = 16;     // floats per vector
  static constexpr int kRegs = 32;  // vector registers
  static constexpr int kMR = 8;     // GEMM tile: output columns (weight rows) per tile
  static constexpr int kNV = 3;     // GEMM tile: token vectors per tile (48 tokens)
  static constexpr const char* kName = "avx512";

  static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F load_part(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void store_part(float* p, F v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static F keep_first(F v, int n, float fill) {  // lanes >= n replaced by fill
    return _mm512_mask_blend_ps(mask(n), _mm512_set1_ps(fill), v);
  }
  static F load_half(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static F load_half_part(const uint16_t* p, int n) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask(n), p));
  }
  static F load_bf16(const uint16_t* p) {  // BF16 is the top half of an F32
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static F load_bf16_part(const uint16_t* p, int n) {
    const __m256i h = _mm256_maskz_loadu_epi16(mask(n), p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }    // a*b + c
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a*b
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F abs(F a) { return _mm512_abs_ps(a); }
  static F copysign(F mag, F sgn) {  // |mag| with the sign of sgn: bitwise s ? sgn : mag
    const __m512i s = _mm512_set1_epi32(INT32_MIN);
    return _mm512_castsi512_ps(
        _mm512_ternarylogic_epi32(_mm512_castps_si512(mag), _mm512_castps_si512(sgn), s, 0xd8));
  }
  static F round(F a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static F pow2i(F k) {  // 2^k for integral k in [-126, 127]
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static F rcp(F a) {  // 1/a to ~1 ulp: rcp14 + one Newton step
    const F r = _mm512_rcp14_ps(a);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(2.0f)));
  }
  static float reduce_add(F v) { return _mm512_reduce_add_ps(v); }

  // BERT's exact GELU x/2 (1 + erf(x / sqrt 2)) with erf from a table: 16 intervals of 0.25 on
  // [0, 4], a degree-5 polynomial each (least-squares fit, |error| < 7e-8; erf(4) = 1 - 2e-8),
  // coefficients picked per lane with vpermps. ~20 instructions instead of ~40 for erfc + exp.
  static F gelu(F x) {
    alignas(64) static constexpr float kC[6][16] = {
        {2.50062571e-09f, 0.276326388f, 0.520499885f, 0.711155653f, 0.842700779f, 0.92290014f,
         0.966105163f, 0.986671686f, 0.995322287f, 0.998537302f, 0.999593019f, 0.999899387f,
         0.999977887f, 0.999995708f, 0.999999285f, 0.999999881f},
        {0.282094628f, 0.265003115f, 0.219695285f, 0.160732672f, 0.103776999f, 0.0591304712f,
         0.0297327004f, 0.013193788f, 0.00516673271f, 0.00178555306f, 0.000544551294f,
         0.00014655909f, 3.48091417e-05f, 7.29588965e-06f, 1.34947425e-06f, 2.20264639e-07f},
        {1.96697306e-06f, -0.0165578164f, -0.0274576843f, -0.0301361326f, -0.0259456355f,
         -0.0184804294f, -0.0111512272f, -0.00577273965f, -0.00258321874f, -0.00100407796f,
         -0.000340124068f, -0.000100645404f, -2.60609959e-05f, -5.91278331e-06f, -1.17660227e-06f,
         -2.05497301e-07f},
        {-0.00588486204f, -0.00485155825f, -0.00230696634f, 0.0004128117f, 0.00216784421f,
         0.00262720906f, 0.00217457255f, 0.00141083822f, 0.000752869993f, 0.000338121725f,
         0.000129463559f, 4.26036349e-05f, 1.2114956e-05f, 2.98809141e-06f, 6.40981909e-07f,
         1.1978166e-07f},
        {1.35675655e-05f, 0.000535488245f, 0.000751525571f, 0.000600960979f, 0.000259758352f,
         -4.23065467e-05f, -0.000187271653f, -0.000192355234f, -0.000133517809f, -7.19967356e-05f,
         -3.16976439e-05f, -1.16730162e-05f, -3.64590505e-06f, -9.74038926e-07f, -2.23872803e-07f,
         -4.43939534e-08f},
        {0.000101101607f, 4.42637793e-05f, -2.64013379e-05f, -6.51456648e-05f, -5.96300961e-05f,
         -2.99258572e-05f, -2.24956193e-06f, 1.10623159e-05f, 1.21525472e-05f, 8.16441116e-06f,
         4.13696944e-06f, 1.68711551e-06f, 5.70515283e-07f, 1.62520337e-07f, 3.93891533e-08f,
         8.1545295e-09f},
    };
    const F u4 = _mm512_min_ps(_mm512_mul_ps(abs(x), _mm512_set1_ps(2.82842712474619f)),
                               _mm512_set1_ps(16.0f));  // 4 |x| / sqrt 2
    const F fi = _mm512_min_ps(_mm512_roundscale_ps(u4, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
                               _mm512_set1_ps(15.0f));
    const __m512i i = _mm512_cvttps_epi32(fi);
    const F t = _mm512_sub_ps(u4, fi);  // position in the interval, [0, 1]
    F p = _mm512_permutexvar_ps(i, _mm512_load_ps(kC[5]));
    for (int c = 4; c >= 0; --c) {
      p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(i, _mm512_load_ps(kC[c])));
    }
    const F h = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_fmadd_ps(h, copysign(p, x), h);
  }
  static float reduce_max(F v) { return _mm512_reduce_max_ps(v); }

  // Stores an 8-column x 16-token accumulator block (c[r] = column r, lanes = tokens) as
  // row-major output rows out[t * ldo + 0..7]: the GEMM computes outᵀ, this transposes it back
  // in registers (24 shuffles per 128 outputs) instead of through memory.
  static void store_tile_t(const F c[8], float* out, int64_t ldo, int tokens, int cols) {
    const F t0 = _mm512_unpacklo_ps(c[0], c[1]), t1 = _mm512_unpackhi_ps(c[0], c[1]);
    const F t2 = _mm512_unpacklo_ps(c[2], c[3]), t3 = _mm512_unpackhi_ps(c[2], c[3]);
    const F t4 = _mm512_unpacklo_ps(c[4], c[5]), t5 = _mm512_unpackhi_ps(c[4], c[5]);
    const F t6 = _mm512_unpacklo_ps(c[6], c[7]), t7 = _mm512_unpackhi_ps(c[6], c[7]);
    // u[i] / u[4+i]: per 128-bit lane L, columns 0-3 / 4-7 of token 4L+i.
    const F u[8] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xee),
                    _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xee),
                    _mm512_shuffle_ps(t4, t6, 0x44), _mm512_shuffle_ps(t4, t6, 0xee),
                    _mm512_shuffle_ps(t5, t7, 0x44), _mm512_shuffle_ps(t5, t7, 0xee)};
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const __mmask8 cm = static_cast<__mmask8>((1u << cols) - 1u);
    for (int i = 0; i < 4; ++i) {
      const F a = _mm512_permutex2var_ps(u[i], lo, u[4 + i]);  // tokens i, 4+i
      const F b = _mm512_permutex2var_ps(u[i], hi, u[4 + i]);  // tokens 8+i, 12+i
      const __m256 rows[4] = {_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1),
                              _mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1)};
      for (int q = 0; q < 4; ++q) {
        const int t = 4 * q + i;
        if (t >= tokens) continue;
        if (cols == 8) {
          _mm256_storeu_ps(out + t * ldo, rows[q]);
        } else {
          _mm256_mask_storeu_ps(out + t * ldo, cm, rows[q]);
        }
      }
    }
  }

  // Packs a kW x kW block: dst[p * ld_dst + t] = src[t * ld_src + p] (a 16x16 transpose).
  static void transpose_block(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
    F r[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ld_src);
    F t[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {  // rows 4i..4i+3 -> u holds per lane one column, 4 rows
      r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
      r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    // r[4i+j], lane L = column 4L+j of rows 4i..4i+3. Gather the four lanes L of r[j], r[4+j],
    // r[8+j], r[12+j] into output row 4L+j.
    for (int j = 0; j < 4; ++j) {
      const F a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);  // lanes 0,2 | 0,2
      const F b = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
      const F c = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);  // lanes 1,3 | 1,3
      const F d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
      _mm512_storeu_ps(dst + (0 + j) * ld_dst, _mm512_shuffle_f32x4(a, b, 0x88));   // L=0
      _mm512_storeu_ps(dst + (8 + j) * ld_dst, _mm512_shuffle_f32x4(a, b, 0xdd));   // L=2
      _mm512_storeu_ps(dst + (4 + j) * ld_dst, _mm512_shuffle_f32x4(c, d, 0x88));   // L=1
      _mm512_storeu_ps(dst + (12 + j) * ld_dst, _mm512_shuffle_f32x4(c, d, 0xdd));  // L=3
    }
  }
};
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define CROSSENC_SIMD_AVX2 1

struct Avx2 {
  using F = __m256;
  static constexpr int kW = 8;
  static constexpr int kRegs = 16;
  static constexpr int kMR = 4;  // 4 columns x 24 tokens: 12 accumulators of 16 registers
  static constexpr int kNV = 3;
  static constexpr const char* kName = "avx2";

  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F load_part(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void store_part(float* p, F v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static F keep_first(F v, int n, float fill) {
    return _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(mask(n)));
  }
  static F load_half(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F load_half_part(const uint16_t* p, int n) {
    alignas(16) uint16_t tmp[8] = {};
    for (int i = 0; i < n; ++i) tmp[i] = p[i];
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(tmp)));
  }
  static F load_bf16(const uint16_t* p) {  // BF16 is the top half of an F32
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static F load_bf16_part(const uint16_t* p, int n) {
    alignas(16) uint16_t tmp[8] = {};
    for (int i = 0; i < n; ++i) tmp[i] = p[i];
    return load_bf16(tmp);
  }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static F copysign(F mag, F sgn) {
    const F s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
  }
  static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F pow2i(F k) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static F rcp(F a) {  // rcp (12 bits) + one Newton step: ~23 bits
    const F r = _mm256_rcp_ps(a);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(a, r, _mm256_set1_ps(2.0f)));
  }
  static float reduce_add(F v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(F v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  // 4-column x 8-token block -> 8 output rows of 4 columns (see Avx512::store_tile_t).
  static void store_tile_t(const F c[4], float* out, int64_t ldo, int tokens, int cols) {
    const F t0 = _mm256_unpacklo_ps(c[0], c[1]), t1 = _mm256_unpackhi_ps(c[0], c[1]);
    const F t2 = _mm256_unpacklo_ps(c[2], c[3]), t3 = _mm256_unpackhi_ps(c[2], c[3]);
    const F u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xee),
                    _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xee)};
    const __m128i cm = _mm_cmpgt_epi32(_mm_set1_epi32(cols), _mm_setr_epi32(0, 1, 2, 3));
    for (int i = 0; i < 4; ++i) {
      const __m128 rows[2] = {_mm256_castps256_ps128(u[i]), _mm256_extractf128_ps(u[i], 1)};
      for (int q = 0; q < 2; ++q) {
        const int t = 4 * q + i;
        if (t >= tokens) continue;
        if (cols == 4) {
          _mm_storeu_ps(out + t * ldo, rows[q]);
        } else {
          _mm_maskstore_ps(out + t * ldo, cm, rows[q]);
        }
      }
    }
  }

  // dst[p * ld_dst + t] = src[t * ld_src + p] for an 8x8 block.
  static void transpose_block(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
    F r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld_src);
    const F t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const F t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const F t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const F t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const F u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const F u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const F u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const F u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    _mm256_storeu_ps(dst + 0 * ld_dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ld_dst, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ld_dst, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ld_dst, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ld_dst, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ld_dst, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ld_dst, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ld_dst, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
};
#endif

// ---- vector math, the same formulas as vec_math.h (|rel err| ~ 1e-7) ----

// exp(x): x = k ln2 + r, degree-6 polynomial on r (Cephes expf), 2^k through the exponent bits.
template <class V>
typename V::F vexp(typename V::F x) {
  using F = typename V::F;
  x = V::min(V::max(x, V::set1(-87.0f)), V::set1(88.0f));
  const F k = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  F r = V::fnmadd(k, V::set1(0.693359375f), x);
  r = V::fnmadd(k, V::set1(-2.12194440e-4f), r);
  F p = V::set1(1.9875691500e-4f);
  p = V::fmadd(p, r, V::set1(1.3981999507e-3f));
  p = V::fmadd(p, r, V::set1(8.3334519073e-3f));
  p = V::fmadd(p, r, V::set1(4.1665795894e-2f));
  p = V::fmadd(p, r, V::set1(1.6666665459e-1f));
  p = V::fmadd(p, r, V::set1(5.0000001201e-1f));
  p = V::fmadd(V::mul(p, r), r, V::add(r, V::set1(1.0f)));
  return V::mul(p, V::pow2i(k));
}

// erf(x) = 1 - erfc(|x|), Numerical Recipes' Chebyshev erfc (rel err < 1.2e-7).
template <class V>
typename V::F verf(typename V::F x) {
  using F = typename V::F;
  const F z = V::abs(x);
  const F t = V::rcp(V::fmadd(z, V::set1(0.5f), V::set1(1.0f)));
  F p = V::set1(0.17087277f);
  p = V::fmadd(p, t, V::set1(-0.82215223f));
  p = V::fmadd(p, t, V::set1(1.48851587f));
  p = V::fmadd(p, t, V::set1(-1.13520398f));
  p = V::fmadd(p, t, V::set1(0.27886807f));
  p = V::fmadd(p, t, V::set1(-0.18628806f));
  p = V::fmadd(p, t, V::set1(0.09678418f));
  p = V::fmadd(p, t, V::set1(0.37409196f));
  p = V::fmadd(p, t, V::set1(1.00002368f));
  p = V::fmadd(p, t, V::set1(-1.26551223f));
  const F erfc = V::mul(t, vexp<V>(V::fnmadd(z, z, p)));
  return V::copysign(V::sub(V::set1(1.0f), erfc), x);
}

// BERT's exact GELU: x/2 (1 + erf(x / sqrt 2)); the wrapper's table version where it has one.
template <class V>
typename V::F vgelu(typename V::F x) {
  if constexpr (requires { V::gelu(x); }) {
    return V::gelu(x);
  } else {
    const auto h = V::mul(x, V::set1(0.5f));
    return V::fmadd(h, verf<V>(V::mul(x, V::set1(0.70710678118654752f))), h);
  }
}

// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)); absolute error ~1e-7.
template <class V>
typename V::F vtanh(typename V::F x) {
  using F = typename V::F;
  const F e = vexp<V>(V::mul(V::abs(x), V::set1(2.0f)));
  const F q = V::mul(V::set1(2.0f), V::rcp(V::add(e, V::set1(1.0f))));
  return V::copysign(V::sub(V::set1(1.0f), q), x);
}

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
