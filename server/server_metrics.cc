// Per-request counters and histograms of the server, safe to update from any thread.
#include "server_metrics.h"

#include <algorithm>

namespace crossenc::server {

namespace {
// Latencies from 0.5 ms to 30 s: reranking requests span sub-millisecond to multi-second.
std::vector<double> latency_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}
std::vector<double> powers_of_two(double first, double last) {
  std::vector<double> b;
  for (double v = first; v <= last; v *= 2) b.push_back(v);
  return b;
}
}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

Histogram::Histogram(const Histogram& other) {
  std::lock_guard lock(other.mutex_);
  bounds_ = other.bounds_;
  counts_ = other.counts_;
  sum_ = other.sum_;
  count_ = other.count_;
}

void Histogram::observe(double value) {
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  return {bounds_, counts_, sum_, count_};
}

ServerMetrics::ServerMetrics()
    : request_pairs_(powers_of_two(1, 1024)),
      request_tokens_(powers_of_two(16, 262144)),
      queue_wait_(latency_bounds()),
      tokenize_(latency_bounds()),
      inference_(latency_bounds()) {}

void ServerMetrics::record_request(std::string_view endpoint, std::string_view status, size_t pairs,
                                   double seconds) {
  std::lock_guard lock(mutex_);
  Counts& c = by_endpoint_status_[{std::string(endpoint), std::string(status)}];
  ++c.requests;
  c.pairs += pairs;
  auto it = latency_by_endpoint_.find(endpoint);
  if (it == latency_by_endpoint_.end()) {
    it = latency_by_endpoint_.emplace(std::string(endpoint), Histogram(latency_bounds())).first;
  }
  it->second.observe(seconds);
}

void ServerMetrics::record_scoring(const RequestTiming& t, size_t pairs) {
  request_pairs_.observe(static_cast<double>(pairs));
  request_tokens_.observe(static_cast<double>(t.tokens));
  queue_wait_.observe(t.queue_ms / 1000.0);
  tokenize_.observe(t.tokenize_ms / 1000.0);
  inference_.observe(t.inference_ms / 1000.0);
}

void ServerMetrics::http_connection_opened() {
  std::lock_guard lock(mutex_);
  ++http_connections_;
}

void ServerMetrics::http_connection_closed() {
  std::lock_guard lock(mutex_);
  --http_connections_;
}

void ServerMetrics::record_http_rejection(std::string_view cause, uint64_t count) {
  std::lock_guard lock(mutex_);
  auto it = http_rejections_.find(cause);
  if (it == http_rejections_.end()) it = http_rejections_.emplace(std::string(cause), 0).first;
  it->second += count;
}

ServerMetrics::Snapshot ServerMetrics::snapshot() const {
  Snapshot s;
  {
    std::lock_guard lock(mutex_);
    s.by_endpoint_status = by_endpoint_status_;
    s.http_connections = http_connections_;
    s.http_rejections.insert(http_rejections_.begin(), http_rejections_.end());
    for (const auto& [name, h] : latency_by_endpoint_) s.latency_by_endpoint[name] = h.snapshot();
  }
  s.request_pairs = request_pairs_.snapshot();
  s.request_tokens = request_tokens_.snapshot();
  s.queue_wait = queue_wait_.snapshot();
  s.tokenize = tokenize_.snapshot();
  s.inference = inference_.snapshot();
  return s;
}

}  // namespace crossenc::server
