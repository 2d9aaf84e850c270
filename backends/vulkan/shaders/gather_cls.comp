// gather_cls: out row s = x row offsets[s] (each sequence's [CLS] token).
#version 450
#define WG_SIZE 128
layout(local_size_x = WG_SIZE) in;

layout(push_constant) uniform PushConstants {
  uint seqs;
  uint cols;
  uint offsets_off;
  uint x_off;
  uint out_off;
} pc;

layout(binding = 0) readonly buffer Inputs { int inputs[]; };
layout(binding = 1) readonly buffer X { float x[]; };
layout(binding = 2) writeonly buffer Out { float out_[]; };

void main() {
  uint s = gl_WorkGroupID.x;
  if (s >= pc.seqs) return;
  uint row = uint(inputs[pc.offsets_off + s]);
  for (uint c = gl_LocalInvocationIndex; c < pc.cols; c += WG_SIZE)
    out_[pc.out_off + s * pc.cols + c] = x[pc.x_off + row * pc.cols + c];
}
