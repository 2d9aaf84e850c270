// HTTP front end: accepts connections and passes each request to an HttpHandler (the router).
#pragma once

#include <memory>
#include <string>

#include "http_message.h"
#include "server_options.h"

namespace crossenc::server {

class HttpServer {
 public:
  // `handler` answers every request; what it needs must outlive the server.
  HttpServer(const ServerOptions& options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0: any free port) and starts serving on background threads; returns the
  // port. Throws Error when the address cannot be bound.
  int start(const std::string& host, int port);
  // Stops accepting connections, without waiting.
  void close();
  // close(), then returns once the requests being served are answered.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc::server
