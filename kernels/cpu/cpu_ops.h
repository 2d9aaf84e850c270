// Raw CPU kernels on float pointers: one function per op, used by CpuBackend and the benchmarks.
#pragma once

#include <cstdint>

#include "crossenc/backend.h"
#include "thread_pool.h"

namespace crossenc::cpu {

enum class GemmPath : uint8_t { Blas, Eigen, Reference };
GemmPath parse_gemm_path(const char* name);  // "auto" resolves to the build default
const char* gemm_path_name(GemmPath path);

// out[m x n] = a[m x k] · w[n x k]ᵀ (row-major). Blas/Eigen parallelise internally or on `pool`.
void gemm(GemmPath path, const float* a, const float* w, float* out, int64_t m, int64_t n,
          int64_t k, ThreadPool& pool);

// out[i, j] = act(out[i, j] + bias[j]) in place; bias may be null.
void bias_activation(float* out, const float* bias, int64_t m, int64_t n, Activation act,
                     ThreadPool& pool);

// out = LayerNorm(x + residual) * gamma + beta per row; out may alias x or residual.
void add_layernorm(const float* x, const float* residual, const float* gamma, const float* beta,
                   float eps, float* out, int64_t rows, int64_t cols, ThreadPool& pool);

// Packed multi-head attention. qkv [T x 3H]; sequence s owns rows [offsets[s], offsets[s+1]).
// out [T x H], or [num_seqs x H] with cls_only (only each sequence's first query).
void attention(const float* qkv, const int32_t* offsets, int num_seqs, int hidden, int heads,
               bool cls_only, float* out, ThreadPool& pool);

// out[t] = LayerNorm(word[ids[t]] + position[pos[t]] + type[types[t]]).
void embed(const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t tokens,
           const float* word, const float* position, const float* token_type, const float* gamma,
           const float* beta, float eps, int hidden, float* out, ThreadPool& pool);

}  // namespace crossenc::cpu
