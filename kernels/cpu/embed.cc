// Embedding gather (word + position + token type) fused with the embedding LayerNorm.
#include <cmath>

#include "cpu_ops.h"

namespace crossenc::cpu {

namespace {

__attribute__((target_clones("avx512f", "avx2", "default"))) void embed_rows(
    const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t t0, int64_t t1,
    const float* word, const float* position, const float* token_type, const float* gamma,
    const float* beta, float eps, int hidden, float* out) {
  for (int64_t t = t0; t < t1; ++t) {
    const float* w = word + static_cast<int64_t>(ids[t]) * hidden;
    const float* p = position + static_cast<int64_t>(positions[t]) * hidden;
    const float* y = token_type + static_cast<int64_t>(types[t]) * hidden;
    float* o = out + t * hidden;
    float sum = 0.0f;
    for (int j = 0; j < hidden; ++j) {
      o[j] = w[j] + p[j] + y[j];
      sum += o[j];
    }
    const float mean = sum / static_cast<float>(hidden);
    float var = 0.0f;
    for (int j = 0; j < hidden; ++j) var += (o[j] - mean) * (o[j] - mean);
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(hidden) + eps);
    for (int j = 0; j < hidden; ++j) o[j] = (o[j] - mean) * inv * gamma[j] + beta[j];
  }
}

}  // namespace

void embed(const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t tokens,
           const float* word, const float* position, const float* token_type, const float* gamma,
           const float* beta, float eps, int hidden, float* out, ThreadPool& pool) {
  pool.parallel_for(tokens, [&](int64_t t0, int64_t t1) {
    embed_rows(ids, types, positions, t0, t1, word, position, token_type, gamma, beta, eps,
               hidden, out);
  });
}

}  // namespace crossenc::cpu
