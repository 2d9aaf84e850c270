// The "own" GEMM, written once against a SIMD wrapper V (simd.h): out = act(a · wᵀ + bias).
//
// Weights are used where they lie (the mmapped file, F32 or F16; BF16 ones made at load): no
// copy or packing at load.
// The kernel computes outᵀ = w · aᵀ: a tile is kMR weight rows (output columns), each broadcast
// one element at a time straight from its row, times kNV vectors of tokens from a packed copy
// of a (aᵀ in panels of kNV*kW tokens, made per call: m*k floats against 2*m*n*k flops). The
// kMR x kNV accumulators stay in registers over the whole k loop; the epilogue adds the bias,
// applies the activation (GELU/tanh) and transposes back to row-major in registers.
// Blocking (run()): a block of packed panels stays in L2 while chunks of weight rows (F16 ones
// widened once per block) pass over it; see bench/RESULTS.md for what each shape reaches.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "cpu_ops.h"
#include "simd.h"

namespace crossenc::cpu::CROSSENC_SIMD_NS {

// Thread-local scratch that only grows (packed activations, widened weight rows).
struct ScratchBuffer {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data;
  size_t size = 0;
  float* get(size_t n) {
    if (n > size) {
      data.reset();
      size = 0;
      const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data) throw std::bad_alloc();
      size = n;
    }
    return data.get();
  }
};

// kNV: token vectors per tile (V::kNV for full batches; fewer when there are only a few rows).
template <class V, int kNV = V::kNV>
struct OwnGemm {
  using F = typename V::F;
  static constexpr int kW = V::kW, kMR = V::kMR, kNT = kNV * kW;

  // Packs tokens [t0, t0 + kNT) of a (rows past m are zero) as ap[p * kNT + t].
  static void pack_panel(const float* a, int64_t m, int64_t k, int64_t t0, float* ap) {
    for (int v = 0; v < kNV; ++v) {
      const int64_t r0 = t0 + v * kW;
      const int64_t rows = std::clamp<int64_t>(m - r0, 0, kW);
      float* dst = ap + v * kW;
      int64_t p = 0;
      if (rows == kW) {
        for (; p + kW <= k; p += kW) V::transpose_block(a + r0 * k + p, k, dst + p * kNT, kNT);
      }
      for (; p < k; ++p) {
        for (int64_t t = 0; t < kW; ++t) dst[p * kNT + t] = t < rows ? a[(r0 + t) * k + p] : 0.0f;
      }
    }
  }

  // One tile: kMR columns (weight rows w[r * ldw + p]) x kNT tokens of a packed panel; the
  // accumulators stay in registers over all of k, then get bias + activation and are stored
  // transposed into out.
  static void tile(const float* ap, const float* w, int64_t ldw, int64_t k, const float* bias,
                   Activation act, float* out, int64_t ldo, int tokens, int cols) {
    F acc[kMR][kNV];
    for (int r = 0; r < kMR; ++r) {
      for (int v = 0; v < kNV; ++v) acc[r][v] = V::zero();
    }
    const float* wr[kMR];
    for (int r = 0; r < kMR; ++r) wr[r] = w + r * ldw;
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; ++p) {
      F b[kNV];
      for (int v = 0; v < kNV; ++v) b[v] = V::load(ap + p * kNT + v * kW);
      for (int r = 0; r < kMR; ++r) {
        const F x = V::set1(wr[r][p]);
        for (int v = 0; v < kNV; ++v) acc[r][v] = V::fmadd(x, b[v], acc[r][v]);
      }
    }
    for (int r = 0; r < kMR; ++r) {
      const F bb = V::set1(bias ? bias[r] : 0.0f);
      for (int v = 0; v < kNV; ++v) {
        F x = V::add(acc[r][v], bb);
        if (act == Activation::Gelu)
          x = vgelu<V>(x);
        else if (act == Activation::Tanh)
          x = vtanh<V>(x);
        acc[r][v] = x;
      }
    }
    for (int v = 0; v < kNV; ++v) {
      const int tv = tokens - v * kW;
      if (tv <= 0) break;
      F c[kMR];
      for (int r = 0; r < kMR; ++r) c[r] = acc[r][v];
      V::store_tile_t(c, out + v * kW * ldo, ldo, std::min(tv, kW), cols);
    }
  }

  // Weight rows [j, j + cols) as F32 rows of stride k: in place when possible, else widened /
  // zero-padded into `stage`.
  static const float* weight_rows(WeightRef w, int64_t j, int cols, int64_t k, float* stage) {
    if (w.dtype == DType::F32 && cols == kMR) return static_cast<const float*>(w.data) + j * k;
    for (int r = 0; r < kMR; ++r) {
      float* dst = stage + r * k;
      if (r >= cols) {
        std::memset(dst, 0, k * sizeof(float));
      } else if (w.dtype == DType::F32) {
        std::memcpy(dst, static_cast<const float*>(w.data) + (j + r) * k, k * sizeof(float));
      } else {
        const uint16_t* src = static_cast<const uint16_t*>(w.data) + (j + r) * k;
        const bool bf16 = w.dtype == DType::BF16;
        int64_t p = 0;
        for (; p + kW <= k; p += kW) {
          V::store(dst + p, bf16 ? V::load_bf16(src + p) : V::load_half(src + p));
        }
        if (p < k) {
          const int rest = static_cast<int>(k - p);
          V::store_part(dst + p,
                        bf16 ? V::load_bf16_part(src + p, rest) : V::load_half_part(src + p, rest),
                        rest);
        }
      }
    }
    return stage;
  }

  // Token panels [p0, p1) x weight row groups [g0, g1) on the calling thread.
  // Loop nest: a block of panels (aᵀ packed, ~384 KB, in L2) x a chunk of row groups (~192 KB
  // of weights, F16 widened once per block, in L2) x panel x group. Each tile streams its panel
  // from L2 with the group's rows in L1; a panel's output rows are finished a chunk (>= 32
  // columns, whole cache lines) at a time; weights come from memory once per block.
  static void run(const float* a, WeightRef w, const float* bias, Activation act, float* out,
                  int64_t m, int64_t n, int64_t k, int64_t p0, int64_t p1, int64_t g0, int64_t g1) {
    thread_local ScratchBuffer pack_buf, stage_buf;
    // Measured best on a 2 MB-L2 core shared with other jobs (smaller than L2/2: a time
    // slice of another process evicts part of it).
    constexpr int64_t pack_budget = 384 << 10, chunk_budget = 192 << 10;
    const int64_t kk = std::max<int64_t>(k, 1);
    // F16/BF16 weights are widened once per block: with a long k (a one-panel block) that would
    // cost ~10%, so such blocks take a few panels more.
    const int64_t min_block = w.dtype != DType::F32 ? 3 : 1;
    const int64_t block =
        std::clamp<int64_t>(pack_budget / (kNT * kk * 4), std::min(min_block, p1 - p0), p1 - p0);
    const int64_t chunk = std::clamp<int64_t>(chunk_budget / (kMR * kk * 4), 1, g1 - g0);
    float* ap = pack_buf.get(static_cast<size_t>(block * kNT * k));
    float* stage = stage_buf.get(static_cast<size_t>(chunk * kMR * k));
    const float* rows[64];
    int cols[64];
    float bias_cols[64][kMR];
    for (int64_t b0 = p0; b0 < p1; b0 += block) {
      const int64_t b1 = std::min(p1, b0 + block);
      for (int64_t p = b0; p < b1; ++p) pack_panel(a, m, k, p * kNT, ap + (p - b0) * kNT * k);
      for (int64_t c0 = g0; c0 < g1; c0 += std::min<int64_t>(chunk, 64)) {
        const int64_t c1 = std::min({g1, c0 + chunk, c0 + 64});
        for (int64_t g = c0; g < c1; ++g) {
          const int64_t j = g * kMR, i = g - c0;
          cols[i] = static_cast<int>(std::min<int64_t>(kMR, n - j));
          rows[i] = weight_rows(w, j, cols[i], k, stage + i * kMR * k);
          for (int c = 0; c < kMR; ++c) bias_cols[i][c] = bias && c < cols[i] ? bias[j + c] : 0.0f;
        }
        for (int64_t p = b0; p < b1; ++p) {
          const int64_t t0 = p * kNT;
          const int tokens = static_cast<int>(std::min<int64_t>(kNT, m - t0));
          for (int64_t g = c0; g < c1; ++g) {
            const int64_t i = g - c0;
            tile(ap + (p - b0) * kNT * k, rows[i], k, k, bias ? bias_cols[i] : nullptr, act,
                 out + t0 * n + g * kMR, n, tokens, cols[i]);
          }
        }
      }
    }
  }

  static void gemm(const float* a, WeightRef w, const float* bias, Activation act, float* out,
                   int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
    if (m <= 0 || n <= 0) return;
    const int64_t panels = (m + kNT - 1) / kNT, groups = (n + kMR - 1) / kMR;
    // Small products are not worth waking the pool for.
    if (pool.size() == 1 || m * n * k < (int64_t{1} << 18)) {
      run(a, w, bias, act, out, m, n, k, 0, panels, 0, groups);
      return;
    }
    // Split tokens when there are enough (tasks of a few panels: each streams all weights once),
    // else output columns (a few [CLS] rows in the last layer, the pooler).
    if (panels >= 4 * pool.size()) {
      const int64_t grain = std::clamp<int64_t>(panels / (4 * pool.size()), 1, 4);
      pool.parallel_for(
          panels,
          [&](int64_t p0, int64_t p1) { run(a, w, bias, act, out, m, n, k, p0, p1, 0, groups); },
          grain);
    } else {
      const int64_t grain = std::max<int64_t>(1, groups / (4 * pool.size()));
      pool.parallel_for(
          groups,
          [&](int64_t g0, int64_t g1) { run(a, w, bias, act, out, m, n, k, 0, panels, g0, g1); },
          grain);
    }
  }
};

// Few rows (the last layer's [CLS] rows, the pooler, short single requests) would leave a
// 48-token panel mostly padding: pick the panel width with the least padded work, weighing the
// narrower tiles' lower FMA-to-load ratio.
template <class V>
void own_gemm(const float* a, WeightRef w, const float* bias, Activation act, float* out, int64_t m,
              int64_t n, int64_t k, ThreadPool& pool) {
  auto cost = [m](int nv, double slowdown) {
    const int64_t nt = int64_t{nv} * V::kW;
    return static_cast<double>((m + nt - 1) / nt * nt) * slowdown;
  };
  const double c3 = cost(V::kNV, 1.0), c2 = cost(2, 1.05), c1 = cost(1, 1.25);
  if (V::kNV > 2 && c1 < c2 && c1 < c3) {
    OwnGemm<V, 1>::gemm(a, w, bias, act, out, m, n, k, pool);
  } else if (V::kNV > 2 && c2 < c3) {
    OwnGemm<V, 2>::gemm(a, w, bias, act, out, m, n, k, pool);
  } else {
    OwnGemm<V>::gemm(a, w, bias, act, out, m, n, k, pool);
  }
}

}  // namespace crossenc::cpu::CROSSENC_SIMD_NS
