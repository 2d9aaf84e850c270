// Experiments: a YAML file of defaults, a sweep and/or a list of runs, expanded into one
// RunConfig per measured configuration, with command-line overrides applied last.
//
//   name: 06_concurrency
//   model: ../shared/models/minilm-l6-random
//   defaults: {load: {batch: 16, total_requests: 32}}
//   sweep: {load.concurrency: [1, 2, 4, 8]}
//
// The full key reference is bench/experiments/README.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crossenc/engine.h"
#include "crossenc/serving.h"

namespace crossenc::bench {

// Engine settings of each replica (in-process target only).
struct EngineSettings {
  std::string backend = "cpu";  // cpu | vulkan | auto
  std::string gemm = "auto";    // CPU GEMM path: auto | own | blas | eigen | reference
  std::string dtype;            // "" = the model file's; f32 | f16
  int threads = 0;              // CPU threads over all replicas; 0 = all cores
  int max_length = 0;           // 0 = the model's
  int device = -1;              // Vulkan device index
};

// The client side: C threads, each sending R requests of B pairs back to back (closed loop).
struct LoadSettings {
  int batch = 32;            // pairs per request (the seed's "Batch")
  int concurrency = 1;       // client threads (the seed's "Conc")
  int requests = 4;          // requests per client thread
  int total_requests = 0;    // > 0: requests = max(1, ceil(total_requests / concurrency))
  int total_pairs = 0;       // > 0: requests = max(1, ceil(total_pairs / (batch * concurrency)))
  int warmup = 2;            // untimed requests before the clock starts
  double max_seconds = 0;    // > 0: clients send no new request after this long (slow devices)
  bool mix_queries = false;  // false: one query per request (reranking); true: pairs at random
  bool truncate = true;      // false: over-long pairs are errors
  std::string endpoint = "score";  // HTTP route: score (raw pairs) | rerank (TEI)
  unsigned seed = 42;              // same seed = same requests in every config
};

struct RunConfig {
  std::string label;  // shown next to "batch=B, concurrency=C"
  std::string model;  // .cenc file or HF folder (in-process); informational for servers
  std::string target = "inprocess";  // inprocess | http://host:port | grpc://host:port
  EngineSettings engine;
  ServiceOptions service;
  LoadSettings load;
  double scale = 1.0;  // multiplies requests (the "make it longer" knob)
  int base = 0;        // 1-based position within one round of the experiment
  int round = 1;       // 1..repeat (repeat > 1 runs the whole list again, interleaved)

  // Requests each client sends, after total_pairs / total_requests and scale.
  int requests_per_client() const;
  size_t planned_pairs() const;
  Options engine_options() const;     // for crossenc::Service
  std::string describe() const;       // one line of every setting that matters
  std::string describe_load() const;  // the client side only (a server has its own settings)
};

struct Experiment {
  std::string name, description, source_path;
  std::vector<std::string> data_files;  // DL19/DL20 BM25 top-100 JSON
  int sample_ms = 1000;                 // time-series sampling period
  int repeat = 1;                       // rounds of the whole config list (noisy machines)
  std::vector<RunConfig> runs;
};

// "a.b=value" (value parsed as YAML, so 5, true, [1,2] and text all work).
using Override = std::pair<std::string, std::string>;
Override parse_override(const std::string& text);

// Reads and expands an experiment; throws crossenc::Error naming the file and the bad key.
Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides = {});
Experiment parse_experiment(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<Override>& overrides = {});

}  // namespace crossenc::bench
