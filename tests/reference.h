// Plain-loop reference implementations (double accumulation) that every backend is tested against.
#pragma once

#include <cstdint>
#include <vector>

#include "crossenc/backend.h"
#include "crossenc/model_file.h"

namespace crossenc::ref {

// out[m x n] = act(a[m x k] · w[n x k]ᵀ + bias)
std::vector<float> gemm(const std::vector<float>& a, const std::vector<float>& w,
                        const std::vector<float>* bias, Activation act, int64_t m, int64_t n,
                        int64_t k);
std::vector<float> add_layernorm(const std::vector<float>& x, const std::vector<float>& residual,
                                 const std::vector<float>& gamma, const std::vector<float>& beta,
                                 float eps, int64_t rows, int64_t cols);
std::vector<float> attention(const std::vector<float>& qkv, const std::vector<int32_t>& offsets,
                             int hidden, int heads, bool cls_only);
std::vector<float> embed(const PackedBatch& batch, const std::vector<float>& word,
                         const std::vector<float>& position, const std::vector<float>& token_type,
                         const std::vector<float>& gamma, const std::vector<float>& beta, float eps,
                         int hidden);

// The whole BertForSequenceClassification forward pass in float64, one sequence at a time.
std::vector<double> forward(const ModelFile& model, const PackedBatch& batch);

// Deterministic pseudo-random values in [lo, hi).
std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace crossenc::ref
