// Packed multi-head attention, written once against a SIMD wrapper V (simd.h) and a head size D.
// Per (sequence, head): Kᵀ is packed (16x16 block transposes) so scores are vector FMAs over
// keys, V (and Q) are copied to contiguous rows; a group of kQB query rows shares every Kᵀ and V
// load; softmax and ·V run on the group's score rows while they are in L1. No padding: each
// sequence uses its own length.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu_ops.h"
#include "gemm_simd.h"
#include "simd.h"

namespace crossenc::cpu::CROSSENC_SIMD_NS {

template <class V, int D>
struct Attention {
  using F = typename V::F;
  static constexpr int kW = V::kW, kDV = D / kW;
  static_assert(D % kW == 0, "head size must be a multiple of the vector width");
  // Query rows per group: kQB x kDV output accumulators (and 2 kQB score ones) use half the
  // vector registers, enough independent FMA chains to hide their latency.
  static constexpr int kQB = std::max(1, V::kRegs / 2 / kDV);

  struct Scratch {
    ScratchBuffer q, kt, v, scores;
  };

  // Scores of queries q[0..kQB) against all keys, scaled, into sc[r][0, lp); keys past len get
  // -inf so the softmax can run on whole vectors. Returns each row's maximum in mx.
  static void scores(const float* const q[kQB], const float* kt, int64_t len, int64_t lp,
                     float scale, float* const sc[kQB], float mx[kQB]) {
    F vmax[kQB];
    for (int r = 0; r < kQB; ++r) vmax[r] = V::set1(-INFINITY);
    const F s = V::set1(scale);
    for (int64_t j = 0; j < lp; j += 2 * kW) {
      F acc[kQB][2];
      for (int r = 0; r < kQB; ++r) acc[r][0] = acc[r][1] = V::zero();
      for (int d = 0; d < D; ++d) {
        const F k0 = V::load(kt + d * lp + j), k1 = V::load(kt + d * lp + j + kW);
        for (int r = 0; r < kQB; ++r) {
          const F x = V::set1(q[r][d]);
          acc[r][0] = V::fmadd(x, k0, acc[r][0]);
          acc[r][1] = V::fmadd(x, k1, acc[r][1]);
        }
      }
      for (int h = 0; h < 2; ++h) {
        const int64_t valid = len - (j + h * kW);
        for (int r = 0; r < kQB; ++r) {
          F x = V::mul(acc[r][h], s);
          if (valid < kW) {
            x = V::keep_first(x, static_cast<int>(std::max<int64_t>(valid, 0)), -INFINITY);
          }
          V::store(sc[r] + j + h * kW, x);
          vmax[r] = V::max(vmax[r], x);
        }
      }
    }
    for (int r = 0; r < kQB; ++r) mx[r] = V::reduce_max(vmax[r]);
  }

  // In place: sc[0, lp) = exp(sc - mx); returns the sum (padding lanes add ~1e-38 each: exp
  // clamps its argument at -87, which is harmless against a sum >= 1).
  static float softmax_numerators(float* sc, int64_t lp, float mx) {
    const F m = V::set1(mx);
    F sum0 = V::zero(), sum1 = V::zero();
    for (int64_t j = 0; j < lp; j += 2 * kW) {
      const F e0 = vexp<V>(V::sub(V::load(sc + j), m));
      const F e1 = vexp<V>(V::sub(V::load(sc + j + kW), m));
      V::store(sc + j, e0);
      V::store(sc + j + kW, e1);
      sum0 = V::add(sum0, e0);
      sum1 = V::add(sum1, e1);
    }
    return V::reduce_add(V::add(sum0, sum1));
  }

  // Packs keys [0, len) of one head (rows `stride` floats apart) as Kᵀ [D x lp], zero past len.
  static void pack_kt(const float* k, int64_t stride, int64_t len, int64_t lp, float* kt) {
    int64_t j = 0;
    for (; j + kW <= len; j += kW) {
      for (int d = 0; d < D; d += kW) {
        V::transpose_block(k + j * stride + d, stride, kt + d * lp + j, lp);
      }
    }
    for (int d = 0; d < D; ++d) {
      for (int64_t t = j; t < lp; ++t) kt[d * lp + t] = t < len ? k[t * stride + d] : 0.0f;
    }
  }

  // Copies rows [0, len) of one head's D columns into contiguous rows. (In qkv they are
  // 3 * hidden floats apart, 4.6 KB for MiniLM: a stride that maps every row to the same few
  // L1 sets.)
  static void pack_rows(const float* src, int64_t stride, int64_t len, float* dst) {
    for (int64_t t = 0; t < len; ++t) {
      for (int v = 0; v < kDV; ++v) {
        V::store(dst + t * D + v * kW, V::load(src + t * stride + v * kW));
      }
    }
  }

  // Attention of queries q[i * ldq] (i < nq) over one head's packed Kᵀ and V; output row i goes
  // to out[i * ldo].
  static void attend(const float* q_base, int64_t ldq, const float* kt, const float* vp,
                     int64_t len, int64_t lp, int64_t nq, float* out, int64_t ldo, Scratch& s) {
    float* sc_all = s.scores.get(static_cast<size_t>(kQB * lp));
    const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(D));  // no std::sqrt: simd.h
    for (int64_t i0 = 0; i0 < nq; i0 += kQB) {
      const int qb = static_cast<int>(std::min<int64_t>(kQB, nq - i0));
      const float* q[kQB];
      float* sc[kQB];
      for (int r = 0; r < kQB; ++r) {  // rows past qb repeat the last one and are not stored
        q[r] = q_base + (i0 + std::min(r, qb - 1)) * ldq;
        sc[r] = sc_all + std::min(r, qb - 1) * lp;
      }
      float mx[kQB], inv[kQB];
      scores(q, kt, len, lp, scale, sc, mx);
      for (int r = 0; r < qb; ++r) inv[r] = 1.0f / softmax_numerators(sc[r], lp, mx[r]);

      F acc[kQB][kDV];
      for (int r = 0; r < kQB; ++r) {
        for (int v = 0; v < kDV; ++v) acc[r][v] = V::zero();
      }
      for (int64_t t = 0; t < len; ++t) {
        F vv[kDV];
        for (int v = 0; v < kDV; ++v) vv[v] = V::load(vp + t * D + v * kW);
        for (int r = 0; r < kQB; ++r) {
          const F p = V::set1(sc[r][t]);
          for (int v = 0; v < kDV; ++v) acc[r][v] = V::fmadd(p, vv[v], acc[r][v]);
        }
      }
      for (int r = 0; r < qb; ++r) {
        float* o = out + (i0 + r) * ldo;
        const F sv = V::set1(inv[r]);
        for (int v = 0; v < kDV; ++v) V::store(o + v * kW, V::mul(acc[r][v], sv));
      }
    }
  }

  static int64_t padded(int64_t len) { return (len + 2 * kW - 1) / (2 * kW) * (2 * kW); }

  // One (sequence, head): queries [0, nq) of a sequence of `len` tokens from row `base`.
  static void head(const float* qkv, int64_t base, int64_t len, int64_t nq, int hidden, int h,
                   float* out, int64_t out_row0, Scratch& s) {
    const int64_t stride = 3 * static_cast<int64_t>(hidden), lp = padded(len);
    const float* q = qkv + base * stride + h * D;
    float* kt = s.kt.get(static_cast<size_t>(D * lp));
    float* vp = s.v.get(static_cast<size_t>(D * len));
    pack_kt(q + hidden, stride, len, lp, kt);
    pack_rows(q + 2 * hidden, stride, len, vp);
    attend(q, stride, kt, vp, len, lp, nq, out + out_row0 * hidden + h * D, hidden, s);
  }

  // One whole sequence, all heads: its rows are read once, front to back (the hardware
  // prefetchers follow that, not the 128-byte-per-row slices of one head), into per-head
  // Q, Kᵀ and V that stay in L2 while the heads run.
  static void sequence(const float* qkv, int64_t base, int64_t len, int hidden, int heads,
                       float* out, Scratch& s) {
    const int64_t stride = 3 * static_cast<int64_t>(hidden), lp = padded(len);
    const float* rows = qkv + base * stride;
    float* qp = s.q.get(static_cast<size_t>(heads * D * len));
    float* kt = s.kt.get(static_cast<size_t>(heads * D * lp));
    float* vp = s.v.get(static_cast<size_t>(heads * D * len));
    for (int64_t t0 = 0; t0 < len; t0 += kW) {  // a block of rows at a time, all heads
      const int64_t n = std::min<int64_t>(kW, len - t0);
      for (int h = 0; h < heads; ++h) {
        const float* src = rows + t0 * stride + h * D;
        pack_rows(src, stride, n, qp + (h * len + t0) * D);
        pack_rows(src + 2 * hidden, stride, n, vp + (h * len + t0) * D);
      }
    }
    for (int h = 0; h < heads; ++h) {
      pack_kt(rows + hidden + h * D, stride, len, lp, kt + h * D * lp);
    }
    for (int h = 0; h < heads; ++h) {
      attend(qp + h * len * D, D, kt + h * D * lp, vp + h * len * D, len, lp, len,
             out + base * hidden + h * D, hidden, s);
    }
  }

  static void run(const float* qkv, const int32_t* offsets, int num_seqs, int hidden, int heads,
                  bool cls_only, float* out, ThreadPool& pool) {
    // Tasks handed out dynamically (lengths differ within a batch): whole sequences when there
    // are enough to keep every thread busy, else (sequence, head) pairs.
    if (!cls_only && num_seqs >= 4 * pool.size()) {
      pool.parallel_for(
          num_seqs,
          [&](int64_t s0, int64_t s1) {
            thread_local Scratch scratch;
            for (int64_t s = s0; s < s1; ++s) {
              const int64_t len = offsets[s + 1] - offsets[s];
              if (len > 0) sequence(qkv, offsets[s], len, hidden, heads, out, scratch);
            }
          },
          1);
      return;
    }
    pool.parallel_for(
        int64_t{num_seqs} * heads,
        [&](int64_t t0, int64_t t1) {
          thread_local Scratch scratch;
          for (int64_t t = t0; t < t1; ++t) {
            const int s = static_cast<int>(t / heads), h = static_cast<int>(t % heads);
            const int64_t base = offsets[s], len = offsets[s + 1] - offsets[s];
            if (len == 0) continue;
            head(qkv, base, len, cls_only ? 1 : len, hidden, h, out, cls_only ? s : base, scratch);
          }
        },
        cls_only ? 8 : 1);
  }
};

// Dispatches on the head size; false if there is no kernel for it.
template <class V>
bool attention_run(const float* qkv, const int32_t* offsets, int num_seqs, int hidden, int heads,
                   bool cls_only, float* out, ThreadPool& pool) {
  const int d = hidden / heads;
  if (d == 16) {
    Attention<V, 16>::run(qkv, offsets, num_seqs, hidden, heads, cls_only, out, pool);
  } else if (d == 32) {
    Attention<V, 32>::run(qkv, offsets, num_seqs, hidden, heads, cls_only, out, pool);
  } else if (d == 64) {
    Attention<V, 64>::run(qkv, offsets, num_seqs, hidden, heads, cls_only, out, pool);
  } else {
    return false;
  }
  return true;
}

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
