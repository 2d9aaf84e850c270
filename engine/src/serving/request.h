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
#include "crossenc/serving.h"

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

// Shared by the caller, the tokenizer workers and the replicas. Pair i owns the work-item slots
// [i * windows_per_pair(), (i + 1) * windows_per_pair()): one per window of its passage, those
// it does not use finished at tokenization. The request completes when each slot is scored or
// dropped (after an error), so the caller's pairs are never read once score() may return.
class Request {
 public:
  Request(std::span<const Pair> pairs, const ScoreRequestOptions& options,
          Clock::time_point arrival);

  size_t size() const { return pairs_.size(); }
  const Pair& pair(size_t i) const { return pairs_[i]; }
  const ScoreRequestOptions& options() const { return options_; }
  size_t windows_per_pair() const { return windows_per_pair_; }
  Clock::time_point arrival() const { return arrival_; }

  // Slots written by exactly one thread each (tokenizer, then replica), read after completion.
  std::vector<Encoding> encodings;  // per slot
  std::vector<float> scores;        // per slot
  std::vector<uint32_t> windows;    // per pair: how many slots it uses

  // Valid after wait(): each pair's best window score, in input order.
  std::vector<float> pair_scores() const;

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
  const ScoreRequestOptions options_;
  const size_t windows_per_pair_;
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
  uint32_t index = 0;   // slot within the request (see Request)
  uint32_t tokens = 0;  // sequence length
  Clock::time_point enqueued{};
};

}  // namespace crossenc::serving
