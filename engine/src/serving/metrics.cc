// MetricsRecorder: aggregation of per-request and per-batch numbers into MetricsSnapshot.
#include "serving/metrics.h"

#include "crossenc/process_stats.h"

namespace crossenc::serving {

MetricsRecorder::MetricsRecorder(size_t replicas)
    : start_(Clock::now()), start_cpu_s_(process_cpu_seconds()), replicas_(replicas) {}

void MetricsRecorder::set_replica_device(size_t replica, const std::string& backend,
                                         const std::string& device) {
  std::lock_guard<std::mutex> lock(mutex_);
  replicas_.at(replica).backend = backend;
  replicas_.at(replica).device = device;
}

void MetricsRecorder::record_success(const RequestTiming& timing) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_;
  total_.record(timing.total_ms);
  queue_.record(timing.queue_ms);
  tokenize_.record(timing.tokenize_ms);
  inference_.record(timing.inference_ms);
}

void MetricsRecorder::record_error() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_;
  ++errors_;
}

void MetricsRecorder::record_overloaded() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++rejected_;
}

void MetricsRecorder::record_batch(size_t replica, size_t pairs, size_t tokens, size_t max_len,
                                   double ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++batches_;
  pairs_ += pairs;
  tokens_ += tokens;
  padded_tokens_ += pairs * max_len;
  Replica& r = replicas_.at(replica);
  ++r.batches;
  r.pairs += pairs;
  r.tokens += tokens;
  r.busy_ms += ms;
  r.latency.record(ms);
}

MetricsSnapshot MetricsRecorder::snapshot(size_t queued_pairs) const {
  MetricsSnapshot s;
  const double cpu_s = process_cpu_seconds();
  s.rss_bytes = process_rss_bytes();
  std::lock_guard<std::mutex> lock(mutex_);
  s.uptime_s = std::chrono::duration<double>(Clock::now() - start_).count();
  s.requests = requests_;
  s.errors = errors_;
  s.rejected_overloaded = rejected_;
  s.pairs = pairs_;
  s.tokens = tokens_;
  s.batches = batches_;
  s.pairs_per_s = s.uptime_s > 0 ? static_cast<double>(pairs_) / s.uptime_s : 0;
  s.request_latency = total_.summary();
  s.queue_wait = queue_.summary();
  s.tokenize = tokenize_.summary();
  s.inference = inference_.summary();
  if (batches_ > 0) {
    s.avg_batch_pairs = static_cast<double>(pairs_) / static_cast<double>(batches_);
    s.avg_batch_tokens = static_cast<double>(tokens_) / static_cast<double>(batches_);
  }
  if (padded_tokens_ > 0) {
    s.padded_baseline_waste_pct =
        100.0 * static_cast<double>(padded_tokens_ - tokens_) / static_cast<double>(padded_tokens_);
  }
  s.queued_pairs = queued_pairs;
  for (const Replica& r : replicas_) {
    s.replicas.push_back({.backend = r.backend,
                          .device = r.device,
                          .batches = r.batches,
                          .pairs = r.pairs,
                          .tokens = r.tokens,
                          .busy_ms = r.busy_ms,
                          .batch_latency = r.latency.summary()});
  }
  s.process_cpu_pct = s.uptime_s > 0 ? 100.0 * (cpu_s - start_cpu_s_) / s.uptime_s : 0;
  return s;
}

}  // namespace crossenc::serving
