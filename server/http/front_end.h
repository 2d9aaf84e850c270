// The event-driven HTTP/1.1 front end: one I/O thread serves every connection (Boost.Beast on
// Asio), a fixed pool of handler threads runs the requests, so the thread count does not grow
// with the connection count and no idle or slow client holds a thread. The limits of
// ServerOptions (connections, per-address connections, request deadline, idle timeout, header
// size and count, payload) are enforced here and counted in `metrics`.
#pragma once

#include <memory>
#include <string>

#include "http_message.h"
#include "server_metrics.h"
#include "server_options.h"

namespace crossenc::server::http {

class FrontEnd {
 public:
  // `handler` runs on the handler threads; it, and `metrics`, must outlive the front end.
  FrontEnd(const ServerOptions& options, HttpHandler handler, ServerMetrics& metrics);
  ~FrontEnd();  // stop()
  FrontEnd(const FrontEnd&) = delete;
  FrontEnd& operator=(const FrontEnd&) = delete;

  // Binds host:port (0: any free port), starts serving, returns the port. Throws Error.
  int start(const std::string& host, int port);
  // Stops accepting and closes idle connections; requests being answered finish. No waiting.
  void close();
  // close(), then returns once every request handed to a handler has been answered.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc::server::http
