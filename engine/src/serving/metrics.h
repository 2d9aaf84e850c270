// Service-wide counters and latency histograms behind one lock; snapshot() copies them out.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "crossenc/serving.h"
#include "serving/latency_histogram.h"
#include "serving/request.h"

namespace crossenc::serving {

class MetricsRecorder {
 public:
  explicit MetricsRecorder(size_t replicas);

  void set_replica_device(size_t replica, const std::string& backend, const std::string& device);

  // One answered score() call; `requests` counts both kinds, latencies only successes.
  void record_success(const RequestTiming& timing);
  void record_error();
  // A call refused for a full queue: counted apart from `requests`.
  void record_overloaded();
  // One forward pass on `replica`: packed `tokens` over `pairs` sequences, longest `max_len`.
  void record_batch(size_t replica, size_t pairs, size_t tokens, size_t max_len, double ms);

  MetricsSnapshot snapshot(size_t queued_pairs) const;

 private:
  struct Replica {
    std::string backend, device;
    uint64_t batches = 0, pairs = 0, tokens = 0;
    double busy_ms = 0;
    LatencyHistogram latency;
  };

  const Clock::time_point start_;
  const double start_cpu_s_;
  mutable std::mutex mutex_;
  uint64_t requests_ = 0, errors_ = 0, rejected_ = 0;
  uint64_t batches_ = 0, pairs_ = 0, tokens_ = 0, padded_tokens_ = 0;
  LatencyHistogram total_, queue_, tokenize_, inference_;
  std::vector<Replica> replicas_;
};

}  // namespace crossenc::serving
