// Weight repacking for the CPU kernels (packed_weights.h).
#include "packed_weights.h"

#include "crossenc/quantize.h"

namespace crossenc::cpu {

std::unique_ptr<PackedWeight> pack_int8(const float* w, int64_t n, int64_t k) {
  std::vector<int8_t> q(static_cast<size_t>(n * k));
  std::vector<float> scales(static_cast<size_t>(n));
  quantize_rows_int8(w, n, k, q.data(), scales.data());
  return pack_int8_quantized(q.data(), scales.data(), n, k);
}

std::unique_ptr<PackedWeight> pack_int8_quantized(const int8_t* q, const float* scales, int64_t n,
                                                  int64_t k) {
  auto p = std::make_unique<PackedWeight>();
  p->layout = WeightLayout::Int8Vnni;
  p->n = n;
  p->k = k;
  const int64_t n_pad = (n + kInt8Cols - 1) / kInt8Cols * kInt8Cols;
  const int64_t k_pad = (k + kInt8KGroup - 1) / kInt8KGroup * kInt8KGroup;
  const int64_t groups = k_pad / kInt8KGroup;
  p->bytes.assign(static_cast<size_t>(n_pad * k_pad), 0);
  p->scales.assign(static_cast<size_t>(n_pad), 0.0f);
  p->col_sums.assign(static_cast<size_t>(n_pad), 0);
  for (int64_t j = 0; j < n; ++j) {
    p->scales[j] = scales[j];
    int32_t sum = 0;
    int8_t* block = p->bytes.data() + (j / kInt8Cols) * groups * kInt8Cols * kInt8KGroup;
    for (int64_t c = 0; c < k; ++c) {
      const int8_t v = q[j * k + c];
      block[((c / kInt8KGroup) * kInt8Cols + j % kInt8Cols) * kInt8KGroup + c % kInt8KGroup] = v;
      sum += v;
    }
    p->col_sums[j] = sum;
  }
  p->int8 = {.n = n,
             .k = k,
             .k_pad = k_pad,
             .packed = p->bytes.data(),
             .scales = p->scales.data(),
             .col_sums = p->col_sums.data()};
  return p;
}

}  // namespace crossenc::cpu
