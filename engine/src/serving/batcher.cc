// Dynamic, length-aware batch formation with size, token and timeout flush triggers.
#include "serving/batcher.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace crossenc::serving {
namespace {

// How far past the oldest item length-aware selection looks for similar lengths: wide enough
// to find matches, small enough that forming a batch stays cheap next to running it.
constexpr size_t kWindowBatches = 8;

}  // namespace

Batcher::Batcher(const BatcherOptions& options) : options_(options) {}

bool Batcher::push(std::vector<WorkItem>&& items) {
  if (items.empty()) return true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    const Clock::time_point now = Clock::now();
    for (WorkItem& item : items) {
      item.enqueued = now;
      queued_tokens_ += item.tokens;
      queue_.push_back(std::move(item));
    }
  }
  cv_.notify_all();  // several replicas may each find a batch due
  return true;
}

void Batcher::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Batcher::due(Clock::time_point now, Clock::time_point* deadline) const {
  if (queue_.empty()) return false;
  if (closed_ || !options_.dynamic) return true;
  if (queue_.size() >= options_.max_batch_pairs) return true;
  if (queued_tokens_ >= options_.max_batch_tokens) return true;
  *deadline = queue_.front().enqueued + std::chrono::milliseconds(options_.timeout_ms);
  return now >= *deadline;
}

std::vector<WorkItem> Batcher::next_batch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (closed_ && queue_.empty()) return {};
    Clock::time_point deadline{};
    if (due(Clock::now(), &deadline)) {
      std::vector<WorkItem> dropped;
      std::vector<WorkItem> batch = take(&dropped);
      // Finished here, not later: an empty batch must not leave a failed request waiting.
      // (A request's lock is a leaf; it is never held while taking ours.)
      for (WorkItem& item : dropped) item.request->finish_items(1);
      if (batch.empty()) continue;            // everything taken was dropped: look again
      if (!queue_.empty()) cv_.notify_one();  // more may be due for another replica
      return batch;
    }
    if (queue_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, deadline);
    }
  }
}

std::vector<WorkItem> Batcher::take(std::vector<WorkItem>* dropped) {
  if (!options_.dynamic) return take_one_request(dropped);
  if (options_.length_aware) return take_by_length(dropped);
  return take_fifo(dropped);
}

std::vector<WorkItem> Batcher::take_fifo(std::vector<WorkItem>* dropped) {
  std::vector<WorkItem> batch;
  size_t tokens = 0;
  while (!queue_.empty() && batch.size() < options_.max_batch_pairs) {
    WorkItem& item = queue_.front();
    if (item.request->failed()) {
      queued_tokens_ -= item.tokens;
      dropped->push_back(std::move(item));
      queue_.pop_front();
      continue;
    }
    if (!batch.empty() && tokens + item.tokens > options_.max_batch_tokens) break;
    tokens += item.tokens;
    queued_tokens_ -= item.tokens;
    batch.push_back(std::move(item));
    queue_.pop_front();
  }
  return batch;
}

// The oldest item always goes first (so nothing starves); the rest of the batch is filled
// with the items of the window whose lengths are closest to it.
std::vector<WorkItem> Batcher::take_by_length(std::vector<WorkItem>* dropped) {
  const size_t window = std::min(queue_.size(), kWindowBatches * options_.max_batch_pairs);
  std::vector<size_t> order(window);
  std::iota(order.begin(), order.end(), size_t{0});
  const int64_t anchor = queue_.front().tokens;
  const auto distance = [&](size_t i) { return std::abs(int64_t{queue_[i].tokens} - anchor); };
  std::stable_sort(order.begin() + 1, order.end(),
                   [&](size_t a, size_t b) { return distance(a) < distance(b); });
  std::vector<char> taken(window, 0);
  std::vector<WorkItem> batch;
  size_t tokens = 0;
  for (size_t i : order) {
    WorkItem& item = queue_[i];
    if (item.request->failed()) {
      taken[i] = 1;
      queued_tokens_ -= item.tokens;
      dropped->push_back(std::move(item));
      continue;
    }
    if (batch.size() >= options_.max_batch_pairs) continue;  // still sweeping failed ones
    if (!batch.empty() && tokens + item.tokens > options_.max_batch_tokens) continue;
    taken[i] = 1;
    tokens += item.tokens;
    queued_tokens_ -= item.tokens;
    batch.push_back(std::move(item));
  }
  // Compact the window in place, keeping arrival order.
  size_t out = 0;
  for (size_t i = 0; i < window; ++i) {
    if (taken[i]) continue;
    if (out != i) queue_[out] = std::move(queue_[i]);
    ++out;
  }
  queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(out),
               queue_.begin() + static_cast<ptrdiff_t>(window));
  return batch;
}

// Without dynamic batching a batch is a slice of the oldest request alone.
std::vector<WorkItem> Batcher::take_one_request(std::vector<WorkItem>* dropped) {
  while (!queue_.empty() && queue_.front().request->failed()) {
    queued_tokens_ -= queue_.front().tokens;
    dropped->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (queue_.empty()) return {};
  const Request* owner = queue_.front().request.get();
  const size_t window = std::min(queue_.size(), kWindowBatches * options_.max_batch_pairs);
  std::vector<WorkItem> batch;
  size_t tokens = 0, out = 0;
  for (size_t i = 0; i < window; ++i) {
    WorkItem& item = queue_[i];
    const bool fits = item.request.get() == owner && batch.size() < options_.max_batch_pairs &&
                      (batch.empty() || tokens + item.tokens <= options_.max_batch_tokens);
    if (fits) {
      tokens += item.tokens;
      queued_tokens_ -= item.tokens;
      batch.push_back(std::move(item));
    } else {
      if (out != i) queue_[out] = std::move(queue_[i]);
      ++out;
    }
  }
  queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(out),
               queue_.begin() + static_cast<ptrdiff_t>(window));
  return batch;
}

}  // namespace crossenc::serving
