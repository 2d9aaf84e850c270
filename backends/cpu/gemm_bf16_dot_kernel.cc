// The vector code of the AVX512-BF16 dot-product GEMM (gemm_bf16_dot.h), built with
// -mavx512bf16 and the AVX-512 flags where the compiler knows them (CROSSENC_HAVE_AVX512_BF16).
// Only reached once bf16_dot_available() said yes; like simd_avx512.cc it uses no std:: inline
// code, so nothing built here with these flags can be linked into a caller on an older CPU.
#define CROSSENC_SIMD_NS bf16dot
#include <cstring>

#include "crossenc/error.h"
#include "gemm_bf16_dot.h"

#if defined(CROSSENC_HAVE_AVX512_BF16)
#include "gemm_simd.h"  // ScratchBuffer
#include "simd.h"

namespace crossenc::cpu {
namespace bf16dot {
namespace {

using V = Avx512;
constexpr int kRows = 8;                   // activation rows per tile
constexpr int kVecs = kBf16DotPanel / 16;  // column vectors per tile (one packed panel)

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Thread-local BF16 copy of one block of activation rows, [kBf16DotRowBlock x kp].
uint16_t* row_buffer(int64_t kp) {
  thread_local ScratchBuffer buf;
  return reinterpret_cast<uint16_t*>(buf.get(static_cast<size_t>(kBf16DotRowBlock * kp + 1) / 2));
}

// Rows [r0, r0 + kBf16DotRowBlock) of a (F32 [m x k]) rounded to BF16 (nearest even) into dst
// [kBf16DotRowBlock x kp], zero padded.
void convert_rows(const float* a, int64_t m, int64_t k, int64_t kp, int64_t r0, uint16_t* dst) {
  for (int64_t i = 0; i < kBf16DotRowBlock; ++i) {
    uint16_t* d = dst + i * kp;
    if (r0 + i >= m) {
      std::memset(d, 0, static_cast<size_t>(kp) * 2);
      continue;
    }
    const float* s = a + (r0 + i) * k;
    for (int64_t p = 0; p < kp; p += 32) {
      const int64_t rest = k - p;
      const __m512 lo = _mm512_maskz_loadu_ps(V::mask(static_cast<int>(min64(rest, 16))), s + p);
      const __m512 hi =
          rest <= 16
              ? _mm512_setzero_ps()
              : _mm512_maskz_loadu_ps(V::mask(static_cast<int>(min64(rest - 16, 16))), s + p + 16);
      const __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
      const int64_t left = kp - p;  // the row buffer ends at kp: write only what is inside
      if (left >= 32) {
        _mm512_storeu_si512(d + p, reinterpret_cast<const __m512i&>(v));
      } else {
        _mm512_mask_storeu_epi16(d + p, static_cast<__mmask32>((uint64_t{1} << left) - 1),
                                 reinterpret_cast<const __m512i&>(v));
      }
    }
  }
}

// kRows rows of the row buffer (row stride kp) x one packed panel over all k pairs; then bias,
// activation and a store of the valid rows x cols into out.
void tile(const uint16_t* arows, int64_t kp, const uint16_t* panel, const float* bias,
          Activation act, float* out, int64_t ldo, int rows, int cols) {
  __m512 acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const int64_t pairs = kp / 2;
  for (int64_t p = 0; p < pairs; ++p) {
    __m512bh w[kVecs];
    for (int v = 0; v < kVecs; ++v) {
      const __m512i x = _mm512_loadu_si512(panel + p * 2 * kBf16DotPanel + v * 32);
      w[v] = reinterpret_cast<const __m512bh&>(x);
    }
    for (int r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, arows + r * kp + 2 * p, sizeof(pair));
      const __m512i b = _mm512_set1_epi32(pair);
      const __m512bh x = reinterpret_cast<const __m512bh&>(b);
      for (int v = 0; v < kVecs; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], x, w[v]);
    }
  }
  __m512 bv[kVecs];
  for (int v = 0; v < kVecs; ++v) {
    const int width = static_cast<int>(min64(cols - v * 16, 16));
    bv[v] = bias && width > 0 ? V::load_part(bias + v * 16, width) : V::zero();
  }
  for (int r = 0; r < rows; ++r) {
    for (int v = 0; v < kVecs; ++v) {
      const int width = static_cast<int>(min64(cols - v * 16, 16));
      if (width <= 0) break;
      V::F x = V::add(acc[r][v], bv[v]);
      if (act == Activation::Gelu)
        x = vgelu<V>(x);
      else if (act == Activation::Tanh)
        x = vtanh<V>(x);
      if (width == 16)
        V::store(out + r * ldo + v * 16, x);
      else
        V::store_part(out + r * ldo + v * 16, x, width);
    }
  }
}

}  // namespace
}  // namespace bf16dot

bool bf16_dot_kernel_built() { return true; }

void bf16_dot_blocks(const float* a, const uint16_t* packed, const float* bias, Activation act,
                     float* out, int64_t m, int64_t n, int64_t k, int64_t rb0, int64_t rb1,
                     int64_t cp0, int64_t cp1) {
  using bf16dot::kRows;
  const int64_t kp = (k + 1) / 2 * 2;
  uint16_t* abuf = bf16dot::row_buffer(kp);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    const int64_t r0 = rb * kBf16DotRowBlock;
    const int64_t block_rows = bf16dot::min64(kBf16DotRowBlock, m - r0);
    bf16dot::convert_rows(a, m, k, kp, r0, abuf);
    // A panel (48 columns x k, 36 KB at k = 384) stays in L1/L2 while the block's rows pass.
    for (int64_t cp = cp0; cp < cp1; ++cp) {
      const int64_t j0 = cp * kBf16DotPanel;
      const int cols = static_cast<int>(bf16dot::min64(kBf16DotPanel, n - j0));
      const uint16_t* panel = packed + cp * kBf16DotPanel * kp;
      for (int64_t i = 0; i < block_rows; i += kRows) {
        const int rows = static_cast<int>(bf16dot::min64(kRows, block_rows - i));
        bf16dot::tile(abuf + i * kp, kp, panel, bias ? bias + j0 : nullptr, act,
                      out + (r0 + i) * n + j0, n, rows, cols);
      }
    }
  }
}

}  // namespace crossenc::cpu

#else  // no AVX512-BF16 in this build

namespace crossenc::cpu {
bool bf16_dot_kernel_built() { return false; }
void bf16_dot_blocks(const float*, const uint16_t*, const float*, Activation, float*, int64_t,
                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
  throw Error("AVX512-BF16 GEMM not built");
}
}  // namespace crossenc::cpu

#endif
