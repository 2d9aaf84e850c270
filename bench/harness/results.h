// The raw numbers of an experiment: every request, every time sample and the serving core's
// counters per run. The report derives everything it shows from these (and dumps them as JSON).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crossenc/serving.h"
#include "experiment.h"
#include "load_target.h"
#include "system_stats.h"

namespace crossenc::bench {

struct RequestRecord {
  int client = 0, index = 0;
  double start_s = 0;     // since the run's clock started
  double latency_ms = 0;  // as the client saw it
  size_t pairs = 0;
  bool ok = true;
  std::string error;
  bool has_stages = false, has_server_total = false;
  RequestTiming server;  // the target's own split, when it gives one
};

// One sampling period of a run.
struct TimeSample {
  double t_s = 0;             // end of the period, since the run's clock started
  double experiment_t_s = 0;  // same, since the experiment started (plots)
  double period_s = 0;
  double rss_mb = 0, cpu_pct = 0;         // 100 = one core
  bool server_side = false;               // rss/cpu of the serving process (false: of this client)
  size_t requests = 0, pairs = 0;         // completed in the period
  double latency_ms = 0, throughput = 0;  // mean latency of those requests; pairs/s
  double tokenize_ms = 0, inference_ms = 0, queue_ms = 0;
  bool has_padding = false;  // the target reported its token counts
  double padded_baseline_pct = 0;
};

// One engine replica (the seed's "worker") over a run.
struct WorkerStats {
  std::string id, backend, device;
  uint64_t batches = 0, pairs = 0, tokens = 0;
  double busy_ms = 0, avg_batch_ms = 0, p95_batch_ms = 0;
};

// Serving-core counters over the timed part of a run (end minus start snapshot).
struct ServiceTotals {
  uint64_t requests = 0, pairs = 0, tokens = 0, batches = 0, errors = 0, rejected = 0;
  double avg_batch_pairs = 0, avg_batch_tokens = 0;
  double padded_baseline_waste_pct = 0;
  uint64_t peak_rss_bytes = 0;
};

struct RunResult {
  int index = 0;  // 1-based, as "Config N"
  RunConfig config;
  TargetInfo target;
  std::string error;  // non-empty: the run could not be made (nothing measured)
  double start_offset_s = 0, wall_s = 0, setup_s = 0;
  double clock_offset_s = 0;  // experiment time at which this run's clock (t = 0) started
  std::vector<RequestRecord> requests;
  std::vector<TimeSample> samples;
  std::vector<WorkerStats> workers;
  bool has_service = false;
  ServiceTotals service;
};

struct ExperimentResult {
  Experiment experiment;
  std::string timestamp;
  HostInfo host;
  std::string tool_version;
  size_t dataset_queries = 0, dataset_pairs = 0;
  double total_s = 0;
  std::vector<RunResult> runs;
};

}  // namespace crossenc::bench
