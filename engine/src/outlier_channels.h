// Outlier hidden channels: the few dimensions whose LayerNorm gain is an order of magnitude above
// the rest, as in trained BERTs. They make a model's scores sensitive to 8-bit rounding, so
// Engine::open warns when such a model runs in bf16 or int8.
#pragma once

#include <string>
#include <vector>

#include "crossenc/model_file.h"
#include "crossenc/types.h"

namespace crossenc {

// A channel is an outlier where, in any LayerNorm, |gain| > kOutlierGain x the median |gain| of
// that LayerNorm. Measured: at most 1.4x in the random models, 8-20x in minilm-l6-outliers.
inline constexpr float kOutlierGain = 4.0f;

struct OutlierChannels {
  std::vector<int> channels;  // ascending
  float max_ratio = 0;        // the largest |gain| / median |gain| over all LayerNorms
};

OutlierChannels find_outlier_channels(const ModelFile& model);

// What a user should know before trusting `dtype` on this model (empty: nothing).
std::vector<std::string> precision_warnings(const ModelFile& model, DType dtype);

}  // namespace crossenc
