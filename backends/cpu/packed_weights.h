// Repacked GEMM weights: a weight in a kernel's own layout (bytes + scales), made once at load and
// owned by the CPU backend. The encoder holds a Tensor whose data points at the PackedWeight.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gemm_int8.h"

namespace crossenc::cpu {

enum class WeightLayout : uint8_t { Int8Vnni };

struct PackedWeight {
  WeightLayout layout = WeightLayout::Int8Vnni;
  int64_t n = 0, k = 0;
  std::vector<int8_t> bytes;
  std::vector<float> scales;      // per output channel, padded to 16 with zeros
  std::vector<int32_t> col_sums;  // per output channel, padded to 16
  Int8Weight int8;                // the kernels' view of the above
};

// Row-major w [n x k] (F32) -> symmetric INT8 per output channel (crossenc/quantize.h) in the
// VNNI 16x4 layout. Throws Error on a non-finite weight.
std::unique_ptr<PackedWeight> pack_int8(const float* w, int64_t n, int64_t k);

// Weights already quantized (an INT8 .cenc file): row-major q [n x k] and its n scales.
std::unique_ptr<PackedWeight> pack_int8_quantized(const int8_t* q, const float* scales, int64_t n,
                                                  int64_t k);

}  // namespace crossenc::cpu
