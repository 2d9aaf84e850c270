// Server lifecycle: start both front ends; on SIGTERM/SIGINT stop accepting and drain.
#include "server.h"

#include <pthread.h>

#include <csignal>
#include <filesystem>

#include "grpc_service.h"
#include "http_server.h"
#include "routes.h"

namespace crossenc::server {

namespace {

// "models/ms-marco-MiniLM-L-6-v2/" -> "ms-marco-MiniLM-L-6-v2"; "x/model.cenc" -> "model".
std::string model_name(const std::string& path) {
  std::filesystem::path p(path);
  if (!p.has_filename()) p = p.parent_path();
  return p.extension() == ".cenc" ? p.stem().string() : p.filename().string();
}

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

const char* server_version() { return CROSSENC_VERSION; }

Server::Server(Service& service, ServerOptions options, AccessOptions access)
    : Server({ServedModel{options.model_id.empty() ? model_name(service.info().model_path)
                                                   : options.model_id,
                          &service}},
             options, std::move(access)) {}  // a copy: the arguments' order is unspecified

Server::Server(std::vector<ServedModel> models, ServerOptions options, AccessOptions access)
    : options_(std::move(options)) {
  if (options_.max_client_batch_size < 1) throw Error("--max-client-batch-size must be >= 1");
  if (options_.max_concurrent_requests < 1) throw Error("--max-concurrent-requests must be >= 1");
  scorer_ = std::make_unique<Scorer>(std::move(models), options_, metrics_);
  model_id_ = scorer_->models().front().name;
  try {
    if (options_.grpc_port >= 0) {
      grpc_ = std::make_unique<GrpcServer>(*scorer_, access.api_key);
      grpc_port_ = grpc_->start(options_.host, options_.grpc_port);
    }
    if (options_.http_port >= 0) {
      router_ =
          std::make_unique<Router>(RouteContext{*scorer_, model_id_, server_version(), access});
      http_ = std::make_unique<HttpServer>(options_, router_->handler(), metrics_);
      http_port_ = http_->start(options_.host, options_.http_port);
    }
  } catch (...) {
    stop();
    throw;
  }
}

Server::~Server() { stop(); }

void Server::stop() {
  scorer_->stop_accepting();  // health checks fail from here on
  // Close both listeners first, then wait for each front end's requests in flight.
  if (http_) http_->close();
  if (grpc_) grpc_->stop(std::chrono::milliseconds(options_.shutdown_grace_ms));
  if (http_) http_->stop();
  grpc_.reset();
  http_.reset();
}

void block_termination_signals() {
  const sigset_t set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_termination_signal() {
  const sigset_t set = termination_signals();
  int sig = 0;
  sigwait(&set, &sig);  // fails only for an invalid set
  return sig;
}

}  // namespace crossenc::server
