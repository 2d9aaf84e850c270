// Reports of an experiment, with the seed's sections and metric names so old and new reports
// read side by side: report.md, report.html (with SVG plots), report.json (every raw number).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "results.h"
#include "stats.h"

namespace crossenc::bench {

// Numbers derived from one run's requests.
struct RunStats {
  size_t requests = 0, failed = 0, pairs = 0;
  double wall_s = 0, pairs_per_s = 0;  // aggregate: pairs / wall clock
  Summary latency, throughput;         // per request: ms; pairs / latency
  std::vector<LatencyBucket> buckets;
  double correlation = 0;
  // Mean per request of each stage (ms); other = client latency - server total.
  bool has_stages = false, has_server_total = false;
  double tokenize_ms = 0, queue_ms = 0, inference_ms = 0, server_ms = 0, other_ms = 0,
         client_ms = 0;
  std::string first_error;
};
RunStats compute_run_stats(const RunResult& run);

// "batch=32, concurrency=1" (the seed's config name), plus the label when there is one.
std::string config_title(const RunResult& run);

struct ReportFiles {
  std::string markdown, html;
  nlohmann::ordered_json json;
  std::vector<std::pair<std::string, std::string>> svgs;  // file name, content
};
ReportFiles render_report(const ExperimentResult& result);

// Writes report.md, report.html, report.json and the SVG files into dir (created if needed).
void write_report(const ExperimentResult& result, const std::string& dir);

}  // namespace crossenc::bench
