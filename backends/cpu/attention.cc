// Packed multi-head self-attention: dispatch to the vector kernel (attention_simd.h) or the
// portable version below (per (sequence, head): scores -> softmax -> ·V, no padding).
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_ops.h"
#include "vec_math.h"

namespace crossenc::cpu {

namespace {

// One (sequence, head): queries [0, nq) of a sequence of `len` tokens starting at `base`.
void attend_head(const float* qkv, int64_t base, int64_t len, int64_t nq, int hidden, int head,
                 int head_dim, float* out, int64_t out_row0, std::vector<float>& scores,
                 std::vector<float>& acc) {
  const int64_t stride = 3 * static_cast<int64_t>(hidden);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const float* k_base = qkv + base * stride + hidden + head * head_dim;
  const float* v_base = qkv + base * stride + 2 * hidden + head * head_dim;
  scores.resize(static_cast<size_t>(len));
  acc.resize(static_cast<size_t>(head_dim));
  for (int64_t i = 0; i < nq; ++i) {
    const float* q = qkv + (base + i) * stride + head * head_dim;
    float max_score = -INFINITY;
    for (int64_t j = 0; j < len; ++j) {
      const float* k = k_base + j * stride;
      float dot = 0.0f;
      for (int d = 0; d < head_dim; ++d) dot += q[d] * k[d];
      scores[j] = dot * scale;
      max_score = std::max(max_score, scores[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < len; ++j) {
      scores[j] = exp_approx(scores[j] - max_score);
      sum += scores[j];
    }
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t j = 0; j < len; ++j) {
      const float* v = v_base + j * stride;
      const float p = scores[j];
      for (int d = 0; d < head_dim; ++d) acc[d] += p * v[d];
    }
    const float inv = 1.0f / sum;
    float* o = out + (out_row0 + i) * hidden + head * head_dim;
    for (int d = 0; d < head_dim; ++d) o[d] = acc[d] * inv;
  }
}

}  // namespace

void attention(Isa isa, const float* qkv, const int32_t* offsets, int num_seqs, int hidden,
               int heads, bool cls_only, float* out, ThreadPool& pool) {
  if (const SimdKernels* simd = simd_kernels(isa)) {
    if (simd->attention(qkv, offsets, num_seqs, hidden, heads, cls_only, out, pool)) return;
  }
  const int head_dim = hidden / heads;
  const int64_t tasks = static_cast<int64_t>(num_seqs) * heads;
  pool.parallel_for(tasks, [&](int64_t t0, int64_t t1) {
    std::vector<float> scores, acc;
    for (int64_t t = t0; t < t1; ++t) {
      const int s = static_cast<int>(t / heads), h = static_cast<int>(t % heads);
      const int64_t base = offsets[s], len = offsets[s + 1] - offsets[s];
      if (len == 0) continue;
      attend_head(qkv, base, len, cls_only ? 1 : len, hidden, h, head_dim, out, cls_only ? s : base,
                  scores, acc);
    }
  });
}

}  // namespace crossenc::cpu
