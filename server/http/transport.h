// What the listener and every connection share: the I/O context, the handler threads, the
// limits, the metrics and the set of open connections (so that a drain can reach them all).
// Everything but `busy` is touched on the I/O thread only.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include "connection_limits.h"
#include "http_message.h"
#include "server_metrics.h"
#include "server_options.h"

namespace crossenc::server::http {

// An open connection as the drain sees it.
class Drainable {
 public:
  virtual ~Drainable() = default;
  // Stop reading requests: close now when idle or mid-request, after the answer when busy.
  virtual void drain() = 0;
};

// Requests handed to a handler thread and not yet fully answered; stop() waits for zero.
class BusyCount {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void done() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) idle_.notify_all();
  }
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int count_ = 0;
};

struct Transport {
  Transport(const ServerOptions& o, HttpHandler h, ServerMetrics& m)
      : options(o),
        handler(std::move(h)),
        metrics(m),
        limits(o.http_max_connections, o.http_max_connections_per_address),
        workers(static_cast<size_t>(std::max(1, o.http_threads))) {
    for (Rejection r : kAllRejections) metrics.record_http_rejection(rejection_cause(r), 0);
  }

  void reject(Rejection r) { metrics.record_http_rejection(rejection_cause(r)); }

  const ServerOptions options;
  const HttpHandler handler;
  ServerMetrics& metrics;
  ConnectionLimits limits;
  std::unordered_set<Drainable*> open;
  bool draining = false;
  BusyCount busy;
  // Declared last: destroyed first, so that connections still queued in them find the rest.
  boost::asio::io_context io{1};
  boost::asio::thread_pool workers;
};

}  // namespace crossenc::server::http
