// Prometheus text exposition (format 0.0.4) of the server's and the serving core's metrics.
#pragma once

#include <string>

#include "crossenc/serving.h"
#include "server_metrics.h"

namespace crossenc::server {

struct ExpositionInput {
  const ServerMetrics::Snapshot& server;
  const MetricsSnapshot& core;
  const EngineInfo& info;
  const std::string& model_id;
  const std::string& version;
  int in_flight = 0;  // requests admitted and not yet answered
};

// The body of GET /metrics (Content-Type: text/plain; version=0.0.4).
std::string render_prometheus(const ExpositionInput& in);

}  // namespace crossenc::server
