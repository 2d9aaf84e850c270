// HTTP front end: TEI and Cohere/Jina rerank, raw scoring, health, info and Prometheus metrics.
#pragma once

#include <memory>
#include <string>

#include "scorer.h"

namespace crossenc::server {

class HttpServer {
 public:
  HttpServer(Scorer& scorer, std::string model_id, std::string version);
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
