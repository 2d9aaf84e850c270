// gemm: out = act(a · wᵀ + bias); a [m x k] f32, w [n x k] f32/f16, out [m x n] f32.
// 64x64 output tile per workgroup of 256 threads, 4x4 outputs per thread, k in steps of 16
// through shared memory; FP32 accumulation. Variants: ACT_GELU / ACT_TANH epilogue, HAS_F16.
#version 450
#extension GL_GOOGLE_include_directive : require

#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4
#define THREADS 256  // (BM / TM) * (BN / TN)
layout(local_size_x = THREADS) in;

layout(push_constant) uniform PushConstants {
  uint m;
  uint n;
  uint k;
  uint a_off;
  uint w_off;
  uint bias_off;
  uint out_off;
  uint has_bias;
  uint f16_mask;  // bit 0 w, 1 bias
} pc;

#include "common.glsl"

layout(binding = 0) readonly buffer A { float a[]; };
DECLARE_WEIGHT(1, w)
DECLARE_WEIGHT(2, bias)
layout(binding = 3) writeonly buffer Out { float out_[]; };

// Stored k-major so the inner loop reads a row of TM (TN) values per k; +4 pad spreads banks.
shared float a_tile[BK][BM + 4];
shared float w_tile[BK][BN + 4];

void main() {
  uint tid = gl_LocalInvocationIndex;
  uint tx = tid % (BN / TN);  // output columns tx + 16*j: neighbouring threads, neighbouring banks
  uint ty = tid / (BN / TN);  // output rows ty + 16*i
  uint row0 = gl_WorkGroupID.y * BM;
  uint col0 = gl_WorkGroupID.x * BN;

  float acc[TM][TN];
  for (uint i = 0u; i < TM; ++i)
    for (uint j = 0u; j < TN; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0u; k0 < pc.k; k0 += BK) {
    // Each thread loads BM*BK/THREADS = 4 values of each tile; 16 consecutive threads read
    // 16 consecutive k of one row (contiguous in memory).
    for (uint l = 0u; l < (BM * BK) / THREADS; ++l) {
      uint idx = tid + l * THREADS;
      uint r = idx / BK;
      uint kk = idx % BK;
      uint gk = k0 + kk;
      uint gr = row0 + r;
      a_tile[kk][r] = (gr < pc.m && gk < pc.k) ? a[pc.a_off + gr * pc.k + gk] : 0.0;
      uint gc = col0 + r;
      w_tile[kk][r] = (gc < pc.n && gk < pc.k) ? LOAD_WEIGHT(w, 1u, pc.w_off + gc * pc.k + gk) : 0.0;
    }
    barrier();
    for (uint kk = 0u; kk < BK; ++kk) {
      float av[TM];
      float wv[TN];
      for (uint i = 0u; i < TM; ++i) av[i] = a_tile[kk][ty + i * (BM / TM)];
      for (uint j = 0u; j < TN; ++j) wv[j] = w_tile[kk][tx + j * (BN / TN)];
      for (uint i = 0u; i < TM; ++i)
        for (uint j = 0u; j < TN; ++j) acc[i][j] = fma(av[i], wv[j], acc[i][j]);
    }
    barrier();
  }

  for (uint j = 0u; j < TN; ++j) {
    uint c = col0 + tx + j * (BN / TN);
    if (c >= pc.n) continue;
    float b = pc.has_bias != 0u ? LOAD_WEIGHT(bias, 2u, pc.bias_off + c) : 0.0;
    for (uint i = 0u; i < TM; ++i) {
      uint r = row0 + ty + i * (BM / TM);
      if (r >= pc.m) continue;
      float v = acc[i][j] + b;
#if defined(ACT_GELU)
      v = gelu_erf(v);
#elif defined(ACT_TANH)
      v = tanh_safe(v);
#endif
      out_[pc.out_off + r * pc.n + c] = v;
    }
  }
}
