// A fixed-size log-bucket latency histogram: O(1) record, percentiles within ~3%.
#pragma once

#include <array>
#include <cstdint>

#include "crossenc/serving.h"

namespace crossenc::serving {

class LatencyHistogram {
 public:
  void record(double ms);
  LatencySummary summary() const;

 private:
  // Buckets 1 us .. 100 s, 40 per decade (each ~6% wide); bucket 0 is below, the last above.
  static constexpr int kPerDecade = 40;
  static constexpr int kDecades = 8;
  static constexpr double kMinMs = 1e-3;
  static constexpr int kBuckets = kPerDecade * kDecades + 2;

  static int bucket_of(double ms);
  double percentile(double q) const;

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace crossenc::serving
