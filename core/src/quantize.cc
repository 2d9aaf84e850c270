// INT8 weight quantization (quantize.h).
#include "crossenc/quantize.h"

#include <algorithm>
#include <cmath>

#include "crossenc/error.h"

namespace crossenc {

void quantize_rows_int8(const float* w, int64_t n, int64_t k, int8_t* q, float* scales) {
  for (int64_t j = 0; j < n; ++j) {
    const float* row = w + j * k;
    float amax = 0;
    for (int64_t c = 0; c < k; ++c) {
      if (!std::isfinite(row[c])) {
        throw Error("weight row " + std::to_string(j) + " holds a non-finite value");
      }
      amax = std::max(amax, std::fabs(row[c]));
    }
    const float scale = amax > 0 ? amax / 127.0f : 1.0f;
    scales[j] = scale;
    for (int64_t c = 0; c < k; ++c) {
      q[j * k + c] = static_cast<int8_t>(
          std::clamp(static_cast<int>(std::nearbyint(row[c] / scale)), -127, 127));
    }
  }
}

void validate_int8_scales(const float* scales, int64_t n, const std::string& tensor) {
  for (int64_t j = 0; j < n; ++j) {
    if (!std::isfinite(scales[j]) || !(scales[j] > 0)) {
      throw Error("INT8 weight '" + tensor + "' has scale " + std::to_string(scales[j]) +
                  " for row " + std::to_string(j) +
                  " (scales must be finite and positive: the file is damaged; convert it again)");
    }
  }
}

}  // namespace crossenc
