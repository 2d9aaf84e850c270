// Embedding gather (word + position + token type) fused with the embedding LayerNorm: dispatch
// to the vector kernel (embed_simd.h) or the portable version; tables F32 or F16.
#include <cmath>

#include "cpu_ops.h"
#include "crossenc/half.h"

namespace crossenc::cpu {

namespace {

float table_at(WeightRef t, int64_t i) {
  return t.dtype == DType::F16 ? half_to_float(static_cast<const uint16_t*>(t.data)[i])
                               : static_cast<const float*>(t.data)[i];
}

void embed_rows(const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t t0,
                int64_t t1, WeightRef word, WeightRef position, WeightRef token_type,
                const float* gamma, const float* beta, float eps, int hidden, float* out) {
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t w = int64_t{ids[t]} * hidden, p = int64_t{positions[t]} * hidden,
                  y = int64_t{types[t]} * hidden;
    float* o = out + t * hidden;
    float sum = 0.0f;
    for (int j = 0; j < hidden; ++j) {
      o[j] = table_at(word, w + j) + table_at(position, p + j) + table_at(token_type, y + j);
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

void embed(Isa isa, const int32_t* ids, const int32_t* types, const int32_t* positions,
           int64_t tokens, WeightRef word, WeightRef position, WeightRef token_type,
           const float* gamma, const float* beta, float eps, int hidden, float* out,
           ThreadPool& pool) {
  if (const SimdKernels* simd = simd_kernels(isa)) {
    simd->embed(ids, types, positions, tokens, word, position, token_type, gamma, beta, eps, hidden,
                out, pool);
    return;
  }
  pool.parallel_for(tokens, [&](int64_t t0, int64_t t1) {
    embed_rows(ids, types, positions, t0, t1, word, position, token_type, gamma, beta, eps, hidden,
               out);
  });
}

}  // namespace crossenc::cpu
