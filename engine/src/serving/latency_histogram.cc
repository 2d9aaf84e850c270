// LatencyHistogram: bucketing and percentile estimation.
#include "serving/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace crossenc::serving {

int LatencyHistogram::bucket_of(double ms) {
  if (!(ms >= kMinMs)) return 0;  // also NaN
  const int b = 1 + static_cast<int>(std::floor(std::log10(ms / kMinMs) * kPerDecade));
  return std::min(b, kBuckets - 1);
}

void LatencyHistogram::record(double ms) {
  ms = std::max(ms, 0.0);
  ++buckets_[static_cast<size_t>(bucket_of(ms))];
  min_ = count_ == 0 ? ms : std::min(min_, ms);
  max_ = count_ == 0 ? ms : std::max(max_, ms);
  sum_ += ms;
  ++count_;
}

double LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)];
    if (seen < std::max<uint64_t>(rank, 1)) continue;
    // The bucket's geometric middle, kept inside what was actually observed.
    const double mid =
        b == 0 ? kMinMs / 2 : kMinMs * std::pow(10.0, (b - 0.5) / static_cast<double>(kPerDecade));
    return std::clamp(mid, min_, max_);
  }
  return max_;
}

LatencySummary LatencyHistogram::summary() const {
  LatencySummary s;
  s.count = count_;
  if (count_ == 0) return s;
  s.avg_ms = sum_ / static_cast<double>(count_);
  s.p50_ms = percentile(0.50);
  s.p90_ms = percentile(0.90);
  s.p95_ms = percentile(0.95);
  s.p99_ms = percentile(0.99);
  s.max_ms = max_;
  return s;
}

}  // namespace crossenc::serving
