// ReplicaPool: runs formed batches through engine replicas and hands results back.
#include "serving/replica_pool.h"

#include <algorithm>
#include <optional>
#include <string>

#include "crossenc/backend.h"

namespace crossenc::serving {

ReplicaPool::ReplicaPool(const std::string& model_path, const Options& engine_options,
                         const std::vector<std::string>& backends, int threads, Batcher& batcher,
                         MetricsRecorder& metrics)
    : batcher_(batcher), metrics_(metrics) {
  for (size_t i = 0; i < backends.size(); ++i) {
    Options o = engine_options;
    o.backend = backends[i];
    o.threads = threads;
    engines_.push_back(Engine::open(model_path, o));
    metrics_.set_replica_device(i, engines_.back().info().backend, engines_.back().info().device);
  }
}

ReplicaPool::~ReplicaPool() { join(); }

void ReplicaPool::start() {
  for (size_t i = 0; i < engines_.size(); ++i) threads_.emplace_back([this, i] { run(i); });
}

void ReplicaPool::join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ReplicaPool::run(size_t replica) {
  while (true) {
    std::vector<WorkItem> batch = batcher_.next_batch();
    if (batch.empty()) return;  // closed and drained
    run_batch(replica, batch);
  }
}

void ReplicaPool::run_batch(size_t replica, std::vector<WorkItem>& batch) {
  // The batcher formed this batch (pairs and token caps): it runs as one forward pass.
  PackedBatch packed;
  size_t tokens = 0, max_len = 0;
  std::optional<std::string> error;
  try {
    for (WorkItem& item : batch) {
      Encoding& e = item.request->encodings[item.index];
      packed.add(e.input_ids, e.token_type_ids);
      e = Encoding{};  // each slot belongs to exactly one batch: free it now
      tokens += item.tokens;
      max_len = std::max<size_t>(max_len, item.tokens);
    }
  } catch (const std::exception& e) {
    error = std::string("inference failed: ") + e.what();
  }

  const Clock::time_point start = Clock::now();
  std::vector<float> scores;
  try {
    if (!error) scores = engines_[replica].score_batch(packed);
  } catch (const std::exception& e) {
    error = std::string("inference failed: ") + e.what();
  } catch (...) {
    error = "inference failed";
  }
  const Clock::time_point end = Clock::now();
  // Recorded before any caller wakes, so a returned score() is already counted.
  metrics_.record_batch(replica, batch.size(), tokens, max_len, ms_between(start, end));

  // Hand results back one request at a time (a batch holds slices of a few requests).
  std::vector<std::pair<Request*, size_t>> owners;
  for (size_t i = 0; i < batch.size(); ++i) {
    Request* r = batch[i].request.get();
    if (!error) r->scores[batch[i].index] = scores[i];
    auto it = std::find_if(owners.begin(), owners.end(), [&](auto& o) { return o.first == r; });
    if (it == owners.end()) {
      owners.emplace_back(r, 1);
    } else {
      ++it->second;
    }
  }
  for (auto& [request, count] : owners) {
    request->note_batch_start(start);
    if (error) request->fail(Failure::Kind::Internal, *error);
    request->finish_items(count);
  }
}

}  // namespace crossenc::serving
