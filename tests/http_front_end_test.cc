// The event-driven HTTP front end (server/http/) with small handlers of its own: HTTP/1.0 and
// 1.1, keep-alive, 100-continue, chunked bodies, and one test per limit (status, JSON error
// body, the rejection counter). Loopback only; each server is started and stopped by its test.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/connection_limits.h"
#include "http/front_end.h"
#include "raw_http_client.h"

namespace crossenc::server::http {
namespace {

using json = nlohmann::json;
using crossenc::test::post_request;
using crossenc::test::RawHttpClient;
using crossenc::test::RawResponse;
using std::chrono::milliseconds;

milliseconds scaled(int ms) {
  return milliseconds(static_cast<int>(ms * crossenc::test::time_scale()));
}

// Describes the request it got; /slow first sleeps 300 ms (a request in flight).
HttpResponse echo(const HttpRequest& req) {
  if (req.path == "/slow") std::this_thread::sleep_for(milliseconds(300));
  if (req.path == "/throw") throw std::runtime_error("handler failed");
  HttpResponse res;
  res.body = json{{"method", req.method},
                  {"path", req.path},
                  {"query", req.query},
                  {"body", req.body},
                  {"peer", req.peer},
                  {"x_test", std::string(req.header("x-test"))},
                  {"headers", req.headers.size()}}
                 .dump();
  res.set_header("x-handled-by", "echo");
  return res;
}

ServerOptions small_limits() {
  ServerOptions o;
  o.http_threads = 4;
  o.http_read_timeout_s = 2;
  o.http_max_connections = 64;
  o.http_max_connections_per_address = 64;
  o.http_request_deadline_ms = static_cast<int>(scaled(600).count());
  o.http_idle_timeout_ms = static_cast<int>(scaled(400).count());
  o.http_max_header_bytes = 2048;
  o.http_max_header_count = 20;
  o.payload_limit_bytes = 4096;
  return o;
}

class FrontEndTest : public ::testing::Test {
 protected:
  void start(const ServerOptions& o = small_limits(), HttpHandler handler = echo) {
    options_ = o;
    server_ = std::make_unique<FrontEnd>(options_, std::move(handler), metrics_);
    port_ = server_->start("127.0.0.1", 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  RawResponse exchange(const std::string& request, milliseconds timeout = milliseconds(5000)) {
    RawHttpClient c(port_);
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.read_response(timeout);
  }
  uint64_t rejections(const std::string& cause) {
    return metrics_.snapshot().http_rejections[cause];
  }
  // The transport's own error answer: status, {"error", "error_type"}, Connection: close.
  static void expect_rejection(const RawResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.head << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_TRUE(body.contains("error") && body.contains("error_type")) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Connection"), "close");
  }
  // A normal request still gets its answer.
  void expect_serving() {
    const RawResponse r = exchange(post_request("/ok", "{}"));
    EXPECT_EQ(r.status, 200) << r.head;
  }

  ServerMetrics metrics_;
  ServerOptions options_;
  std::unique_ptr<FrontEnd> server_;
  int port_ = 0;
};

TEST(ConnectionLimitsTest, CountsTotalAndPerAddress) {
  ConnectionLimits limits(3, 2);
  EXPECT_FALSE(limits.admit("a"));
  EXPECT_FALSE(limits.admit("a"));
  EXPECT_EQ(limits.admit("a"), Rejection::kConnectionsPerAddress);
  EXPECT_FALSE(limits.admit("b"));
  EXPECT_EQ(limits.admit("c"), Rejection::kConnections);
  EXPECT_EQ(limits.open(), 3);
  limits.release("a");
  EXPECT_EQ(limits.open_from("a"), 1);
  EXPECT_FALSE(limits.admit("c"));
  limits.release("c");
  limits.release("c");  // not open: ignored
  EXPECT_EQ(limits.open(), 2);
  EXPECT_EQ(limits.open_from("c"), 0);
}

TEST_F(FrontEndTest, PassesTheRequestAndWritesTheResponse) {
  start();
  const RawResponse r = exchange(
      "POST /v1/rerank?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Test:  spaced value \r\n"
      "Content-Length: 5\r\n\r\nhello");
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("x-handled-by"), "echo");
  const json body = json::parse(r.body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/v1/rerank");
  EXPECT_EQ(body["query"], "x=1&y=2");
  EXPECT_EQ(body["body"], "hello");
  EXPECT_EQ(body["peer"], "127.0.0.1");
  EXPECT_EQ(body["x_test"], "spaced value");
}

TEST_F(FrontEndTest, KeepAliveHttp10AndPipelining) {
  start();
  RawHttpClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {  // HTTP/1.1: one connection, several requests
    c.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    const RawResponse r = c.read_response(milliseconds(5000));
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(r.closed);
  }
  c.send("GET /p1 HTTP/1.1\r\nHost: h\r\n\r\nGET /p2 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(json::parse(c.read_response(milliseconds(5000)).body)["path"], "/p1");
  EXPECT_EQ(json::parse(c.read_response(milliseconds(5000)).body)["path"], "/p2");
  c.send("GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.read_response(milliseconds(5000)).status, 200);
  EXPECT_TRUE(c.closed_within(milliseconds(2000)));

  RawHttpClient old(port_);  // HTTP/1.0 closes unless it asks for keep-alive
  old.send("GET /a HTTP/1.0\r\n\r\n");
  const RawResponse r10 = old.read_response(milliseconds(5000));
  EXPECT_EQ(r10.status, 200);
  EXPECT_EQ(r10.head.rfind("HTTP/1.0 200", 0), 0u) << r10.head;
  EXPECT_TRUE(old.closed_within(milliseconds(2000)));
  RawHttpClient kept(port_);
  kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.read_response(milliseconds(5000)).status, 200);
  kept.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.read_response(milliseconds(5000)).status, 200);
}

TEST_F(FrontEndTest, ExpectContinueAndChunkedBodies) {
  start();
  RawHttpClient c(port_);
  c.send("POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  const RawResponse interim = c.read_response(milliseconds(5000), /*interim=*/true);
  EXPECT_EQ(interim.status, 100);
  c.send("data");
  const RawResponse r = c.read_response(milliseconds(5000));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["body"], "data");

  c.send(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  const RawResponse chunked = c.read_response(milliseconds(5000));
  ASSERT_EQ(chunked.status, 200);
  EXPECT_EQ(json::parse(chunked.body)["body"], "abcdefg");

  // A body announced over the limit is refused before the client sends it.
  RawHttpClient big(port_);
  big.send(
      "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 999999\r\n\r\n");
  expect_rejection(big.read_response(milliseconds(5000), /*interim=*/true), 413);
}

TEST_F(FrontEndTest, HandlerExceptionIs500) {
  start();
  const RawResponse r = exchange("GET /throw HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("handler failed"), std::string::npos);
}

TEST_F(FrontEndTest, PayloadLimitIs413) {
  start();
  // Announced by Content-Length, sent whole anyway: the client still reads the 413.
  expect_rejection(exchange(post_request("/up", std::string(10000, 'a'))), 413);
  // Chunked: counted as it arrives.
  std::string chunks;
  for (int i = 0; i < 10; ++i) chunks += "3e8\r\n" + std::string(1000, 'b') + "\r\n";
  expect_rejection(
      exchange("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks), 413);
  EXPECT_EQ(rejections("payload"), 2u);
  expect_serving();
}

TEST_F(FrontEndTest, HeaderSizeAndCountAre431) {
  start();
  expect_rejection(
      exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"), 431);
  std::string many;
  for (int i = 0; i < 30; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  expect_rejection(exchange("GET / HTTP/1.1\r\nHost: h\r\n" + many + "\r\n"), 431);
  EXPECT_EQ(rejections("header_size"), 1u);
  EXPECT_EQ(rejections("header_count"), 1u);
  expect_serving();
}

TEST_F(FrontEndTest, MalformedRequestLineIs400) {
  start();
  expect_rejection(exchange("\x16\x03\x01 this is not HTTP\r\n\r\n"), 400);
  EXPECT_EQ(rejections("malformed"), 1u);
  expect_serving();
}

TEST_F(FrontEndTest, RequestDeadlineCoversTheWholeRequest) {
  start();
  // One header byte every 50 ms: a per-byte timeout would never fire; the deadline does.
  RawHttpClient c(port_);
  const std::string head = "POST /up HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(200, 'a');
  const auto t0 = std::chrono::steady_clock::now();
  RawResponse r;
  for (size_t i = 0; i < head.size() && r.status == 0 && !r.closed; ++i) {
    c.send(std::string(1, head[i]));
    r = c.read_response(milliseconds(50));  // doubles as the pause between bytes
    if (std::chrono::steady_clock::now() - t0 > scaled(3000)) break;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  expect_rejection(r, 408);
  EXPECT_GE(took, milliseconds(options_.http_request_deadline_ms));
  EXPECT_LT(took, milliseconds(options_.http_request_deadline_ms) + scaled(500));
  EXPECT_EQ(rejections("request_deadline"), 1u);

  // A slow body the same way.
  RawHttpClient body(port_);
  body.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n");
  for (int i = 0; i < 30 && body.send("x"); ++i) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(body.read_response(scaled(3000)).status, 408);
  EXPECT_EQ(rejections("request_deadline"), 2u);
  expect_serving();
}

TEST_F(FrontEndTest, IdleKeepAliveConnectionsAreClosed) {
  start();
  RawHttpClient never(port_), after_one(port_);
  after_one.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(after_one.read_response(milliseconds(5000)).status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(never.closed_within(scaled(3000)));
  EXPECT_TRUE(after_one.closed_within(scaled(3000)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            milliseconds(options_.http_idle_timeout_ms) - milliseconds(100));
  EXPECT_EQ(rejections("idle_timeout"), 2u);
}

TEST_F(FrontEndTest, ConnectionLimitsAre503AndCounted) {
  ServerOptions o = small_limits();
  o.http_max_connections = 6;
  o.http_max_connections_per_address = 4;
  o.http_idle_timeout_ms = 10000;
  start(o);
  std::vector<std::unique_ptr<RawHttpClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawHttpClient>(port_));
    held.back()->send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");  // admitted and answered
    EXPECT_EQ(held.back()->read_response(milliseconds(5000)).status, 200);
  }
  const RawResponse over = exchange("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejection(over, 503);
  EXPECT_NE(over.body.find("--http-max-connections-per-address"), std::string::npos);
  EXPECT_EQ(rejections("connections_per_address"), 1u);
  EXPECT_EQ(metrics_.snapshot().http_connections, 4);
  held.pop_back();  // a slot frees up once the server sees the close
  for (int i = 0; i < 100 && metrics_.snapshot().http_connections > 3; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  expect_serving();
}

TEST_F(FrontEndTest, TotalConnectionLimitIs503) {
  ServerOptions o = small_limits();
  o.http_max_connections = 3;
  o.http_idle_timeout_ms = 10000;
  start(o);
  std::vector<std::unique_ptr<RawHttpClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawHttpClient>(port_));
  for (int i = 0; i < 100 && metrics_.snapshot().http_connections < 3; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const RawResponse over = exchange("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejection(over, 503);
  EXPECT_EQ(rejections("connections"), 1u);
  held[0]->send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");  // the open ones are still served
  EXPECT_EQ(held[0]->read_response(milliseconds(5000)).status, 200);
}

TEST_F(FrontEndTest, StopAnswersRequestsInFlightAndClosesIdleOnes) {
  start();
  RawHttpClient idle(port_), busy(port_);
  busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  std::this_thread::sleep_for(milliseconds(100));  // the request reaches its handler
  std::thread stopper([this] { server_->stop(); });
  const RawResponse r = busy.read_response(milliseconds(5000));
  stopper.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(idle.closed_within(milliseconds(2000)));
  RawHttpClient late(port_);
  EXPECT_FALSE(late.connected());
}

// Runs a front end in a child process whose open-file limit is 40, then holds connections
// until it runs out: it must refuse the extra ones with 503 (or close them), not spin or crash,
// keep answering the ones it has, and accept again once descriptors free up.
TEST_F(FrontEndTest, OutOfFileDescriptorsRefusesCleanlyAndKeepsServing) {
  int ports[2];
  ASSERT_EQ(::pipe(ports), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ports[0]);
    rlimit lim{40, 40};
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ServerMetrics m;
    ServerOptions o = small_limits();
    o.http_idle_timeout_ms = 20000;
    o.http_request_deadline_ms = 20000;
    int port = 0;
    {
      FrontEnd server(o, echo, m);
      port = server.start("127.0.0.1", 0);
      (void)!::write(ports[1], &port, sizeof(port));
      ::sleep(30);  // killed by the parent long before
    }
    ::_exit(0);
  }
  ::close(ports[1]);
  int port = 0;
  ASSERT_EQ(::read(ports[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
  ::close(ports[0]);

  {
    // One connection served and closed first. UBSan checks a polymorphic type the first time it
    // meets it through a pipe(2) of its own, which fails when the table is full and reads as a
    // bad vptr: this puts the Connection's checks in its cache while descriptors are free.
    RawHttpClient warm_up(port);
    warm_up.send("GET /warm-up HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(warm_up.read_response(milliseconds(2000)).status, 200);
  }
  std::this_thread::sleep_for(milliseconds(100));  // the server sees the close and drops it

  std::vector<std::unique_ptr<RawHttpClient>> held;
  int refused = 0;
  for (int i = 0; i < 60; ++i) {
    auto c = std::make_unique<RawHttpClient>(port);
    c->send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    const RawResponse r = c->read_response(milliseconds(2000));
    if (r.status == 200) {
      held.push_back(std::move(c));
    } else {
      EXPECT_TRUE(r.status == 503 || r.closed) << r.head;
      ++refused;
    }
  }
  EXPECT_GT(refused, 0) << "the limit of 40 descriptors was never reached";
  EXPECT_GT(held.size(), 20u);
  ASSERT_FALSE(held.empty());
  held[0]->send("GET /still HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(held[0]->read_response(milliseconds(2000)).status, 200);
  held.resize(held.size() / 2);  // free descriptors: new connections are served again
  bool served_again = false;
  for (int i = 0; i < 50 && !served_again; ++i) {
    RawHttpClient c(port);
    c.send("GET /again HTTP/1.1\r\nHost: h\r\n\r\n");
    served_again = c.read_response(milliseconds(2000)).status == 200;
    if (!served_again) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(served_again);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the server process died before it was killed";
}

}  // namespace
}  // namespace crossenc::server::http
