// A fixed pool of worker threads for data-parallel kernels; the calling thread takes part.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace crossenc::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: hardware concurrency
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over [0, n) in chunks of `grain` items (0: about 8 chunks per thread),
  // handed out one at a time to whichever thread is free: a thread that the OS preempts does
  // not hold up the others. Blocks until all are done. Jobs from several callers run one after
  // the other; a job must not start another (not reentrant).
  template <class Fn>
  void parallel_for(int64_t n, Fn&& fn, int64_t grain = 0) {
    // Through a plain function pointer: no std::function is instantiated in the ISA-specific
    // translation units (an inline symbol built with AVX-512 flags could be the one linked).
    using F = std::remove_reference_t<Fn>;
    if (grain <= 0) grain = std::max<int64_t>(1, n / (8 * size()));
    run(
        n, grain, [](void* f, int64_t b, int64_t e) { (*static_cast<F*>(f))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  using Task = void (*)(void* context, int64_t begin, int64_t end);
  void run(int64_t n, int64_t grain, Task task, void* context);

 private:
  struct Job {
    uint32_t generation = 0;
    Task task = nullptr;
    void* context = nullptr;
    int64_t n = 0, grain = 1;
  };
  void work(const Job& job);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  Job job_;                              // guarded by mutex_
  std::atomic<uint32_t> generation_{0};  // of the newest job
  std::atomic<uint64_t> ticket_{0};      // generation << 32 | next unclaimed item
  std::atomic<int64_t> done_{0};         // items finished in the current job
  bool stop_ = false;
};

}  // namespace crossenc::cpu
