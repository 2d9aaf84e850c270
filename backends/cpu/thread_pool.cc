// ThreadPool: chunks claimed from one atomic ticket (generation + next item), so a late or
// preempted thread never runs a chunk of a finished job. Threads spin briefly before sleeping:
// an encoder batch issues ~40 parallel ops back to back, and a condition-variable wake-up per
// op would cost more than a short spin.
#include "thread_pool.h"

#include <chrono>

namespace crossenc::cpu {

namespace {
constexpr auto kSpin = std::chrono::microseconds(100);

// Tells the core we are spinning (frees pipeline resources for the other hyperthread).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(const Job& job) {
  const uint64_t gen = uint64_t{job.generation} << 32;
  uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    if ((t & ~uint64_t{0xffffffff}) != gen) return;  // a newer job: ours is complete
    const auto begin = static_cast<int64_t>(t & 0xffffffff);
    if (begin >= job.n) return;
    if (!ticket_.compare_exchange_weak(t, t + static_cast<uint64_t>(job.grain),
                                       std::memory_order_acq_rel)) {
      continue;
    }
    const int64_t end = std::min(job.n, begin + job.grain);
    job.task(job.context, begin, end);
    if (done_.fetch_add(end - begin, std::memory_order_acq_rel) + (end - begin) == job.n) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_cv_.notify_all();
    }
    t = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int64_t n, int64_t grain, Task task, void* context) {
  if (n <= 0) return;
  if (workers_.empty() || n <= grain) {
    task(context, 0, n);
    return;
  }
  std::lock_guard<std::mutex> serial(run_mutex_);
  Job job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job = {generation_.load() + 1, task, context, n, grain};
    job_ = job;
    done_.store(0);
    ticket_.store(uint64_t{job.generation} << 32, std::memory_order_release);
    generation_.store(job.generation, std::memory_order_release);
  }
  start_cv_.notify_all();
  work(job);
  // Chunks others still run are usually short: spin first, then sleep.
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  while (done_.load(std::memory_order_acquire) != n) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [&] { return done_.load() == n; });
      break;
    }
    cpu_relax();
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    while (generation_.load(std::memory_order_acquire) == seen &&
           std::chrono::steady_clock::now() < deadline) {
      cpu_relax();
    }
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_) return;
      job = job_;
      seen = job.generation;
    }
    work(job);
  }
}

}  // namespace crossenc::cpu
