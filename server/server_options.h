// Settings of the network front end: addresses, per-request limits, threads, shutdown grace.
#pragma once

#include <cstddef>
#include <string>

namespace crossenc::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address both listeners bind
  int grpc_port = 50051;           // 0: any free port (see Server::grpc_port()); -1: no gRPC
  int http_port = 8080;            // 0: any free port; -1: no HTTP
  // Pairs one request may carry. Larger than TEI's 32 because existing gRPC clients send 96+.
  int max_client_batch_size = 1024;
  int max_concurrent_requests = 512;         // in flight across both protocols; beyond: 429
  size_t payload_limit_bytes = 2'000'000;    // HTTP body limit (TEI's default); beyond: 413
  size_t grpc_max_message_bytes = 4u << 20;  // gRPC's own default; beyond: RESOURCE_EXHAUSTED
  bool default_truncate = true;              // requests that do not say truncate: cut to max length
  int http_threads = 64;          // each open HTTP connection holds one while it is served
  int http_read_timeout_s = 5;    // a client that stalls this long mid-request is dropped
  int shutdown_grace_ms = 30000;  // in-flight gRPC calls get this long before being cancelled
  std::string model_id;           // reported by /info and /v1/rerank; "" = the model file name
};

}  // namespace crossenc::server
