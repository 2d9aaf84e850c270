// Service: admission control (backpressure) in front of the tokenizer pool, batcher and
// replica pool; score() blocks its caller until the request's last batch is done.
#include "crossenc/serving.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "serving/batcher.h"
#include "serving/metrics.h"
#include "serving/replica_pool.h"
#include "serving/request.h"
#include "serving/tokenizer_pool.h"

namespace crossenc {

using serving::Clock;
using serving::ms_between;

namespace {

ServiceOptions resolve(ServiceOptions o, const Options& engine_options) {
  if (o.max_batch_pairs < 1) throw Error("max_batch_pairs must be >= 1");
  if (o.max_batch_tokens < 1) throw Error("max_batch_tokens must be >= 1");
  if (o.timeout_ms < 0) throw Error("timeout_ms must be >= 0");
  if (o.replicas < 1) throw Error("replicas must be >= 1");
  if (o.threads_per_replica < 0) throw Error("threads_per_replica must be >= 0");
  if (o.tokenizer_workers < 0) throw Error("tokenizer_workers must be >= 0");
  if (o.max_queued_pairs < 1) throw Error("max_queued_pairs must be >= 1");
  if (!o.replica_backends.empty() && o.replica_backends.size() != static_cast<size_t>(o.replicas)) {
    throw Error("replica_backends names " + std::to_string(o.replica_backends.size()) +
                " backends for " + std::to_string(o.replicas) + " replicas");
  }
  if (o.threads_per_replica == 0) {
    // Split the engine's thread budget (all cores by default) evenly over the replicas.
    const int cores = engine_options.threads > 0
                          ? engine_options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.threads_per_replica = std::max(1, cores / o.replicas);
  }
  return o;
}

}  // namespace

struct Service::Impl {
  ServiceOptions options;
  serving::MetricsRecorder metrics;
  serving::Batcher batcher;
  serving::ReplicaPool replicas;
  std::unique_ptr<serving::TokenizerPool> tokenizers;  // null: callers tokenize themselves
  std::atomic<size_t> admitted_pairs{0};               // admitted and not yet answered
  // Callers between the accepting check and handing their request to the pipeline. Shutdown
  // clears `accepting`, then waits for this to reach 0 before closing the pipeline, so a
  // request counted as queued is never refused (a counter, not a lock: no writer starvation).
  std::atomic<int> admitting{0};
  std::atomic<bool> accepting{true};
  std::once_flag shutdown_once;

  static std::vector<std::string> backends(const ServiceOptions& o, const Options& engine) {
    if (!o.replica_backends.empty()) return o.replica_backends;
    return std::vector<std::string>(static_cast<size_t>(o.replicas), engine.backend);
  }

  Impl(const std::string& model_path, const Options& engine_options, const ServiceOptions& o)
      : options(o),
        metrics(static_cast<size_t>(o.replicas)),
        batcher({.max_batch_pairs = static_cast<size_t>(o.max_batch_pairs),
                 .max_batch_tokens = static_cast<size_t>(o.max_batch_tokens),
                 .timeout_ms = o.timeout_ms,
                 .dynamic = o.dynamic_batching,
                 .length_aware = o.length_aware}),
        replicas(model_path, engine_options, backends(o, engine_options), o.threads_per_replica,
                 batcher, metrics) {
    if (o.tokenizer_workers > 0) {
      tokenizers = std::make_unique<serving::TokenizerPool>(
          o.tokenizer_workers, engine().tokenizer(), engine().info().max_length, batcher);
    }
    replicas.start();
  }

  const Engine& engine() const { return replicas.engine(0); }

  // Reserves room for n pairs; false when that would pass max_queued_pairs.
  bool admit(size_t n) {
    size_t current = admitted_pairs.load(std::memory_order_relaxed);
    do {
      if (current + n > options.max_queued_pairs) return false;
    } while (
        !admitted_pairs.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
    return true;
  }

  void shutdown() {
    std::call_once(shutdown_once, [this] {
      accepting = false;
      while (admitting.load() > 0) std::this_thread::yield();
      // Upstream first: every queued request is tokenized into the batcher before it closes,
      // and the replicas drain the batcher before they exit.
      if (tokenizers) tokenizers->close_and_join();
      batcher.close();
      replicas.join();
    });
  }
};

Service::Service(const std::string& model_path, const Options& engine_options,
                 const ServiceOptions& service_options)
    : impl_(std::make_unique<Impl>(model_path, engine_options,
                                   resolve(service_options, engine_options))) {}

Service::~Service() {
  if (impl_) impl_->shutdown();
}

std::vector<float> Service::score(std::span<const Pair> pairs, const ScoreRequestOptions& request,
                                  RequestTiming* timing) {
  Impl& s = *impl_;
  const Clock::time_point arrival = Clock::now();
  struct Admitting {  // seq_cst pairs with shutdown(): it sees us, or we see it
    std::atomic<int>& count;
    bool held = true;
    explicit Admitting(std::atomic<int>& c) : count(c) { count.fetch_add(1); }
    void done() {
      if (held) count.fetch_sub(1);
      held = false;
    }
    ~Admitting() { done(); }
  } admitting{s.admitting};
  if (!s.accepting) {
    s.metrics.record_error();
    throw Error("the service is shut down");
  }
  if (request.long_pairs.max_windows < 1) {
    s.metrics.record_error();
    throw InvalidRequestError("max_windows must be >= 1");
  }
  if (pairs.empty()) {
    if (timing) *timing = {};
    s.metrics.record_success({});
    return {};
  }
  if (pairs.size() > s.options.max_queued_pairs) {
    s.metrics.record_error();
    throw InvalidRequestError("a request of " + std::to_string(pairs.size()) +
                              " pairs can never fit the queue (max_queued_pairs = " +
                              std::to_string(s.options.max_queued_pairs) + ")");
  }
  if (!s.admit(pairs.size())) {
    s.metrics.record_overloaded();
    throw OverloadedError("overloaded: " + std::to_string(s.options.max_queued_pairs) +
                          " pairs already queued (max_queued_pairs); retry later");
  }
  struct Release {  // gives the queue room back however score() leaves
    std::atomic<size_t>& admitted;
    size_t n;
    ~Release() { admitted.fetch_sub(n, std::memory_order_relaxed); }
  } release{s.admitted_pairs, pairs.size()};

  auto req = std::make_shared<serving::Request>(pairs, request, arrival);
  if (s.tokenizers) {
    if (!s.tokenizers->submit(req)) {
      s.metrics.record_error();
      throw Error("the service is shut down");
    }
  } else {
    serving::tokenize_and_queue(s.engine().tokenizer(), s.engine().info().max_length, req, 0,
                                req->size(), s.batcher);
  }
  admitting.done();
  if (const std::optional<serving::Failure> failure = req->wait()) {
    s.metrics.record_error();
    if (failure->kind == serving::Failure::Kind::InvalidRequest) {
      throw InvalidRequestError(failure->message);
    }
    throw Error(failure->message);
  }

  const Clock::time_point done = Clock::now();
  RequestTiming t;
  t.total_ms = ms_between(arrival, done);
  t.tokenize_ms = req->tokenize_ms();
  t.inference_ms = ms_between(req->first_batch_start(), done);
  // The rest: waiting for a tokenizer worker and for a batch to form and a replica to free up.
  t.queue_ms = std::max(0.0, t.total_ms - t.tokenize_ms - t.inference_ms);
  t.tokens = req->tokens();
  s.metrics.record_success(t);
  if (timing) *timing = t;
  return req->pair_scores();
}

void Service::shutdown() { impl_->shutdown(); }

MetricsSnapshot Service::metrics() const {
  return impl_->metrics.snapshot(impl_->admitted_pairs.load(std::memory_order_relaxed));
}

const EngineInfo& Service::info() const { return impl_->engine().info(); }
const Tokenizer& Service::tokenizer() const { return impl_->engine().tokenizer(); }
const ServiceOptions& Service::options() const { return impl_->options; }

}  // namespace crossenc
