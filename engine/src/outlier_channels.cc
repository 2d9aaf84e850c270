// find_outlier_channels and the warning Engine::open gives with it.
#include "outlier_channels.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace crossenc {

namespace {

std::vector<float> magnitudes(const ModelFile& model, const TensorInfo& info) {
  if (info.dtype == DType::I8) return {};
  std::vector<float> v = model.floats(info);
  for (float& x : v) x = std::fabs(x);
  return v;
}

std::vector<std::string> layer_norm_gains(const ModelFile& model) {
  namespace tn = tensor_names;
  std::vector<std::string> names = {tn::kEmbLnGamma};
  for (int i = 0; i < model.config().num_layers; ++i) {
    names.push_back(tn::layer(i, tn::kAttnLnGamma));
    names.push_back(tn::layer(i, tn::kFfnLnGamma));
  }
  return names;
}

}  // namespace

OutlierChannels find_outlier_channels(const ModelFile& model) {
  OutlierChannels out;
  std::set<int> channels;
  for (const std::string& name : layer_norm_gains(model)) {
    if (!model.has(name)) continue;
    const std::vector<float> gain = magnitudes(model, model.info(name));
    if (gain.empty()) continue;
    std::vector<float> sorted = gain;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(sorted.size() / 2),
                     sorted.end());
    const float median = sorted[sorted.size() / 2];
    if (!(median > 0)) continue;
    for (size_t j = 0; j < gain.size(); ++j) {
      const float ratio = gain[j] / median;
      out.max_ratio = std::max(out.max_ratio, ratio);
      if (ratio > kOutlierGain) channels.insert(static_cast<int>(j));
    }
  }
  out.channels.assign(channels.begin(), channels.end());
  return out;
}

std::vector<std::string> precision_warnings(const ModelFile& model, DType dtype) {
  if (dtype != DType::BF16 && dtype != DType::I8) return {};
  const OutlierChannels o = find_outlier_channels(model);
  if (o.channels.empty()) return {};
  std::string list;
  for (size_t i = 0; i < o.channels.size() && i < 8; ++i) {
    list += (i ? ", " : "") + std::to_string(o.channels[i]);
  }
  if (o.channels.size() > 8) list += ", ...";
  const int ratio = static_cast<int>(std::lround(o.max_ratio));
  return {"the model has " + std::to_string(o.channels.size()) + " outlier hidden channel(s) (" +
          list + ": LayerNorm gains up to " + std::to_string(ratio) +
          "x the median), as trained BERTs do; " + std::string(dtype_name(dtype)) +
          " rounding can move its scores by more than a logit and reorder rankings (README, " +
          "\"Choosing a dtype\"): check it on your own data with bench/accuracy.py, or use f32 " +
          "or f16"};
}

}  // namespace crossenc
