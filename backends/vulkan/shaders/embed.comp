// embed: out[t] = LayerNorm(word[id] + position[pos] + token_type[type]), one workgroup per token.
#version 450
#extension GL_GOOGLE_include_directive : require
#define WG_SIZE 128
layout(local_size_x = WG_SIZE) in;

layout(push_constant) uniform PushConstants {
  uint tokens;
  uint cols;
  uint ids_off;      // element offsets into the int inputs buffer
  uint types_off;
  uint positions_off;
  uint word_off;     // element offsets into each weight binding
  uint position_off;
  uint type_off;
  uint gamma_off;
  uint beta_off;
  uint out_off;
  uint f16_mask;     // bit 0 word, 1 position, 2 type, 3 gamma, 4 beta
  float eps;
} pc;

#include "common.glsl"

layout(binding = 0) readonly buffer Inputs { int inputs[]; };
DECLARE_WEIGHT(1, word)
DECLARE_WEIGHT(2, position)
DECLARE_WEIGHT(3, ttype)
DECLARE_WEIGHT(4, gamma)
DECLARE_WEIGHT(5, beta)
layout(binding = 6) buffer Out { float out_[]; };

void main() {
  uint t = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (t >= pc.tokens) return;  // uniform for the whole workgroup
  uint tid = gl_LocalInvocationIndex;
  uint n = pc.cols;
  uint id = uint(inputs[pc.ids_off + t]);
  uint ty = uint(inputs[pc.types_off + t]);
  uint ps = uint(inputs[pc.positions_off + t]);
  uint row = pc.out_off + t * n;

  // Pass 1: gather the sum of the three embeddings into out (each thread owns its columns).
  float s = 0.0;
  for (uint c = tid; c < n; c += WG_SIZE) {
    float v = LOAD_WEIGHT(word, 1u, pc.word_off + id * n + c) +
              LOAD_WEIGHT(position, 2u, pc.position_off + ps * n + c) +
              LOAD_WEIGHT(ttype, 4u, pc.type_off + ty * n + c);
    out_[row + c] = v;
    s += v;
  }
  float mean = wg_sum(s) / float(n);
  // Pass 2: variance around the mean (two-pass: no cancellation).
  float q = 0.0;
  for (uint c = tid; c < n; c += WG_SIZE) {
    float d = out_[row + c] - mean;
    q += d * d;
  }
  float rstd = inversesqrt(wg_sum(q) / float(n) + pc.eps);
  for (uint c = tid; c < n; c += WG_SIZE) {
    float g = LOAD_WEIGHT(gamma, 8u, pc.gamma_off + c);
    float b = LOAD_WEIGHT(beta, 16u, pc.beta_off + c);
    out_[row + c] = (out_[row + c] - mean) * rstd * g + b;
  }
}
