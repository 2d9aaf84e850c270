// Embedding gather (word + position + token type, each table F32 or F16) fused with the
// embedding LayerNorm; written once against a SIMD wrapper V (simd.h).
#pragma once

#include <cstdint>

#include "cpu_ops.h"
#include "layernorm_simd.h"
#include "simd.h"

namespace crossenc::cpu::CROSSENC_SIMD_NS {

template <class V>
struct Embed {
  using F = typename V::F;

  // o[j] (+)= table row `row`, widened from F16 where stored so.
  static void add_row(WeightRef table, int64_t row, int hidden, float* o, bool first) {
    int64_t j = 0;
    if (table.dtype == DType::F16) {
      const uint16_t* src = static_cast<const uint16_t*>(table.data) + row * hidden;
      for (; j + V::kW <= hidden; j += V::kW) {
        const F x = V::load_half(src + j);
        V::store(o + j, first ? x : V::add(V::load(o + j), x));
      }
      if (j < hidden) {
        const int rest = static_cast<int>(hidden - j);
        const F x = V::load_half_part(src + j, rest);
        V::store_part(o + j, first ? x : V::add(V::load_part(o + j, rest), x), rest);
      }
    } else {
      const float* src = static_cast<const float*>(table.data) + row * hidden;
      for (; j + V::kW <= hidden; j += V::kW) {
        const F x = V::load(src + j);
        V::store(o + j, first ? x : V::add(V::load(o + j), x));
      }
      if (j < hidden) {
        const int rest = static_cast<int>(hidden - j);
        const F x = V::load_part(src + j, rest);
        V::store_part(o + j, first ? x : V::add(V::load_part(o + j, rest), x), rest);
      }
    }
  }

  static void rows(const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t t0,
                   int64_t t1, WeightRef word, WeightRef position, WeightRef token_type,
                   const float* gamma, const float* beta, float eps, int hidden, float* out) {
    for (int64_t t = t0; t < t1; ++t) {
      float* o = out + t * hidden;
      add_row(word, ids[t], hidden, o, true);
      add_row(position, positions[t], hidden, o, false);
      add_row(token_type, types[t], hidden, o, false);
      F acc = V::zero();
      int64_t j = 0;
      for (; j + V::kW <= hidden; j += V::kW) acc = V::add(acc, V::load(o + j));
      float sum = V::reduce_add(acc);
      for (; j < hidden; ++j) sum += o[j];
      LayerNorm<V>::normalise(o, sum, gamma, beta, eps, hidden);
    }
  }

  static void run(const int32_t* ids, const int32_t* types, const int32_t* positions,
                  int64_t tokens, WeightRef word, WeightRef position, WeightRef token_type,
                  const float* gamma, const float* beta, float eps, int hidden, float* out,
                  ThreadPool& pool) {
    pool.parallel_for(
        tokens,
        [&](int64_t t0, int64_t t1) {
          rows(ids, types, positions, t0, t1, word, position, token_type, gamma, beta, eps, hidden,
               out);
        },
        64);
  }
};

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
