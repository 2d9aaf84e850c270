// What the server records about each client request (the serving core keeps batch-level figures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crossenc/serving.h"

namespace crossenc::server {

// A Prometheus-style histogram: counts of observations <= each upper bound, plus +Inf.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram& other);
  Histogram& operator=(const Histogram&) = delete;
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative); one more than bounds (+Inf)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  // Every finished request: endpoint ("/rerank", "grpc.Infer"), status ("200", "INVALID_ARGUMENT").
  void record_request(std::string_view endpoint, std::string_view status, size_t pairs,
                      double seconds);
  // Every request the serving core answered: where its time went, how big it was.
  void record_scoring(const RequestTiming& timing, size_t pairs);
  // The HTTP transport: open connections, and connections or requests it turned away by cause
  // ("connections", "request_deadline", ...; see server/http/rejection.h).
  void http_connection_opened();
  void http_connection_closed();
  void record_http_rejection(std::string_view cause, uint64_t count = 1);  // 0: list the cause

  struct Counts {
    uint64_t requests = 0, pairs = 0;
  };
  struct Snapshot {
    std::map<std::pair<std::string, std::string>, Counts> by_endpoint_status;
    std::map<std::string, Histogram::Snapshot> latency_by_endpoint;  // seconds
    Histogram::Snapshot request_pairs, request_tokens;
    Histogram::Snapshot queue_wait, tokenize, inference;  // seconds, per request
    int64_t http_connections = 0;
    std::map<std::string, uint64_t> http_rejections;  // by cause
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Counts> by_endpoint_status_;
  std::map<std::string, Histogram, std::less<>> latency_by_endpoint_;
  Histogram request_pairs_, request_tokens_, queue_wait_, tokenize_, inference_;
  int64_t http_connections_ = 0;
  std::map<std::string, uint64_t, std::less<>> http_rejections_;
};

}  // namespace crossenc::server
