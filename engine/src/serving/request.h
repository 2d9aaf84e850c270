// One score() call in flight: the caller's pairs, their encodings and scores, completion, timing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crossenc/engine.h"

namespace crossenc::serving {

using Clock = std::chrono::steady_clock;

// Why a request failed. Kept as a message, not an exception object, so the caller throws a
// fresh exception of its own instead of sharing one across threads.
struct Failure {
  enum class Kind { InvalidRequest, Internal } kind = Kind::Internal;
  std::string message;
};

inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Shared by the caller, the tokenizer workers and the replicas. Every pair is one work item;
// the request completes when each item is either scored or dropped (after an error), so the
// caller's pairs are never read once score() may return.
class Request {
 public:
  Request(std::span<const Pair> pairs, bool truncate, Clock::time_point arrival);

  size_t size() const { return pairs_.size(); }
  const Pair& pair(size_t i) const { return pairs_[i]; }
  bool truncate() const { return truncate_; }
  Clock::time_point arrival() const { return arrival_; }

  // Slots written by exactly one thread each (tokenizer, then replica), read after completion.
  std::vector<Encoding> encodings;
  std::vector<float> scores;

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // Keeps the first failure; items not yet run are dropped from then on.
  void fail(Failure::Kind kind, std::string message);

  void add_tokenize(double ms, size_t tokens);
  void note_batch_start(Clock::time_point start);
  // Marks n items finished (scored or dropped); the last one wakes the caller.
  void finish_items(size_t n);

  // Blocks until every item is finished. Returns the first failure, if any.
  std::optional<Failure> wait();

  // Valid after wait().
  double tokenize_ms() const { return tokenize_ms_; }
  size_t tokens() const { return tokens_; }
  Clock::time_point first_batch_start() const { return first_batch_start_; }

 private:
  const std::span<const Pair> pairs_;
  const bool truncate_;
  const Clock::time_point arrival_;
  std::atomic<size_t> pending_;
  std::atomic<bool> failed_{false};

  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::optional<Failure> failure_;
  double tokenize_ms_ = 0;
  size_t tokens_ = 0;
  bool ran_ = false;
  Clock::time_point first_batch_start_{};
};

// One tokenized pair waiting for (or in) a batch.
struct WorkItem {
  std::shared_ptr<Request> request;
  uint32_t index = 0;   // pair index within the request
  uint32_t tokens = 0;  // sequence length
  Clock::time_point enqueued{};
};

}  // namespace crossenc::serving
