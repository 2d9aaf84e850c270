// The serving core: a request queue with dynamic, length-aware batching over a pool of engine
// replicas, a tokenizer pool, backpressure and metrics. Used by the server, the CLI and bench.
//
//   crossenc::Service service("model.cenc", {.backend = "cpu"}, {.replicas = 1});
//   std::vector<float> s = service.score(pairs);   // from any number of threads
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crossenc/engine.h"
#include "crossenc/error.h"

namespace crossenc {

// Thrown by Service::score when the queue is full (HTTP 429 / gRPC RESOURCE_EXHAUSTED).
class OverloadedError : public Error {
 public:
  using Error::Error;
};

// Thrown for a request that can never be served as given (HTTP 422 / gRPC INVALID_ARGUMENT),
// e.g. invalid UTF-8, or a text longer than max_length with truncate = false.
class InvalidRequestError : public Error {
 public:
  using Error::Error;
};

struct ServiceOptions {
  int max_batch_pairs = 32;      // flush a batch at this many pairs ...
  int max_batch_tokens = 16384;  // ... or this many tokens ...
  int timeout_ms = 2;            // ... or when its oldest request has waited this long
  bool dynamic_batching = true;  // false: each request is run on its own (split if large)
  bool length_aware = true;      // group similar lengths when forming batches
  int replicas = 1;              // engine replicas pulling batches
  int threads_per_replica = 0;   // 0: cores / replicas
  std::vector<std::string> replica_backends;  // per replica ("cpu", "vulkan"); empty: options'
  int tokenizer_workers = 1;                  // tokenization threads feeding the batcher
  size_t max_queued_pairs = 65536;  // backpressure bound; beyond it score() throws Overloaded
};

struct ScoreRequestOptions {
  bool truncate = true;        // false: a pair its windows cannot hold is an InvalidRequestError
  LongPairOptions long_pairs;  // truncation side; windows for long passages (best one scores)
};

// Timing of one score() call, filled when the caller asks for it.
struct RequestTiming {
  double queue_ms = 0, tokenize_ms = 0, inference_ms = 0, total_ms = 0;
  size_t tokens = 0;
};

struct LatencySummary {
  uint64_t count = 0;
  double avg_ms = 0, p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

struct ReplicaMetrics {
  std::string backend, device;
  uint64_t batches = 0, pairs = 0, tokens = 0;
  double busy_ms = 0;
  LatencySummary batch_latency;
};

// A consistent copy of every counter, cheap enough to take once a second.
struct MetricsSnapshot {
  double uptime_s = 0;
  // requests: score() calls answered, errors among them; rejected_overloaded: calls refused for
  // a full queue (not in requests). pairs, tokens, batches: what the replicas ran.
  uint64_t requests = 0, pairs = 0, tokens = 0, errors = 0, rejected_overloaded = 0;
  uint64_t batches = 0;
  double pairs_per_s = 0;          // since start
  LatencySummary request_latency;  // total per request
  LatencySummary queue_wait, tokenize, inference;
  double avg_batch_pairs = 0, avg_batch_tokens = 0;
  // Batches are packed (no pad token is computed); this is what padding each batch to its
  // longest pair would have wasted.
  double padded_baseline_waste_pct = 0;
  size_t queued_pairs = 0;  // now: admitted, not yet answered
  std::vector<ReplicaMetrics> replicas;
  double process_cpu_pct = 0;  // since start, 100 = one core
  uint64_t rss_bytes = 0;
};

class Service {
 public:
  Service(const std::string& model_path, const Options& engine_options,
          const ServiceOptions& service_options = {});
  ~Service();  // = shutdown()
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Raw logits in input order. Blocks until done. Thread-safe. Throws OverloadedError,
  // InvalidRequestError, or Error (e.g. after shutdown()).
  std::vector<float> score(std::span<const Pair> pairs, const ScoreRequestOptions& request = {},
                           RequestTiming* timing = nullptr);

  // Stops accepting work, finishes what is queued, joins the workers. Idempotent.
  void shutdown();

  MetricsSnapshot metrics() const;
  const EngineInfo& info() const;
  const Tokenizer& tokenizer() const;
  const ServiceOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc
