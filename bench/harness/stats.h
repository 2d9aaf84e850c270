// Summary statistics of a sample (avg, min, max, std, percentiles) and the seed reports'
// latency-vs-throughput bucket analysis.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace crossenc::bench {

struct Summary {
  size_t count = 0;
  double avg = 0, min = 0, max = 0, std = 0;  // std: population (numpy's default)
  double p50 = 0, p75 = 0, p90 = 0, p95 = 0, p99 = 0;
};

// Linear-interpolation percentile (numpy's default), q in [0, 100]; 0 for an empty sample.
double percentile(std::span<const double> sorted, double q);
Summary summarize(std::span<const double> values);

// Pearson correlation; 0 when either side has no variance or fewer than 2 points.
double correlation(std::span<const double> x, std::span<const double> y);

// One row of "Latency vs Throughput Analysis": requests whose latency falls in [lo, hi).
struct LatencyBucket {
  std::string range;  // "< 51.4ms (P50)", "51.4-57.0ms (P50-P75)", ...
  double avg_tp = 0, min_tp = 0, max_tp = 0;
  size_t count = 0;
};
// Buckets < P50, P50-P75, P75-P90, >= P90 of latency, with the throughput of each request.
std::vector<LatencyBucket> latency_buckets(std::span<const double> latency_ms,
                                           std::span<const double> throughput);

}  // namespace crossenc::bench
