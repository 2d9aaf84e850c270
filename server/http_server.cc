// HTTP routes on cpp-httplib; every response, errors included, is JSON (or Prometheus text).
#include "http_server.h"

#include <sys/socket.h>

#include <httplib.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "json_api.h"
#include "prometheus.h"

namespace crossenc::server {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kJson = "application/json";

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", ms);
  return buf;
}

// TEI reports where the time went in response headers; keep the same names.
void set_timing_headers(httplib::Response& res, const RequestTiming& t, double total_ms) {
  res.set_header("x-total-time", ms_text(total_ms));
  res.set_header("x-queue-time", ms_text(t.queue_ms));
  res.set_header("x-tokenization-time", ms_text(t.tokenize_ms));
  res.set_header("x-inference-time", ms_text(t.inference_ms));
  res.set_header("x-compute-tokens", std::to_string(t.tokens));
}

bool is_api_path(const std::string& path) {
  return path == "/rerank" || path == "/v1/rerank" || path == "/score" || path == "/health" ||
         path == "/info" || path == "/metrics";
}

}  // namespace

struct HttpServer::Impl {
  Scorer& scorer;
  std::string model_id, version;
  httplib::Server http;
  std::thread listener;
  std::atomic<int> listen_fd{-1};  // the first socket httplib configures is the listening one

  Impl(Scorer& s, std::string id, std::string v)
      : scorer(s), model_id(std::move(id)), version(std::move(v)) {}

  // Runs one API call: `body_of` returns the JSON body; an ApiError becomes its status and
  // {"error", "error_type"}; anything else is a 500. Every call is counted by endpoint/status.
  template <class Fn>
  void respond(const char* endpoint, httplib::Response& res, Fn&& body_of) {
    const auto t0 = Clock::now();
    size_t pairs = 0;
    RequestTiming timing;
    try {
      res.set_content(body_of(pairs, timing), kJson);
      res.status = 200;
      if (pairs > 0) set_timing_headers(res, timing, seconds_since(t0) * 1000.0);
    } catch (const ApiError& e) {
      res.status = http_status(e.kind());
      res.set_content(error_body(e.kind(), e.what()), kJson);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(error_body(ErrorKind::kInternal, e.what()), kJson);
    }
    scorer.metrics().record_request(endpoint, std::to_string(res.status), pairs, seconds_since(t0));
  }

  void add_routes() {
    http.Post("/rerank", [this](const httplib::Request& req, httplib::Response& res) {
      respond("/rerank", res, [&](size_t& pairs, RequestTiming& timing) {
        const TeiRerankRequest r = parse_tei_rerank(req.body);
        pairs = r.texts.size();
        scorer.check_batch_size(pairs);
        std::vector<Pair> p;
        p.reserve(pairs);
        for (const auto& t : r.texts) p.push_back({r.query, t});
        Scorer::Result s = scorer.score(p, r.truncate);
        timing = s.timing;
        return tei_rerank_response(r, s.scores);
      });
    });
    http.Post("/v1/rerank", [this](const httplib::Request& req, httplib::Response& res) {
      respond("/v1/rerank", res, [&](size_t& pairs, RequestTiming& timing) {
        const CohereRerankRequest r = parse_cohere_rerank(req.body);
        pairs = r.documents.size();
        scorer.check_batch_size(pairs);
        std::vector<Pair> p;
        p.reserve(pairs);
        for (const auto& d : r.documents) p.push_back({r.query, d});
        Scorer::Result s = scorer.score(p, r.truncate);
        timing = s.timing;
        return cohere_rerank_response(r, s.scores, s.timing.tokens, model_id);
      });
    });
    http.Post("/score", [this](const httplib::Request& req, httplib::Response& res) {
      respond("/score", res, [&](size_t& pairs, RequestTiming& timing) {
        const ScoreRequest r = parse_score(req.body);
        pairs = r.pairs.size();
        Scorer::Result s = scorer.score(r.pairs, r.truncate);
        timing = s.timing;
        return score_response(r, s.scores);
      });
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      respond("/health", res, [&](size_t&, RequestTiming&) -> std::string {
        if (!scorer.accepting()) throw ApiError(ErrorKind::kUnavailable, "shutting down");
        return R"({"status":"ok"})";
      });
    });
    http.Get("/info", [this](const httplib::Request&, httplib::Response& res) {
      respond("/info", res, [&](size_t&, RequestTiming&) {
        return info_response(scorer.service().info(), scorer.service().options(), scorer.options(),
                             model_id, version);
      });
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      const auto t0 = Clock::now();
      const MetricsSnapshot core = scorer.service().metrics();
      const ServerMetrics::Snapshot server = scorer.metrics().snapshot();
      res.set_content(render_prometheus({.server = server,
                                         .core = core,
                                         .info = scorer.service().info(),
                                         .model_id = model_id,
                                         .version = version,
                                         .in_flight = scorer.in_flight()}),
                      "text/plain; version=0.0.4; charset=utf-8");
      scorer.metrics().record_request("/metrics", "200", 0, seconds_since(t0));
    });
    // Anything else: a JSON 404 (unknown paths share one label to bound the metric's size).
    const auto not_found = [this](const httplib::Request& req, httplib::Response& res) {
      respond("other", res, [&](size_t&, RequestTiming&) -> std::string {
        throw ApiError(ErrorKind::kNotFound,
                       "no route for " + req.method + " " + req.path + "; see GET /info");
      });
    };
    http.Get(".*", not_found);
    http.Post(".*", not_found);
    // Errors httplib answers itself (413 body too large, 400 bad request line, ...) get a JSON
    // body too; responses our handlers made already have one.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const ErrorKind kind = res.status == 413   ? ErrorKind::kPayloadTooLarge
                             : res.status == 404 ? ErrorKind::kNotFound
                             : res.status >= 500 ? ErrorKind::kInternal
                                                 : ErrorKind::kMalformed;
      std::string message =
          res.status == 413
              ? "request body larger than the payload limit of " +
                    std::to_string(scorer.options().payload_limit_bytes) +
                    " bytes (--payload-limit)"
              : "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
      res.set_content(error_body(kind, message), kJson);
      scorer.metrics().record_request(is_api_path(req.path) ? req.path : "other",
                                      std::to_string(res.status), 0, 0.0);
    });
  }
};

HttpServer::HttpServer(Scorer& scorer, std::string model_id, std::string version)
    : impl_(std::make_unique<Impl>(scorer, std::move(model_id), std::move(version))) {
  const ServerOptions& o = scorer.options();
  httplib::Server& h = impl_->http;
  // httplib's API takes ownership of a raw TaskQueue pointer.
  const size_t threads = static_cast<size_t>(std::max(1, o.http_threads));
  h.new_task_queue = [threads] { return std::make_unique<httplib::ThreadPool>(threads).release(); };
  h.set_payload_max_length(o.payload_limit_bytes);
  h.set_read_timeout(o.http_read_timeout_s, 0);
  h.set_write_timeout(o.http_read_timeout_s, 0);
  h.set_keep_alive_timeout(5);
  h.set_keep_alive_max_count(100);
  h.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server
  // silently share a port that is already taken instead of failing to start.
  h.set_socket_options([impl = impl_.get()](auto sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    int none = -1;
    impl->listen_fd.compare_exchange_strong(none, static_cast<int>(sock));
  });
  impl_->add_routes();
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start(const std::string& host, int port) {
  httplib::Server& h = impl_->http;
  int bound = port;
  if (port == 0) {
    bound = h.bind_to_any_port(host);
    if (bound < 0) throw Error("cannot listen for HTTP on " + host);
  } else if (!h.bind_to_port(host, port)) {
    throw Error("cannot listen for HTTP on " + host + ":" + std::to_string(port) +
                " (in use? try --http-port)");
  }
  // The packaged httplib listens with a backlog of 5: a burst of clients connecting at once
  // overflows it and some see their connection reset. Listening again only raises the backlog.
  if (const int fd = impl_->listen_fd.load(); fd >= 0) ::listen(fd, SOMAXCONN);
  impl_->listener = std::thread([&h] { h.listen_after_bind(); });
  // stop() only works once the accept loop runs; wait for it (briefly) so stop never hangs.
  for (int i = 0; i < 5000 && !h.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

void HttpServer::close() {
  if (impl_->listener.joinable()) impl_->http.stop();
}

void HttpServer::stop() {
  if (!impl_->listener.joinable()) return;
  impl_->http.stop();
  impl_->listener.join();  // returns when the worker threads have answered their requests
}

}  // namespace crossenc::server
