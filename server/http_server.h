// HTTP front end: accepts connections and passes each request to an HttpHandler
// (the router). The transport is the event-driven one of server/http/
// (Boost.Beast): a fixed number of threads whatever the number of connections,
// and the limits of ServerOptions enforced and counted.
#pragma once

#include <memory>
#include <string>

#include "http_message.h"
#include "server_metrics.h"
#include "server_options.h"

namespace crossenc::server {

namespace http {
class FrontEnd;
}

class HttpServer {
 public:
  // `handler` answers every request; what it needs, and `metrics`, must outlive
  // the server.
  HttpServer(const ServerOptions& options, HttpHandler handler, ServerMetrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0: any free port) and starts serving on background
  // threads; returns the port. Throws Error when the address cannot be bound.
  int start(const std::string& host, int port);
  // Stops accepting connections and closes idle ones, without waiting.
  void close();
  // close(), then returns once the requests being served are answered.
  void stop();

 private:
  std::unique_ptr<http::FrontEnd> front_end_;
};

}  // namespace crossenc::server
