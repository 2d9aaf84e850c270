// Short forms of the slow- and idle-client attacks of bench/http_attack.py against the whole
// server (tiny-random model, real routes): while each runs, a probe sends one small /rerank every
// 100 ms on a fresh connection, and every probe must be answered promptly; afterwards the server
// is back to normal. Loopback only, a few seconds each, every socket closed by the test.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/serving.h"
#include "raw_http_client.h"
#include "server.h"
#include "test_util.h"

namespace crossenc::server {
namespace {

namespace fs = std::filesystem;
using crossenc::test::post_request;
using crossenc::test::RawHttpClient;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const std::string kProbeBody =
    R"({"query": "what is a flea", "texts": ["A flea is a small wingless insect."]})";

fs::path tiny_model_folder() {
  const fs::path committed = test::data_path("tiny-random");
  if (fs::exists(committed / "config.json")) return committed;
  return test::shared_path("models/tiny-random");
}

// Room for `wanted` attacking connections (two descriptors each in this process): raises the
// soft open-file limit to the hard one and returns how many fit.
int connections_that_fit(int wanted) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return std::min<int>(wanted, static_cast<int>((lim.rlim_cur - 200) / 2));
}

class HttpAttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path folder = tiny_model_folder();
    if (!fs::exists(folder / "config.json")) return;  // each test skips or fails in SetUp
    service_ = std::make_unique<Service>(
        folder.string(), Options{.threads = 2},
        ServiceOptions{.max_batch_pairs = 8, .timeout_ms = 1, .threads_per_replica = 2});
    ServerOptions o;
    o.grpc_port = -1;
    o.http_port = 0;
    o.http_threads = 4;
    o.http_max_connections = 4096;
    o.http_max_connections_per_address = 4096;
    o.http_request_deadline_ms = 1500;
    o.http_idle_timeout_ms = 1500;
    o.model_id = "tiny-random";
    server_ = std::make_unique<Server>(*service_, o);
  }
  static void TearDownTestSuite() {
    server_.reset();
    service_.reset();
  }
  void SetUp() override {
    CROSSENC_REQUIRE_SHARED_FILE(tiny_model_folder() / "config.json");
    ASSERT_TRUE(server_);
  }

  static bool probe_once(double* ms) {
    const auto t0 = Clock::now();
    RawHttpClient c(server_->http_port());
    const bool ok =
        c.send(post_request("/rerank", kProbeBody, "Connection: close\r\n")) &&
        c.read_response(milliseconds(static_cast<int>(2000 * test::time_scale()))).status == 200;
    *ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return ok;
  }

  // Opens `n` connections, sends `opening` on each, then calls `tick` on every one of them each
  // `period` for `duration`, probing all the while; then closes them and checks recovery.
  void attack(int n, const std::string& opening, milliseconds period, milliseconds duration,
              const std::function<void(RawHttpClient&)>& tick) {
    std::atomic<bool> done{false};
    std::atomic<int> opened{0};
    std::thread attacker([&] {
      std::vector<std::unique_ptr<RawHttpClient>> clients;
      for (int i = 0; i < n && !done; ++i) {
        clients.push_back(std::make_unique<RawHttpClient>(server_->http_port()));
        if (clients.back()->connected()) ++opened;
        if (!opening.empty()) clients.back()->send(opening);
      }
      while (!done) {
        for (auto& c : clients) tick(*c);
        std::this_thread::sleep_for(period);
      }
    });
    std::vector<double> latencies;
    int failures = 0;
    const auto end = Clock::now() + duration;
    while (Clock::now() < end) {
      double ms = 0;
      if (!probe_once(&ms)) ++failures;
      latencies.push_back(ms);
      std::this_thread::sleep_for(milliseconds(100) -
                                  milliseconds(static_cast<int>(std::min(ms, 100.0))));
    }
    done = true;
    attacker.join();
    std::sort(latencies.begin(), latencies.end());
    const double p99 = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    std::printf(
        "[attack] %d connections (%d opened): %zu probes, %d failed, p50 %.1f ms, "
        "p99 %.1f ms, max %.1f ms\n",
        n, opened.load(), latencies.size(), failures, latencies[latencies.size() / 2], p99,
        latencies.back());
    EXPECT_GT(opened.load(), n * 9 / 10) << "the attack itself did not get its connections";
    EXPECT_EQ(failures, 0);
    // Every probe answered well within the request deadline (measured ~5-30 ms; a thread-per-
    // connection server takes seconds here).
    EXPECT_LT(latencies.back(), 500.0 * test::time_scale());

    // Recovery: the attackers' connections are gone and a probe is answered at once.
    const auto t0 = Clock::now();
    while (server_->scorer().metrics().snapshot().http_connections > 1 &&
           Clock::now() - t0 < milliseconds(3000)) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_LE(server_->scorer().metrics().snapshot().http_connections, 1);
    double ms = 0;
    EXPECT_TRUE(probe_once(&ms));
  }

  static inline std::unique_ptr<Service> service_;
  static inline std::unique_ptr<Server> server_;
};

TEST_F(HttpAttackTest, ManyIdleConnections) {
  attack(connections_that_fit(500), "", milliseconds(200), milliseconds(2000),
         [](RawHttpClient&) {});
}

TEST_F(HttpAttackTest, SlowlorisTrickle) {
  // One header byte per connection every 300 ms: never a complete request.
  attack(connections_that_fit(150), "P", milliseconds(300), milliseconds(3000),
         [](RawHttpClient& c) { c.send("X"); });
}

TEST_F(HttpAttackTest, SlowHugeHeader) {
  attack(connections_that_fit(100),
         "POST /rerank HTTP/1.1\r\nHost: x\r\nX-Big: ", milliseconds(100), milliseconds(3000),
         [](RawHttpClient& c) { c.send(std::string(1024, 'a')); });
}

TEST_F(HttpAttackTest, SlowBodyUpload) {
  // 10 bytes per 100 ms of a 1 MB body (100 bytes/s): cut off by the request deadline.
  attack(connections_that_fit(60),
         "POST /rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 1000000\r\n\r\n",
         milliseconds(100), milliseconds(3000), [](RawHttpClient& c) { c.send("xxxxxxxxxx"); });
}

}  // namespace
}  // namespace crossenc::server
