// The reranking server: gRPC and HTTP front ends over one Service, and its graceful shutdown.
//
//   crossenc::server::block_termination_signals();        // before any thread starts
//   crossenc::Service service(model, engine_options, service_options);
//   crossenc::server::Server server(service, {.grpc_port = 50051, .http_port = 8080});
//   crossenc::server::wait_for_termination_signal();
//   server.stop();      // stop accepting, answer what is in flight
//   service.shutdown(); // finish queued work
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "access_options.h"
#include "crossenc/serving.h"
#include "scorer.h"
#include "server_metrics.h"
#include "server_options.h"

namespace crossenc::server {

class GrpcServer;
class HttpServer;
class Router;

// The version both /info and the metrics report.
const char* server_version();

class Server {
 public:
  // Listens on both ports (unless one is -1) and serves on background threads. Throws Error
  // when a port cannot be bound. `service` must outlive the server.
  Server(Service& service, ServerOptions options, AccessOptions access = {});
  // Several models in one process, picked by each request's model name (Scorer::model); the
  // first is the default. Each service must outlive the server.
  Server(std::vector<ServedModel> models, ServerOptions options, AccessOptions access = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int grpc_port() const { return grpc_port_; }  // the bound port; -1 when disabled
  int http_port() const { return http_port_; }
  const std::string& model_id() const { return model_id_; }
  Scorer& scorer() { return *scorer_; }

  // Health turns NOT_SERVING, listeners close, requests in flight are answered. Idempotent.
  void stop();

 private:
  ServerOptions options_;
  std::string model_id_;
  ServerMetrics metrics_;
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<Router> router_;  // HTTP's routes; outlives http_
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpServer> http_;
  int grpc_port_ = -1, http_port_ = -1;
};

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards, so
// that wait_for_termination_signal() receives them. Call first thing in main.
void block_termination_signals();
// Waits for SIGINT or SIGTERM (blocked beforehand) and returns its number.
int wait_for_termination_signal();

}  // namespace crossenc::server
