// Writes counters, gauges, histograms and summaries in Prometheus' text format.
#include "prometheus.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

namespace crossenc::server {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// Bucket bounds as plain decimals ("0.0005", not "5e-04"): `le` is matched as a string.
std::string bound(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + escape(labels[i].second) + '"';
  }
  return out + '}';
}

class Writer {
 public:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, const Labels& labels, double value) {
    out_ += name;
    out_ += label_text(labels);
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  void single(std::string_view name, std::string_view type, std::string_view help, double value) {
    header(name, type, help);
    sample(name, {}, value);
  }
  void histogram_samples(const std::string& name, const Labels& labels,
                         const Histogram::Snapshot& h) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      Labels l = labels;
      l.emplace_back("le", i < h.bounds.size() ? bound(h.bounds[i]) : "+Inf");
      sample(name + "_bucket", l, static_cast<double>(cumulative));
    }
    sample(name + "_sum", labels, h.sum);
    sample(name + "_count", labels, static_cast<double>(h.count));
  }
  void histogram(const std::string& name, std::string_view help, const Histogram::Snapshot& h) {
    header(name, "histogram", help);
    histogram_samples(name, {}, h);
  }
  // The core keeps quantiles, not buckets: exposed as a summary in seconds.
  void summary_samples(const std::string& name, const Labels& labels, const LatencySummary& s) {
    const std::pair<const char*, double> quantiles[] = {
        {"0.5", s.p50_ms}, {"0.9", s.p90_ms}, {"0.95", s.p95_ms}, {"0.99", s.p99_ms}};
    for (const auto& [q, ms] : quantiles) {
      Labels l = labels;
      l.emplace_back("quantile", q);
      sample(name, l, ms / 1000.0);
    }
    sample(name + "_sum", labels, s.avg_ms * static_cast<double>(s.count) / 1000.0);
    sample(name + "_count", labels, static_cast<double>(s.count));
  }
  void summary(const std::string& name, std::string_view help, const LatencySummary& s) {
    header(name, "summary", help);
    summary_samples(name, {}, s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_prometheus(const ExpositionInput& in) {
  Writer w;
  const ServerMetrics::Snapshot& srv = in.server;
  const std::vector<ModelExposition>& models = in.models;
  const auto model_label = [](const ModelExposition& m) { return Labels{{"model", m.name}}; };
  // One family, one sample per served model.
  const auto per_model = [&](const char* name, const char* type, const char* help, auto value) {
    w.header(name, type, help);
    for (const ModelExposition& m : models) w.sample(name, model_label(m), value(m.core));
  };

  w.header("crossenc_build_info", "gauge",
           "Version, and each served model's backend and dtype (always 1).");
  for (const ModelExposition& m : models) {
    w.sample("crossenc_build_info",
             {{"version", in.version},
              {"model", m.name},
              {"backend", m.info.backend},
              {"device", m.info.device},
              {"dtype", std::string(dtype_name(m.info.dtype))}},
             1);
  }
  w.single("crossenc_uptime_seconds", "gauge", "Seconds since the serving core started.",
           models.empty() ? 0.0 : models.front().core.uptime_s);

  // Per endpoint and status, as the clients saw them (every model together).
  w.header("crossenc_requests_total", "counter", "Requests answered, by endpoint and status.");
  for (const auto& [key, c] : srv.by_endpoint_status) {
    w.sample("crossenc_requests_total", {{"endpoint", key.first}, {"status", key.second}},
             static_cast<double>(c.requests));
  }
  w.header("crossenc_pairs_total", "counter",
           "(query, passage) pairs in answered requests, by endpoint and status.");
  for (const auto& [key, c] : srv.by_endpoint_status) {
    w.sample("crossenc_pairs_total", {{"endpoint", key.first}, {"status", key.second}},
             static_cast<double>(c.pairs));
  }
  w.header("crossenc_request_duration_seconds", "histogram",
           "Time from request received to response ready, by endpoint.");
  for (const auto& [endpoint, h] : srv.latency_by_endpoint) {
    w.histogram_samples("crossenc_request_duration_seconds", {{"endpoint", endpoint}}, h);
  }
  w.histogram("crossenc_request_pairs", "Pairs per scored request.", srv.request_pairs);
  w.histogram("crossenc_request_tokens", "Tokens per scored request, after truncation.",
              srv.request_tokens);
  w.histogram("crossenc_request_queue_wait_seconds",
              "Time a scored request waited in the batching queue.", srv.queue_wait);
  w.histogram("crossenc_request_tokenize_seconds", "Tokenization time of a scored request.",
              srv.tokenize);
  w.histogram("crossenc_request_inference_seconds",
              "Model time of the batches that carried a scored request.", srv.inference);
  w.single("crossenc_http_connections", "gauge", "Open HTTP connections.",
           static_cast<double>(srv.http_connections));
  w.header("crossenc_http_rejections_total", "counter",
           "HTTP connections or requests the transport turned away, by cause (limit).");
  for (const auto& [cause, n] : srv.http_rejections) {
    w.sample("crossenc_http_rejections_total", {{"cause", cause}}, static_cast<double>(n));
  }
  w.single("crossenc_requests_in_flight", "gauge",
           "Requests admitted and not yet answered (limit: --max-concurrent-requests).",
           in.in_flight);

  // Each model's serving core: queue, batches, replicas. (Queue wait, tokenization and
  // inference per request are the crossenc_request_*_seconds histograms above.)
  per_model("crossenc_queue_depth_pairs", "gauge", "Pairs waiting in the batching queue now.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.queued_pairs); });
  w.header("crossenc_core_request_duration_seconds", "summary",
           "Total time per request inside the serving core.");
  for (const ModelExposition& m : models) {
    w.summary_samples("crossenc_core_request_duration_seconds", model_label(m),
                      m.core.request_latency);
  }
  per_model("crossenc_core_requests_total", "counter", "Requests the serving core completed.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.requests); });
  per_model("crossenc_core_pairs_total", "counter", "Pairs the serving core scored.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.pairs); });
  per_model("crossenc_core_tokens_total", "counter", "Tokens the serving core ran.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.tokens); });
  per_model("crossenc_core_errors_total", "counter", "Requests the serving core failed.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.errors); });
  per_model("crossenc_core_rejected_overloaded_total", "counter",
            "Requests refused because the queue was full.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.rejected_overloaded); });
  per_model("crossenc_batches_total", "counter", "Batches run.",
            [](const MetricsSnapshot& c) { return static_cast<double>(c.batches); });
  per_model("crossenc_batch_pairs_avg", "gauge", "Mean pairs per batch since start.",
            [](const MetricsSnapshot& c) { return c.avg_batch_pairs; });
  per_model("crossenc_batch_tokens_avg", "gauge", "Mean tokens per batch since start.",
            [](const MetricsSnapshot& c) { return c.avg_batch_tokens; });
  per_model("crossenc_padded_baseline_waste_ratio", "gauge",
            "Share that padding every batch to its longest pair would have wasted.",
            [](const MetricsSnapshot& c) { return c.padded_baseline_waste_pct / 100.0; });

  const auto replica_labels = [](const ModelExposition& m, size_t i) {
    const ReplicaMetrics& r = m.core.replicas[i];
    return Labels{{"replica", std::to_string(i)},
                  {"backend", r.backend},
                  {"device", r.device},
                  {"model", m.name}};
  };
  const auto per_replica = [&](const char* name, const char* type, const char* help, auto value) {
    w.header(name, type, help);
    for (const ModelExposition& m : models) {
      for (size_t i = 0; i < m.core.replicas.size(); ++i) {
        w.sample(name, replica_labels(m, i), value(m.core.replicas[i]));
      }
    }
  };
  per_replica("crossenc_replica_busy_seconds_total", "counter",
              "Time each engine replica spent running batches.",
              [](const ReplicaMetrics& r) { return r.busy_ms / 1000.0; });
  per_replica("crossenc_replica_batches_total", "counter", "Batches run by each replica.",
              [](const ReplicaMetrics& r) { return static_cast<double>(r.batches); });
  per_replica("crossenc_replica_pairs_total", "counter", "Pairs scored by each replica.",
              [](const ReplicaMetrics& r) { return static_cast<double>(r.pairs); });
  per_replica("crossenc_replica_tokens_total", "counter", "Tokens run by each replica.",
              [](const ReplicaMetrics& r) { return static_cast<double>(r.tokens); });
  w.header("crossenc_replica_batch_duration_seconds", "summary", "Batch latency per replica.");
  for (const ModelExposition& m : models) {
    for (size_t i = 0; i < m.core.replicas.size(); ++i) {
      w.summary_samples("crossenc_replica_batch_duration_seconds", replica_labels(m, i),
                        m.core.replicas[i].batch_latency);
    }
  }

  // The process: rss_bytes and CPU are the same reading in every model's snapshot.
  const MetricsSnapshot* any = models.empty() ? nullptr : &models.front().core;
  w.single("process_resident_memory_bytes", "gauge", "Resident memory of the server process.",
           any ? static_cast<double>(any->rss_bytes) : 0.0);
  w.single("process_cpu_seconds_total", "counter", "CPU time of the server process.",
           any ? any->process_cpu_pct / 100.0 * any->uptime_s : 0.0);
  return w.take();
}

}  // namespace crossenc::server
