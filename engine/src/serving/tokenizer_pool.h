// The tokenizer pool: W workers turn requests into work items for the batcher, so tokenizing
// the next requests overlaps running the current batches.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "crossenc/tokenizer.h"
#include "serving/batcher.h"
#include "serving/request.h"
#include "serving/request_queue.h"

namespace crossenc::serving {

// Tokenizes pairs [begin, end) of `request` and queues them on `batcher`. On a tokenizer error
// (invalid UTF-8, or a too-long pair with truncate off) the request fails with
// InvalidRequestError and none of the range is queued; after close() it fails with Error.
void tokenize_and_queue(const Tokenizer& tokenizer, int max_length,
                        const std::shared_ptr<Request>& owner, size_t begin, size_t end,
                        Batcher& batcher);

class TokenizerPool {
 public:
  // workers >= 1. `tokenizer` and `batcher` must outlive the pool.
  TokenizerPool(int workers, const Tokenizer& tokenizer, int max_length, Batcher& batcher);
  ~TokenizerPool();  // = close_and_join()
  TokenizerPool(const TokenizerPool&) = delete;
  TokenizerPool& operator=(const TokenizerPool&) = delete;

  // Queues the request in chunks (so several workers share a large one). False once closed.
  bool submit(const std::shared_ptr<Request>& request);

  // Refuses new requests, tokenizes what is queued, joins the workers. Idempotent.
  void close_and_join();

 private:
  struct Task {
    std::shared_ptr<Request> request;
    size_t begin = 0, end = 0;
  };
  void worker_loop();

  const Tokenizer& tokenizer_;
  const int max_length_;
  Batcher& batcher_;
  RequestQueue<Task> tasks_;
  std::vector<std::thread> workers_;
};

}  // namespace crossenc::serving
