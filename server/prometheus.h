// Prometheus text exposition (format 0.0.4) of the server's and the serving core's metrics.
#pragma once

#include <string>
#include <vector>

#include "crossenc/serving.h"
#include "server_metrics.h"

namespace crossenc::server {

// One served model's serving core: its metrics carry a model="name" label.
struct ModelExposition {
  std::string name;
  MetricsSnapshot core;
  EngineInfo info;
};

struct ExpositionInput {
  const ServerMetrics::Snapshot& server;
  const std::vector<ModelExposition>& models;
  const std::string& version;
  int in_flight = 0;  // requests admitted and not yet answered
};

// The body of GET /metrics (Content-Type: text/plain; version=0.0.4).
std::string render_prometheus(const ExpositionInput& in);

}  // namespace crossenc::server
