// Summary statistics and latency buckets, computed the way the seed's Python reports did.
#include "stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crossenc::bench {

double percentile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = std::clamp(q, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

Summary summarize(std::span<const double> values) {
  Summary s;
  s.count = values.size();
  if (values.empty()) return s;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.avg = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - s.avg) * (x - s.avg);
  s.std = std::sqrt(sq / static_cast<double>(v.size()));
  s.min = v.front();
  s.max = v.back();
  s.p50 = percentile(v, 50);
  s.p75 = percentile(v, 75);
  s.p90 = percentile(v, 90);
  s.p95 = percentile(v, 95);
  s.p99 = percentile(v, 99);
  return s;
}

double correlation(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

namespace {
std::string ms1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}
}  // namespace

std::vector<LatencyBucket> latency_buckets(std::span<const double> latency_ms,
                                           std::span<const double> throughput) {
  const size_t n = std::min(latency_ms.size(), throughput.size());
  if (n == 0) return {};
  std::vector<double> sorted(latency_ms.begin(), latency_ms.begin() + static_cast<long>(n));
  std::sort(sorted.begin(), sorted.end());
  const double p50 = percentile(sorted, 50), p75 = percentile(sorted, 75),
               p90 = percentile(sorted, 90);
  constexpr double inf = std::numeric_limits<double>::infinity();
  struct Edge {
    double lo, hi;
    std::string name;
  };
  const Edge edges[] = {
      {-inf, p50, "< " + ms1(p50) + "ms (P50)"},
      {p50, p75, ms1(p50) + "-" + ms1(p75) + "ms (P50-P75)"},
      {p75, p90, ms1(p75) + "-" + ms1(p90) + "ms (P75-P90)"},
      {p90, inf, ">= " + ms1(p90) + "ms (P90+)"},
  };
  std::vector<LatencyBucket> out;
  for (const Edge& e : edges) {
    LatencyBucket b;
    b.range = e.name;
    b.min_tp = inf;
    b.max_tp = -inf;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      if (latency_ms[i] < e.lo || latency_ms[i] >= e.hi) continue;
      ++b.count;
      sum += throughput[i];
      b.min_tp = std::min(b.min_tp, throughput[i]);
      b.max_tp = std::max(b.max_tp, throughput[i]);
    }
    if (b.count > 0) {
      b.avg_tp = sum / static_cast<double>(b.count);
    } else {
      b.min_tp = b.max_tp = 0;
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace crossenc::bench
