// Report rendering: one document model (headings, paragraphs, tables, figures) written out as
// Markdown and as HTML with inline SVG, plus the JSON dump of every raw number.
#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "svg_plot.h"

namespace crossenc::bench {

namespace {

using ojson = nlohmann::ordered_json;

// ---- formatting ---------------------------------------------------------------------------

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, std::isfinite(v) ? v : 0.0);
  return buf;
}
std::string f1(double v) { return fmt("%.1f", v); }
std::string f2(double v) { return fmt("%.2f", v); }
std::string f3(double v) { return fmt("%.3f", v); }
std::string ms1(double v) { return fmt("%.1fms", v); }

// The seed's Padding Waste: batches run packed, so no pad token is computed and it is 0 wherever
// the target reported its tokens (Padded-Baseline Waste is what padding would have cost).
constexpr double kPaddingWastePct = 0.0;

// ---- document model -----------------------------------------------------------------------

struct Block {
  enum class Kind { kHeading, kPara, kTable, kFigure } kind;
  int level = 0;
  std::string text;
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
  std::string file, svg;
};

class Doc {
 public:
  void h(int level, std::string t) {
    blocks_.push_back({Block::Kind::kHeading, level, std::move(t), {}, {}, {}, {}});
  }
  void p(std::string t) {
    blocks_.push_back({Block::Kind::kPara, 0, std::move(t), {}, {}, {}, {}});
  }
  void table(std::vector<std::string> head, std::vector<std::vector<std::string>> rows) {
    blocks_.push_back({Block::Kind::kTable, 0, {}, std::move(head), std::move(rows), {}, {}});
  }
  void figure(std::string alt, std::string file, std::string svg) {
    blocks_.push_back(
        {Block::Kind::kFigure, 0, std::move(alt), {}, {}, std::move(file), std::move(svg)});
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string to_markdown(const Doc& doc) {
  std::ostringstream o;
  bool first = true;
  for (const Block& b : doc.blocks()) {
    if (!first) o << "\n";
    first = false;
    switch (b.kind) {
      case Block::Kind::kHeading:
        o << std::string(static_cast<size_t>(b.level), '#') << " " << b.text << "\n";
        break;
      case Block::Kind::kPara: o << b.text << "\n"; break;
      case Block::Kind::kTable: {
        o << "|";
        for (const auto& c : b.head) o << " " << md_cell(c) << " |";
        o << "\n|";
        for (const auto& c : b.head)
          o << std::string(std::max<size_t>(3, c.size() + 2), '-') << "|";
        o << "\n";
        for (const auto& row : b.rows) {
          o << "|";
          for (const auto& c : row) o << " " << md_cell(c) << " |";
          o << "\n";
        }
        break;
      }
      case Block::Kind::kFigure: o << "![" << b.text << "](" << b.file << ")\n"; break;
    }
  }
  return o.str();
}

std::string html_escape(const std::string& s) { return xml_escape(s); }

// The Markdown subset the report's paragraphs use: **bold**, `code`, whole-paragraph _italic_.
std::string inline_html(const std::string& t) {
  if (t.size() >= 2 && t.front() == '_' && t.back() == '_') {
    return "<em>" + html_escape(t.substr(1, t.size() - 2)) + "</em>";
  }
  std::string out;
  bool strong = false, code = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (!code && t.compare(i, 2, "**") == 0) {
      out += strong ? "</strong>" : "<strong>";
      strong = !strong;
      ++i;
    } else if (t[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else {
      out += html_escape(std::string(1, t[i]));
    }
  }
  if (code) out += "</code>";
  if (strong) out += "</strong>";
  return out;
}

bool numeric_cell(const std::string& s) {
  if (s.empty()) return false;
  const char c = s[0] == '-' && s.size() > 1 ? s[1] : s[0];
  return (c >= '0' && c <= '9');
}

std::string to_html(const Doc& doc, const std::string& title) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
    << html_escape(title) << "</title>\n<style>\n"
    << "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
    << "table{border-collapse:collapse;margin:0.6em 0 1.2em}\n"
    << "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}\n"
    << "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    << "code{background:#f4f4f4;padding:0 3px}figure{margin:1em 0}svg{max-width:100%;height:auto}\n"
    << "</style>\n</head>\n<body>\n";
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        o << "<h" << b.level << ">" << inline_html(b.text) << "</h" << b.level << ">\n";
        break;
      case Block::Kind::kPara: o << "<p>" << inline_html(b.text) << "</p>\n"; break;
      case Block::Kind::kTable:
        o << "<table>\n<thead><tr>";
        for (const auto& c : b.head) o << "<th>" << html_escape(c) << "</th>";
        o << "</tr></thead>\n<tbody>\n";
        for (const auto& row : b.rows) {
          o << "<tr>";
          for (const auto& c : row) {
            o << (numeric_cell(c) ? "<td class=\"num\">" : "<td>") << html_escape(c) << "</td>";
          }
          o << "</tr>\n";
        }
        o << "</tbody>\n</table>\n";
        break;
      case Block::Kind::kFigure:
        o << "<figure>\n"
          << b.svg << "<figcaption>" << html_escape(b.text) << "</figcaption>\n</figure>\n";
        break;
    }
  }
  o << "</body>\n</html>\n";
  return o.str();
}

// ---- helpers over results -----------------------------------------------------------------

std::string short_name(const RunResult& r) {
  std::string s = "batch=" + std::to_string(r.config.load.batch) +
                  ", conc=" + std::to_string(r.config.load.concurrency);
  if (!r.config.label.empty()) s += " (" + r.config.label + ")";
  if (r.config.round > 1) s += " #" + std::to_string(r.config.round);
  return s;
}

std::string plot_name(const RunResult& r) {
  return std::to_string(r.index) + ": " +
         (r.config.label.empty() ? "b" + std::to_string(r.config.load.batch) + " c" +
                                       std::to_string(r.config.load.concurrency)
                                 : r.config.label) +
         (r.config.round > 1 ? " #" + std::to_string(r.config.round) : std::string());
}

std::vector<std::string> stat_row(const std::string& name, const Summary& s) {
  return {name, f1(s.avg), f1(s.min), f1(s.max), f1(s.p50), f1(s.p95)};
}

std::string batching_line(const ServiceOptions& s) {
  std::string line = s.dynamic_batching
                         ? "enabled (max_batch=" + std::to_string(s.max_batch_pairs) +
                               ", timeout=" + std::to_string(s.timeout_ms) + "ms)"
                         : "disabled (max_batch=" + std::to_string(s.max_batch_pairs) + ")";
  line += " | **Length-Aware:** " + std::string(s.length_aware ? "on" : "off") +
          " | **Max Batch Tokens:** " + std::to_string(s.max_batch_tokens) + " | **Replicas:** " +
          std::to_string(s.replicas) + " | **Tokenizer Workers:** " +
          std::to_string(s.tokenizer_workers);
  return line;
}

bool same_batching(const ServiceOptions& a, const ServiceOptions& b) {
  return a.dynamic_batching == b.dynamic_batching && a.max_batch_pairs == b.max_batch_pairs &&
         a.timeout_ms == b.timeout_ms && a.length_aware == b.length_aware &&
         a.max_batch_tokens == b.max_batch_tokens && a.replicas == b.replicas &&
         a.tokenizer_workers == b.tokenizer_workers;
}

// Pairs/s in bins of `bin_s`, each request's pairs credited evenly over its duration: a
// smooth rate even when requests take longer than a bin (completions alone come in bursts).
Series work_rate(const RunResult& r, double bin_s) {
  Series s{plot_name(r), {}, {}};
  const size_t bins = static_cast<size_t>(std::ceil(std::max(r.wall_s, 1e-9) / bin_s));
  if (bins == 0 || bins > 100000) return s;
  std::vector<double> pairs(bins, 0.0);
  for (const auto& q : r.requests) {
    if (!q.ok || q.latency_ms <= 0) continue;
    const double a = q.start_s, b = q.start_s + q.latency_ms / 1e3;
    const double per_s = static_cast<double>(q.pairs) / (b - a);
    for (size_t k = static_cast<size_t>(std::max(0.0, a / bin_s)); k < bins; ++k) {
      const double lo = std::max(a, k * bin_s), hi = std::min(b, (k + 1) * bin_s);
      if (hi <= lo) {
        if (k * bin_s >= b) break;
        continue;
      }
      pairs[k] += per_s * (hi - lo);
    }
  }
  for (size_t k = 0; k < bins; ++k) {
    const double lo = k * bin_s, hi = std::min(r.wall_s, (k + 1) * bin_s);
    if (hi - lo < bin_s * 0.25 && k > 0) break;  // a sliver at the end: no rate worth showing
    s.x.push_back(r.clock_offset_s + (lo + hi) / 2);
    s.y.push_back(pairs[k] / std::max(1e-9, hi - lo));
  }
  return s;
}

ojson summary_json(const Summary& s) {
  return {{"count", s.count}, {"avg", s.avg}, {"min", s.min}, {"max", s.max}, {"std", s.std},
          {"p50", s.p50},     {"p75", s.p75}, {"p90", s.p90}, {"p95", s.p95}, {"p99", s.p99}};
}

ojson config_json(const RunConfig& c) {
  ojson replica_backends = ojson::array();
  for (const auto& b : c.service.replica_backends) replica_backends.push_back(b);
  return {{"label", c.label},
          {"base", c.base},
          {"round", c.round},
          {"model", c.model},
          {"target", c.target},
          {"scale", c.scale},
          {"engine",
           {{"backend", c.engine.backend},
            {"gemm", c.engine.gemm},
            {"dtype", c.engine.dtype},
            {"threads", c.engine.threads},
            {"max_length", c.engine.max_length},
            {"device", c.engine.device}}},
          {"service",
           {{"dynamic_batching", c.service.dynamic_batching},
            {"max_batch_pairs", c.service.max_batch_pairs},
            {"max_batch_tokens", c.service.max_batch_tokens},
            {"timeout_ms", c.service.timeout_ms},
            {"length_aware", c.service.length_aware},
            {"replicas", c.service.replicas},
            {"threads_per_replica", c.service.threads_per_replica},
            {"tokenizer_workers", c.service.tokenizer_workers},
            {"max_queued_pairs", c.service.max_queued_pairs},
            {"replica_backends", replica_backends}}},
          {"load",
           {{"batch", c.load.batch},
            {"concurrency", c.load.concurrency},
            {"requests", c.load.requests},
            {"total_requests", c.load.total_requests},
            {"total_pairs", c.load.total_pairs},
            {"requests_per_client", c.requests_per_client()},
            {"warmup", c.load.warmup},
            {"max_seconds", c.load.max_seconds},
            {"mix_queries", c.load.mix_queries},
            {"truncate", c.load.truncate},
            {"endpoint", c.load.endpoint},
            {"seed", c.load.seed}}}};
}

}  // namespace

// ---- statistics ---------------------------------------------------------------------------

RunStats compute_run_stats(const RunResult& run) {
  RunStats s;
  s.wall_s = run.wall_s;
  std::vector<double> lat, tp;
  double tok = 0, que = 0, inf = 0, srv = 0, cli_staged = 0, cli_server = 0;
  size_t staged = 0, served = 0;
  for (const auto& r : run.requests) {
    ++s.requests;
    if (!r.ok) {
      ++s.failed;
      if (s.first_error.empty()) s.first_error = r.error;
      continue;
    }
    s.pairs += r.pairs;
    lat.push_back(r.latency_ms);
    tp.push_back(r.latency_ms > 0 ? static_cast<double>(r.pairs) / (r.latency_ms / 1e3) : 0.0);
    if (r.has_stages) {
      ++staged;
      tok += r.server.tokenize_ms;
      que += r.server.queue_ms;
      inf += r.server.inference_ms;
      cli_staged += r.latency_ms;
    }
    if (r.has_server_total) {
      ++served;
      srv += r.server.total_ms;
      cli_server += r.latency_ms;
    }
  }
  s.latency = summarize(lat);
  s.throughput = summarize(tp);
  s.buckets = latency_buckets(lat, tp);
  s.correlation = correlation(lat, tp);
  s.pairs_per_s = s.wall_s > 0 ? static_cast<double>(s.pairs) / s.wall_s : 0.0;
  s.client_ms = s.latency.avg;
  if (staged > 0) {
    s.has_stages = true;
    const double n = static_cast<double>(staged);
    s.tokenize_ms = tok / n;
    s.queue_ms = que / n;
    s.inference_ms = inf / n;
  }
  if (served > 0) {
    s.has_server_total = true;
    const double n = static_cast<double>(served);
    s.server_ms = srv / n;
    s.other_ms = std::max(0.0, cli_server / n - s.server_ms);
  }
  return s;
}

std::string config_title(const RunResult& run) {
  std::string t = "batch=" + std::to_string(run.config.load.batch) +
                  ", concurrency=" + std::to_string(run.config.load.concurrency);
  if (!run.config.label.empty()) t += " — " + run.config.label;
  if (run.config.round > 1) t += " (round " + std::to_string(run.config.round) + ")";
  return t;
}

// ---- the report: one renderer per section, in the seed's order ---------------------------

namespace {

// Title, description and the settings every config shares (model, backend, batching, host).
void render_header(Doc& doc, const ExperimentResult& res) {
  const Experiment& ex = res.experiment;
  doc.h(1, ex.name);
  if (!ex.description.empty()) doc.p("_" + ex.description + "_");
  doc.p("**Timestamp:** " + res.timestamp);
  {
    std::set<std::string> models, backends, devices, dtypes;
    for (const auto& r : res.runs) {
      const std::string& model = r.target.model.empty() ? r.config.model : r.target.model;
      if (!model.empty()) models.insert(model);
      if (!r.error.empty()) continue;
      backends.insert(r.target.backend + (r.target.backend == "cpu" && r.target.kind == "in-process"
                                              ? " (gemm " + r.config.engine.gemm + ")"
                                              : ""));
      devices.insert(r.target.device);
      dtypes.insert(r.target.dtype);
    }
    const auto list = [](const std::set<std::string>& s) {
      std::string out;
      for (const auto& x : s) out += (out.empty() ? "`" : ", `") + x + "`";
      return out.empty() ? std::string("n/a") : out;
    };
    doc.p("**Model:** " + list(models) + " | **DType:** " + list(dtypes));
    doc.p("**Backend:** " + list(backends) + " | **Device:** " + list(devices));
  }
  if (!res.runs.empty()) {
    const RunResult& first = res.runs.front();
    const ServiceOptions s0 = first.target.service.value_or(first.config.service);
    bool same = true;
    for (const auto& r : res.runs) {
      same = same && same_batching(s0, r.target.service.value_or(r.config.service));
    }
    doc.p(
        "**Dynamic Batching:** " +
        (same ? batching_line(s0) : std::string("varies per config (see each config's Settings)")));
    doc.p("**Target:** " +
          (first.target.address.empty() ? first.config.target : first.target.address) +
          " | **Host:** " + res.host.cpu + ", " + std::to_string(res.host.cores) + " cores, " +
          res.host.kernel + " | **Load Average:** " + f2(res.host.load_before) + " before, " +
          f2(res.host.load_after) + " after");
  }
  doc.p("**Data:** " + std::to_string(res.dataset_pairs) + " (query, passage) pairs of " +
        std::to_string(res.dataset_queries) + " DL19/DL20 BM25 top-100 queries; " +
        (res.runs.empty() || !res.runs.front().config.load.mix_queries
             ? "each request is one query with B of its passages"
             : "each request is B pairs drawn at random") +
        " | **Experiment:** `" + ex.source_path + "` | **Total Time:** " + f1(res.total_s) + "s");
}

void render_results_summary(Doc& doc, const ExperimentResult& res,
                            const std::vector<RunStats>& stats) {
  doc.h(2, "Results Summary");
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < res.runs.size(); ++i) {
    const RunResult& r = res.runs[i];
    const RunStats& s = stats[i];
    const std::string b = std::to_string(r.config.load.batch),
                      c = std::to_string(r.config.load.concurrency);
    if (!r.error.empty()) {
      rows.push_back({b, c, "0", "-", "-", "-", "-", "-", "-", "-",
                      r.config.label + (r.config.label.empty() ? "" : ": ") + "skipped"});
      continue;
    }
    rows.push_back({b, c, std::to_string(s.pairs), f2(s.wall_s), ms1(s.latency.avg),
                    ms1(s.latency.p95), ms1(s.latency.p99), f1(s.throughput.avg),
                    f1(s.throughput.p95), f1(s.pairs_per_s), r.config.label});
  }
  doc.table({"Batch", "Conc", "Pairs", "Time(s)", "Lat Avg", "Lat P95", "Lat P99", "TP Avg",
             "TP P95", "Pairs/s", "Config"},
            rows);
  doc.p(
      "TP is the seed's per-request throughput (pairs / request latency); Pairs/s is "
      "pairs / wall-clock time of the config, the number that grows with concurrency.");
}

// One config of Detailed Metrics: settings, totals, latency and throughput tables.
void render_config_details(Doc& doc, const RunResult& r, const RunStats& s) {
  doc.h(3, "Config " + std::to_string(r.index) + ": " + config_title(r));
  if (r.target.kind.empty() || r.target.kind == "in-process") {
    doc.p("**Settings:** " + r.config.describe());
  } else {
    // A server runs with its own engine and batching settings, whatever the YAML says.
    doc.p("**Settings:** " + r.config.describe_load() + "; engine and batching: the server's" +
          (r.target.service ? " (" + batching_line(*r.target.service) + ")" : std::string()));
  }
  if (!r.error.empty()) {
    doc.p("**Skipped:** " + r.error);
    return;
  }
  std::string total = "**Total:** " + std::to_string(s.pairs) + " pairs in " + f2(s.wall_s) +
                      "s (" + f1(s.pairs_per_s) + " pairs/s; " + std::to_string(s.requests) +
                      " requests, " + std::to_string(s.failed) + " failed; setup " + f2(r.setup_s) +
                      "s)";
  doc.p(total);
  if (!s.first_error.empty()) doc.p("**First Error:** " + s.first_error);
  const auto detail = [&](const Summary& x) {
    return std::vector<std::vector<std::string>>{
        {"Average", f2(x.avg)}, {"Min", f2(x.min)}, {"Max", f2(x.max)}, {"Std Dev", f2(x.std)},
        {"P50", f2(x.p50)},     {"P90", f2(x.p90)}, {"P95", f2(x.p95)}, {"P99", f2(x.p99)}};
  };
  doc.h(4, "Latency (ms)");
  doc.table({"Metric", "Value"}, detail(s.latency));
  doc.h(4, "Throughput (pairs/s)");
  doc.table({"Metric", "Value"}, detail(s.throughput));
  doc.h(4, "Latency vs Throughput Analysis");
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : s.buckets) {
    rows.push_back({b.range, f2(b.avg_tp), f2(b.min_tp), f2(b.max_tp), std::to_string(b.count)});
  }
  doc.table({"Latency Range", "Avg Throughput", "Min Throughput", "Max Throughput", "Count"}, rows);
  doc.p("**Correlation:** " + f3(s.correlation) +
        " (negative correlation expected: lower latency = higher throughput)");
  if (r.has_service) {
    const ServiceTotals& t = r.service;
    doc.h(4, "Serving Core");
    doc.table({"Metric", "Value"},
              {{"Batches", std::to_string(t.batches)},
               {"Avg Batch Pairs", f2(t.avg_batch_pairs)},
               {"Avg Batch Tokens", f1(t.avg_batch_tokens)},
               {"Tokens", std::to_string(t.tokens)},
               {"Padded-Baseline Waste (%)", f1(t.padded_baseline_waste_pct)},
               {"Rejected (overloaded)", std::to_string(t.rejected)},
               {"Peak Memory (MB)", f1(static_cast<double>(t.peak_rss_bytes) / 1048576.0)}});
  }
}

void render_detailed_metrics(Doc& doc, const ExperimentResult& res,
                             const std::vector<RunStats>& stats) {
  doc.h(2, "Detailed Metrics");
  for (size_t i = 0; i < res.runs.size(); ++i) render_config_details(doc, res.runs[i], stats[i]);
}

void render_overall_summary(Doc& doc, const ExperimentResult& res,
                            const std::vector<RunStats>& stats,
                            const std::vector<size_t>& ok_runs) {
  doc.h(2, "Overall Summary");
  if (ok_runs.empty()) {
    doc.p("No config produced a measurement.");
  } else {
    size_t best_tp = ok_runs[0], best_lat = ok_runs[0], best_agg = ok_runs[0];
    double sum_tp = 0, sum_lat = 0;
    size_t pairs = 0, failed = 0;
    double seconds = 0;
    for (size_t i : ok_runs) {
      if (stats[i].throughput.avg > stats[best_tp].throughput.avg) best_tp = i;
      if (stats[i].latency.avg < stats[best_lat].latency.avg) best_lat = i;
      if (stats[i].pairs_per_s > stats[best_agg].pairs_per_s) best_agg = i;
      sum_tp += stats[i].throughput.avg;
      sum_lat += stats[i].latency.avg;
      pairs += stats[i].pairs;
      failed += stats[i].failed;
      seconds += stats[i].wall_s;
    }
    const double n = static_cast<double>(ok_runs.size());
    doc.table(
        {"Metric", "Value", "Config"},
        {{"Best Throughput", f2(stats[best_tp].throughput.avg) + " p/s",
          short_name(res.runs[best_tp])},
         {"Best Latency", f2(stats[best_lat].latency.avg) + "ms", short_name(res.runs[best_lat])},
         {"Avg Throughput", f2(sum_tp / n) + " p/s", "all configs"},
         {"Avg Latency", f2(sum_lat / n) + "ms", "all configs"},
         {"Best Aggregate Throughput", f2(stats[best_agg].pairs_per_s) + " pairs/s",
          short_name(res.runs[best_agg])},
         {"Total",
          std::to_string(pairs) + " pairs in " + f2(seconds) + "s, " + std::to_string(failed) +
              " failed requests",
          "all configs"}});
  }
}

// Rounds of the same config side by side: the run-to-run spread on this machine.
void render_repeat_summary(Doc& doc, const ExperimentResult& res,
                           const std::vector<RunStats>& stats, const std::vector<size_t>& ok_runs) {
  if (res.experiment.repeat <= 1) return;
  doc.h(2, "Repeat Summary");
  std::map<int, std::vector<size_t>> by_base;
  for (size_t i : ok_runs) by_base[res.runs[i].config.base].push_back(i);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [base, idx] : by_base) {
    std::vector<double> tp, lat;
    for (size_t i : idx) {
      tp.push_back(stats[i].pairs_per_s);
      lat.push_back(stats[i].latency.avg);
    }
    const Summary t = summarize(tp), l = summarize(lat);
    rows.push_back({short_name(res.runs[idx.front()]), std::to_string(idx.size()), f1(t.p50),
                    f1(t.min), f1(t.max), f1(t.p50 > 0 ? (t.max - t.min) / t.p50 * 100.0 : 0.0),
                    f1(l.p50)});
  }
  doc.table({"Config", "Rounds", "Pairs/s Median", "Pairs/s Min", "Pairs/s Max", "Spread (%)",
             "Lat Avg Median (ms)"},
            rows);
  doc.p(
      "Each round runs every config once, rounds one after the other; Spread = (max - min) "
      "/ median: differences between configs smaller than it are noise.");
}

// Dashboard Metrics Summary: the sampled process numbers and the per-request stages.
void render_dashboard_summary(Doc& doc, const ExperimentResult& res) {
  const Experiment& ex = res.experiment;
  doc.h(2, "Dashboard Metrics Summary");
  std::vector<double> mem, cpu, tok, inf, que, pad, base;
  bool server_side = false;
  for (const auto& r : res.runs) {
    for (const auto& t : r.samples) {
      mem.push_back(t.rss_mb);
      cpu.push_back(t.cpu_pct);
      server_side = server_side || t.server_side;
      if (t.has_padding) {
        pad.push_back(kPaddingWastePct);
        base.push_back(t.padded_baseline_pct);
      }
    }
    for (const auto& q : r.requests) {
      if (!q.ok || !q.has_stages) continue;
      tok.push_back(q.server.tokenize_ms);
      inf.push_back(q.server.inference_ms);
      que.push_back(q.server.queue_ms);
    }
  }
  const auto row = [](const std::string& name, const std::vector<double>& v) {
    if (v.empty()) return std::vector<std::string>{name, "n/a", "n/a", "n/a", "n/a", "n/a"};
    return stat_row(name, summarize(v));
  };
  doc.table({"Metric", "Avg", "Min", "Max", "P50", "P95"},
            {row("Memory (MB)", mem), row("CPU Usage (%)", cpu), row("Tokenization (ms)", tok),
             row("Inference (ms)", inf), row("Queue Wait (ms)", que), row("Padding Waste (%)", pad),
             row("Padded-Baseline Waste (%)", base)});
  doc.p(std::string("Memory and CPU: resident memory and CPU time of the ") +
        (server_side ? "serving process (in-process: the engine and the load generator together)"
                     : "load generator (the target reports no process numbers)") +
        ", sampled every " + std::to_string(ex.sample_ms) + " ms; CPU 100% = one core of " +
        std::to_string(res.host.cores) +
        ". Tokenization / Inference / Queue Wait: per request, as the serving core measured "
        "them. Padding Waste: padding the batches computed (packed batches: 0 by "
        "construction); Padded-Baseline Waste: what padding every batch to its longest pair "
        "would have wasted, the seed's way of running batches.");
}

// Stage Breakdown: shares of the summed latency, then the mean stages of each config.
void render_stage_breakdown(Doc& doc, const ExperimentResult& res,
                            const std::vector<RunStats>& stats,
                            const std::vector<size_t>& ok_runs) {
  doc.h(3, "Stage Breakdown");
  double t_tok = 0, t_que = 0, t_inf = 0, t_cli = 0, t_srv = 0, t_cli_srv = 0;
  for (const auto& r : res.runs) {
    for (const auto& q : r.requests) {
      if (!q.ok) continue;
      if (q.has_stages) {
        t_tok += q.server.tokenize_ms;
        t_que += q.server.queue_ms;
        t_inf += q.server.inference_ms;
        t_cli += q.latency_ms;
      }
      if (q.has_server_total) {
        t_srv += q.server.total_ms;
        t_cli_srv += q.latency_ms;
      }
    }
  }
  const auto pct = [](double x, double of) { return f1(of > 0 ? x / of * 100.0 : 0.0) + "%"; };
  if (t_cli > 0) {
    doc.table({"Stage", "Percentage"},
              {{"Tokenization", pct(t_tok, t_cli)},
               {"Queue Wait", pct(t_que, t_cli)},
               {"Model Inference", pct(t_inf, t_cli)},
               {"Other/gRPC", pct(std::max(0.0, t_cli - t_tok - t_que - t_inf), t_cli)}});
  } else if (t_cli_srv > 0) {
    doc.table({"Stage", "Percentage"},
              {{"Server (tokenization + queue + inference)", pct(t_srv, t_cli_srv)},
               {"Other/gRPC", pct(std::max(0.0, t_cli_srv - t_srv), t_cli_srv)}});
  } else {
    doc.table({"Stage", "Percentage"}, {{"Client round trip (no server split)", "100.0%"}});
  }
  doc.p(
      "Shares of the summed request latency. Queue Wait includes waiting for a batch to "
      "form and for a replica; Other/gRPC is the client's latency minus the server's "
      "(transport and serialisation; in process, the call itself).");

  doc.h(3, "Stage Breakdown by Config");
  std::vector<std::vector<std::string>> rows;
  for (size_t i : ok_runs) {
    const RunStats& s = stats[i];
    const std::string na = "n/a";
    rows.push_back({std::to_string(res.runs[i].index) + ": " + short_name(res.runs[i]),
                    s.has_stages ? f2(s.tokenize_ms) : na, s.has_stages ? f2(s.queue_ms) : na,
                    s.has_stages ? f2(s.inference_ms) : na,
                    s.has_server_total ? f2(s.other_ms) : na, f2(s.client_ms)});
  }
  doc.table({"Config", "Tokenization (ms)", "Queue Wait (ms)", "Inference (ms)", "Other/gRPC (ms)",
             "Latency (ms)"},
            rows);
}

// Per-Worker Statistics: one row per engine replica, else per client thread.
void render_per_worker_stats(Doc& doc, const ExperimentResult& res,
                             const std::vector<size_t>& ok_runs) {
  doc.h(3, "Per-Worker Statistics");
  std::vector<std::vector<std::string>> rows;
  bool replicas = false;
  for (size_t i : ok_runs) {
    const RunResult& r = res.runs[i];
    for (const auto& w : r.workers) {
      replicas = true;
      const double wall_ms = std::max(1e-9, r.wall_s * 1e3);
      rows.push_back(
          {std::to_string(r.index) + "." + w.id, f1(w.avg_batch_ms), f1(w.p95_batch_ms),
           f1(static_cast<double>(w.pairs) / std::max(1e-9, r.wall_s)), std::to_string(w.pairs),
           std::to_string(w.batches),
           f1(w.batches ? static_cast<double>(w.pairs) / static_cast<double>(w.batches) : 0.0),
           f1(std::min(100.0, w.busy_ms / wall_ms * 100.0)), w.backend});
    }
  }
  if (replicas) {
    doc.table({"Worker ID", "Avg Latency (ms)", "P95 Latency (ms)", "Throughput (q/s)", "Queries",
               "Batches", "Avg Batch Pairs", "Busy (%)", "Backend"},
              rows);
    doc.p(
        "Workers are engine replicas (Worker ID = config.replica). Latency is per batch; "
        "Throughput and Queries count pairs; P95 includes the warmup batches.");
  } else {
    // No replica counters from this target: one row per client thread instead.
    for (size_t i : ok_runs) {
      const RunResult& r = res.runs[i];
      std::map<int, std::vector<double>> lat;
      std::map<int, size_t> pairs;
      for (const auto& q : r.requests) {
        if (!q.ok) continue;
        lat[q.client].push_back(q.latency_ms);
        pairs[q.client] += q.pairs;
      }
      for (const auto& [c, v] : lat) {
        const Summary s = summarize(v);
        rows.push_back({std::to_string(r.index) + ".c" + std::to_string(c), f1(s.avg), f1(s.p95),
                        f1(static_cast<double>(pairs[c]) / std::max(1e-9, r.wall_s)),
                        std::to_string(pairs[c])});
      }
    }
    doc.table({"Worker ID", "Avg Latency (ms)", "P95 Latency (ms)", "Throughput (q/s)", "Queries"},
              rows);
    doc.p(
        "The target reports no replica counters: workers are client threads (Worker ID = "
        "config.client); latency is per request; Throughput and Queries count pairs.");
  }
}

// Plots: the SVG files (name, content), each also a figure of the document.
std::vector<std::pair<std::string, std::string>> render_plots(Doc& doc, const ExperimentResult& res,
                                                              const std::vector<RunStats>& stats,
                                                              const std::vector<size_t>& ok_runs) {
  const Experiment& ex = res.experiment;
  std::vector<std::pair<std::string, std::string>> svgs;
  LineChart cdf{.title = "Latency CDF",
                .x_label = "request latency (ms)",
                .y_label = "fraction of requests",
                .series = {},
                .y_from_zero = true,
                .step = true};
  LineChart tput{.title = "Throughput over time",
                 .x_label = "time since experiment start (s)",
                 .y_label = "pairs/s",
                 .series = {},
                 .y_from_zero = true,
                 .step = false};
  StackedBars stages{.title = "Stage breakdown (mean per request)",
                     .value_label = "ms",
                     .bars = {},
                     .segments = {"tokenization", "queue wait", "inference", "other/gRPC"},
                     .values = {}};
  for (size_t i : ok_runs) {
    const RunResult& r = res.runs[i];
    Series c{plot_name(r), {}, {}};
    std::vector<double> lat;
    for (const auto& q : r.requests) {
      if (q.ok) lat.push_back(q.latency_ms);
    }
    std::sort(lat.begin(), lat.end());
    c.x.push_back(lat.empty() ? 0 : lat.front());
    c.y.push_back(0);
    for (size_t k = 0; k < lat.size(); ++k) {
      c.x.push_back(lat[k]);
      c.y.push_back(static_cast<double>(k + 1) / static_cast<double>(lat.size()));
    }
    cdf.series.push_back(std::move(c));
    tput.series.push_back(work_rate(r, ex.sample_ms / 1000.0));
    const RunStats& s = stats[i];
    stages.bars.push_back(plot_name(r));
    if (s.has_stages) {
      stages.values.push_back({s.tokenize_ms, s.queue_ms, s.inference_ms, s.other_ms});
    } else {
      stages.values.push_back({0, 0, 0, s.client_ms});
    }
  }
  svgs = {{"latency_cdf.svg", render_line_chart(cdf)},
          {"throughput_over_time.svg", render_line_chart(tput)},
          {"stage_breakdown.svg", render_stacked_bars(stages)}};
  doc.h(2, "Plots");
  doc.figure("Latency CDF per config", "latency_cdf.svg", svgs[0].second);
  doc.figure("Throughput over time (pairs/s in " + std::to_string(ex.sample_ms) +
                 " ms bins, each request's pairs spread over its duration; configs back to back)",
             "throughput_over_time.svg", svgs[1].second);
  doc.figure("Stage breakdown: mean ms per request", "stage_breakdown.svg", svgs[2].second);
  return svgs;
}

void render_time_series(Doc& doc, const ExperimentResult& res) {
  const Experiment& ex = res.experiment;
  doc.h(2, "Dashboard Time-Series Data");
  size_t total = 0;
  for (const auto& r : res.runs) total += r.samples.size();
  constexpr size_t kMaxRows = 300;
  const size_t every = total > kMaxRows ? (total + kMaxRows - 1) / kMaxRows : 1;
  std::vector<std::vector<std::string>> rows;
  size_t k = 0;
  for (const auto& r : res.runs) {
    for (const auto& t : r.samples) {
      if (k % every == 0) {
        const bool any = t.requests > 0;
        rows.push_back({std::to_string(k), f1(t.rss_mb), f1(t.cpu_pct),
                        any ? f1(t.latency_ms) : "-", fmt("%.0f", t.throughput),
                        any ? f1(t.tokenize_ms) : "-", any ? f1(t.inference_ms) : "-",
                        any ? f1(t.queue_ms) : "-", t.has_padding ? f1(kPaddingWastePct) : "-",
                        t.has_padding ? f1(t.padded_baseline_pct) : "-", std::to_string(r.index),
                        f1(t.experiment_t_s)});
      }
      ++k;
    }
  }
  doc.p("One row per " + std::to_string(ex.sample_ms) +
        " ms sample: Latency and the stage columns average the requests completed in it; "
        "Throughput = their pairs / the sample's length (0 when none completed).");
  if (every > 1) {
    doc.p("Every " + std::to_string(every) + "th of " + std::to_string(total) +
          " samples; all of them are in report.json.");
  }
  doc.table(
      {"Index", "Mem (MB)", "CPU (%)", "Latency (ms)", "Throughput", "Tokenize (ms)",
       "Inference (ms)", "Queue (ms)", "Padding (%)", "Pad Baseline (%)", "Config", "Time (s)"},
      rows);
}

// report.json: every raw number, and the derived ones the tables show.
ojson report_json(const ExperimentResult& res, const std::vector<RunStats>& stats) {
  const Experiment& ex = res.experiment;
  ojson j;
  j["format"] = "crossenc-bench-report-1";
  j["experiment"] = {{"name", ex.name},           {"description", ex.description},
                     {"repeat", ex.repeat},       {"source", ex.source_path},
                     {"sample_ms", ex.sample_ms}, {"data_files", ex.data_files}};
  j["timestamp"] = res.timestamp;
  j["tool_version"] = res.tool_version;
  j["host"] = {{"cpu", res.host.cpu},
               {"cores", res.host.cores},
               {"kernel", res.host.kernel},
               {"load_before", res.host.load_before},
               {"load_after", res.host.load_after}};
  j["dataset"] = {{"queries", res.dataset_queries}, {"pairs", res.dataset_pairs}};
  j["total_s"] = res.total_s;
  ojson runs = ojson::array();
  for (size_t i = 0; i < res.runs.size(); ++i) {
    const RunResult& r = res.runs[i];
    const RunStats& s = stats[i];
    ojson o;
    o["index"] = r.index;
    o["title"] = config_title(r);
    o["config"] = config_json(r.config);
    o["target"] = {{"kind", r.target.kind},
                   {"address", r.target.address},
                   {"model", r.target.model},
                   {"backend", r.target.backend},
                   {"device", r.target.device},
                   {"dtype", r.target.dtype},
                   {"max_length", r.target.max_length}};
    o["error"] = r.error;
    o["setup_s"] = r.setup_s;
    o["start_offset_s"] = r.start_offset_s;
    o["clock_offset_s"] = r.clock_offset_s;
    o["wall_s"] = r.wall_s;
    ojson buckets = ojson::array();
    for (const auto& b : s.buckets) {
      buckets.push_back({{"range", b.range},
                         {"avg_tp", b.avg_tp},
                         {"min_tp", b.min_tp},
                         {"max_tp", b.max_tp},
                         {"count", b.count}});
    }
    o["summary"] = {{"requests", s.requests},
                    {"failed", s.failed},
                    {"pairs", s.pairs},
                    {"pairs_per_s", s.pairs_per_s},
                    {"latency_ms", summary_json(s.latency)},
                    {"throughput", summary_json(s.throughput)},
                    {"buckets", buckets},
                    {"correlation", s.correlation},
                    {"stages_ms",
                     {{"available", s.has_stages},
                      {"tokenize", s.tokenize_ms},
                      {"queue", s.queue_ms},
                      {"inference", s.inference_ms},
                      {"server_total", s.server_ms},
                      {"other", s.other_ms},
                      {"client", s.client_ms}}},
                    {"first_error", s.first_error}};
    if (r.has_service) {
      const ServiceTotals& t = r.service;
      o["service"] = {{"requests", t.requests},
                      {"pairs", t.pairs},
                      {"tokens", t.tokens},
                      {"batches", t.batches},
                      {"errors", t.errors},
                      {"rejected", t.rejected},
                      {"avg_batch_pairs", t.avg_batch_pairs},
                      {"avg_batch_tokens", t.avg_batch_tokens},
                      {"padded_baseline_waste_pct", t.padded_baseline_waste_pct},
                      {"peak_rss_bytes", t.peak_rss_bytes}};
    } else {
      o["service"] = nullptr;
    }
    ojson workers = ojson::array();
    for (const auto& w : r.workers) {
      workers.push_back({{"id", w.id},
                         {"backend", w.backend},
                         {"device", w.device},
                         {"batches", w.batches},
                         {"pairs", w.pairs},
                         {"tokens", w.tokens},
                         {"busy_ms", w.busy_ms},
                         {"avg_batch_ms", w.avg_batch_ms},
                         {"p95_batch_ms", w.p95_batch_ms}});
    }
    o["workers"] = workers;
    ojson samples = ojson::array();
    for (const auto& t : r.samples) {
      samples.push_back({{"t_s", t.t_s},
                         {"experiment_t_s", t.experiment_t_s},
                         {"period_s", t.period_s},
                         {"rss_mb", t.rss_mb},
                         {"cpu_pct", t.cpu_pct},
                         {"server_side", t.server_side},
                         {"requests", t.requests},
                         {"pairs", t.pairs},
                         {"latency_ms", t.latency_ms},
                         {"throughput", t.throughput},
                         {"tokenize_ms", t.tokenize_ms},
                         {"inference_ms", t.inference_ms},
                         {"queue_ms", t.queue_ms},
                         {"has_padding", t.has_padding},
                         {"padded_baseline_pct", t.padded_baseline_pct}});
    }
    o["samples"] = samples;
    ojson reqs = ojson::array();
    for (const auto& q : r.requests) {
      ojson x = {{"client", q.client},         {"index", q.index}, {"start_s", q.start_s},
                 {"latency_ms", q.latency_ms}, {"pairs", q.pairs}, {"ok", q.ok}};
      if (!q.ok) x["error"] = q.error;
      if (q.has_stages || q.has_server_total) {
        x["server"] = {{"total_ms", q.server.total_ms},
                       {"queue_ms", q.server.queue_ms},
                       {"tokenize_ms", q.server.tokenize_ms},
                       {"inference_ms", q.server.inference_ms},
                       {"tokens", q.server.tokens}};
      }
      reqs.push_back(std::move(x));
    }
    o["requests"] = reqs;
    runs.push_back(std::move(o));
  }
  j["runs"] = runs;
  return j;
}

}  // namespace

ReportFiles render_report(const ExperimentResult& res) {
  std::vector<RunStats> stats;
  for (const auto& r : res.runs) stats.push_back(compute_run_stats(r));
  std::vector<size_t> ok_runs;  // configs that measured something: the summaries use only these
  for (size_t i = 0; i < res.runs.size(); ++i) {
    if (res.runs[i].error.empty() && stats[i].pairs > 0) ok_runs.push_back(i);
  }

  Doc doc;
  render_header(doc, res);
  render_results_summary(doc, res, stats);
  render_detailed_metrics(doc, res, stats);
  render_overall_summary(doc, res, stats, ok_runs);
  render_repeat_summary(doc, res, stats, ok_runs);
  render_dashboard_summary(doc, res);
  render_stage_breakdown(doc, res, stats, ok_runs);
  render_per_worker_stats(doc, res, ok_runs);
  ReportFiles files;
  files.svgs = render_plots(doc, res, stats, ok_runs);
  render_time_series(doc, res);

  files.markdown = to_markdown(doc);
  files.html = to_html(doc, res.experiment.name);
  files.json = report_json(res, stats);
  return files;
}

void write_report(const ExperimentResult& result, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create '" + dir + "': " + ec.message());
  const ReportFiles f = render_report(result);
  const auto put = [&](const std::string& name, const std::string& text) {
    const fs::path path = fs::path(dir) / name;
    const fs::path tmp = fs::path(dir) / (name + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out.flush()) throw Error("cannot write '" + tmp.string() + "'");
    }
    fs::rename(tmp, path, ec);
    if (ec) throw Error("cannot write '" + path.string() + "': " + ec.message());
  };
  put("report.md", f.markdown);
  put("report.html", f.html);
  put("report.json", f.json.dump(1) + "\n");
  for (const auto& [name, svg] : f.svgs) put(name, svg);
}

}  // namespace crossenc::bench
