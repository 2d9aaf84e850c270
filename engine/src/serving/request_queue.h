// A closable multi-producer, multi-consumer FIFO: the tokenizer pool's task queue.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace crossenc::serving {

template <typename T>
class RequestQueue {
 public:
  // Appends all of `items` or, once closed, none of them (returns false).
  bool push_all(std::vector<T>&& items) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return false;
      for (T& item : items) queue_.push_back(std::move(item));
    }
    if (items.size() == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
    return true;
  }

  // The next item; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return std::nullopt;
    T item = std::move(queue_.front());
    queue_.pop_front();
    return item;
  }

  // Refuses new items; what is queued is still handed out.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<T> queue_;
  bool closed_ = false;
};

}  // namespace crossenc::serving
