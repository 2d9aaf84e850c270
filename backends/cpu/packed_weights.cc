// Weight repacking for the CPU kernels (packed_weights.h).
#include "packed_weights.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "crossenc/error.h"

namespace crossenc::cpu {

std::unique_ptr<PackedWeight> pack_int8(const float* w, int64_t n, int64_t k,
                                        const float* input_scale) {
  auto p = std::make_unique<PackedWeight>();
  p->layout = WeightLayout::Int8Vnni;
  p->n = n;
  p->k = k;
  const int64_t n_pad = (n + kInt8Cols - 1) / kInt8Cols * kInt8Cols;
  const int64_t k_pad = (k + kInt8KGroup - 1) / kInt8KGroup * kInt8KGroup;
  const int64_t groups = k_pad / kInt8KGroup;
  p->bytes.assign(static_cast<size_t>(n_pad * k_pad), 0);
  p->scales.assign(static_cast<size_t>(n_pad), 0.0f);
  p->offset_sums.assign(static_cast<size_t>(n_pad), 0);
  if (input_scale) p->input_scale.assign(input_scale, input_scale + k);
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t j = 0; j < n; ++j) {
    float amax = 0;
    for (int64_t c = 0; c < k; ++c) {
      row[c] = input_scale ? w[j * k + c] / input_scale[c] : w[j * k + c];
      if (!std::isfinite(row[c])) {
        throw Error("weight row " + std::to_string(j) + " holds a non-finite value");
      }
      amax = std::max(amax, std::fabs(row[c]));
    }
    const float scale = amax > 0 ? amax / 127.0f : 1.0f;
    p->scales[j] = scale;
    int32_t sum = 0;
    int8_t* block = p->bytes.data() + (j / kInt8Cols) * groups * kInt8Cols * kInt8KGroup;
    for (int64_t c = 0; c < k; ++c) {
      const int q = std::clamp(static_cast<int>(std::nearbyint(row[c] / scale)), -127, 127);
      block[((c / kInt8KGroup) * kInt8Cols + j % kInt8Cols) * kInt8KGroup + c % kInt8KGroup] =
          static_cast<int8_t>(q);
      sum += q;
    }
    p->offset_sums[j] = 128 * sum;
  }
  p->int8 = {.n = n,
             .k = k,
             .k_pad = k_pad,
             .packed = p->bytes.data(),
             .scales = p->scales.data(),
             .offset_sums = p->offset_sums.data(),
             .input_scale = p->input_scale.empty() ? nullptr : p->input_scale.data()};
  return p;
}

}  // namespace crossenc::cpu
