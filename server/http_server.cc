// HTTP transport on cpp-httplib: parses requests and hands them to the router (routes.h).
#include "http_server.h"

#include <sys/socket.h>

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <thread>
#include <utility>

#include "json_api.h"

namespace crossenc::server {

namespace {

// httplib's request as the router sees it (header names lower-cased).
HttpRequest to_http_request(const httplib::Request& req) {
  HttpRequest out{.method = req.method,
                  .path = req.path,
                  .query = {},
                  .headers = {},
                  .body = req.body,
                  .peer = req.remote_addr};
  if (const auto q = req.target.find('?'); q != std::string::npos) {
    out.query = req.target.substr(q + 1);
  }
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(lower), value);
  }
  return out;
}

}  // namespace

// A temporary adapter: cpp-httplib parses, the transport-neutral router answers.
struct HttpServer::Impl {
  HttpHandler handler;
  size_t payload_limit;
  httplib::Server http;
  std::thread listener;
  std::atomic<int> listen_fd{-1};  // the first socket httplib configures is the listening one

  Impl(HttpHandler h, size_t limit) : handler(std::move(h)), payload_limit(limit) {}

  void add_routes() {
    // Every method and path goes to the router, which answers 404/405 itself. (httplib reads
    // the body only for handlers registered by method, not in a pre-routing handler.)
    const auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      const HttpResponse out = handler(to_http_request(req));
      res.status = out.status;
      for (const auto& [name, value] : out.headers) res.set_header(name, value);
      res.set_content(out.body, out.content_type);
    };
    http.Get(".*", forward);
    http.Post(".*", forward);
    http.Put(".*", forward);
    http.Patch(".*", forward);
    http.Delete(".*", forward);
    http.Options(".*", forward);
    // Errors httplib answers itself (413 body too large, 400 bad request line, ...) get a JSON
    // body too; responses the router made already have one.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const ErrorKind kind = res.status == 413   ? ErrorKind::kPayloadTooLarge
                             : res.status == 404 ? ErrorKind::kNotFound
                             : res.status >= 500 ? ErrorKind::kInternal
                                                 : ErrorKind::kMalformed;
      std::string message =
          res.status == 413
              ? "request body larger than the payload limit of " + std::to_string(payload_limit) +
                    " bytes (--payload-limit)"
              : "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
      res.set_content(error_body(kind, message), "application/json");
    });
  }
};

HttpServer::HttpServer(const ServerOptions& o, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(handler), o.payload_limit_bytes)) {
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
