// What the load generator sends requests to: the in-process Service, or a crossenc server over
// HTTP or gRPC, behind one small interface so every experiment runs against any of them.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crossenc/engine.h"
#include "crossenc/serving.h"
#include "experiment.h"

namespace crossenc::bench {

// What a target says about itself (a server: from GET /info where it has one).
struct TargetInfo {
  std::string kind;     // in-process | http | grpc
  std::string address;  // "in-process" or the URL
  std::string model, backend, device, dtype;
  int max_length = 0;
  std::optional<ServiceOptions> service;  // batching settings, when known
};

struct TargetReply {
  std::vector<float> scores;  // input order
  // Server-side stages (Service timing, TEI x-*-time headers; gRPC: total only).
  bool has_stages = false, has_server_total = false;
  RequestTiming timing;
};

// One client thread's connection. Not shared between threads.
class LoadSession {
 public:
  virtual ~LoadSession() = default;
  // Throws crossenc::Error (OverloadedError on 429 / RESOURCE_EXHAUSTED) when not answered.
  virtual TargetReply score(std::span<const Pair> pairs) = 0;
};

class LoadTarget {
 public:
  virtual ~LoadTarget() = default;
  virtual const TargetInfo& info() const = 0;
  virtual std::unique_ptr<LoadSession> open_session() = 0;
  // Serving-core counters (in-process: Service::metrics; HTTP: parsed from GET /metrics);
  // nullopt when the target cannot tell. Called about twice a second.
  virtual std::optional<MetricsSnapshot> metrics() { return std::nullopt; }
};

// "inprocess" builds a Service from the config's model/engine/service settings;
// "http://host:port" and "grpc://host:port" connect to a running server (loopback only).
std::unique_ptr<LoadTarget> make_target(const RunConfig& config);

// host:port of a loopback URL with the given scheme; throws Error for anything else.
struct Endpoint {
  std::string host;
  int port = 0;
};
Endpoint parse_loopback_url(const std::string& url, const std::string& scheme);

// The subset of GET /metrics (Prometheus text) that maps onto a MetricsSnapshot.
MetricsSnapshot parse_prometheus_metrics(const std::string& text);

}  // namespace crossenc::bench
