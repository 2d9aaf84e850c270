// Tests of the serving core: batcher policy, ordering, split/re-join, timeout flush,
// backpressure, 64 concurrent callers, shutdown with queued work, metrics, request errors.
#include "crossenc/serving.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/model_file.h"
#include "serving/batcher.h"
#include "serving/latency_histogram.h"
#include "test_util.h"

namespace crossenc {
namespace {

namespace fs = std::filesystem;
using serving::Clock;

double ms_since(Clock::time_point t) { return serving::ms_between(t, Clock::now()); }

// ---------------------------------------------------------------- Batcher (no model needed)

struct BatcherFixture {
  std::vector<Pair> pairs = std::vector<Pair>(16);
  std::shared_ptr<serving::Request> request(size_t n) {
    return std::make_shared<serving::Request>(std::span<const Pair>(pairs.data(), n),
                                              ScoreRequestOptions{}, Clock::now());
  }
  static std::vector<serving::WorkItem> items(const std::shared_ptr<serving::Request>& r,
                                              const std::vector<uint32_t>& tokens) {
    std::vector<serving::WorkItem> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      out.push_back({.request = r, .index = static_cast<uint32_t>(i), .tokens = tokens[i]});
    }
    return out;
  }
  static std::vector<uint32_t> lengths(const std::vector<serving::WorkItem>& batch) {
    std::vector<uint32_t> out;
    for (const auto& item : batch) out.push_back(item.tokens);
    return out;
  }
};

TEST(Batcher, FifoRespectsPairAndTokenCaps) {
  BatcherFixture f;
  serving::Batcher b(
      {.max_batch_pairs = 3, .max_batch_tokens = 100, .timeout_ms = 0, .length_aware = false});
  auto r = f.request(7);
  ASSERT_TRUE(b.push(f.items(r, {10, 11, 12, 13, 87, 20, 150})));
  b.close();
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{10, 11, 12}));
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{13, 87}));  // exactly 100 tokens
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{20}));
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{150}));  // over the cap: alone
  EXPECT_TRUE(b.next_batch().empty());
  EXPECT_FALSE(b.push(f.items(r, {1})));  // closed
}

TEST(Batcher, LengthAwareGroupsSimilarLengthsOldestFirst) {
  BatcherFixture f;
  serving::Batcher b({.max_batch_pairs = 2, .timeout_ms = 0, .length_aware = true});
  auto r = f.request(6);
  ASSERT_TRUE(b.push(f.items(r, {10, 100, 98, 12, 55, 50})));
  b.close();
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{10, 12}));
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{100, 98}));
  EXPECT_EQ(f.lengths(b.next_batch()), (std::vector<uint32_t>{55, 50}));
  EXPECT_TRUE(b.next_batch().empty());
}

TEST(Batcher, WithoutDynamicBatchingABatchIsOneRequest) {
  BatcherFixture f;
  serving::Batcher b({.max_batch_pairs = 8, .timeout_ms = 60000, .dynamic = false});
  auto r1 = f.request(2), r2 = f.request(2);
  ASSERT_TRUE(b.push(f.items(r1, {5})));
  ASSERT_TRUE(b.push(f.items(r2, {6, 7})));
  auto tail = f.items(r1, {8, 9});
  tail.erase(tail.begin());  // r1's second pair (index 1)
  ASSERT_TRUE(b.push(std::move(tail)));
  const auto start = Clock::now();
  auto first = b.next_batch();  // due at once: no waiting for the 60 s timeout
  EXPECT_LT(ms_since(start), 5000);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].request, r1);
  EXPECT_EQ(first[1].request, r1);
  auto second = b.next_batch();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].request, r2);
}

TEST(Batcher, FlushesOnTimeoutOrWhenFull) {
  BatcherFixture f;
  {
    serving::Batcher b({.max_batch_pairs = 8, .timeout_ms = 50});
    ASSERT_TRUE(b.push(f.items(f.request(1), {10})));
    const auto start = Clock::now();
    EXPECT_EQ(b.next_batch().size(), 1u);
    EXPECT_GE(ms_since(start), 45);    // waited for company ...
    EXPECT_LT(ms_since(start), 5000);  // ... but not forever
  }
  {
    serving::Batcher b({.max_batch_pairs = 4, .timeout_ms = 60000});
    ASSERT_TRUE(b.push(f.items(f.request(5), {1, 2, 3, 4, 5})));
    const auto start = Clock::now();
    EXPECT_EQ(b.next_batch().size(), 4u);  // full: no waiting
    EXPECT_LT(ms_since(start), 5000);
  }
  {
    serving::Batcher b({.max_batch_pairs = 100,
                        .max_batch_tokens = 64,
                        .timeout_ms = 60000,
                        .length_aware = false});
    ASSERT_TRUE(b.push(f.items(f.request(3), {30, 30, 30})));
    const auto start = Clock::now();
    EXPECT_EQ(b.next_batch().size(), 2u);  // token cap reached: no waiting
    EXPECT_LT(ms_since(start), 5000);
  }
}

TEST(Batcher, DropsItemsOfFailedRequests) {
  BatcherFixture f;
  serving::Batcher b({.max_batch_pairs = 8, .timeout_ms = 0});
  auto bad = f.request(2), good = f.request(1);
  ASSERT_TRUE(b.push(f.items(bad, {4, 5})));
  ASSERT_TRUE(b.push(f.items(good, {6})));
  bad->fail(serving::Failure::Kind::Internal, "boom");
  auto batch = b.next_batch();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].request, good);
  EXPECT_TRUE(bad->wait().has_value());  // both dropped items were finished
}

TEST(LatencyHistogram, Percentiles) {
  serving::LatencyHistogram h;
  EXPECT_EQ(h.summary().count, 0u);
  for (int i = 1; i <= 1000; ++i) h.record(i * 0.1);  // 0.1 .. 100 ms
  const LatencySummary s = h.summary();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_NEAR(s.avg_ms, 50.05, 1e-6);
  EXPECT_NEAR(s.p50_ms, 50, 50 * 0.04);
  EXPECT_NEAR(s.p90_ms, 90, 90 * 0.04);
  EXPECT_NEAR(s.p99_ms, 99, 99 * 0.04);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
}

// ---------------------------------------------------------------- Service on the tiny model

fs::path tiny_model_dir() {
  const fs::path committed = test::data_path("tiny-random");
  if (fs::exists(committed / "config.json")) return committed;
  return test::shared_path("models/tiny-random");
}

class ServiceTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path dir = tiny_model_dir();
    if (!fs::exists(dir / "config.json")) return;
    model_ = (::crossenc::test::temp_dir() / "service.cenc").string();
    write_model_file(model_, convert_hf_folder(dir.string()));
  }
  void SetUp() override {
    CROSSENC_REQUIRE_SHARED_FILE(tiny_model_dir() / "config.json");
    ASSERT_FALSE(model_.empty());
  }

  static const std::string& model() { return model_; }

  static Engine& engine() {
    static Engine e = Engine::open(model_, {.threads = 1});
    return e;
  }

  // Pair i: lengths vary from a few tokens to ~120, so batches mix lengths.
  static Pair make_pair(size_t i) {
    static const char* words[] = {"flea",    "life",  "cycle", "host", "year",  "pet",
                                  "control", "water", "river", "city", "music", "history"};
    std::string q = "what is the " + std::string(words[i % 12]) + " number " + std::to_string(i);
    std::string p;
    for (size_t w = 0; w < 1 + (i * 7) % 90; ++w) p += std::string(words[(i + w * 5) % 12]) + " ";
    return {q, p};
  }
  static std::vector<Pair> make_pairs(size_t first, size_t n) {
    std::vector<Pair> out;
    for (size_t i = first; i < first + n; ++i) out.push_back(make_pair(i));
    return out;
  }
  // Direct, unbatched scores: one Engine::score call per pair.
  static std::vector<float> direct(const std::vector<Pair>& pairs) {
    std::vector<float> out;
    for (const Pair& p : pairs) out.push_back(engine().score({p})[0]);
    return out;
  }
  static void expect_scores(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "pair " << i;
  }
  // Polls until the service has admitted `pairs` pairs (callers blocked inside score()).
  static void wait_queued(const Service& s, size_t pairs) {
    const auto start = Clock::now();
    while (s.metrics().queued_pairs < pairs && ms_since(start) < 10000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(s.metrics().queued_pairs, pairs);
  }

  static inline std::string model_;  // the converted tiny model, for the whole suite
};

TEST_F(ServiceTest, ScoresInInputOrderAndMatchTheEngine) {
  Service s(model(), {.threads = 1}, {.threads_per_replica = 1});
  const auto pairs = make_pairs(0, 50);
  expect_scores(s.score(pairs), direct(pairs));
  EXPECT_EQ(s.info().config.hidden_size, engine().info().config.hidden_size);
  EXPECT_EQ(s.options().threads_per_replica, 1);
  EXPECT_TRUE(s.score({}).empty());
}

TEST_F(ServiceTest, SplitsARequestLargerThanABatchAndRejoinsIt) {
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 4, .timeout_ms = 1, .threads_per_replica = 1});
  const auto pairs = make_pairs(100, 37);
  expect_scores(s.score(pairs), direct(pairs));
  const MetricsSnapshot m = s.metrics();
  EXPECT_EQ(m.pairs, 37u);
  EXPECT_EQ(m.batches, 10u);  // 9 full batches of 4, then 1
  EXPECT_LE(m.avg_batch_pairs, 4.0);

  // Split by tokens too: no batch over 60 tokens unless a single pair is longer.
  Service t(model(), {.threads = 1},
            {.max_batch_tokens = 60, .timeout_ms = 1, .threads_per_replica = 1});
  expect_scores(t.score(pairs), direct(pairs));
  size_t alone = 0, packable_tokens = 0;  // a pair over the cap runs alone; the rest pack
  for (const Pair& p : pairs) {
    const size_t n = engine().tokenize(p.query, p.passage).input_ids.size();
    if (n > 60) {
      ++alone;
    } else {
      packable_tokens += n;
    }
  }
  EXPECT_GE(t.metrics().batches, alone + (packable_tokens + 59) / 60);
}

TEST_F(ServiceTest, TimeoutFlushesALoneSmallRequest) {
  constexpr int kTimeoutMs = 100;
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 1000, .timeout_ms = kTimeoutMs, .threads_per_replica = 1});
  const auto pairs = make_pairs(7, 1);
  auto start = Clock::now();
  expect_scores(s.score(pairs), direct(pairs));
  EXPECT_GE(ms_since(start), kTimeoutMs * 0.95);  // it waited for company ...
  EXPECT_LT(ms_since(start), kTimeoutMs + 3000);  // ... for about timeout_ms only

  // A full batch does not wait for the timeout.
  Service full(model(), {.threads = 1},
               {.max_batch_pairs = 8, .timeout_ms = 60000, .threads_per_replica = 1});
  start = Clock::now();
  const auto eight = make_pairs(20, 8);
  expect_scores(full.score(eight), direct(eight));
  EXPECT_LT(ms_since(start), 5000);
}

TEST_F(ServiceTest, BackpressureFailsFastWhenTheQueueIsFull) {
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 1000,
             .timeout_ms = 60000,
             .threads_per_replica = 1,
             .max_queued_pairs = 8});
  const auto eight = make_pairs(0, 8);
  auto blocked = std::async(std::launch::async, [&] { return s.score(eight); });
  wait_queued(s, 8);

  const auto start = Clock::now();
  const auto one = make_pairs(50, 1);
  EXPECT_THROW(s.score(one), OverloadedError);
  EXPECT_LT(ms_since(start), 1000);  // at once, not after the 60 s timeout
  try {
    s.score(one);
  } catch (const OverloadedError& e) {
    EXPECT_NE(std::string(e.what()).find("overloaded"), std::string::npos) << e.what();
  }
  // Too large for the queue even when empty: not retryable, so not "overloaded".
  EXPECT_THROW(s.score(make_pairs(0, 9)), InvalidRequestError);

  s.shutdown();  // flushes the waiting batch
  expect_scores(blocked.get(), direct(eight));
  const MetricsSnapshot m = s.metrics();
  EXPECT_EQ(m.rejected_overloaded, 2u);
  EXPECT_EQ(m.errors, 1u);
  EXPECT_EQ(m.requests, 2u);  // the 8 pairs and the 9; the refused calls are counted apart
  EXPECT_EQ(m.queued_pairs, 0u);
}

TEST_F(ServiceTest, SixtyFourConcurrentCallersGetTheirOwnScores) {
  constexpr size_t kCallers = 64;
  // Caller c sends pairs [offset(c), offset(c) + 1 + c % 8): distinct texts per caller, so a
  // misrouted score shows up.
  std::vector<std::vector<Pair>> requests(kCallers);
  std::vector<std::vector<float>> expected(kCallers);
  size_t offset = 0;
  for (size_t c = 0; c < kCallers; ++c) {
    requests[c] = make_pairs(offset, 1 + c % 8);
    offset += requests[c].size();
    expected[c] = direct(requests[c]);
  }
  const ServiceOptions configs[] = {
      {.max_batch_pairs = 8,
       .timeout_ms = 1,
       .replicas = 2,
       .threads_per_replica = 1,
       .tokenizer_workers = 2},
      {.max_batch_pairs = 16,
       .max_batch_tokens = 512,
       .timeout_ms = 2,
       .length_aware = false,
       .replicas = 1,
       .threads_per_replica = 1,
       .tokenizer_workers = 0},
  };
  for (const ServiceOptions& config : configs) {
    Service s(model(), {.threads = 1}, config);
    std::vector<std::vector<float>> got(kCallers);
    std::atomic<int> ready{0};
    std::vector<std::thread> callers;
    for (size_t c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        ready.fetch_add(1);
        while (ready.load() < static_cast<int>(kCallers)) std::this_thread::yield();
        got[c] = s.score(requests[c]);
      });
    }
    for (auto& t : callers) t.join();
    for (size_t c = 0; c < kCallers; ++c) {
      SCOPED_TRACE("caller " + std::to_string(c));
      expect_scores(got[c], expected[c]);
    }
    const MetricsSnapshot m = s.metrics();
    EXPECT_EQ(m.requests, kCallers);
    EXPECT_EQ(m.errors, 0u);
    EXPECT_EQ(m.pairs, offset);  // nothing lost, nothing run twice
  }
}

TEST_F(ServiceTest, ShutdownFinishesQueuedRequests) {
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 1000,
             .timeout_ms = 60000,
             .threads_per_replica = 1,
             .tokenizer_workers = 2});
  std::vector<std::vector<Pair>> requests;
  std::vector<std::future<std::vector<float>>> results;
  for (size_t c = 0; c < 8; ++c) requests.push_back(make_pairs(c * 10, 1 + c));
  for (size_t c = 0; c < 8; ++c) {
    results.push_back(std::async(std::launch::async, [&, c] { return s.score(requests[c]); }));
  }
  wait_queued(s, 36);
  const auto start = Clock::now();
  s.shutdown();
  EXPECT_LT(ms_since(start), 10000);  // drained, not waiting out the 60 s timeout
  for (size_t c = 0; c < 8; ++c) expect_scores(results[c].get(), direct(requests[c]));
  try {
    s.score(requests[0]);
    ADD_FAILURE() << "score() after shutdown() returned";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shut down"), std::string::npos) << e.what();
  }
  s.shutdown();  // idempotent
}

TEST_F(ServiceTest, ScoreRacingShutdownGetsAResultOrAClearError) {
  for (int workers : {0, 2}) {
    Service s(model(), {.threads = 1},
              {.max_batch_pairs = 4,
               .timeout_ms = 1,
               .replicas = 2,
               .threads_per_replica = 1,
               .tokenizer_workers = workers});
    const auto pairs = make_pairs(300, 3);
    const auto want = direct(pairs);
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 8; ++c) {
      callers.emplace_back([&] {
        while (true) {
          try {
            const auto got = s.score(pairs);
            EXPECT_EQ(got.size(), want.size());
            for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
            ++ok;
          } catch (const OverloadedError&) {
            ADD_FAILURE() << "unexpected overload";
            return;
          } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("shut"), std::string::npos) << e.what();
            ++refused;
            return;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    s.shutdown();
    for (auto& t : callers) t.join();  // a hang here is the failure
    EXPECT_EQ(refused.load(), 8);
    EXPECT_GT(ok.load(), 0);
  }
}

TEST_F(ServiceTest, MetricsAddUp) {
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 4, .timeout_ms = 1, .replicas = 2, .threads_per_replica = 1});
  size_t pairs = 0, tokens = 0;
  for (size_t n = 1; n <= 10; ++n) {
    const auto request = make_pairs(n * 20, n);
    size_t want_tokens = 0;
    for (const Pair& p : request)
      want_tokens += engine().tokenize(p.query, p.passage).input_ids.size();
    RequestTiming t;
    s.score(request, {}, &t);
    EXPECT_EQ(t.tokens, want_tokens);
    EXPECT_GT(t.total_ms, 0);
    EXPECT_GT(t.inference_ms, 0);
    EXPECT_LE(t.inference_ms, t.total_ms);
    EXPECT_GE(t.queue_ms + t.tokenize_ms + t.inference_ms, t.total_ms - 1e-6);
    pairs += n;
    tokens += want_tokens;
  }
  EXPECT_THROW(s.score(std::vector<Pair>{{"ok", "bad \xff"}}), InvalidRequestError);

  const MetricsSnapshot m = s.metrics();
  EXPECT_EQ(m.requests, 11u);
  EXPECT_EQ(m.errors, 1u);
  EXPECT_EQ(m.rejected_overloaded, 0u);
  EXPECT_EQ(m.pairs, pairs);
  EXPECT_EQ(m.tokens, tokens);
  EXPECT_EQ(m.request_latency.count, 10u);
  EXPECT_EQ(m.queue_wait.count, 10u);
  EXPECT_EQ(m.inference.count, 10u);
  EXPECT_LE(m.request_latency.p50_ms, m.request_latency.p99_ms);
  EXPECT_LE(m.request_latency.p99_ms, m.request_latency.max_ms);
  ASSERT_EQ(m.replicas.size(), 2u);
  uint64_t batches = 0, replica_pairs = 0, replica_tokens = 0;
  for (const ReplicaMetrics& r : m.replicas) {
    EXPECT_EQ(r.backend, "cpu");
    EXPECT_FALSE(r.device.empty());
    EXPECT_EQ(r.batch_latency.count, r.batches);
    batches += r.batches;
    replica_pairs += r.pairs;
    replica_tokens += r.tokens;
  }
  EXPECT_EQ(batches, m.batches);
  EXPECT_EQ(replica_pairs, m.pairs);
  EXPECT_EQ(replica_tokens, m.tokens);
  EXPECT_GE(m.batches, pairs / 4);
  EXPECT_NEAR(m.avg_batch_pairs * static_cast<double>(m.batches), static_cast<double>(pairs), 1e-6);
  EXPECT_NEAR(m.avg_batch_tokens * static_cast<double>(m.batches), static_cast<double>(tokens),
              1e-6);
  EXPECT_GT(m.padded_baseline_waste_pct, 0);  // the lengths differ, so padding would waste
  EXPECT_LT(m.padded_baseline_waste_pct, 100);
  EXPECT_EQ(m.queued_pairs, 0u);
  EXPECT_GT(m.uptime_s, 0);
  EXPECT_GT(m.pairs_per_s, 0);
  EXPECT_GE(m.process_cpu_pct, 0);
  EXPECT_GT(m.rss_bytes, 0u);
}

TEST_F(ServiceTest, WithoutDynamicBatchingEachRequestRunsAlone) {
  Service s(model(), {.threads = 1},
            {.max_batch_pairs = 4,
             .timeout_ms = 60000,
             .dynamic_batching = false,
             .threads_per_replica = 1});
  const auto a = make_pairs(0, 10), b = make_pairs(10, 3);
  expect_scores(s.score(a), direct(a));
  expect_scores(s.score(b), direct(b));
  EXPECT_EQ(s.metrics().batches, 4u);  // 4 + 4 + 2, then 3; no 60 s wait
}

TEST_F(ServiceTest, TruncateFalseRejectsAPairLongerThanMaxLength) {
  Service s(model(), {.threads = 1, .max_length = 16}, {.threads_per_replica = 1});
  // "a" is one token: [CLS] a [SEP] a*n [SEP] is 4 + n tokens.
  auto pair_of = [](int n) {
    std::string passage;
    for (int i = 0; i < n; ++i) passage += "a ";
    return std::vector<Pair>{{"a", passage}};
  };
  EXPECT_EQ(s.score(pair_of(12), {.truncate = false}).size(), 1u);  // exactly 16: fits
  try {
    s.score(pair_of(13), {.truncate = false});
    ADD_FAILURE() << "a 17-token pair was accepted";
  } catch (const InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("max_length 16"), std::string::npos) << e.what();
  }
  // Truncated by default, and then equal to the engine at the same max_length.
  Engine short_engine = Engine::open(model(), {.threads = 1, .max_length = 16});
  const auto long_pair = pair_of(40);
  expect_scores(s.score(long_pair), short_engine.score(long_pair));
}

TEST_F(ServiceTest, InvalidUtf8IsAnInvalidRequestAndOthersAreUnaffected) {
  for (int workers : {0, 2}) {
    Service s(model(), {.threads = 1},
              {.max_batch_pairs = 8,
               .timeout_ms = 1,
               .threads_per_replica = 1,
               .tokenizer_workers = workers});
    auto pairs = make_pairs(0, 40);  // spans several tokenizer chunks
    pairs[35].passage += "\xc3";     // truncated 2-byte sequence
    try {
      s.score(pairs);
      ADD_FAILURE() << "invalid UTF-8 was accepted";
    } catch (const InvalidRequestError& e) {
      EXPECT_NE(std::string(e.what()).find("pair 35"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
    }
    const auto good = make_pairs(40, 5);
    expect_scores(s.score(good), direct(good));
    EXPECT_EQ(s.metrics().errors, 1u);
    EXPECT_EQ(s.metrics().queued_pairs, 0u);
  }
}

TEST_F(ServiceTest, RejectsBadOptions) {
  EXPECT_THROW(Service(model(), {}, {.max_batch_pairs = 0}), Error);
  EXPECT_THROW(Service(model(), {}, {.replicas = 2, .replica_backends = {"cpu"}}), Error);
  EXPECT_THROW(Service(model(), {}, {.replica_backends = {"no-such-backend"}}), Error);
}

}  // namespace
}  // namespace crossenc
