// gRPC front end: inference.InferenceService (Infer, GetMetrics), health checking, reflection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "scorer.h"

namespace crossenc::server {

class GrpcServer {
 public:
  // api_key non-empty: calls need the metadata "authorization: Bearer <api_key>".
  GrpcServer(Scorer& scorer, std::string api_key);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Listens on host:port (0: any free port) and serves; returns the port. Throws Error.
  int start(const std::string& host, int port);
  // Health turns NOT_SERVING, no new calls are accepted, calls in flight get up to `grace` to
  // finish before being cancelled.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc::server
