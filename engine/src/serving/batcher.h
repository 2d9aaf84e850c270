// The dynamic batcher: tokenized pairs wait here until a replica pulls them as one batch.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "serving/request.h"

namespace crossenc::serving {

struct BatcherOptions {
  size_t max_batch_pairs = 32;
  size_t max_batch_tokens = 16384;  // a single longer pair still runs, alone
  int timeout_ms = 2;
  bool dynamic = true;       // false: a batch holds pairs of one request only, sent at once
  bool length_aware = true;  // fill a batch with pairs close in length to the oldest one
};

class Batcher {
 public:
  explicit Batcher(const BatcherOptions& options);

  // Queues tokenized items; returns false (taking nothing) once closed.
  bool push(std::vector<WorkItem>&& items);

  // Blocks until a batch is due: max_batch_pairs or max_batch_tokens are queued, the oldest
  // item has waited timeout_ms, or the batcher is closed (then what is left is drained).
  // Items of requests that already failed are finished and left out. Returns an empty batch
  // once closed and drained.
  std::vector<WorkItem> next_batch();

  // Stops accepting; queued items are still handed out.
  void close();

  const BatcherOptions& options() const { return options_; }

 private:
  bool due(Clock::time_point now, Clock::time_point* deadline) const;
  std::vector<WorkItem> take(std::vector<WorkItem>* dropped);
  std::vector<WorkItem> take_fifo(std::vector<WorkItem>* dropped);
  std::vector<WorkItem> take_by_length(std::vector<WorkItem>* dropped);
  std::vector<WorkItem> take_one_request(std::vector<WorkItem>* dropped);

  const BatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<WorkItem> queue_;  // in arrival order: front is the oldest
  size_t queued_tokens_ = 0;
  bool closed_ = false;
};

}  // namespace crossenc::serving
