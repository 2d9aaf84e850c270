// Request: completion counting and first-error bookkeeping for one score() call.
#include "serving/request.h"

#include <algorithm>

namespace crossenc::serving {

Request::Request(std::span<const Pair> pairs, const ScoreRequestOptions& options,
                 Clock::time_point arrival)
    : pairs_(pairs),
      options_(options),
      windows_per_pair_(std::max<size_t>(1, options.long_pairs.max_windows)),
      arrival_(arrival),
      pending_(pairs.size() * windows_per_pair_) {
  encodings.resize(pairs.size() * windows_per_pair_);
  scores.assign(encodings.size(), 0.0f);
  windows.assign(pairs.size(), 0);
}

std::vector<float> Request::pair_scores() const {
  std::vector<float> best(pairs_.size());
  for (size_t i = 0; i < best.size(); ++i) {
    const auto first = scores.begin() + static_cast<ptrdiff_t>(i * windows_per_pair_);
    best[i] = *std::max_element(first, first + std::max<uint32_t>(1, windows[i]));
  }
  return best;
}

void Request::fail(Failure::Kind kind, std::string message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_) failure_ = Failure{kind, std::move(message)};
  failed_.store(true, std::memory_order_release);
}

void Request::add_tokenize(double ms, size_t tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  tokenize_ms_ += ms;
  tokens_ += tokens;
}

void Request::note_batch_start(Clock::time_point start) {
  std::lock_guard<std::mutex> lock(mutex_);
  first_batch_start_ = ran_ ? std::min(first_batch_start_, start) : start;
  ran_ = true;
}

void Request::finish_items(size_t n) {
  if (n == 0) return;
  // acq_rel: the thread that reaches zero sees every other finisher's writes to the slots.
  if (pending_.fetch_sub(n, std::memory_order_acq_rel) != n) return;
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  done_cv_.notify_all();  // under the lock: the waiter may destroy *this right after
}

std::optional<Failure> Request::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [this] { return done_; });
  return failure_;
}

}  // namespace crossenc::serving
