// The replica pool: N engine replicas, each on its own thread pulling batches from the batcher.
#pragma once

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/engine.h"
#include "serving/batcher.h"
#include "serving/metrics.h"

namespace crossenc::serving {

class ReplicaPool {
 public:
  // Opens one engine per entry of `backends`, each with `threads` CPU threads; each batch the
  // batcher forms runs as one forward pass (Engine::score_batch). Throws Error if any fails.
  ReplicaPool(const std::string& model_path, const Options& engine_options,
              const std::vector<std::string>& backends, int threads, Batcher& batcher,
              MetricsRecorder& metrics);
  ~ReplicaPool();  // = join()
  ReplicaPool(const ReplicaPool&) = delete;
  ReplicaPool& operator=(const ReplicaPool&) = delete;

  // Starts the replica threads; they run until the batcher is closed and drained.
  void start();
  // Waits for the threads (close the batcher first). Idempotent.
  void join();

  size_t size() const { return engines_.size(); }
  const Engine& engine(size_t i) const { return engines_[i]; }

 private:
  void run(size_t replica);
  void run_batch(size_t replica, std::vector<WorkItem>& batch);

  std::vector<Engine> engines_;
  Batcher& batcher_;
  MetricsRecorder& metrics_;
  std::vector<std::thread> threads_;
};

}  // namespace crossenc::serving
