// The AMX tile code of the BF16 GEMM (gemm_amx.h), built with -mamx-tile
// -mamx-bf16 and the AVX-512 flags where the compiler knows them (CROSSENC_HAVE_AMX). Only reached
// once amx_available() said yes; like simd_avx512.cc it uses no std:: inline code, so nothing built
// here with these flags can be linked into a caller on an older CPU (hence no crossenc/half.h:
// its inline conversions are shared with every other file).
#define CROSSENC_SIMD_NS amx
#include <cstring>

#include "crossenc/error.h"
#include "gemm_amx.h"

#if defined(CROSSENC_HAVE_AMX)
#include "gemm_simd.h"  // ScratchBuffer
#include "simd.h"

namespace crossenc::cpu {
namespace amx {
namespace {

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Palette 1, all eight tiles 16 rows x 64 bytes; loaded once per thread.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

void configure_tiles() {
  thread_local bool configured = false;
  if (configured) return;
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  configured = true;
}

// Thread-local BF16 copy of one block of 32 activation rows, [32 x kp] (the F32 scratch of the
// other kernels, viewed as 16-bit elements).
uint16_t* row_buffer(int64_t kp) {
  thread_local ScratchBuffer buf;
  return reinterpret_cast<uint16_t*>(buf.get(static_cast<size_t>(kAmxBlock * kp + 1) / 2));
}

// Rows [r0, r0 + 32) of a (F32 [m x k]) rounded to BF16 into dst [32 x kp], zero padded.
void convert_rows(const float* a, int64_t m, int64_t k, int64_t kp, int64_t r0, uint16_t* dst) {
  for (int64_t i = 0; i < kAmxBlock; ++i) {
    uint16_t* d = dst + i * kp;
    if (r0 + i >= m) {
      std::memset(d, 0, static_cast<size_t>(kp) * 2);
      continue;
    }
    const float* s = a + (r0 + i) * k;
    for (int64_t p = 0; p < kp; p += 32) {  // the last chunk reads only up to k, zero past it
      const int64_t rest = k - p;
      const __m512 lo =
          _mm512_maskz_loadu_ps(Avx512::mask(static_cast<int>(min64(rest, 16))), s + p);
      const __m512 hi = rest <= 16
                            ? _mm512_setzero_ps()
                            : _mm512_maskz_loadu_ps(
                                  Avx512::mask(static_cast<int>(min64(rest - 16, 16))), s + p + 16);
      const __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
      _mm512_storeu_si512(d + p, reinterpret_cast<const __m512i&>(v));
    }
  }
}

// Accumulates the block's rows (abuf) x packed column tiles jb and jb + 1 over all of k into tiles
// 0-3, which start at the bias (a tile load with stride 0 repeats one row).
void block_product(const uint16_t* abuf, int64_t kp, const uint16_t* packed, int64_t jb,
                   const float* bias32) {
  const int64_t kbs = kp / kAmxTileK, stride = kp * 2;
  const uint16_t* b0 = packed + jb * kbs * kAmxTileElems;
  const uint16_t* b1 = b0 + kbs * kAmxTileElems;
  if (bias32) {
    _tile_loadd(0, bias32, 0);
    _tile_loadd(1, bias32 + 16, 0);
    _tile_loadd(2, bias32, 0);
    _tile_loadd(3, bias32 + 16, 0);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t kb = 0; kb < kbs; ++kb) {
    _tile_loadd(4, abuf + kb * kAmxTileK, stride);
    _tile_loadd(5, abuf + 16 * kp + kb * kAmxTileK, stride);
    _tile_loadd(6, b0 + kb * kAmxTileElems, 64);
    _tile_loadd(7, b1 + kb * kAmxTileElems, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
}

// Stores tiles 0-3 (32 x 32) at c with a row stride of ldc floats.
void store_block(float* c, int64_t ldc) {
  const int64_t bytes = ldc * 4;
  _tile_stored(0, c, bytes);
  _tile_stored(1, c + 16, bytes);
  _tile_stored(2, c + 16 * ldc, bytes);
  _tile_stored(3, c + 16 * ldc + 16, bytes);
}

// out[rows x cols] (row stride ldo) = act(c) (row stride 32).
void activate(const float* c, int64_t rows, int64_t cols, Activation act, float* out, int64_t ldo) {
  using V = Avx512;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; j += 16) {
      const int width = static_cast<int>(min64(cols - j, 16));
      V::F v = V::load(c + i * kAmxBlock + j);
      if (act == Activation::Gelu)
        v = vgelu<V>(v);
      else if (act == Activation::Tanh)
        v = vtanh<V>(v);
      if (width == 16)
        V::store(out + i * ldo + j, v);
      else
        V::store_part(out + i * ldo + j, v, width);
    }
  }
}

// One 32 x 32 block of out at (r0, j0): full blocks without an activation go from the tiles
// straight into out; the others through a local buffer (a load right after a tile store to the same
// line is slow), of which only the valid part is written.
void output_block(const uint16_t* abuf, int64_t kp, const uint16_t* packed, const float* bias,
                  Activation act, float* out, int64_t m, int64_t n, int64_t r0, int64_t jp) {
  const int64_t j0 = jp * kAmxBlock;
  const int64_t rows = min64(kAmxBlock, m - r0), cols = min64(kAmxBlock, n - j0);
  alignas(64) float bias32[kAmxBlock];
  const float* b = bias;
  if (bias && cols < kAmxBlock) {  // never read past the end of bias
    for (int64_t j = 0; j < kAmxBlock; ++j) bias32[j] = j < cols ? bias[j0 + j] : 0.0f;
    b = bias32;
  } else if (bias) {
    b = bias + j0;
  }
  block_product(abuf, kp, packed, 2 * jp, b);
  if (rows == kAmxBlock && cols == kAmxBlock && act == Activation::None) {
    store_block(out + r0 * n + j0, n);
    return;
  }
  alignas(64) float c[kAmxBlock * kAmxBlock];
  store_block(c, kAmxBlock);
  activate(c, rows, cols, act, out + r0 * n + j0, n);
}

}  // namespace
}  // namespace amx

bool amx_kernel_built() { return true; }

void amx_gemm_blocks(const float* a, const uint16_t* packed, const float* bias, Activation act,
                     float* out, int64_t m, int64_t n, int64_t k, int64_t rb0, int64_t rb1,
                     int64_t jp0, int64_t jp1) {
  amx::configure_tiles();
  const int64_t kp = (k + kAmxTileK - 1) / kAmxTileK * kAmxTileK;
  uint16_t* abuf = amx::row_buffer(kp);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    amx::convert_rows(a, m, k, kp, rb * kAmxBlock, abuf);
    for (int64_t jp = jp0; jp < jp1; ++jp) {
      amx::output_block(abuf, kp, packed, bias, act, out, m, n, rb * kAmxBlock, jp);
    }
  }
}

}  // namespace crossenc::cpu

#else  // no AMX in this build

namespace crossenc::cpu {
bool amx_kernel_built() { return false; }
void amx_gemm_blocks(const float*, const uint16_t*, const float*, Activation, float*, int64_t,
                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
  throw Error("AMX GEMM not built");
}
}  // namespace crossenc::cpu

#endif
