// TokenizerPool: chunked tokenization of requests on worker threads.
#include "serving/tokenizer_pool.h"

#include <algorithm>
#include <string>

#include "crossenc/serving.h"

namespace crossenc::serving {
namespace {

// Pairs per task: small enough that a large request spreads over the workers and its first
// batch can start while the rest is still being tokenized.
constexpr size_t kChunkPairs = 16;

}  // namespace

void tokenize_and_queue(const Tokenizer& tokenizer, int max_length,
                        const std::shared_ptr<Request>& owner, size_t begin, size_t end,
                        Batcher& batcher) {
  Request& request = *owner;
  if (request.failed()) {  // an earlier chunk already failed: no point tokenizing this one
    request.finish_items(end - begin);
    return;
  }
  const Clock::time_point start = Clock::now();
  std::vector<WorkItem> items;
  items.reserve(end - begin);
  size_t tokens = 0;
  try {
    for (size_t i = begin; i < end; ++i) {
      const Pair& pair = request.pair(i);
      // With truncate off, one token of extra budget tells "fits" from "was cut".
      Encoding e = tokenizer.encode_pair(pair.query, pair.passage,
                                         request.truncate() ? max_length : max_length + 1);
      if (!request.truncate() && e.input_ids.size() > static_cast<size_t>(max_length)) {
        throw InvalidRequestError("pair " + std::to_string(i) + " is longer than max_length " +
                                  std::to_string(max_length) +
                                  " tokens and truncation is off (truncate = false)");
      }
      const auto length = static_cast<uint32_t>(e.input_ids.size());
      tokens += length;
      request.encodings[i] = std::move(e);
      items.push_back({.request = owner, .index = static_cast<uint32_t>(i), .tokens = length});
    }
  } catch (const InvalidRequestError& e) {
    request.fail(Failure::Kind::InvalidRequest, e.what());
  } catch (const std::exception& e) {
    // The tokenizer throws Error only for input it cannot encode (e.g. invalid UTF-8).
    request.fail(Failure::Kind::InvalidRequest,
                 "pair " + std::to_string(begin + items.size()) + ": " + e.what());
  }
  request.add_tokenize(ms_between(start, Clock::now()), tokens);
  if (request.failed()) {
    request.finish_items(end - begin);
    return;
  }
  if (!batcher.push(std::move(items))) {
    request.fail(Failure::Kind::Internal, "the service is shutting down");
    request.finish_items(end - begin);
  }
}

TokenizerPool::TokenizerPool(int workers, const Tokenizer& tokenizer, int max_length,
                             Batcher& batcher)
    : tokenizer_(tokenizer), max_length_(max_length), batcher_(batcher) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

TokenizerPool::~TokenizerPool() { close_and_join(); }

bool TokenizerPool::submit(const std::shared_ptr<Request>& request) {
  std::vector<Task> tasks;
  for (size_t begin = 0; begin < request->size(); begin += kChunkPairs) {
    tasks.push_back({request, begin, std::min(request->size(), begin + kChunkPairs)});
  }
  return tasks_.push_all(std::move(tasks));
}

void TokenizerPool::close_and_join() {
  tasks_.close();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void TokenizerPool::worker_loop() {
  while (std::optional<Task> task = tasks_.pop()) {
    tokenize_and_queue(tokenizer_, max_length_, task->request, task->begin, task->end, batcher_);
  }
}

}  // namespace crossenc::serving
