// The three load targets: in-process Service, HTTP (cpp-httplib) and gRPC (the server's
// generated stubs, when this build has them).
#include "load_target.h"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#ifdef CROSSENC_BENCH_HAVE_GRPC
#include <grpcpp/grpcpp.h>

#include "inference.grpc.pb.h"
#endif

namespace crossenc::bench {

namespace {

using json = nlohmann::json;

// ---- in-process -------------------------------------------------------------------------

class InProcessSession final : public LoadSession {
 public:
  InProcessSession(Service& service, bool truncate) : service_(service), truncate_(truncate) {}
  TargetReply score(std::span<const Pair> pairs) override {
    TargetReply r;
    r.scores = service_.score(pairs, {.truncate = truncate_}, &r.timing);
    r.has_stages = r.has_server_total = true;
    return r;
  }

 private:
  Service& service_;
  bool truncate_;
};

class InProcessTarget final : public LoadTarget {
 public:
  explicit InProcessTarget(const RunConfig& c)
      : truncate_(c.load.truncate), service_(c.model, c.engine_options(), c.service) {
    const EngineInfo& e = service_.info();
    info_ = {.kind = "in-process",
             .address = "in-process",
             .model = c.model,
             .backend = e.backend,
             .device = e.device,
             .dtype = std::string(dtype_name(e.dtype)),
             .max_length = e.max_length,
             .service = service_.options()};
  }
  const TargetInfo& info() const override { return info_; }
  std::unique_ptr<LoadSession> open_session() override {
    return std::make_unique<InProcessSession>(service_, truncate_);
  }
  std::optional<MetricsSnapshot> metrics() override { return service_.metrics(); }

 private:
  bool truncate_;
  Service service_;
  TargetInfo info_;
};

// ---- HTTP -------------------------------------------------------------------------------

double header_ms(const httplib::Result& res, const char* name) {
  const std::string v = res->get_header_value(name);
  return v.empty() ? 0.0 : std::strtod(v.c_str(), nullptr);
}

std::unique_ptr<httplib::Client> http_client(const Endpoint& ep) {
  auto c = std::make_unique<httplib::Client>(ep.host, ep.port);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(300, 0);  // a request may wait behind a deep queue
  c->set_write_timeout(30, 0);
  c->set_keep_alive(true);
  return c;
}

[[noreturn]] void http_fail(const std::string& what, const httplib::Result& res) {
  if (!res) throw Error(what + ": " + httplib::to_string(res.error()));
  std::string msg = what + ": HTTP " + std::to_string(res->status);
  try {
    const json body = json::parse(res->body);
    if (body.contains("error")) msg += ": " + body["error"].get<std::string>();
  } catch (const std::exception&) {
  }
  if (res->status == 429) throw OverloadedError(msg);
  throw Error(msg);
}

class HttpSession final : public LoadSession {
 public:
  HttpSession(const Endpoint& ep, std::string endpoint, bool truncate)
      : client_(http_client(ep)), endpoint_(std::move(endpoint)), truncate_(truncate) {}

  TargetReply score(std::span<const Pair> pairs) override {
    json body;
    if (endpoint_ == "rerank") {  // TEI: one query, many texts
      body["query"] = pairs.empty() ? "" : pairs[0].query;
      json texts = json::array();
      for (const auto& p : pairs) texts.push_back(p.passage);
      body["texts"] = std::move(texts);
    } else {
      json list = json::array();
      for (const auto& p : pairs) list.push_back({{"query", p.query}, {"passage", p.passage}});
      body["pairs"] = std::move(list);
    }
    body["truncate"] = truncate_;
    const std::string path = "/" + endpoint_;
    auto res = client_->Post(path, body.dump(), "application/json");
    if (!res || res->status != 200) http_fail("POST " + path, res);
    TargetReply r;
    r.scores.assign(pairs.size(), 0.0f);
    const json out = json::parse(res->body);
    if (endpoint_ == "rerank") {  // [{index, score}] sorted by score: back to input order
      for (const auto& item : out) {
        const size_t i = item.at("index").get<size_t>();
        if (i < r.scores.size()) r.scores[i] = item.at("score").get<float>();
      }
    } else {
      const auto& s = out.at("scores");
      for (size_t i = 0; i < s.size() && i < r.scores.size(); ++i) r.scores[i] = s[i].get<float>();
    }
    if (res->has_header("x-total-time")) {
      r.has_stages = r.has_server_total = true;
      r.timing.total_ms = header_ms(res, "x-total-time");
      r.timing.queue_ms = header_ms(res, "x-queue-time");
      r.timing.tokenize_ms = header_ms(res, "x-tokenization-time");
      r.timing.inference_ms = header_ms(res, "x-inference-time");
      r.timing.tokens = static_cast<size_t>(header_ms(res, "x-compute-tokens"));
    }
    return r;
  }

 private:
  std::unique_ptr<httplib::Client> client_;
  std::string endpoint_;
  bool truncate_;
};

class HttpTarget final : public LoadTarget {
 public:
  explicit HttpTarget(const RunConfig& c)
      : endpoint_(parse_loopback_url(c.target, "http")),
        route_(c.load.endpoint),
        truncate_(c.load.truncate),
        monitor_(http_client(endpoint_)) {
    info_.kind = "http";
    info_.address = c.target;
    info_.model = c.model;
    auto res = monitor_->Get("/info");
    if (!res || res->status != 200) http_fail("GET " + c.target + "/info", res);
    try {
      const json i = json::parse(res->body);
      info_.model = i.value("model_id", c.model);
      info_.backend = i.value("backend", "");
      info_.device = i.value("device", "");
      info_.dtype = i.value("dtype", "");
      info_.max_length = i.value("max_input_length", 0);
      ServiceOptions s;
      s.max_batch_pairs = i.value("max_batch_requests", s.max_batch_pairs);
      s.max_batch_tokens = i.value("max_batch_tokens", s.max_batch_tokens);
      s.timeout_ms = i.value("batch_timeout_ms", s.timeout_ms);
      s.dynamic_batching = i.value("dynamic_batching", s.dynamic_batching);
      s.replicas = i.value("replicas", s.replicas);
      s.tokenizer_workers = i.value("tokenization_workers", s.tokenizer_workers);
      s.length_aware = i.value("length_aware", s.length_aware);
      info_.service = s;
    } catch (const std::exception& e) {
      throw Error("GET " + c.target + "/info: unexpected answer: " + e.what());
    }
  }
  const TargetInfo& info() const override { return info_; }
  std::unique_ptr<LoadSession> open_session() override {
    return std::make_unique<HttpSession>(endpoint_, route_, truncate_);
  }
  std::optional<MetricsSnapshot> metrics() override {
    auto res = monitor_->Get("/metrics");
    if (!res || res->status != 200) return std::nullopt;
    return parse_prometheus_metrics(res->body);
  }

 private:
  Endpoint endpoint_;
  std::string route_;
  bool truncate_;
  std::unique_ptr<httplib::Client> monitor_;  // /info and /metrics, from the sampler thread
  TargetInfo info_;
};

// ---- gRPC -------------------------------------------------------------------------------

#ifdef CROSSENC_BENCH_HAVE_GRPC
std::shared_ptr<grpc::Channel> grpc_channel(const Endpoint& ep, int id) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // A distinct argument per client gives each its own connection, like separate processes.
  args.SetInt("crossenc.bench.client", id);
  return grpc::CreateCustomChannel(ep.host + ":" + std::to_string(ep.port),
                                   grpc::InsecureChannelCredentials(), args);
}

class GrpcSession final : public LoadSession {
 public:
  GrpcSession(const Endpoint& ep, int id)
      : stub_(inference::InferenceService::NewStub(grpc_channel(ep, id))) {}

  TargetReply score(std::span<const Pair> pairs) override {
    inference::InferRequest req;
    for (const auto& p : pairs) {
      auto* q = req.add_pairs();
      q->set_query(p.query);
      q->set_document(p.passage);
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    inference::InferResponse resp;
    const grpc::Status st = stub_->Infer(&ctx, req, &resp);
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      throw OverloadedError("Infer: RESOURCE_EXHAUSTED: " + st.error_message());
    }
    if (!st.ok()) {
      throw Error("Infer: gRPC status " + std::to_string(static_cast<int>(st.error_code())) + ": " +
                  st.error_message());
    }
    TargetReply r;
    r.scores.assign(resp.scores().begin(), resp.scores().end());
    if (r.scores.size() != pairs.size()) throw Error("Infer: wrong number of scores");
    r.has_server_total = true;  // latency_ms only: no stage split over gRPC
    r.timing.total_ms = resp.latency_ms();
    return r;
  }

 private:
  std::unique_ptr<inference::InferenceService::Stub> stub_;
};

class GrpcTarget final : public LoadTarget {
 public:
  explicit GrpcTarget(const RunConfig& c) : endpoint_(parse_loopback_url(c.target, "grpc")) {
    info_.kind = "grpc";
    info_.address = c.target;
    info_.model = c.model;
    // Fail here, not in every client thread, when nothing listens.
    auto channel = grpc_channel(endpoint_, -1);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      throw Error("gRPC target " + c.target + ": cannot connect");
    }
  }
  const TargetInfo& info() const override { return info_; }
  std::unique_ptr<LoadSession> open_session() override {
    return std::make_unique<GrpcSession>(endpoint_, next_id_++);
  }

 private:
  Endpoint endpoint_;
  TargetInfo info_;
  int next_id_ = 0;  // open_session is called from one thread
};
#endif

std::map<std::string, std::string> parse_labels(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') break;
    std::string key(text.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) ++j;
      value += text[j];
    }
    out[std::move(key)] = std::move(value);
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

}  // namespace

Endpoint parse_loopback_url(const std::string& url, const std::string& scheme) {
  const std::string prefix = scheme + "://";
  if (url.rfind(prefix, 0) != 0) throw Error("target '" + url + "' does not start with " + prefix);
  std::string rest = url.substr(prefix.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) throw Error("target '" + url + "' has no port");
  Endpoint ep;
  ep.host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
  if (ec != std::errc() || p != port.data() + port.size() || ep.port < 1 || ep.port > 65535) {
    throw Error("target '" + url + "' has a bad port");
  }
  if (ep.host == "[::1]") ep.host = "::1";
  if (ep.host == "localhost") ep.host = "127.0.0.1";
  // The harness only ever loads a server on this machine.
  if (ep.host != "::1" && ep.host.rfind("127.", 0) != 0) {
    throw Error("target '" + url + "' is not a loopback address (127.x.x.x, localhost, [::1])");
  }
  return ep;
}

MetricsSnapshot parse_prometheus_metrics(const std::string& text) {
  MetricsSnapshot m;
  double cpu_s = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string name = line.substr(0, std::min(brace, line.find(' ')));
    std::map<std::string, std::string> labels;
    if (brace != std::string::npos) {
      const size_t close = line.rfind('}');
      if (close == std::string::npos || close < brace) continue;
      labels = parse_labels(std::string_view(line).substr(brace + 1, close - brace - 1));
    }
    const double v = std::strtod(line.c_str() + space + 1, nullptr);
    if (name == "crossenc_uptime_seconds")
      m.uptime_s = v;
    else if (name == "crossenc_core_requests_total")
      m.requests = static_cast<uint64_t>(v);
    else if (name == "crossenc_core_pairs_total")
      m.pairs = static_cast<uint64_t>(v);
    else if (name == "crossenc_core_tokens_total")
      m.tokens = static_cast<uint64_t>(v);
    else if (name == "crossenc_core_errors_total")
      m.errors = static_cast<uint64_t>(v);
    else if (name == "crossenc_core_rejected_overloaded_total")
      m.rejected_overloaded = static_cast<uint64_t>(v);
    else if (name == "crossenc_batches_total")
      m.batches = static_cast<uint64_t>(v);
    else if (name == "crossenc_batch_pairs_avg")
      m.avg_batch_pairs = v;
    else if (name == "crossenc_batch_tokens_avg")
      m.avg_batch_tokens = v;
    else if (name == "crossenc_padded_baseline_waste_ratio")
      m.padded_baseline_waste_pct = v * 100.0;
    else if (name == "crossenc_queue_depth_pairs")
      m.queued_pairs = static_cast<size_t>(v);
    else if (name == "process_resident_memory_bytes")
      m.rss_bytes = static_cast<uint64_t>(v);
    else if (name == "process_cpu_seconds_total")
      cpu_s = v;
    else if (name.rfind("crossenc_replica_", 0) == 0 && labels.count("replica")) {
      const size_t i = std::strtoul(labels["replica"].c_str(), nullptr, 10);
      if (i > 1024) continue;
      if (m.replicas.size() <= i) m.replicas.resize(i + 1);
      ReplicaMetrics& r = m.replicas[i];
      r.backend = labels["backend"];
      r.device = labels["device"];
      if (name == "crossenc_replica_busy_seconds_total")
        r.busy_ms = v * 1000.0;
      else if (name == "crossenc_replica_batches_total")
        r.batches = static_cast<uint64_t>(v);
      else if (name == "crossenc_replica_pairs_total")
        r.pairs = static_cast<uint64_t>(v);
      else if (name == "crossenc_replica_tokens_total")
        r.tokens = static_cast<uint64_t>(v);
      else if (name == "crossenc_replica_batch_duration_seconds") {
        const std::string q = labels["quantile"];
        if (q == "0.5")
          r.batch_latency.p50_ms = v * 1000.0;
        else if (q == "0.9")
          r.batch_latency.p90_ms = v * 1000.0;
        else if (q == "0.95")
          r.batch_latency.p95_ms = v * 1000.0;
        else if (q == "0.99")
          r.batch_latency.p99_ms = v * 1000.0;
      } else if (name == "crossenc_replica_batch_duration_seconds_count") {
        r.batch_latency.count = static_cast<uint64_t>(v);
      }
    }
  }
  if (m.uptime_s > 0) {
    m.process_cpu_pct = cpu_s / m.uptime_s * 100.0;
    m.pairs_per_s = static_cast<double>(m.pairs) / m.uptime_s;
  }
  return m;
}

std::unique_ptr<LoadTarget> make_target(const RunConfig& config) {
  const std::string& t = config.target;
  if (t == "inprocess" || t == "in-process") return std::make_unique<InProcessTarget>(config);
  if (t.rfind("http://", 0) == 0) return std::make_unique<HttpTarget>(config);
  if (t.rfind("grpc://", 0) == 0) {
#ifdef CROSSENC_BENCH_HAVE_GRPC
    return std::make_unique<GrpcTarget>(config);
#else
    parse_loopback_url(t, "grpc");  // still report a malformed URL as such
    throw Error("gRPC target " + t +
                ": not built (configure with -DCROSSENC_SERVER=ON so the harness gets the "
                "server's generated stubs), or use --target http://host:port");
#endif
  }
  throw Error("unknown target '" + t + "' (inprocess | http://host:port | grpc://host:port)");
}

}  // namespace crossenc::bench
