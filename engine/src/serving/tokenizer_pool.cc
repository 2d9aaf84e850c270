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
  const size_t per_pair = request.windows_per_pair();
  const size_t slots = (end - begin) * per_pair;
  if (request.failed()) {  // an earlier chunk already failed: no point tokenizing this one
    request.finish_items(slots);
    return;
  }
  const ScoreRequestOptions& options = request.options();
  const Clock::time_point start = Clock::now();
  std::vector<WorkItem> items;
  items.reserve(end - begin);
  size_t tokens = 0;
  size_t pair = begin;
  try {
    for (; pair < end; ++pair) {
      const Pair& p = request.pair(pair);
      PairWindows w =
          tokenizer.encode_pair_windows(p.query, p.passage, max_length, options.long_pairs);
      if (!options.truncate && w.truncated) {
        throw InvalidRequestError(
            "pair " + std::to_string(pair) + " is longer than " +
            (per_pair > 1 ? std::to_string(per_pair) + " windows of " : std::string()) +
            "max_length " + std::to_string(max_length) +
            " tokens and truncation is off (truncate = false)");
      }
      request.windows[pair] = static_cast<uint32_t>(w.windows.size());
      for (size_t j = 0; j < w.windows.size(); ++j) {
        const size_t slot = pair * per_pair + j;
        const auto length = static_cast<uint32_t>(w.windows[j].input_ids.size());
        tokens += length;
        request.encodings[slot] = std::move(w.windows[j]);
        items.push_back({.request = owner, .index = static_cast<uint32_t>(slot), .tokens = length});
      }
    }
  } catch (const InvalidRequestError& e) {
    request.fail(Failure::Kind::InvalidRequest, e.what());
  } catch (const std::exception& e) {
    // The tokenizer throws Error only for input it cannot encode (e.g. invalid UTF-8).
    request.fail(Failure::Kind::InvalidRequest, "pair " + std::to_string(pair) + ": " + e.what());
  }
  request.add_tokenize(ms_between(start, Clock::now()), tokens);
  if (request.failed()) {
    request.finish_items(slots);
    return;
  }
  const size_t queued = items.size();
  request.finish_items(slots - queued);  // the window slots no pair needed
  if (!batcher.push(std::move(items))) {
    request.fail(Failure::Kind::Internal, "the service is shutting down");
    request.finish_items(queued);
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
