// Server integration tests: real gRPC and HTTP listeners on loopback, called with real clients.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/model_file.h"
#include "crossenc/serving.h"
#include "health.pb.h"
#include "inference.grpc.pb.h"
#include "reflection_v1.grpc.pb.h"
#include "reflection_v1alpha.grpc.pb.h"
#include "server.h"
#include "test_util.h"

extern char** environ;

namespace crossenc::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Limits of the in-process server, small so that tests can cross them cheaply.
constexpr int kMaxClientBatch = 16;
constexpr int kMaxConcurrent = 8;
constexpr size_t kPayloadLimit = 1 << 20;
constexpr size_t kGrpcMaxMessage = 1 << 20;

// tests/data/tiny-random when committed, else the shared folder's copy.
fs::path tiny_model_folder() {
  const fs::path committed = test::data_path("tiny-random");
  if (fs::exists(committed / "config.json")) return committed;
  return test::shared_path("models/tiny-random");
}

std::string words(const std::string& word, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += word + " ";
  return s;
}

// Pairs that exercise the tokenizer and truncation: unicode, empty query, > 512 tokens.
std::vector<Pair> sample_pairs() {
  return {{"what is a flea", "A flea is a small wingless insect that feeds on blood."},
          {"what is a flea", "Paris is the capital of France."},
          {"", "an empty query still forms a pair"},
          {"Café crème", "naïve façade — déjà vu, 東京 and Ελλάδα"},
          {"long passage", words("flea", 700)},
          {"how do fleas jump", "Fleas jump with a resilin pad that stores energy like a spring."}};
}

void expect_scores_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::fabs(want[i]))) << "pair " << i;
  }
}

float sigmoid_ref(float x) { return static_cast<float>(1.0 / (1.0 + std::exp(-double(x)))); }

std::string grpc_bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A unary call with hand-made bytes: malformed protobuf, the health service's messages.
grpc::Status raw_call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.set_wait_for_ready(true);  // a connection attempt may fail on a loaded machine
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer req(&slice, 1), resp;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.ok() && response) *response = grpc_bytes(resp);
  return status;
}

// grpc.health.v1.Health/Check through the generic stub, with the messages of health.proto.
int health_check(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                 grpc::StatusCode* code) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  std::string out;
  const grpc::Status s =
      raw_call(channel, "/grpc.health.v1.Health/Check", request.SerializeAsString(), &out);
  *code = s.error_code();
  grpc::health::v1::HealthCheckResponse response;
  if (!s.ok() || !response.ParseFromString(out)) return -1;
  return response.status();
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path folder = tiny_model_folder();
    if (!fs::exists(folder / "config.json")) return;  // each test skips or fails in SetUp
    model_path_ = new_model_path();
    write_model_file(model_path_.string(), convert_hf_folder(folder.string()));
    engine_ = std::make_unique<Engine>(Engine::open(model_path_.string(), {.threads = 2}));
    service_ = std::make_unique<Service>(
        model_path_.string(), Options{.threads = 2},
        ServiceOptions{.max_batch_pairs = 8, .timeout_ms = 1, .threads_per_replica = 2});
    server_ = std::make_unique<Server>(*service_, ServerOptions{
                                                      .host = "127.0.0.1",
                                                      .grpc_port = 0,
                                                      .http_port = 0,
                                                      .max_client_batch_size = kMaxClientBatch,
                                                      .max_concurrent_requests = kMaxConcurrent,
                                                      .payload_limit_bytes = kPayloadLimit,
                                                      .grpc_max_message_bytes = kGrpcMaxMessage,
                                                      .http_threads = 16,
                                                      .http_read_timeout_s = 2,
                                                      .model_id = "tiny-random",
                                                  });
  }
  static void TearDownTestSuite() {
    server_.reset();
    service_.reset();
    engine_.reset();
    if (!model_path_.empty()) fs::remove(model_path_);
  }

  void SetUp() override {
    CROSSENC_REQUIRE_SHARED_FILE(tiny_model_folder() / "config.json");
    ASSERT_TRUE(server_) << "server did not start";
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = inference::InferenceService::NewStub(channel_);
  }

  static fs::path new_model_path() { return ::crossenc::test::temp_dir() / "server_test.cenc"; }

  std::unique_ptr<httplib::Client> http() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    c->set_read_timeout(60, 0);
    c->set_write_timeout(60, 0);
    return c;
  }

  // POST json; returns (status, parsed body). Fails the test on a transport error.
  std::pair<int, json> post(const std::string& path, const std::string& body) const {
    auto res = http()->Post(path, body, "application/json");
    if (!res) {
      ADD_FAILURE() << "POST " << path << ": " << httplib::to_string(res.error());
      return {0, json()};
    }
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    json parsed = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << res->body;
    return {res->status, parsed};
  }

  grpc::Status infer(const std::vector<Pair>& pairs, inference::InferResponse* response) const {
    inference::InferRequest request;
    for (const auto& p : pairs) {
      auto* q = request.add_pairs();
      q->set_query(p.query);
      q->set_document(p.passage);
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    context.set_wait_for_ready(true);
    return stub_->Infer(&context, request, response);
  }

  // The server answers a good request on both protocols (after an error, say).
  void expect_still_serving() const {
    inference::InferResponse r;
    const std::vector<Pair> pairs = {sample_pairs()[0]};
    ASSERT_TRUE(infer(pairs, &r).ok());
    expect_scores_near({r.scores().begin(), r.scores().end()}, engine_->score(pairs));
    auto [status, body] = post("/score", R"({"pairs": [["what is a flea", "an insect"]]})");
    EXPECT_EQ(status, 200) << body;
  }

  static void expect_error_body(const json& body, const std::string& type) {
    ASSERT_TRUE(body.is_object()) << body;
    ASSERT_TRUE(body.contains("error") && body["error"].is_string()) << body;
    EXPECT_FALSE(body["error"].get<std::string>().empty());
    EXPECT_EQ(body.value("error_type", ""), type) << body;
  }

  static inline fs::path model_path_;
  static inline std::unique_ptr<Engine> engine_;
  static inline std::unique_ptr<Service> service_;
  static inline std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::InferenceService::Stub> stub_;
};

// ---------------------------------------------------------------------------------------- gRPC

TEST_F(ServerTest, GrpcInferMatchesEngine) {
  const std::vector<Pair> pairs = sample_pairs();
  inference::InferResponse r;
  const grpc::Status s = infer(pairs, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(r.num_pairs(), static_cast<int>(pairs.size()));
  EXPECT_GT(r.latency_ms(), 0.0f);
  expect_scores_near({r.scores().begin(), r.scores().end()}, engine_->score(pairs));
}

TEST_F(ServerTest, GrpcEmptyRequestIs204) {
  inference::InferResponse r;
  ASSERT_TRUE(infer({}, &r).ok());
  EXPECT_EQ(r.status_code(), 204);
  EXPECT_EQ(r.num_pairs(), 0);
  EXPECT_EQ(r.scores_size(), 0);
}

TEST_F(ServerTest, GrpcTooManyPairsIsInvalidArgument) {
  inference::InferResponse r;
  const grpc::Status s = infer(std::vector<Pair>(kMaxClientBatch + 1, {"q", "p"}), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("max-client-batch-size"), std::string::npos)
      << s.error_message();
  inference::InferResponse ok;
  EXPECT_TRUE(infer(std::vector<Pair>(kMaxClientBatch, {"q", "p"}), &ok).ok());
  EXPECT_EQ(ok.scores_size(), kMaxClientBatch);
}

TEST_F(ServerTest, GrpcOversizedMessageIsResourceExhausted) {
  inference::InferResponse r;
  const grpc::Status s = infer({{"q", std::string(10 << 20, 'a')}}, &r);  // 10 MB
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  expect_still_serving();
}

TEST_F(ServerTest, GrpcMalformedProtobufAndInvalidUtf8AreErrors) {
  const std::string method = "/inference.InferenceService/Infer";
  // Truncated length-delimited field.
  EXPECT_FALSE(raw_call(channel_, method, std::string("\x0a\x10\x0a\x05", 4), nullptr).ok());
  // Garbage tags.
  EXPECT_FALSE(raw_call(channel_, method, std::string("\xff\xff\xff\xff\xff", 5), nullptr).ok());
  // InferRequest{pairs: [{query: "\xff"}]}: proto3 strings must be UTF-8.
  EXPECT_FALSE(raw_call(channel_, method, std::string("\x0a\x03\x0a\x01\xff", 5), nullptr).ok());
  // The same bytes made valid: the hand encoding itself is right.
  std::string out;
  ASSERT_TRUE(raw_call(channel_, method, std::string("\x0a\x03\x0a\x01q", 5), &out).ok());
  inference::InferResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(out));
  EXPECT_EQ(parsed.scores_size(), 1);
  expect_still_serving();
}

TEST_F(ServerTest, GrpcHealthCheck) {
  using grpc::health::v1::HealthCheckResponse;
  grpc::StatusCode code;
  EXPECT_EQ(health_check(channel_, "", &code), HealthCheckResponse::SERVING);
  EXPECT_EQ(health_check(channel_, "inference.InferenceService", &code),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(health_check(channel_, "no.such.Service", &code), -1);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
}

// One request on grpc.reflection.v1alpha.ServerReflection (what grpcurl uses), hand-encoded:
// the raw response bytes.
std::string reflection_call(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  const auto step = [&](int tag) {
    void* got = nullptr;
    bool ok = false;
    const auto r =
        cq.AsyncNext(&got, &ok, std::chrono::system_clock::now() + std::chrono::seconds(30));
    return r == grpc::CompletionQueue::GOT_EVENT && got == reinterpret_cast<void*>(tag) && ok;
  };
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer out(&slice, 1), in;
  grpc::Status status;
  std::string response;
  call->StartCall(reinterpret_cast<void*>(1));
  if (step(1)) {
    call->Write(out, reinterpret_cast<void*>(2));
    if (step(2)) {
      call->Read(&in, reinterpret_cast<void*>(3));
      if (step(3)) response = grpc_bytes(in);
    }
  }
  call->WritesDone(reinterpret_cast<void*>(4));
  (void)step(4);
  call->Finish(&status, reinterpret_cast<void*>(5));
  (void)step(5);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return response;
}

TEST_F(ServerTest, GrpcReflectionListsAndDescribesServices) {
  // ServerReflectionRequest{list_services: ""} (field 7).
  const std::string list = reflection_call(channel_, std::string("\x3a\x00", 2));
  EXPECT_NE(list.find("inference.InferenceService"), std::string::npos);
  EXPECT_NE(list.find("grpc.health.v1.Health"), std::string::npos);
  // ServerReflectionRequest{file_containing_symbol (field 4)}: the descriptors come back.
  const std::pair<std::string, std::string> symbols[] = {
      {"inference.InferenceService", "InferRequest"},
      {"grpc.health.v1.Health", "HealthCheckRequest"}};
  for (const auto& [symbol, message] : symbols) {
    const std::string request = std::string("\x22", 1) + static_cast<char>(symbol.size()) + symbol;
    const std::string file = reflection_call(channel_, request);
    EXPECT_NE(file.find(message), std::string::npos) << symbol << " not described";
  }
}

TEST_F(ServerTest, GrpcGetMetricsCountsRequestsAndPairs) {
  inference::InferResponse r;
  ASSERT_TRUE(infer(sample_pairs(), &r).ok());
  inference::MetricsResponse m;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetMetrics(&context, inference::Empty(), &m).ok());
  EXPECT_GE(m.count(), 1);
  EXPECT_GE(m.query_count(), static_cast<int>(sample_pairs().size()));
  EXPECT_GE(m.query_count(), m.count());
  EXPECT_GT(m.throughput_qps(), 0.0f);
  EXPECT_GE(m.p99_ms(), m.p50_ms());
}

// Every admission place taken: both protocols answer "overloaded" at once, then recover.
TEST_F(ServerTest, OverloadIsResourceExhaustedAnd429) {
  {
    std::vector<Scorer::Slot> held;
    for (int i = 0; i < kMaxConcurrent; ++i) held.push_back(server_->scorer().admit());
    inference::InferResponse r;
    const grpc::Status s = infer({{"q", "p"}}, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(s.error_message().find("overloaded"), std::string::npos) << s.error_message();
    auto [status, body] = post("/rerank", R"({"query": "q", "texts": ["p"]})");
    EXPECT_EQ(status, 429);
    expect_error_body(body, "overloaded");
    std::tie(status, body) = post("/v1/rerank", R"({"query": "q", "documents": ["p"]})");
    EXPECT_EQ(status, 429);
  }
  expect_still_serving();
}

// Several models in one server: each request's "model" (HTTP) or InferRequest.model (gRPC)
// picks one, an unknown name is a 404 / NOT_FOUND naming the served ones, and /v1/models, /info
// and /metrics list each. The same file at F32 and at F16 tells the two apart by their scores.
TEST_F(ServerTest, SeveralModelsAreRoutedByTheRequestsModelName) {
  Service f16(model_path_.string(), Options{.threads = 1, .dtype = DType::F16},
              ServiceOptions{.max_batch_pairs = 8, .timeout_ms = 1, .threads_per_replica = 1});
  Server srv({{"tiny", service_.get()}, {"tiny-f16", &f16}},
             ServerOptions{.host = "127.0.0.1", .grpc_port = 0, .http_port = 0});
  httplib::Client c("127.0.0.1", srv.http_port());
  const auto post_json = [&c](const std::string& path, const json& body) {
    auto res = c.Post(path, body.dump(), "application/json");
    EXPECT_TRUE(res);
    return res ? std::pair{res->status, json::parse(res->body)} : std::pair{0, json()};
  };
  const std::vector<std::string> docs = {"fleas are insects that jump", "the sky is blue"};
  const auto scores_of = [&](const json& model) {
    json body = {{"pairs", json::array({json::array({"what is a flea", docs[0]}),
                                        json::array({"what is a flea", docs[1]})})}};
    if (!model.is_null()) body["model"] = model;
    const auto [status, out] = post_json("/score", body);
    EXPECT_EQ(status, 200) << out;
    return out["scores"].get<std::vector<float>>();
  };
  const std::vector<float> want32 =
      engine_->score({{"what is a flea", docs[0]}, {"what is a flea", docs[1]}});
  EXPECT_EQ(scores_of(nullptr), want32);  // no name: the first model
  EXPECT_EQ(scores_of("tiny"), want32);
  const std::vector<float> got16 = scores_of("tiny-f16");
  ASSERT_EQ(got16.size(), 2u);
  EXPECT_NE(got16, want32);  // F16 rounding: a different model answered
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(got16[i], want32[i], 0.05);

  // Unknown: 404 in the route's own error shape, naming the served models.
  auto [status, body] = post_json(
      "/v1/rerank", {{"model", "rerank-english-v3.0"}, {"query", "q"}, {"documents", docs}});
  EXPECT_EQ(status, 404) << body;
  const std::string message = body["message"].get<std::string>();
  EXPECT_NE(message.find("rerank-english-v3.0"), std::string::npos) << message;
  EXPECT_NE(message.find("\"tiny-f16\""), std::string::npos) << message;
  std::tie(status, body) =
      post_json("/v1/rerank", {{"model", "tiny-f16"}, {"query", "q"}, {"documents", docs}});
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(body["model"], "tiny-f16");
  std::tie(status, body) = post_json("/rerank", {{"model", 7}, {"query", "q"}, {"texts", docs}});
  EXPECT_EQ(status, 422) << body;

  // Listed, and counted apart: tiny-f16 scored 2 pairs on /score and 2 on /v1/rerank.
  auto res = c.Get("/v1/models");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json models = json::parse(res->body);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 2u);
  EXPECT_EQ(models["data"][1]["id"], "tiny-f16");
  res = c.Get("/info");
  ASSERT_TRUE(res);
  const json info = json::parse(res->body);
  EXPECT_EQ(info["model_id"], "tiny");
  ASSERT_EQ(info["models"].size(), 2u);
  EXPECT_EQ(info["models"][1]["dtype"], "f16");
  res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("crossenc_core_pairs_total{model=\"tiny-f16\"} 4"), std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("crossenc_build_info{version=\"" + std::string(server_version()) +
                           "\",model=\"tiny-f16\""),
            std::string::npos);

  // gRPC: InferRequest.model.
  auto stub = inference::InferenceService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(srv.grpc_port()), grpc::InsecureChannelCredentials()));
  const auto grpc_scores = [&](const std::string& model, grpc::Status* status) {
    inference::InferRequest request;
    request.set_model(model);
    for (const auto& d : docs) {
      auto* p = request.add_pairs();
      p->set_query("what is a flea");
      p->set_document(d);
    }
    inference::InferResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    *status = stub->Infer(&context, request, &response);
    return std::vector<float>(response.scores().begin(), response.scores().end());
  };
  grpc::Status gs;
  EXPECT_EQ(grpc_scores("tiny-f16", &gs), got16);
  EXPECT_TRUE(gs.ok()) << gs.error_message();
  EXPECT_EQ(grpc_scores("", &gs), want32);
  grpc_scores("nope", &gs);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(gs.error_message().find("\"tiny\""), std::string::npos) << gs.error_message();
  srv.stop();
  f16.shutdown();
}

// With one model served, a request's model name is not checked: clients send their own (the
// Cohere SDK requires one), and TEI ignores it too.
TEST_F(ServerTest, OneModelAnswersWhateverModelARequestNames) {
  const auto [status, body] = post(
      "/v1/rerank",
      json{{"model", "rerank-english-v3.0"}, {"query", "q"}, {"documents", {"a", "b"}}}.dump());
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(body["model"], "tiny-random");
}

// The serving core's queue bound (--max-queued-pairs) is also answered with 429 /
// RESOURCE_EXHAUSTED, while the requests that fit are scored.
TEST_F(ServerTest, QueueFullIs429AndResourceExhausted) {
  Service small(model_path_.string(), Options{.threads = 1},
                ServiceOptions{.max_batch_pairs = 4,
                               .threads_per_replica = 1,
                               .max_queued_pairs = static_cast<size_t>(kMaxClientBatch)});
  Server srv(small, ServerOptions{.host = "127.0.0.1",
                                  .grpc_port = 0,
                                  .http_port = 0,
                                  .max_client_batch_size = kMaxClientBatch});
  json pairs = json::array();
  inference::InferRequest request;
  for (int i = 0; i < kMaxClientBatch; ++i) {
    pairs.push_back({"q", words("flea", 400)});
    auto* p = request.add_pairs();
    p->set_query("q");
    p->set_document(words("flea", 400));
  }
  const std::string body = json{{"pairs", pairs}}.dump();
  auto stub = inference::InferenceService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(srv.grpc_port()), grpc::InsecureChannelCredentials()));
  std::atomic<int> ok{0}, http_429{0}, grpc_exhausted{0}, other{0};
  for (int round = 0; round < 20 && (http_429 == 0 || grpc_exhausted == 0); ++round) {
    std::vector<std::thread> clients;
    for (int t = 0; t < 6; ++t) {
      clients.emplace_back([&, t] {
        if (t % 2 == 0) {
          httplib::Client c("127.0.0.1", srv.http_port());
          c.set_read_timeout(60, 0);
          auto res = c.Post("/score", body, "application/json");
          if (res && res->status == 200)
            ++ok;
          else if (res && res->status == 429 &&
                   json::parse(res->body).value("error_type", "") == "overloaded")
            ++http_429;
          else
            ++other;
        } else {
          grpc::ClientContext context;
          inference::InferResponse r;
          const grpc::Status s = stub->Infer(&context, request, &r);
          if (s.ok() && r.scores_size() == kMaxClientBatch)
            ++ok;
          else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
            ++grpc_exhausted;
          else
            ++other;
        }
      });
    }
    for (auto& c : clients) c.join();
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(http_429, 0);
  EXPECT_GT(grpc_exhausted, 0);
  EXPECT_EQ(other, 0);
  srv.stop();
  small.shutdown();
}

// ---------------------------------------------------------------------------------------- HTTP

TEST_F(ServerTest, HttpRerankTeiMatchesEngine) {
  const std::vector<Pair> pairs = sample_pairs();
  json texts = json::array();
  for (const auto& p : pairs) texts.push_back(p.passage);
  std::vector<Pair> same_query;
  for (const auto& p : pairs) same_query.push_back({"what is a flea", p.passage});
  const std::vector<float> want = engine_->score(same_query);

  // TEI's raw_scores: true gives the logits (the default is the sigmoid, as in TEI).
  auto [status, body] = post("/rerank", json{{"query", "what is a flea"},
                                             {"texts", texts},
                                             {"return_text", true},
                                             {"raw_scores", true}}
                                            .dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), pairs.size());
  std::set<size_t> seen;
  for (size_t k = 0; k < body.size(); ++k) {
    const size_t i = body[k]["index"].get<size_t>();
    seen.insert(i);
    EXPECT_NEAR(body[k]["score"].get<float>(), want[i], 1e-5 * std::max(1.0f, std::fabs(want[i])));
    EXPECT_EQ(body[k]["text"], pairs[i].passage);
    if (k > 0) {
      EXPECT_GE(body[k - 1]["score"].get<float>(), body[k]["score"].get<float>());
    }
  }
  EXPECT_EQ(seen.size(), pairs.size());

  // raw_scores: false (and leaving it out) gives the sigmoid; no text unless asked.
  std::tie(status, body) = post(
      "/rerank", json{{"query", "what is a flea"}, {"texts", texts}, {"raw_scores", false}}.dump());
  ASSERT_EQ(status, 200) << body;
  for (const auto& item : body) {
    const size_t i = item["index"].get<size_t>();
    EXPECT_NEAR(item["score"].get<float>(), sigmoid_ref(want[i]), 1e-6);
  }
  std::tie(status, body) =
      post("/rerank", json{{"query", "what is a flea"}, {"texts", texts}}.dump());
  ASSERT_EQ(status, 200) << body;
  for (const auto& item : body) {
    const size_t i = item["index"].get<size_t>();
    EXPECT_NEAR(item["score"].get<float>(), sigmoid_ref(want[i]), 1e-6);
    EXPECT_FALSE(item.contains("text"));
  }
}

TEST_F(ServerTest, HttpRerankCohereShape) {
  const std::vector<std::string> docs = {"A flea is an insect.", "Paris is in France.",
                                         "Fleas jump far."};
  const std::vector<float> want = engine_->score(
      {{"what is a flea", docs[0]}, {"what is a flea", docs[1]}, {"what is a flea", docs[2]}});
  const json request = {{"model", "whatever-the-client-calls-it"},
                        {"query", "what is a flea"},
                        {"documents", {docs[0], {{"text", docs[1]}}, docs[2]}},
                        {"top_n", 2},
                        {"return_documents", true}};
  auto [status, body] = post("/v1/rerank", request.dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body["results"].size(), 2u);
  EXPECT_EQ(body["model"], "tiny-random");
  EXPECT_GT(body["usage"]["total_tokens"].get<int>(), 0);
  float previous = 2.0f;
  for (const auto& item : body["results"]) {
    const size_t i = item["index"].get<size_t>();
    const float score = item["relevance_score"].get<float>();
    EXPECT_NEAR(score, sigmoid_ref(want[i]), 1e-6);
    EXPECT_GE(score, 0.0f);
    EXPECT_LE(score, 1.0f);
    EXPECT_LE(score, previous);
    previous = score;
    EXPECT_EQ(item["document"]["text"], docs[i]);
  }
  // Without top_n and return_documents: every document, no text.
  std::tie(status, body) =
      post("/v1/rerank", json{{"query", "what is a flea"}, {"documents", docs}}.dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body["results"].size(), docs.size());
  EXPECT_FALSE(body["results"][0].contains("document"));
}

// Every route scores a long document by its best window when asked (Cohere by default), and
// truncation_direction Left cuts the start.
TEST_F(ServerTest, HttpLongDocumentsScoreAsTheirBestWindow) {
  const std::string query = "which fox jumps";
  std::string doc;
  for (int j = 0; j < 1500; ++j)
    doc.append("fox").append(std::to_string(j * 7919 % 1000)).append(" jumps ");
  const Tokenizer& tok = engine_->tokenizer();
  const int max_length = engine_->info().max_length;
  const auto best = [&](const LongPairOptions& o) {
    const PairWindows w = tok.encode_pair_windows(query, doc, max_length, o);
    const std::vector<float> s = engine_->score_encoded(w.windows);
    return *std::max_element(s.begin(), s.end());
  };
  const float first = engine_->score({{query, doc}})[0];
  const float ten = best({.max_windows = 10});
  ASSERT_NE(ten, first);  // the document needs its windows

  const json documents = {doc, "a short one"};
  auto [status, body] = post("/v1/rerank", json{{"query", query}, {"documents", documents}}.dump());
  ASSERT_EQ(status, 200) << body;
  const auto cohere_score = [](const json& b) {
    for (const auto& r : b["results"]) {
      if (r["index"] == 0) return r["relevance_score"].get<float>();
    }
    return -1.0f;
  };
  EXPECT_NEAR(cohere_score(body), sigmoid_ref(ten), 1e-6);  // v1: 10 chunks by default
  std::tie(status, body) =
      post("/v2/rerank", json{{"query", query}, {"documents", documents}}.dump());
  ASSERT_EQ(status, 200) << body;  // v2: the first 4096 tokens, in as many windows as they need
  EXPECT_NEAR(cohere_score(body),
              sigmoid_ref(best(
                  {.max_windows = windows_to_cover(4096, max_length), .max_passage_tokens = 4096})),
              1e-6);
  std::tie(status, body) =
      post("/v2/rerank",
           json{{"query", query}, {"documents", documents}, {"max_tokens_per_doc", 600}}.dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_NEAR(cohere_score(body),
              sigmoid_ref(best(
                  {.max_windows = windows_to_cover(600, max_length), .max_passage_tokens = 600})),
              1e-6);

  // TEI's /rerank truncates unless the request (or --max-chunks-per-doc) says otherwise.
  const json texts = {doc};
  std::tie(status, body) =
      post("/rerank", json{{"query", query}, {"texts", texts}, {"raw_scores", true}}.dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_NEAR(body[0]["score"].get<float>(), first, 1e-5);
  std::tie(status, body) =
      post("/rerank",
           json{{"query", query}, {"texts", texts}, {"raw_scores", true}, {"max_chunks_per_doc", 3}}
               .dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_NEAR(body[0]["score"].get<float>(), best({.max_windows = 3}), 1e-5);
  std::tie(status, body) = post("/rerank", json{{"query", query},
                                                {"texts", texts},
                                                {"raw_scores", true},
                                                {"truncation_direction", "Left"}}
                                               .dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_NEAR(body[0]["score"].get<float>(), best({.side = TruncationSide::kLeft}), 1e-5);
  // truncate: false refuses a document its windows cannot hold, and accepts one they can.
  std::tie(status, body) =
      post("/rerank", json{{"query", query}, {"texts", texts}, {"truncate", false}}.dump());
  EXPECT_EQ(status, 422) << body;
  std::tie(status, body) = post(
      "/rerank",
      json{{"query", query}, {"texts", texts}, {"truncate", false}, {"max_chunks_per_doc", 100}}
          .dump());
  EXPECT_EQ(status, 200) << body;
}

TEST_F(ServerTest, HttpScoreBothShapes) {
  const std::vector<Pair> pairs = sample_pairs();
  const std::vector<float> want = engine_->score(pairs);
  json objects = json::array(), arrays = json::array();
  for (size_t i = 0; i < pairs.size(); ++i) {
    // "passage" and gRPC's "document" are both accepted.
    objects.push_back(
        {{"query", pairs[i].query}, {i % 2 ? "document" : "passage", pairs[i].passage}});
    arrays.push_back({pairs[i].query, pairs[i].passage});
  }
  for (const json& request : {json{{"pairs", objects}}, arrays}) {
    auto [status, body] = post("/score", request.dump());
    ASSERT_EQ(status, 200) << body;
    expect_scores_near(body["scores"].get<std::vector<float>>(), want);
  }
  auto [status, body] = post("/score", json{{"pairs", arrays}, {"raw_scores", false}}.dump());
  ASSERT_EQ(status, 200) << body;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(body["scores"][i].get<float>(), sigmoid_ref(want[i]), 1e-6);
  }
}

TEST_F(ServerTest, HttpErrorsAreJsonWithTheRightStatus) {
  const std::string too_many = [] {
    json texts = json::array();
    for (int i = 0; i <= kMaxClientBatch; ++i) texts.push_back("t");
    return json{{"query", "q"}, {"texts", texts}}.dump();
  }();
  const std::string too_long =
      json{{"query", "q"}, {"texts", {words("flea", 700)}}, {"truncate", false}}.dump();
  struct Case {
    const char* path;
    std::string body;
    int status;
    // TEI's error_type; "" for Cohere's {"message"} body.
    const char* type = "validation";
  };
  const std::vector<Case> cases = {
      {"/rerank", R"({"query": "q", "texts": [)", 400},  // malformed JSON
      {"/rerank", "", 400},                              // no body
      {"/score", "[[\"a\", \"b\"]] trailing", 400},      // trailing garbage
      {"/score", std::string(900000, '['), 400},         // deep nesting
      {"/rerank", R"(["not", "an", "object"])", 422},
      {"/rerank", R"({"texts": ["p"]})", 422},              // no query
      {"/rerank", R"({"query": 5, "texts": ["p"]})", 422},  // wrong type
      {"/rerank", R"({"query": "q", "texts": "p"})", 422},
      {"/rerank", R"({"query": "q", "texts": ["p", 3]})", 422},
      {"/rerank", R"({"query": "q", "texts": []})", 400, "empty"},  // TEI: 400 "empty"
      {"/rerank", R"({"query": "q", "texts": ["p"], "raw_scores": "yes"})", 422},
      {"/rerank", "{\"query\": \"\xff\xfe\", \"texts\": [\"p\"]}", 422},  // invalid UTF-8
      {"/rerank", too_many, 413},
      {"/rerank", too_long, 422},  // truncate: false
      {"/v1/rerank", R"({"query": "q", "documents": []})", 400, ""},
      {"/v1/rerank", R"({"query": "q", "documents": [{"txt": "p"}]})", 422, ""},
      {"/v1/rerank", R"({"query": "q", "documents": ["p"], "top_n": 0})", 422, ""},
      {"/v1/rerank", R"({"query": "q", "documents": ["p"], "top_n": 1.5})", 422, ""},
      {"/score", R"({"pairs": [["only one"]]})", 422},
      {"/score", R"({"pairs": [{"query": "q"}]})", 422},
      {"/score", R"({"pairs": []})", 400, "empty"},
      {"/score", R"("just a string")", 422},
      {"/no/such/route", "{}", 404, "not_found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.path) + " " + c.body.substr(0, 80));
    auto [status, body] = post(c.path, c.body);
    EXPECT_EQ(status, c.status) << body;
    if (*c.type) {
      expect_error_body(body, c.type);
    } else {
      ASSERT_TRUE(body.is_object() && body.contains("message")) << body;
      EXPECT_FALSE(body["message"].get<std::string>().empty());
    }
  }
  // The same too-long pair is fine when truncation is allowed (the default).
  auto [status, body] =
      post("/rerank", json{{"query", "q"}, {"texts", {words("flea", 700)}}}.dump());
  EXPECT_EQ(status, 200) << body;
  expect_still_serving();
}

TEST_F(ServerTest, HttpBodyOverPayloadLimitIs413) {
  const std::string huge = R"({"query": "q", "texts": [")" + std::string(10 << 20, 'a') + "\"]}";
  auto [status, body] = post("/rerank", huge);
  EXPECT_EQ(status, 413);
  expect_error_body(body, "validation");
  expect_still_serving();
}

TEST_F(ServerTest, HttpHealthInfoMetrics) {
  auto c = http();
  auto health = c->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  auto info = c->Get("/info");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200);
  const json i = json::parse(info->body);
  EXPECT_EQ(i["model_id"], "tiny-random");
  EXPECT_EQ(i["max_client_batch_size"], kMaxClientBatch);
  EXPECT_EQ(i["max_concurrent_requests"], kMaxConcurrent);
  EXPECT_EQ(i["max_input_length"], engine_->info().max_length);
  EXPECT_EQ(i["model_dtype"], "float32");
  EXPECT_EQ(i["backend"], "cpu");
  EXPECT_EQ(i["version"], server_version());
  ASSERT_EQ(i["models"].size(), 1u);
  EXPECT_EQ(i["models"][0]["warnings"], json::array());  // f32, no outlier channels

  ASSERT_EQ(post("/rerank", R"({"query": "q", "texts": ["p", "r"]})").first, 200);
  auto metrics = c->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& text = metrics->body;
  for (const char* needle : {
           "crossenc_requests_total{endpoint=\"/rerank\",status=\"200\"}",
           "crossenc_pairs_total{endpoint=\"/rerank\",status=\"200\"}",
           "crossenc_request_duration_seconds_bucket{endpoint=\"/rerank\",le=\"+Inf\"}",
           "crossenc_request_pairs_bucket{le=\"2\"}",
           "crossenc_request_tokens_count",
           "crossenc_request_queue_wait_seconds_bucket",
           "crossenc_request_tokenize_seconds_sum",
           "crossenc_requests_in_flight",
           "crossenc_queue_depth_pairs",
           "crossenc_batch_pairs_avg",
           "crossenc_batch_tokens_avg",
           "crossenc_padded_baseline_waste_ratio",
           "crossenc_replica_busy_seconds_total{replica=\"0\"",
           "crossenc_core_request_duration_seconds{model=\"",
           "crossenc_build_info{version=\"",
           "process_resident_memory_bytes",
           "# TYPE crossenc_request_duration_seconds histogram",
       }) {
    EXPECT_NE(text.find(needle), std::string::npos) << "missing " << needle;
  }
  // Queue wait, tokenization and inference time appear once each (the histograms above).
  for (const char* gone :
       {"crossenc_queue_wait_seconds", "crossenc_tokenize_seconds", "crossenc_inference_seconds"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone;
  }
  // Every sample line is "name{labels} value" or "name value".
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_NO_THROW((void)std::stod(line.substr(space + 1))) << line;
  }
}

// A raw TCP connection to the HTTP port, for clients that misbehave.
class RawSocket {
 public:
  explicit RawSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { close(); }
  bool connected() const { return connected_; }
  void send_text(const std::string& s) { (void)::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(ServerTest, SlowAndVanishedClientsDoNotHurtOthers) {
  const int port = server_->http_port();
  // Stalls in the headers, stalls in the body, leaves before the answer.
  RawSocket stalled_headers(port), stalled_body(port), vanished(port), bad_request_line(port);
  ASSERT_TRUE(stalled_headers.connected() && stalled_body.connected() && vanished.connected());
  stalled_headers.send_text("POST /rerank HTTP/1.1\r\nHost: x\r\n");
  stalled_body.send_text(
      "POST /rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000\r\n\r\n{\"query\": ");
  const std::string body = R"({"query": "q", "texts": [")" + words("flea", 300) + "\"]}";
  vanished.send_text("POST /rerank HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
  vanished.close();
  bad_request_line.send_text("\x16\x03\x01 this is not HTTP\r\n\r\n");

  // gRPC clients that give up early.
  for (int i = 0; i < 3; ++i) {
    inference::InferRequest request;
    for (int k = 0; k < kMaxClientBatch; ++k) {
      auto* p = request.add_pairs();
      p->set_query("q");
      p->set_document(words("flea", 300));
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1));
    inference::InferResponse r;
    (void)stub_->Infer(&context, request, &r);
  }

  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) expect_still_serving();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
  stalled_headers.close();
  stalled_body.close();
}

TEST_F(ServerTest, ConcurrentClientsOnBothProtocols) {
  const std::vector<Pair> pairs = sample_pairs();
  const std::vector<float> want = engine_->score(pairs);
  json arrays = json::array();
  for (const auto& p : pairs) arrays.push_back({p.query, p.passage});
  const std::string score_body = json{{"pairs", arrays}}.dump();

  constexpr int kThreads = kMaxConcurrent - 2, kRequests = 10;
  std::vector<std::future<int>> failures;
  for (int t = 0; t < kThreads; ++t) {
    failures.push_back(std::async(std::launch::async, [&, t] {
      int bad = 0;
      auto client = http();
      for (int k = 0; k < kRequests; ++k) {
        std::vector<float> got;
        if ((t + k) % 2 == 0) {
          inference::InferResponse r;
          if (!infer(pairs, &r).ok()) {
            ++bad;
            continue;
          }
          got.assign(r.scores().begin(), r.scores().end());
        } else {
          auto res = client->Post("/score", score_body, "application/json");
          if (!res || res->status != 200) {
            ++bad;
            continue;
          }
          got = json::parse(res->body)["scores"].get<std::vector<float>>();
        }
        for (size_t i = 0; i < want.size(); ++i) {
          if (got.size() != want.size() ||
              std::fabs(got[i] - want[i]) > 1e-5 * std::max(1.0f, std::fabs(want[i]))) {
            ++bad;
            break;
          }
        }
      }
      return bad;
    }));
  }
  for (auto& f : failures) EXPECT_EQ(f.get(), 0);
}

// ------------------------------------------------------------------- the CLI as a subprocess

// `crossenc serve ...` with stdout on a pipe and stderr in a file.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    err_path_ = fs::temp_directory_path() / ("crossenc_serve_stderr_" + std::to_string(getpid()) +
                                             "_" + std::to_string(counter_++) + ".txt");
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    out_fd_ = fds[0];
    std::vector<std::string> argv_s = {CROSSENC_CLI_PATH, "serve"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    fs::remove(err_path_);
  }

  // Reads "listening grpc=G http=H" from stdout; false on timeout or early exit.
  bool read_ports(int& grpc_port, int& http_port, int timeout_ms = 60000) {
    std::string line;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(out_fd_, &c, 1) != 1) return false;  // exited
      if (c != '\n') {
        line += c;
        continue;
      }
      return std::sscanf(line.c_str(), "listening grpc=%d http=%d", &grpc_port, &http_port) == 2;
    }
    return false;
  }

  // Everything on stdout until the process closes it (bounded by the timeout).
  std::string read_stdout(int timeout_ms = 30000) {
    std::string out;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[4096];
    while (Clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = read(out_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  void signal(int sig) const { kill(pid_, sig); }

  // The exit code, or nullopt if it has not exited within the timeout.
  std::optional<int> wait_exit(int timeout_ms = 60000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!exit_code_ && Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    return exit_code_;
  }

  std::string stderr_text() const {
    std::ifstream in(err_path_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  bool started() const { return pid_ > 0; }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  fs::path err_path_;
  std::optional<int> exit_code_;
};

// A TCP port held open by the test, to make the server's bind fail.
class BusyPort {
 public:
  BusyPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~BusyPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST_F(ServerTest, CliServeDrainsInFlightRequestsOnSigterm) {
  ServeProcess proc({"--model", model_path_.string(), "--grpc-port", "0", "--http-port", "0",
                     "--threads", "1", "--batch-size", "4"});
  ASSERT_TRUE(proc.started());
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  httplib::Client client("127.0.0.1", http_port);
  client.set_read_timeout(120, 0);
  ASSERT_TRUE(client.Get("/health"));

  // A slow request (many full-length pairs), in flight when SIGTERM arrives.
  json pairs = json::array();
  for (int i = 0; i < 96; ++i) pairs.push_back({"q " + std::to_string(i), words("flea", 600)});
  auto slow = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", http_port);
    c.set_read_timeout(120, 0);
    auto res = c.Post("/score", json{{"pairs", pairs}}.dump(), "application/json");
    return res ? std::make_pair(res->status, res->body) : std::make_pair(-1, std::string());
  });
  bool in_flight = false;
  for (int i = 0; i < 2000 && !in_flight; ++i) {  // up to ~20 s
    auto m = client.Get("/metrics");
    in_flight = m && m->body.find("\ncrossenc_requests_in_flight 1\n") != std::string::npos;
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(in_flight) << "the slow request finished before SIGTERM; the drain is untested";
  proc.signal(SIGTERM);

  const auto [status, body] = slow.get();
  EXPECT_EQ(status, 200) << body;
  if (status == 200) {
    EXPECT_EQ(json::parse(body)["scores"].size(), pairs.size());
  }
  EXPECT_EQ(proc.wait_exit(), std::optional<int>(0)) << proc.stderr_text();
  EXPECT_NE(proc.stderr_text().find("SIGTERM received"), std::string::npos);
  // Nobody listens any more.
  httplib::Client after("127.0.0.1", http_port);
  after.set_connection_timeout(1, 0);
  EXPECT_FALSE(after.Get("/health"));
}

TEST_F(ServerTest, CliServeAnswersBothProtocolsAndExitsOnSigint) {
  ServeProcess proc({"--model", model_path_.string(), "--grpc-port", "0", "--http-port", "0",
                     "--threads", "1", "--max-client-batch-size", "4"});
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = inference::InferenceService::NewStub(channel);
  inference::InferRequest request;
  auto* p = request.add_pairs();
  p->set_query("what is a flea");
  p->set_document("an insect");
  inference::InferResponse r;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->Infer(&context, request, &r).ok());
  expect_scores_near({r.scores().begin(), r.scores().end()},
                     engine_->score({{"what is a flea", "an insect"}}));
  httplib::Client client("127.0.0.1", http_port);
  auto res = client.Post("/rerank", R"({"query": "q", "texts": ["a", "b", "c", "d", "e"]})",
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);  // --max-client-batch-size 4
  proc.signal(SIGINT);
  EXPECT_EQ(proc.wait_exit(), std::optional<int>(0)) << proc.stderr_text();
}

TEST_F(ServerTest, CliServeFailsClearlyWhenAPortIsTaken) {
  BusyPort busy;
  ASSERT_GT(busy.port(), 0);
  {
    ServeProcess proc({"--model", model_path_.string(), "--grpc-port", "0", "--http-port",
                       std::to_string(busy.port())});
    EXPECT_EQ(proc.wait_exit(), std::optional<int>(1));
    EXPECT_NE(proc.stderr_text().find("cannot listen for HTTP"), std::string::npos)
        << proc.stderr_text();
  }
  {
    ServeProcess proc({"--model", model_path_.string(), "--grpc-port", std::to_string(busy.port()),
                       "--http-port", "0"});
    EXPECT_EQ(proc.wait_exit(), std::optional<int>(1));
    const std::string err = proc.stderr_text();
    EXPECT_NE(err.find("cannot listen for gRPC"), std::string::npos) << err;
    EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
    EXPECT_EQ(err.find("chttp2"), std::string::npos) << "gRPC's own log leaked: " << err;
  }
  {  // not an address: said so, not reported as a busy port
    ServeProcess proc({"--model", model_path_.string(), "--host", "999.1.1.1", "--grpc-port", "0",
                       "--http-port", "0"});
    EXPECT_EQ(proc.wait_exit(), std::optional<int>(1));
    const std::string err = proc.stderr_text();
    EXPECT_NE(err.find("999.1.1.1: not an IP address"), std::string::npos) << err;
    EXPECT_EQ(err.find("in use"), std::string::npos) << err;
  }
}

TEST_F(ServerTest, CliServeHelpListsTheFlags) {
  ServeProcess proc({"--help"});
  const std::string out = proc.read_stdout();
  EXPECT_EQ(proc.wait_exit(), std::optional<int>(0));
  for (const char* flag :
       {"--model", "--grpc-port", "--http-port", "--host", "--max-client-batch-size",
        "--max-input-length", "--max-batch-tokens", "--max-concurrent-requests", "--replicas",
        "--tokenizer-workers", "--batch-timeout-ms", "--payload-limit", "/v1/rerank"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << "help lacks " << flag;
  }
}

// ------------------------------------------------------- every route in its API's own shape

TEST_F(ServerTest, HttpEveryRouteAnswersInItsApisShape) {
  const std::vector<std::string> docs = {"A flea is an insect.", "Paris is in France."};
  const std::vector<float> want =
      engine_->score({{"what is a flea", docs[0]}, {"what is a flea", docs[1]}});
  const auto near_sigmoid = [&](const json& score, size_t i) {
    EXPECT_NEAR(score.get<float>(), sigmoid_ref(want[i]), 1e-6) << "document " << i;
  };
  // TEI /rerank defaults to the sigmoid, as TEI does, and reports TEI's timing headers.
  auto res = http()->Post("/rerank", json{{"query", "what is a flea"}, {"texts", docs}}.dump(),
                          "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  for (const auto& item : json::parse(res->body)) near_sigmoid(item["score"], item["index"]);
  for (const char* h : {"x-total-time", "x-queue-time", "x-inference-time", "x-tokenization-time",
                        "x-compute-tokens"}) {
    EXPECT_TRUE(res->has_header(h)) << h;
  }
  // Jina / vLLM fields on /rerank: documents, top_n, documents echoed by default, usage.
  auto [status, body] =
      post("/rerank", json{{"query", "what is a flea"}, {"documents", docs}, {"top_n", 1}}.dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body["results"].size(), 1u);
  near_sigmoid(body["results"][0]["relevance_score"], body["results"][0]["index"]);
  EXPECT_EQ(body["results"][0]["document"]["text"],
            docs[body["results"][0]["index"].get<size_t>()]);
  EXPECT_GT(body["usage"]["total_tokens"].get<int>(), 0);
  EXPECT_EQ(body["usage"]["prompt_tokens"], body["usage"]["total_tokens"]);
  // TEI /predict: one pair, and a batch of pairs.
  std::tie(status, body) = post("/predict", json{{"inputs", {"what is a flea", docs[0]}}}.dump());
  ASSERT_EQ(status, 200) << body;
  near_sigmoid(body[0]["score"], 0);
  EXPECT_EQ(body[0]["label"], "LABEL_0");
  std::tie(status, body) =
      post("/predict", json{{"inputs", json::array({json::array({"what is a flea", docs[0]}),
                                                    json::array({"what is a flea", docs[1]})})},
                            {"raw_scores", true}}
                           .dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body.size(), 2u);
  EXPECT_NEAR(body[1][0]["score"].get<float>(), want[1], 1e-5);
  // TEI /decode: the tokenizer's ids back to text, special tokens skipped by default.
  const Tokenizer& tok = service_->tokenizer();
  json ids = json::array({tok.cls_id()});
  for (int32_t id : tok.tokenize("Fleas jump, they do not fly.")) ids.push_back(id);
  ids.push_back(tok.sep_id());
  std::tie(status, body) = post("/decode", json{{"ids", ids}}.dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body, json::array({"fleas jump, they do not fly."}));
  std::tie(status, body) =
      post("/decode", json{{"ids", {ids, {tok.cls_id()}}}, {"skip_special_tokens", false}}.dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body[1], "[CLS]");
  // TEI /tokenize: ids with character offsets into each text, the added [CLS]/[SEP] special
  // with null offsets; a string or a list of strings.
  std::tie(status, body) = post("/tokenize", json{{"inputs", "Ünïcode naïve, ok"}}.dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body.size(), 1u);
  const json& toks = body[0];
  ASSERT_GE(toks.size(), 5u) << toks;
  EXPECT_EQ(toks.front()["id"], tok.cls_id());
  EXPECT_EQ(toks.front()["text"], "[CLS]");
  EXPECT_TRUE(toks.front()["special"].get<bool>());
  EXPECT_TRUE(toks.front()["start"].is_null());
  EXPECT_EQ(toks.back()["id"], tok.sep_id());
  std::vector<int32_t> text_ids;
  for (size_t i = 1; i + 1 < toks.size(); ++i) {
    text_ids.push_back(toks[i]["id"].get<int32_t>());
    EXPECT_FALSE(toks[i]["special"].get<bool>());
  }
  EXPECT_EQ(text_ids, tok.tokenize("Ünïcode naïve, ok"));
  // Characters, not bytes: "naïve" is characters 8..13 (the ï is two bytes).
  const std::u32string chars = U"Ünïcode naïve, ok";
  for (size_t i = 1; i + 1 < toks.size(); ++i) {
    const auto start = toks[i]["start"].get<size_t>(), stop = toks[i]["stop"].get<size_t>();
    ASSERT_LE(stop, chars.size());
    EXPECT_LT(start, stop);
    if (toks[i]["text"] == ",") {
      EXPECT_EQ(start, 13u);
    }
  }
  EXPECT_EQ(toks[toks.size() - 2]["text"], "ok");
  EXPECT_EQ(toks[toks.size() - 2]["start"], 15);
  EXPECT_EQ(toks[toks.size() - 2]["stop"], 17);
  std::tie(status, body) =
      post("/tokenize", json{{"inputs", {"a b", "c"}}, {"add_special_tokens", false}}.dump());
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0].size(), 2u);
  EXPECT_EQ(body[1][0]["text"], "c");
  EXPECT_EQ(body[1][0]["start"], 0);
  std::tie(status, body) = post("/tokenize", json{{"inputs", json::array()}}.dump());
  EXPECT_EQ(status, 400) << body;
  std::tie(status, body) = post("/tokenize", json{{"inputs", 3}}.dump());
  EXPECT_EQ(status, 422) << body;
  EXPECT_NE(body["error"].get<std::string>().find("inputs"), std::string::npos);
  // Cohere v2: id, meta.api_version, meta.billed_units.search_units.
  std::tie(status, body) = post(
      "/v2/rerank", json{{"model", "m"}, {"query", "what is a flea"}, {"documents", docs}}.dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body["id"].get<std::string>().size(), 36u);
  EXPECT_EQ(body["meta"]["api_version"]["version"], "2");
  EXPECT_EQ(body["meta"]["billed_units"]["search_units"], 1);
  ASSERT_EQ(body["results"].size(), 2u);
  near_sigmoid(body["results"][0]["relevance_score"], body["results"][0]["index"]);
  EXPECT_FALSE(body["results"][0].contains("document"));
  // Cohere v1 rank_fields: objects ranked by the named field, echoed whole.
  const json objects = {{{"id", "a"}, {"body", docs[0]}}, {{"id", "b"}, {"body", docs[1]}}};
  std::tie(status, body) = post("/v1/rerank", json{{"query", "what is a flea"},
                                                   {"documents", objects},
                                                   {"rank_fields", {"body"}},
                                                   {"return_documents", true}}
                                                  .dump());
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body["meta"]["api_version"]["version"], "1");
  for (const auto& item : body["results"]) {
    near_sigmoid(item["relevance_score"], item["index"]);
    EXPECT_EQ(item["document"], objects[item["index"].get<size_t>()]);
  }
  // vLLM /score and /v1/score: 1:1, 1:N and N:N.
  for (const char* path : {"/score", "/v1/score"}) {
    SCOPED_TRACE(path);
    std::tie(status, body) =
        post(path, json{{"text_1", "what is a flea"}, {"text_2", docs[1]}}.dump());
    ASSERT_EQ(status, 200) << body;
    ASSERT_EQ(body["data"].size(), 1u);
    near_sigmoid(body["data"][0]["score"], 1);
    EXPECT_EQ(body["object"], "list");
    std::tie(status, body) =
        post(path, json{{"text_1", "what is a flea"}, {"text_2", docs}}.dump());
    ASSERT_EQ(body["data"].size(), 2u);
    near_sigmoid(body["data"][1]["score"], 1);
    std::tie(status, body) =
        post(path, json{{"text_1", {"what is a flea", "what is a flea"}}, {"text_2", docs}}.dump());
    ASSERT_EQ(status, 200) << body;
    near_sigmoid(body["data"][0]["score"], 0);
    EXPECT_GT(body["usage"]["prompt_tokens"].get<int>(), 0);
  }
}

TEST_F(ServerTest, HttpOpenApiDescribesEveryRouteAndDocsLoadsIt) {
  auto c = http();
  auto res = c->Get("/openapi.json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json doc = json::parse(res->body);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/rerank", "post"},      {"/predict", "post"},  {"/decode", "post"},
      {"/tokenize", "post"},    {"/v1/models", "get"}, {"/v1/rerank", "post"},
      {"/v2/rerank", "post"},   {"/score", "post"},    {"/v1/score", "post"},
      {"/health", "get"},       {"/info", "get"},      {"/metrics", "get"},
      {"/openapi.json", "get"}, {"/docs", "get"}};
  for (const auto& [path, method] : routes) {
    EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method))
        << method << " " << path;
    // and each described route exists: not a 404 or 405.
    auto r = method == "get" ? c->Get(path) : c->Post(path, "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_NE(r->status, 404) << path;
    EXPECT_NE(r->status, 405) << path;
  }
  EXPECT_EQ(doc["paths"].size(), routes.size()) << "a route the test does not know";
  auto docs = c->Get("/docs");
  ASSERT_TRUE(docs);
  EXPECT_NE(docs->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(docs->body.find("openapi.json"), std::string::npos);
}

TEST_F(ServerTest, HttpRouterErrorsAndRefusedParameters) {
  auto c = http();
  // 405 with Allow, in the route's shape.
  auto res = c->Get("/v2/rerank");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  EXPECT_TRUE(json::parse(res->body).contains("message")) << res->body;
  res = c->Post("/health", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  expect_error_body(json::parse(res->body), "method_not_allowed");
  // 415 for a body that is not declared JSON.
  res = c->Post("/rerank", R"({"query": "q", "texts": ["p"]})", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  expect_error_body(json::parse(res->body), "validation");
  res = c->Post("/rerank", R"({"query": "q", "texts": ["p"]})", "application/json; charset=utf-8");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // 404 names the route list.
  auto [status, body] = post("/v3/rerank", "{}");
  EXPECT_EQ(status, 404);
  EXPECT_NE(body["error"].get<std::string>().find("/openapi.json"), std::string::npos);
  // Parameters that are not honoured, or out of range, are refused with a 422 that names them.
  struct Case {
    const char* path;
    json request;
    const char* names;
  };
  const json docs = {"p"};
  const std::vector<Case> cases = {
      {"/v1/rerank",
       {{"query", "q"}, {"documents", docs}, {"max_chunks_per_doc", 101}},
       "max_chunks_per_doc"},
      {"/v2/rerank",
       {{"query", "q"}, {"documents", docs}, {"max_tokens_per_doc", 16385}},
       "max_tokens_per_doc"},
      {"/rerank",
       {{"query", "q"}, {"texts", docs}, {"max_chunks_per_doc", 0}},
       "max_chunks_per_doc"},
      {"/rerank",
       {{"query", "q"}, {"texts", docs}, {"truncation_direction", "Middle"}},
       "truncation_direction"},
      {"/v1/score",
       {{"text_1", "q"}, {"text_2", docs}, {"truncate_prompt_tokens", 5}},
       "truncate_prompt_tokens"},
      {"/v1/rerank", {{"query", "q"}, {"documents", {{{"title", "t"}}}}}, "rank_fields"},
      {"/v1/score", {{"text_1", {"a", "b"}}, {"text_2", {"a", "b", "c"}}}, "text_1"},
      {"/predict", {{"inputs", "a single text"}}, "inputs"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.path) + " " + k.request.dump());
    std::tie(status, body) = post(k.path, k.request.dump());
    EXPECT_EQ(status, 422) << body;
    const std::string message = body.contains("message") ? body["message"] : body["error"];
    EXPECT_NE(message.find(k.names), std::string::npos) << body;
  }
  // vLLM's error shape on /v1/score, Cohere's on /v1/rerank.
  std::tie(status, body) = post("/v1/score", R"({"text_1": "q"})");
  EXPECT_EQ(status, 422);
  EXPECT_EQ(body["object"], "error");
  EXPECT_EQ(body["code"], 422);
  std::tie(status, body) = post("/v1/rerank", R"({"query": "q", "documents": []})");
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(body["message"].get<std::string>().empty());
  expect_still_serving();
}

// With its defaults the server takes Cohere's 10,000 documents in one request, in batches,
// and says the limit in a 413 beyond it.
TEST_F(ServerTest, CliServeTakesTenThousandDocumentsAndRefusesMoreWith413) {
  ServeProcess proc(
      {"--model", model_path_.string(), "--grpc-port", "0", "--http-port", "0", "--threads", "2"});
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  httplib::Client client("127.0.0.1", http_port);
  client.set_read_timeout(120, 0);
  json documents = json::array();
  for (int i = 0; i < 10000; ++i) documents.push_back("passage number " + std::to_string(i));
  auto res = client.Post("/v1/rerank", json{{"query", "q"}, {"documents", documents}}.dump(),
                         "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body.substr(0, 300);
  const json body = json::parse(res->body);
  EXPECT_EQ(body["results"].size(), 10000u);
  EXPECT_EQ(body["meta"]["billed_units"]["search_units"], 100);
  documents.push_back("one too many");
  res = client.Post("/v1/rerank", json{{"query", "q"}, {"documents", documents}}.dump(),
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(json::parse(res->body)["message"].get<std::string>().find("10000"), std::string::npos)
      << res->body;
}

// --max-chunks-per-doc is the windows a document gets when the request does not say.
TEST_F(ServerTest, CliServeMaxChunksPerDocIsTheDefaultForSilentRequests) {
  ServeProcess proc({"--model", model_path_.string(), "--grpc-port", "0", "--http-port", "0",
                     "--threads", "2", "--max-chunks-per-doc", "3"});
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  httplib::Client client("127.0.0.1", http_port);
  auto res = client.Get("/info");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["max_chunks_per_doc"], 3) << res->body;
  std::string doc;
  for (int j = 0; j < 1500; ++j) {
    doc.append("fox").append(std::to_string(j * 7919 % 1000)).append(" jumps ");
  }
  const auto score = [&](json request) {
    request["query"] = "which fox jumps";
    request["texts"] = {doc};
    request["raw_scores"] = true;
    auto r = client.Post("/rerank", request.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body)[0]["score"].get<float>() : 0.0f;
  };
  const float silent = score(json::object());
  EXPECT_NEAR(silent, score({{"max_chunks_per_doc", 3}}), 1e-5);
  EXPECT_GT(std::fabs(silent - score({{"max_chunks_per_doc", 1}})), 1e-4);
  res = client.Get("/rerank");  // still serving after all that
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

// serve --model NAME=PATH,KEY=VALUE repeated: each model with its own dtype and replicas; bad
// specs are refused by name before anything starts.
TEST_F(ServerTest, CliServeSeveralModelsEachWithItsOwnDtypeAndReplicas) {
  const std::string path = model_path_.string();
  ServeProcess proc({"--model", "small=" + path, "--model",
                     "half=" + path + ",dtype=f16,replicas=2", "--grpc-port", "0", "--http-port",
                     "0", "--threads", "1"});
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  httplib::Client client("127.0.0.1", http_port);
  auto res = client.Get("/info");
  ASSERT_TRUE(res);
  const json info = json::parse(res->body);
  ASSERT_EQ(info["models"].size(), 2u) << res->body;
  EXPECT_EQ(info["model_id"], "small");
  EXPECT_EQ(info["models"][0]["dtype"], "f32");
  EXPECT_EQ(info["models"][1]["id"], "half");
  EXPECT_EQ(info["models"][1]["dtype"], "f16");
  EXPECT_EQ(info["models"][1]["replicas"], 2);
  res = client.Post("/v1/rerank", R"({"model": "half", "query": "q", "documents": ["a"]})",
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["model"], "half");
  res = client.Post("/v1/rerank", R"({"model": "full", "query": "q", "documents": ["a"]})",
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(), 0) << proc.stderr_text();

  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--model", path, "--model", "b=" + path}, "name each one"},
           {{"--model", "a=" + path + ",dtype"}, "is not KEY=VALUE"},
           {{"--model", "a=" + path + ",color=red"}, "unknown key \"color\""},
           {{"--model", "a=" + path + ",replicas=0"}, "replicas must be an integer"},
           {{"--model", "a=" + path, "--model", "a=" + path}, "two models are named \"a\""},
           {{"--model", "a=" + path, "--model-id", "x"}, "--model-id"},
       }) {
    std::vector<std::string> argv = args;
    argv.insert(argv.end(), {"--grpc-port", "0", "--http-port", "0", "--threads", "1"});
    ServeProcess bad(argv);
    EXPECT_NE(bad.wait_exit(), 0);
    EXPECT_NE(bad.stderr_text().find(message), std::string::npos)
        << message << " in: " << bad.stderr_text();
  }
}

TEST_F(ServerTest, CliServeApiKeyCorsAndJsonLogs) {
  const fs::path key_file = ::crossenc::test::temp_dir() / "api_key.txt";
  std::ofstream(key_file) << "s3cret-key\n";
  ServeProcess proc({"--model", model_path_.string(), "--grpc-port", "0", "--http-port", "0",
                     "--threads", "1", "--api-key-file", key_file.string(), "--cors-allow-origin",
                     "*", "--json-logs"});
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(proc.read_ports(grpc_port, http_port)) << proc.stderr_text();
  httplib::Client client("127.0.0.1", http_port);
  const std::string request = R"({"query": "q", "documents": ["p"]})";
  // No key, a wrong key: 401 with a JSON body in the route's shape.
  auto res = client.Post("/v1/rerank", request, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(json::parse(res->body)["message"].get<std::string>().find("API key"),
            std::string::npos);
  res =
      client.Post("/rerank", {{"Authorization", "Bearer s3cret-kez"}}, request, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["error_type"], "unauthorized");
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  // The right key; /health needs none. CORS on every answer, preflight answered.
  res = client.Post("/v1/rerank", {{"Authorization", "Bearer s3cret-key"}}, request,
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(client.Get("/health")->status, 200);
  res = client.Options("/v1/rerank");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  EXPECT_NE(res->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  // gRPC: the same key as metadata.
  auto stub = inference::InferenceService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(grpc_port), grpc::InsecureChannelCredentials()));
  inference::InferRequest req;
  req.add_pairs()->set_query("q");
  inference::InferResponse r;
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub->Infer(&context, req, &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer s3cret-key");
    EXPECT_TRUE(stub->Infer(&context, req, &r).ok());
  }
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(), std::optional<int>(0)) << proc.stderr_text();
  // One JSON line per HTTP request, with what was scored.
  std::istringstream lines(proc.stderr_text());
  int logged = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    const json entry = json::parse(line);
    ++logged;
    if (entry["route"] == "/v1/rerank" && entry["status"] == 200) {
      EXPECT_EQ(entry["pairs"], 1);
      EXPECT_GT(entry["tokens"].get<int>(), 0);
      EXPECT_TRUE(entry.contains("queue_ms") && entry.contains("inference_ms"));
      EXPECT_EQ(entry["model"], "server_test");
    }
  }
  EXPECT_EQ(logged, 6) << proc.stderr_text();  // the six HTTP requests above
  fs::remove(key_file);
}

// ------------------------------------------- gRPC: malformed requests, reflection, API key

// The value of one crossenc_requests_total sample on /metrics (0 while absent).
double requests_total(int http_port, const std::string& endpoint, const std::string& status) {
  httplib::Client c("127.0.0.1", http_port);
  auto res = c.Get("/metrics");
  if (!res) return -1;
  const std::string key =
      "crossenc_requests_total{endpoint=\"" + endpoint + "\",status=\"" + status + "\"} ";
  const size_t at = res->body.find(key);
  return at == std::string::npos ? 0 : std::stod(res->body.substr(at + key.size()));
}

TEST_F(ServerTest, GrpcMalformedRequestsAreInvalidArgumentWithAMessageAndCounted) {
  const std::string method = "/inference.InferenceService/Infer";
  const double before = requests_total(server_->http_port(), "grpc.Infer", "INVALID_ARGUMENT");
  struct Case {
    std::string bytes, message;
  };
  const Case cases[] = {
      {std::string("\x0a\x10\x0a\x05", 4), "not a valid protobuf"},      // truncated field
      {std::string("\xff\xff\xff\xff\xff", 5), "not a valid protobuf"},  // garbage tags
      // pairs: [{query: "q"}, {document: "\xff"}] and [{query: "\xc3"}]: not UTF-8.
      {std::string("\x0a\x03\x0a\x01q\x0a\x03\x12\x01\xff", 10), "pairs[1].document"},
      {std::string("\x0a\x03\x0a\x01\xc3", 5), "pairs[0].query"}};
  for (const auto& c : cases) {
    const grpc::Status s = raw_call(channel_, method, c.bytes, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_NE(s.error_message().find(c.message), std::string::npos) << s.error_message();
  }
  EXPECT_EQ(requests_total(server_->http_port(), "grpc.Infer", "INVALID_ARGUMENT"),
            before + std::size(cases));
  expect_still_serving();
}

// One reflection request on a stream of either package's generated stub.
template <class Api>
typename Api::ServerReflectionResponse reflect(const std::shared_ptr<grpc::Channel>& channel,
                                               const typename Api::ServerReflectionRequest& request,
                                               grpc::Status* status, const std::string& key = "") {
  auto stub = Api::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  auto stream = stub->ServerReflectionInfo(&context);
  typename Api::ServerReflectionResponse response;
  if (stream->Write(request)) stream->Read(&response);
  stream->WritesDone();
  *status = stream->Finish();
  return response;
}

struct ReflectionV1 {
  using ServerReflection = grpc::reflection::v1::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1::ServerReflectionResponse;
};
struct ReflectionV1Alpha {
  using ServerReflection = grpc::reflection::v1alpha::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1alpha::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1alpha::ServerReflectionResponse;
};

template <class Api>
void expect_reflection_works(const std::shared_ptr<grpc::Channel>& channel) {
  typename Api::ServerReflectionRequest request;
  grpc::Status status;
  request.set_list_services("");
  auto response = reflect<Api>(channel, request, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> names;
  for (const auto& s : response.list_services_response().service()) names.insert(s.name());
  EXPECT_EQ(names, (std::set<std::string>{"inference.InferenceService", "grpc.health.v1.Health",
                                          "grpc.reflection.v1.ServerReflection",
                                          "grpc.reflection.v1alpha.ServerReflection"}));
  const std::pair<std::string, std::string> symbols[] = {
      {"inference.InferenceService", "InferRequest"},
      {"grpc.health.v1.Health", "HealthCheckRequest"},
      {"grpc.reflection.v1.ServerReflection", "ServerReflectionRequest"}};
  for (const auto& [symbol, message] : symbols) {
    request.set_file_containing_symbol(symbol);
    response = reflect<Api>(channel, request, &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GE(response.file_descriptor_response().file_descriptor_proto_size(), 1) << symbol;
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
    std::set<std::string> messages;
    for (const auto& m : file.message_type()) messages.insert(m.name());
    EXPECT_TRUE(messages.count(message)) << symbol << " described by " << file.name();
  }
  request.set_file_by_filename("inference.proto");
  response = reflect<Api>(channel, request, &status);
  ASSERT_EQ(response.file_descriptor_response().file_descriptor_proto_size(), 1);
  request.set_file_containing_symbol("no.such.Symbol");
  response = reflect<Api>(channel, request, &status);
  EXPECT_EQ(response.error_response().error_code(), int(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ServerTest, GrpcReflectionV1AndV1AlphaWithTheirOwnStubs) {
  expect_reflection_works<ReflectionV1>(channel_);
  expect_reflection_works<ReflectionV1Alpha>(channel_);
}

// --api-key: Infer, GetMetrics and reflection need the key; health stays open, like HTTP /health.
TEST_F(ServerTest, GrpcApiKeyGuardsEverythingButHealth) {
  Server srv(*service_, ServerOptions{.host = "127.0.0.1", .grpc_port = 0, .http_port = -1},
             AccessOptions{.api_key = "s3cret"});
  const auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(srv.grpc_port()),
                                           grpc::InsecureChannelCredentials());
  grpc::StatusCode code;
  EXPECT_EQ(health_check(channel, "", &code), grpc::health::v1::HealthCheckResponse::SERVING);
  // Checked before the request is decoded: an unauthenticated client learns nothing else.
  const grpc::Status infer =
      raw_call(channel, "/inference.InferenceService/Infer", std::string("\xff", 1), nullptr);
  EXPECT_EQ(infer.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::reflection::v1::ServerReflectionRequest v1;
  v1.set_list_services("");
  grpc::reflection::v1alpha::ServerReflectionRequest v1alpha;
  v1alpha.set_list_services("");
  grpc::Status status;
  reflect<ReflectionV1>(channel, v1, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  reflect<ReflectionV1Alpha>(channel, v1alpha, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  reflect<ReflectionV1>(channel, v1, &status, "wrong");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      reflect<ReflectionV1>(channel, v1, &status, "s3cret").list_services_response().service_size(),
      4);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reflect<ReflectionV1Alpha>(channel, v1alpha, &status, "s3cret")
                .list_services_response()
                .service_size(),
            4);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace crossenc::server
