// add_layernorm: out = LayerNorm(x + residual) * gamma + beta, one workgroup per row, FP32 stats.
#version 450
#extension GL_GOOGLE_include_directive : require
#define WG_SIZE 128
layout(local_size_x = WG_SIZE) in;

layout(push_constant) uniform PushConstants {
  uint rows;
  uint cols;
  uint x_off;
  uint res_off;
  uint gamma_off;
  uint beta_off;
  uint out_off;
  uint f16_mask;  // bit 0 gamma, 1 beta
  float eps;
} pc;

#include "common.glsl"

// out may alias x or residual: no readonly/writeonly/restrict here, and every element is
// read and written by the same invocation.
layout(binding = 0) buffer X { float x[]; };
layout(binding = 1) buffer Res { float res[]; };
DECLARE_WEIGHT(2, gamma)
DECLARE_WEIGHT(3, beta)
layout(binding = 4) buffer Out { float out_[]; };

void main() {
  uint r = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (r >= pc.rows) return;
  uint tid = gl_LocalInvocationIndex;
  uint n = pc.cols;
  float s = 0.0;
  for (uint c = tid; c < n; c += WG_SIZE) {
    float v = x[pc.x_off + r * n + c] + res[pc.res_off + r * n + c];
    out_[pc.out_off + r * n + c] = v;
    s += v;
  }
  float mean = wg_sum(s) / float(n);
  float q = 0.0;
  for (uint c = tid; c < n; c += WG_SIZE) {
    float d = out_[pc.out_off + r * n + c] - mean;
    q += d * d;
  }
  float rstd = inversesqrt(wg_sum(q) / float(n) + pc.eps);
  for (uint c = tid; c < n; c += WG_SIZE) {
    uint i = pc.out_off + r * n + c;
    out_[i] = (out_[i] - mean) * rstd * LOAD_WEIGHT(gamma, 1u, pc.gamma_off + c) +
              LOAD_WEIGHT(beta, 2u, pc.beta_off + c);
  }
}
