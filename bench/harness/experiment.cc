// Experiment YAML: deep-merges defaults, each run and each sweep point, applies command-line
// overrides, and checks every key so a typo fails loudly instead of being ignored.
#include "experiment.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "crossenc/engine_flags.h"

namespace crossenc::bench {

namespace {

const std::set<std::string> kTopKeys = {"name",     "description", "data",  "sample_ms",
                                        "model",    "target",      "scale", "repeat",
                                        "defaults", "sweep",       "runs"};
const std::set<std::string> kRunKeys = {"label",  "model",   "target", "scale",
                                        "engine", "service", "load"};
const std::set<std::string> kEngineKeys = {"backend", "gemm",       "dtype",
                                           "threads", "max_length", "device"};
const std::set<std::string> kServiceKeys = {
    "dynamic_batching", "max_batch_pairs", "max_batch_tokens",    "timeout_ms",
    "length_aware",     "replicas",        "threads_per_replica", "tokenizer_workers",
    "max_queued_pairs", "replica_backends"};
const std::set<std::string> kLoadKeys = {
    "batch",       "concurrency", "requests", "total_requests", "total_pairs", "warmup",
    "max_seconds", "mix_queries", "truncate", "endpoint",       "seed"};

std::string join(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (part.empty()) throw Error("bad key path '" + path + "'");
    parts.push_back(part);
  }
  if (parts.empty()) throw Error("empty key path");
  return parts;
}

// base with every leaf of over written into it (maps merge recursively, the rest replaces).
YAML::Node merge(const YAML::Node& base, const YAML::Node& over) {
  if (!over.IsDefined() || over.IsNull()) return YAML::Clone(base);
  if (!over.IsMap() || !base.IsDefined() || !base.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    out[key] = merge(base[key], kv.second);
  }
  return out;
}

void set_path(YAML::Node& root, const std::vector<std::string>& parts, const YAML::Node& value) {
  YAML::Node over = YAML::Clone(value);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    YAML::Node m(YAML::NodeType::Map);
    m[*it] = over;
    over = m;
  }
  root = merge(root, over);
}

// Dotted paths of every leaf of a map, e.g. {"engine.gemm": "eigen"}.
void leaves(const YAML::Node& n, const std::string& prefix,
            std::vector<std::pair<std::string, std::string>>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string k = kv.first.as<std::string>();
      if (prefix.empty() && k == "label") continue;
      // Batch and concurrency are in every config's title already.
      if (prefix == "load" && (k == "batch" || k == "concurrency")) continue;
      leaves(kv.second, prefix.empty() ? k : prefix + "." + k, out);
    }
    return;
  }
  std::string text;
  if (n.IsScalar()) {
    text = n.Scalar();
  } else {
    YAML::Emitter e;
    e << YAML::Flow << n;
    text = e.c_str();
  }
  out.emplace_back(prefix, text);
}

class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  void check_keys(const YAML::Node& n, const std::set<std::string>& known,
                  const std::string& section) const {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) fail("'" + section + "' must be a map");
    for (const auto& kv : n) {
      const std::string k = kv.first.as<std::string>();
      if (!known.count(k)) {
        fail("unknown key '" + (section.empty() ? k : section + "." + k) +
             "' (known: " + join(known) + ")");
      }
    }
  }

  template <class T>
  void get(const YAML::Node& n, const char* key, T& out, const std::string& section) const {
    const YAML::Node v = n[key];
    if (!v.IsDefined() || v.IsNull()) return;
    try {
      out = v.as<T>();
    } catch (const YAML::Exception&) {
      fail("'" + section + "." + key + "' has a value of the wrong type: " + dump(v));
    }
  }

  static std::string dump(const YAML::Node& n) {
    YAML::Emitter e;
    e << YAML::Flow << n;
    return e.c_str();
  }

 private:
  std::string where_;
};

RunConfig to_run(const YAML::Node& n, const Reader& r) {
  r.check_keys(n, kRunKeys, "");
  RunConfig c;
  r.get(n, "label", c.label, "run");
  r.get(n, "model", c.model, "run");
  r.get(n, "target", c.target, "run");
  r.get(n, "scale", c.scale, "run");
  const YAML::Node e = n["engine"], s = n["service"], l = n["load"];
  r.check_keys(e, kEngineKeys, "engine");
  r.check_keys(s, kServiceKeys, "service");
  r.check_keys(l, kLoadKeys, "load");
  if (e.IsDefined()) {
    r.get(e, "backend", c.engine.backend, "engine");
    r.get(e, "gemm", c.engine.gemm, "engine");
    r.get(e, "dtype", c.engine.dtype, "engine");
    r.get(e, "threads", c.engine.threads, "engine");
    r.get(e, "max_length", c.engine.max_length, "engine");
    r.get(e, "device", c.engine.device, "engine");
  }
  if (s.IsDefined()) {
    r.get(s, "dynamic_batching", c.service.dynamic_batching, "service");
    r.get(s, "max_batch_pairs", c.service.max_batch_pairs, "service");
    r.get(s, "max_batch_tokens", c.service.max_batch_tokens, "service");
    r.get(s, "timeout_ms", c.service.timeout_ms, "service");
    r.get(s, "length_aware", c.service.length_aware, "service");
    r.get(s, "replicas", c.service.replicas, "service");
    r.get(s, "threads_per_replica", c.service.threads_per_replica, "service");
    r.get(s, "tokenizer_workers", c.service.tokenizer_workers, "service");
    r.get(s, "max_queued_pairs", c.service.max_queued_pairs, "service");
    r.get(s, "replica_backends", c.service.replica_backends, "service");
  }
  if (l.IsDefined()) {
    r.get(l, "batch", c.load.batch, "load");
    r.get(l, "concurrency", c.load.concurrency, "load");
    r.get(l, "requests", c.load.requests, "load");
    r.get(l, "total_requests", c.load.total_requests, "load");
    r.get(l, "total_pairs", c.load.total_pairs, "load");
    r.get(l, "warmup", c.load.warmup, "load");
    r.get(l, "max_seconds", c.load.max_seconds, "load");
    r.get(l, "mix_queries", c.load.mix_queries, "load");
    r.get(l, "truncate", c.load.truncate, "load");
    r.get(l, "endpoint", c.load.endpoint, "load");
    r.get(l, "seed", c.load.seed, "load");
  }
  if (c.model.empty() && c.target == "inprocess") r.fail("no model given (key 'model')");
  if (c.load.batch < 1) r.fail("load.batch must be >= 1");
  if (c.load.concurrency < 1 || c.load.concurrency > 1024) {
    r.fail("load.concurrency must be in [1, 1024]");
  }
  if (c.load.requests < 1) r.fail("load.requests must be >= 1");
  if (c.load.total_requests < 0 || c.load.total_pairs < 0 || c.load.warmup < 0) {
    r.fail("load.total_requests, load.total_pairs and load.warmup must be >= 0");
  }
  if (c.load.max_seconds < 0) r.fail("load.max_seconds must be >= 0");
  if (c.load.endpoint != "score" && c.load.endpoint != "rerank") {
    r.fail("load.endpoint must be 'score' or 'rerank'");
  }
  if (!(c.scale > 0) || c.scale > 1e4) r.fail("scale must be in (0, 10000]");
  return c;
}

}  // namespace

int RunConfig::requests_per_client() const {
  int r = load.requests;
  if (load.total_pairs > 0) {
    const int per_round = load.batch * load.concurrency;
    r = std::max(1, (load.total_pairs + per_round - 1) / per_round);
  } else if (load.total_requests > 0) {
    r = std::max(1, (load.total_requests + load.concurrency - 1) / load.concurrency);
  }
  return std::max(1, static_cast<int>(std::lround(r * scale)));
}

size_t RunConfig::planned_pairs() const {
  return static_cast<size_t>(requests_per_client()) * static_cast<size_t>(load.concurrency) *
         static_cast<size_t>(load.batch);
}

Options RunConfig::engine_options() const {
  // The batch caps are the Batcher's (service); experiments take no --profile.
  const EngineFlags flags{.backend = engine.backend,
                          .threads = engine.threads,
                          .batch_size = service.max_batch_pairs,
                          .max_batch_tokens = service.max_batch_tokens,
                          .max_length = engine.max_length,
                          .dtype = engine.dtype,
                          .device = engine.device,
                          .gemm = engine.gemm,
                          .profile = false};
  return flags.options();
}

std::string RunConfig::describe_load() const {
  std::ostringstream s;
  s << "target=" << target << ", requests/client=" << requests_per_client()
    << ", warmup=" << load.warmup << ", mix_queries=" << (load.mix_queries ? "on" : "off")
    << ", truncate=" << (load.truncate ? "on" : "off");
  if (load.max_seconds > 0) s << ", max_seconds=" << load.max_seconds;
  if (target.rfind("http", 0) == 0) s << ", endpoint=/" << load.endpoint;
  return s.str();
}

std::string RunConfig::describe() const {
  std::ostringstream s;
  s << "target=" << target << ", backend=" << engine.backend;
  if (engine.backend != "vulkan") s << ", gemm=" << engine.gemm;
  s << ", dtype=" << (engine.dtype.empty() ? "model" : engine.dtype)
    << ", threads=" << engine.threads << ", max_length=" << engine.max_length
    << ", dynamic_batching=" << (service.dynamic_batching ? "on" : "off")
    << ", max_batch_pairs=" << service.max_batch_pairs
    << ", max_batch_tokens=" << service.max_batch_tokens << ", timeout_ms=" << service.timeout_ms
    << ", length_aware=" << (service.length_aware ? "on" : "off")
    << ", replicas=" << service.replicas << ", tokenizer_workers=" << service.tokenizer_workers
    << ", requests/client=" << requests_per_client() << ", warmup=" << load.warmup
    << ", mix_queries=" << (load.mix_queries ? "on" : "off");
  if (load.max_seconds > 0) s << ", max_seconds=" << load.max_seconds;
  if (target.rfind("http", 0) == 0) s << ", endpoint=/" << load.endpoint;
  return s.str();
}

Override parse_override(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error("override '" + text + "' is not key.path=value");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Experiment parse_experiment(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<Override>& overrides) {
  const Reader r(source_name);
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    r.fail(std::string("not valid YAML: ") + e.what());
  }
  if (!doc.IsMap()) r.fail("expected a map at the top level");
  r.check_keys(doc, kTopKeys, "");

  // Split overrides: run-level keys apply to every run after merging, the rest to the file.
  YAML::Node run_overrides(YAML::NodeType::Map);
  for (const auto& [path, value_text] : overrides) {
    const auto parts = split_path(path);
    YAML::Node value;
    try {
      value = YAML::Load(value_text);
    } catch (const YAML::Exception& e) {
      throw Error("override " + path + ": not a YAML value: " + e.what());
    }
    if (parts[0] == "sweep" && parts.size() > 1) {
      // Sweep keys are dotted paths themselves: sweep.load.batch=[8,16] sets "load.batch".
      if (!doc["sweep"].IsDefined() || !doc["sweep"].IsMap())
        doc["sweep"] = YAML::Node(YAML::NodeType::Map);
      doc["sweep"][path.substr(6)] = value;
    } else if (kRunKeys.count(parts[0])) {
      set_path(run_overrides, parts, value);
    } else if (kTopKeys.count(parts[0]) || parts[0] == "data") {
      set_path(doc, parts, value);
    } else {
      throw Error("override " + path + ": unknown key '" + parts[0] + "'");
    }
  }

  Experiment ex;
  ex.source_path = source_name;
  r.get(doc, "name", ex.name, "");
  r.get(doc, "description", ex.description, "");
  r.get(doc, "sample_ms", ex.sample_ms, "");
  r.get(doc, "repeat", ex.repeat, "");
  if (ex.repeat < 1 || ex.repeat > 100) r.fail("repeat must be in [1, 100]");
  if (ex.name.empty()) r.fail("missing 'name'");
  if (ex.sample_ms < 50 || ex.sample_ms > 60000) r.fail("sample_ms must be in [50, 60000]");
  const YAML::Node data = doc["data"];
  r.check_keys(data, {"files"}, "data");
  if (data.IsDefined() && data["files"].IsDefined()) r.get(data, "files", ex.data_files, "data");
  if (ex.data_files.empty()) {
    ex.data_files = {
        "../shared/data/trec-dl-passage-bm25-top100/retrieve_results_dl19_top100.json",
        "../shared/data/trec-dl-passage-bm25-top100/retrieve_results_dl20_top100.json"};
  }

  // Top-level model/target/scale are shorthands for defaults.*.
  YAML::Node defaults =
      doc["defaults"].IsDefined() ? YAML::Clone(doc["defaults"]) : YAML::Node(YAML::NodeType::Map);
  r.check_keys(defaults, kRunKeys, "defaults");
  for (const char* k : {"model", "target", "scale"}) {
    if (doc[k].IsDefined() && !defaults[k].IsDefined()) defaults[k] = doc[k];
  }

  std::vector<YAML::Node> entries;
  const YAML::Node runs = doc["runs"];
  if (runs.IsDefined() && !runs.IsNull()) {
    if (!runs.IsSequence()) r.fail("'runs' must be a list");
    for (const auto& run : runs) {
      if (!run.IsMap()) r.fail("each entry of 'runs' must be a map");
      r.check_keys(run, kRunKeys, "runs[]");
      entries.push_back(run);
    }
  }
  if (entries.empty()) entries.emplace_back(YAML::NodeType::Map);

  // Sweep: the cartesian product of path -> [values], in file order.
  std::vector<std::pair<std::vector<std::string>, std::vector<YAML::Node>>> axes;
  const YAML::Node sweep = doc["sweep"];
  if (sweep.IsDefined() && !sweep.IsNull()) {
    if (!sweep.IsMap()) r.fail("'sweep' must map key paths to lists of values");
    for (const auto& kv : sweep) {
      const std::string path = kv.first.as<std::string>();
      const auto parts = split_path(path);
      if (!kRunKeys.count(parts[0]) || parts[0] == "label") {
        r.fail("sweep key '" + path + "' is not a run setting");
      }
      if (!kv.second.IsSequence() || kv.second.size() == 0) {
        r.fail("sweep '" + path + "' must be a non-empty list");
      }
      std::vector<YAML::Node> values(kv.second.begin(), kv.second.end());
      axes.emplace_back(parts, std::move(values));
    }
  }
  std::vector<YAML::Node> points(1, YAML::Node(YAML::NodeType::Map));
  for (const auto& [parts, values] : axes) {
    std::vector<YAML::Node> next;
    for (const auto& p : points) {
      for (const auto& v : values) {
        YAML::Node q = YAML::Clone(p);
        set_path(q, parts, v);
        next.push_back(q);
      }
    }
    points = std::move(next);
  }

  for (const auto& entry : entries) {
    for (const auto& point : points) {
      const YAML::Node merged = merge(merge(merge(defaults, entry), point), run_overrides);
      RunConfig c = to_run(merged, r);
      if (!entry["label"].IsDefined()) {
        // Name the run by what it changes: its own keys and the sweep point.
        std::vector<std::pair<std::string, std::string>> changed;
        leaves(entry, "", changed);
        leaves(point, "", changed);
        std::string label;
        for (const auto& [k, v] : changed) {
          const std::string shortk =
              k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1);
          label += (label.empty() ? "" : ", ") + shortk + "=" + v;
        }
        c.label = label;
      } else if (!point.IsMap() || point.size() > 0) {
        std::vector<std::pair<std::string, std::string>> changed;
        leaves(point, "", changed);
        for (const auto& [k, v] : changed) {
          c.label +=
              ", " + k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1) + "=" + v;
        }
      }
      c.base = static_cast<int>(ex.runs.size()) + 1;
      ex.runs.push_back(std::move(c));
    }
  }
  // Rounds interleave (all configs, then all again) so slow drifts of a shared machine hit
  // every config alike instead of whichever ran last.
  const size_t one_round = ex.runs.size();
  for (int round = 2; round <= ex.repeat; ++round) {
    for (size_t i = 0; i < one_round; ++i) {
      RunConfig c = ex.runs[i];
      c.round = round;
      ex.runs.push_back(std::move(c));
    }
  }
  return ex;
}

Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read experiment '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_experiment(ss.str(), path, overrides);
}

}  // namespace crossenc::bench
