// attention: softmax(Q·Kᵀ/√d)·V per (sequence, head) over packed rows, FP32 online softmax.
// One workgroup per (query block of 16, head, sequence); keys/values stream through shared
// memory 32 at a time, so any sequence length fits. HEAD_DIM is a specialization constant.
#version 450

#define BQ 16        // queries per workgroup
#define BKV 32       // keys (then values) per shared-memory chunk
#define TPQ 8        // threads per query row; each owns head dims lane, lane+8, ...
#define THREADS 128  // BQ * TPQ
#define MAX_DPT 16   // dims per thread, so HEAD_DIM <= 128
layout(local_size_x = THREADS) in;
layout(constant_id = 0) const uint HEAD_DIM = 64;
const uint DPT = (HEAD_DIM + TPQ - 1u) / TPQ;
const uint KV_STRIDE = HEAD_DIM + 1u;  // odd stride: a warp reading 32 key rows hits 32 banks

layout(push_constant) uniform PushConstants {
  uint offsets_off;  // element offset of the sequence offsets in the inputs buffer
  uint hidden;       // H; qkv rows are 3H wide (Q | K | V)
  uint qkv_off;
  uint out_off;
  uint cls_only;     // 1: only query 0 of each sequence, out row = sequence index
  float scale;       // 1 / sqrt(HEAD_DIM)
} pc;

layout(binding = 0) readonly buffer Inputs { int inputs[]; };
layout(binding = 1) readonly buffer Qkv { float qkv[]; };
layout(binding = 2) writeonly buffer Out { float out_[]; };

shared float q_s[BQ * HEAD_DIM];
shared float kv_s[BKV * KV_STRIDE];
shared float p_s[BQ * BKV];

void main() {
  uint seq = gl_WorkGroupID.z;
  uint head = gl_WorkGroupID.y;
  uint start = uint(inputs[pc.offsets_off + seq]);
  uint len = uint(inputs[pc.offsets_off + seq + 1u]) - start;
  uint nq = pc.cls_only != 0u ? 1u : len;
  uint q0 = gl_WorkGroupID.x * BQ;
  if (q0 >= nq) return;  // uniform: the whole workgroup leaves before any barrier
  uint qcount = min(uint(BQ), nq - q0);

  uint tid = gl_LocalInvocationIndex;
  uint qi = tid / TPQ;
  uint lane = tid % TPQ;
  uint row_stride = 3u * pc.hidden;
  uint q_col = head * HEAD_DIM;
  uint k_col = pc.hidden + head * HEAD_DIM;
  uint v_col = 2u * pc.hidden + head * HEAD_DIM;

  for (uint idx = tid; idx < BQ * HEAD_DIM; idx += THREADS) {
    uint i = idx / HEAD_DIM;
    uint d = idx % HEAD_DIM;
    q_s[idx] = i < qcount ? qkv[pc.qkv_off + (start + q0 + i) * row_stride + q_col + d] * pc.scale
                          : 0.0;
  }

  // Running max, sum and output of this thread's query row (identical across its 8 lanes).
  float m_run = -3.0e38;
  float l_run = 0.0;
  float acc[MAX_DPT];
  for (uint j = 0u; j < DPT; ++j) acc[j] = 0.0;

  for (uint kv0 = 0u; kv0 < len; kv0 += BKV) {
    uint kcount = min(uint(BKV), len - kv0);
    barrier();  // previous chunk's V reads are done (and q_s is written on the first pass)
    for (uint idx = tid; idx < BKV * HEAD_DIM; idx += THREADS) {
      uint j = idx / HEAD_DIM;
      uint d = idx % HEAD_DIM;
      kv_s[j * KV_STRIDE + d] =
          j < kcount ? qkv[pc.qkv_off + (start + kv0 + j) * row_stride + k_col + d] : 0.0;
    }
    barrier();
    for (uint idx = tid; idx < BQ * BKV; idx += THREADS) {
      uint i = idx / BKV;
      uint j = idx % BKV;
      float s = 0.0;
      for (uint d = 0u; d < HEAD_DIM; ++d) s = fma(q_s[i * HEAD_DIM + d], kv_s[j * KV_STRIDE + d], s);
      p_s[idx] = s;
    }
    barrier();
    for (uint idx = tid; idx < BKV * HEAD_DIM; idx += THREADS) {
      uint j = idx / HEAD_DIM;
      uint d = idx % HEAD_DIM;
      kv_s[j * KV_STRIDE + d] =
          j < kcount ? qkv[pc.qkv_off + (start + kv0 + j) * row_stride + v_col + d] : 0.0;
    }
    barrier();
    // Online softmax: keys past kcount are masked out (never enter max or sum).
    float mx = m_run;
    for (uint j = 0u; j < kcount; ++j) mx = max(mx, p_s[qi * BKV + j]);
    float alpha = exp(m_run - mx);
    l_run *= alpha;
    for (uint jj = 0u; jj < DPT; ++jj) acc[jj] *= alpha;
    for (uint j = 0u; j < kcount; ++j) {
      float p = exp(p_s[qi * BKV + j] - mx);
      l_run += p;
      for (uint jj = 0u; jj < DPT; ++jj) {
        uint d = lane + jj * TPQ;
        if (d < HEAD_DIM) acc[jj] = fma(p, kv_s[j * KV_STRIDE + d], acc[jj]);
      }
    }
    m_run = mx;
  }

  if (qi < qcount) {
    uint row = pc.cls_only != 0u ? seq : start + q0 + qi;
    float inv = 1.0 / l_run;
    for (uint jj = 0u; jj < DPT; ++jj) {
      uint d = lane + jj * TPQ;
      if (d < HEAD_DIM) out_[pc.out_off + row * pc.hidden + q_col + d] = acc[jj] * inv;
    }
  }
}
