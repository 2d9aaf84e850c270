// Settings of the network front end: addresses, per-request limits, threads, shutdown grace.
#pragma once

#include <cstddef>
#include <string>

namespace crossenc::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address both listeners bind
  int grpc_port = 50051;           // 0: any free port (see Server::grpc_port()); -1: no gRPC
  int http_port = 8080;            // 0: any free port; -1: no HTTP
  // Pairs (documents) one request may carry: Cohere's limit of 10,000, split into batches.
  int max_client_batch_size = 10000;
  int max_concurrent_requests = 512;         // in flight across both protocols; beyond: 429
  size_t payload_limit_bytes = 2'000'000;    // HTTP body limit (TEI's default); beyond: 413
  size_t grpc_max_message_bytes = 4u << 20;  // gRPC's own default; beyond: RESOURCE_EXHAUSTED
  bool default_truncate = true;              // requests that do not say truncate: cut to max length
  // Windows a long document may be scored in (best one counts) when a request does not say;
  // 1: cut to the model's window, as TEI does.
  int default_max_chunks_per_doc = 1;
  int http_threads = 64;        // HTTP handler threads; open connections hold none
  int http_read_timeout_s = 5;  // a client not reading its answer this long is dropped
  // The HTTP transport's limits (server/http/). Over one: 503, 408, 431 or 413, then close.
  int http_max_connections = 8192;              // open at once; beyond: 503
  int http_max_connections_per_address = 1024;  // open at once from one client address
  int http_request_deadline_ms = 10000;         // whole request, head and body, from its first byte
  int http_idle_timeout_ms = 5000;              // no request on a connection this long: closed
  size_t http_max_header_bytes = 16384;         // request line + header fields; beyond: 431
  int http_max_header_count = 100;              // header fields; beyond: 431
  int shutdown_grace_ms = 30000;  // in-flight gRPC calls get this long before being cancelled
  std::string model_id;           // reported by /info and /v1/rerank; "" = the model file name
};

}  // namespace crossenc::server
