// Golden-structure tests of the bench harness: the report writer on synthetic results (every
// section, table header and metric name of the seed reports, number formats, well-formed SVG,
// JSON that parses), plus its statistics, experiment YAML expansion and small parsers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dataset.h"
#include "experiment.h"
#include "load_target.h"
#include "progress.h"
#include "report.h"
#include "results.h"
#include "stats.h"
#include "svg_plot.h"
#include "test_util.h"

namespace crossenc::bench {
namespace {

RunResult synthetic_run(int index, int batch, int conc, double base_ms) {
  RunResult r;
  r.index = index;
  r.config.model = "model.cenc";
  r.config.label = "label " + std::to_string(index);
  r.config.load.batch = batch;
  r.config.load.concurrency = conc;
  r.target = {.kind = "in-process",
              .address = "in-process",
              .model = "model.cenc",
              .backend = "cpu",
              .device = "Test CPU (2 threads)",
              .dtype = "f32",
              .max_length = 512,
              .service = ServiceOptions{}};
  r.setup_s = 0.25;
  double t = 0;
  for (int i = 0; i < 10; ++i) {  // latencies base, base+10, ..., base+90 ms
    RequestRecord q;
    q.client = i % conc;
    q.index = i / conc;
    q.start_s = t;
    q.latency_ms = base_ms + 10.0 * i;
    q.pairs = static_cast<size_t>(batch);
    q.has_stages = q.has_server_total = true;
    q.server.tokenize_ms = 2.0;
    q.server.queue_ms = 3.0;
    q.server.inference_ms = q.latency_ms - 6.0;
    q.server.total_ms = q.latency_ms - 1.0;
    q.server.tokens = static_cast<size_t>(batch) * 90;
    t += q.latency_ms / 1e3;
    r.requests.push_back(q);
  }
  r.wall_s = t;
  for (int k = 0; k < 3; ++k) {
    TimeSample s;
    s.t_s = s.experiment_t_s = k + 1.0;
    s.period_s = 1.0;
    s.rss_mb = 200.0 + k;
    s.cpu_pct = 150.0;
    s.server_side = true;
    s.requests = 3;
    s.pairs = 3u * static_cast<size_t>(batch);
    s.latency_ms = base_ms;
    s.throughput = 3.0 * batch;
    s.tokenize_ms = 2.0;
    s.inference_ms = base_ms - 6.0;
    s.queue_ms = 3.0;
    s.has_padding = true;
    s.padded_baseline_pct = 40.0;
    r.samples.push_back(s);
  }
  r.has_service = true;
  r.service = {.requests = 10,
               .pairs = 10u * static_cast<size_t>(batch),
               .tokens = 9000,
               .batches = 10,
               .avg_batch_pairs = static_cast<double>(batch),
               .avg_batch_tokens = 900,
               .padded_baseline_waste_pct = 40.0,
               .peak_rss_bytes = 210u << 20};
  r.workers.push_back({.id = "r0",
                       .backend = "cpu",
                       .device = "Test CPU",
                       .batches = 10,
                       .pairs = 10u * static_cast<size_t>(batch),
                       .tokens = 9000,
                       .busy_ms = 1000,
                       .avg_batch_ms = 100,
                       .p95_batch_ms = 150});
  return r;
}

ExperimentResult synthetic_experiment() {
  ExperimentResult e;
  e.experiment.name = "99_synthetic";
  e.experiment.description = "Synthetic data for the report test";
  e.experiment.source_path = "bench/experiments/99_synthetic.yaml";
  e.timestamp = "2025-12-26 02:20:17";
  e.host = {
      .cpu = "Test CPU", .cores = 2, .kernel = "Linux test", .load_before = 0.1, .load_after = 0.2};
  e.dataset_queries = 97;
  e.dataset_pairs = 9700;
  e.total_s = 12.5;
  e.runs.push_back(synthetic_run(1, 32, 1, 100.0));
  e.runs.push_back(synthetic_run(2, 64, 4, 200.0));
  RunResult skipped;
  skipped.index = 3;
  skipped.config.label = "vulkan";
  skipped.config.engine.backend = "vulkan";
  skipped.error = "the Vulkan backend is not built";
  e.runs.push_back(skipped);
  for (const auto& r : e.runs) e.experiment.runs.push_back(r.config);
  return e;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Tag balance of an XML document: every start tag closed in order, attributes quoted.
::testing::AssertionResult well_formed_xml(const std::string& x) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = x.find('<', i)) != std::string::npos) {
    const size_t end = x.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed '<' at " << i;
    const std::string tag = x.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag";
    size_t quotes = 0;
    for (char c : tag) quotes += c == '"' ? 1 : 0;
    if (quotes % 2) return ::testing::AssertionFailure() << "unbalanced quotes in <" << tag << ">";
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        return ::testing::AssertionFailure()
               << "</" << name << "> closes " << (stack.empty() ? "nothing" : stack.back());
      }
      stack.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    stack.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "<" << stack.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

TEST(Report, MarkdownHasEverySeedSectionAndHeader) {
  const ReportFiles f = render_report(synthetic_experiment());
  const std::string& md = f.markdown;
  for (const char* s :
       {"# 99_synthetic\n",
        "_Synthetic data for the report test_",
        "**Timestamp:** 2025-12-26 02:20:17",
        "**Model:** `model.cenc`",
        "**Backend:** `cpu (gemm auto)` | **Device:** `Test CPU (2 threads)`",
        "**Dynamic Batching:** enabled (max_batch=32, timeout=2ms)",
        "## Results Summary",
        "| Batch | Conc | Pairs | Time(s) | Lat Avg | Lat P95 | Lat P99 | TP Avg | TP P95 |",
        "## Detailed Metrics",
        "### Config 1: batch=32, concurrency=1",
        "### Config 2: batch=64, concurrency=4",
        "### Config 3: batch=32, concurrency=1 — vulkan",
        "**Skipped:** the Vulkan backend is not built",
        "#### Latency (ms)",
        "#### Throughput (pairs/s)",
        "#### Latency vs Throughput Analysis",
        "| Latency Range | Avg Throughput | Min Throughput | Max Throughput | Count |",
        "**Correlation:** ",
        "(negative correlation expected: lower latency = higher throughput)",
        "## Overall Summary",
        "| Metric | Value | Config |",
        "| Best Throughput |",
        "| Best Latency |",
        "| Avg Throughput |",
        "| Avg Latency |",
        "## Dashboard Metrics Summary",
        "| Metric | Avg | Min | Max | P50 | P95 |",
        "| Memory (MB) |",
        "| CPU Usage (%) |",
        "| Tokenization (ms) |",
        "| Inference (ms) |",
        "| Queue Wait (ms) |",
        "| Padding Waste (%) |",
        "### Stage Breakdown\n",
        "| Stage | Percentage |",
        "| Tokenization |",
        "| Queue Wait |",
        "| Model Inference |",
        "| Other/gRPC |",
        "### Per-Worker Statistics",
        "| Worker ID | Avg Latency (ms) | P95 Latency (ms) | Throughput (q/s) | Queries |",
        "## Dashboard Time-Series Data",
        "| Index | Mem (MB) | CPU (%) | Latency (ms) | Throughput | Tokenize (ms) | Inference (ms) "
        "| Queue (ms) | Padding (%) |",
        "![Latency CDF per config](latency_cdf.svg)",
        "(throughput_over_time.svg)",
        "(stage_breakdown.svg)"}) {
    EXPECT_TRUE(contains(md, s)) << "missing: " << s;
  }
  for (const char* m : {"Average", "Min", "Max", "Std Dev", "P50", "P90", "P95", "P99"}) {
    EXPECT_TRUE(contains(md, std::string("| ") + m + " | ")) << m;
  }
  // The seed's section order.
  const char* order[] = {"## Results Summary",           "## Detailed Metrics",
                         "## Overall Summary",           "## Dashboard Metrics Summary",
                         "### Stage Breakdown",          "### Per-Worker Statistics",
                         "## Dashboard Time-Series Data"};
  size_t last = 0;
  for (const char* s : order) {
    const size_t at = md.find(s);
    ASSERT_NE(at, std::string::npos) << s;
    EXPECT_GT(at, last) << s;
    last = at;
  }
}

TEST(Report, NumbersAreFormattedLikeTheSeed) {
  const std::string md = render_report(synthetic_experiment()).markdown;
  // Config 1: latencies 100..190 ms of 32 pairs in 1.45 s.
  EXPECT_TRUE(contains(md, "| 32 | 1 | 320 | 1.45 | 145.0ms | 185.5ms | 189.1ms |"))
      << md.substr(0, 1800);
  EXPECT_TRUE(contains(md, "| Average | 145.00 |"));
  EXPECT_TRUE(contains(md, "| Min | 100.00 |"));
  EXPECT_TRUE(contains(md, "| Std Dev | 28.72 |"));
  EXPECT_TRUE(contains(md, "| P95 | 185.50 |"));
  EXPECT_TRUE(contains(md, "**Total:** 320 pairs in 1.45s"));
  EXPECT_TRUE(contains(md, "| < 145.0ms (P50) |"));
  EXPECT_TRUE(contains(md, "**Correlation:** -0.99"));
  EXPECT_TRUE(contains(md, " p/s | batch=")) << "Overall Summary values carry units";
  EXPECT_TRUE(contains(md, "| 32 | 1 | 0 | - |")) << "skipped config row";
  EXPECT_EQ(md.find("nan"), std::string::npos);
  EXPECT_EQ(md.find("inf |"), std::string::npos);
}

TEST(Report, EveryMarkdownTableIsRectangular) {
  const std::string md = render_report(synthetic_experiment()).markdown;
  std::istringstream in(md);
  std::string line;
  int cols = -1, tables = 0;
  const auto count = [](const std::string& l) {
    int n = 0;
    for (size_t i = 0; i < l.size(); ++i)
      n += (l[i] == '|' && (i == 0 || l[i - 1] != '\\')) ? 1 : 0;
    return n;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '|') {
      cols = -1;
      continue;
    }
    if (cols < 0) {
      cols = count(line);
      ++tables;
    }
    EXPECT_EQ(count(line), cols) << line;
  }
  EXPECT_GE(tables, 15);
}

TEST(Report, SvgPlotsAreWellFormedAndEmbeddedInHtml) {
  const ReportFiles f = render_report(synthetic_experiment());
  ASSERT_EQ(f.svgs.size(), 3u);
  for (const auto& [name, svg] : f.svgs) {
    SCOPED_TRACE(name);
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
    EXPECT_TRUE(contains(svg, "</svg>"));
    EXPECT_TRUE(well_formed_xml(svg));
    EXPECT_TRUE(contains(svg, "<polyline") || contains(svg, "<rect x=\"210"));
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_TRUE(contains(f.html, svg)) << "inline in the HTML";
  }
  EXPECT_TRUE(contains(f.svgs[0].second, "1: label 1"));  // legend
  const std::string& h = f.html;
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  size_t tables = 0, pos = 0;
  while ((pos = h.find("<table>", pos)) != std::string::npos) ++tables, ++pos;
  size_t md_tables = 0;
  std::istringstream in(f.markdown);
  std::string line, prev;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '|' && (prev.empty() || prev[0] != '|')) ++md_tables;
    prev = line;
  }
  EXPECT_EQ(tables, md_tables);
  EXPECT_TRUE(contains(h, "<h2>Results Summary</h2>"));
  EXPECT_TRUE(contains(h, "<strong>Timestamp:</strong>"));
  EXPECT_TRUE(contains(h, "<td class=\"num\">145.00</td>"));
}

TEST(Report, JsonHasEveryRawNumberAndParses) {
  const ReportFiles f = render_report(synthetic_experiment());
  const auto j = nlohmann::json::parse(f.json.dump());
  EXPECT_EQ(j["experiment"]["name"], "99_synthetic");
  ASSERT_EQ(j["runs"].size(), 3u);
  const auto& r1 = j["runs"][0];
  EXPECT_EQ(r1["requests"].size(), 10u);
  EXPECT_EQ(r1["samples"].size(), 3u);
  EXPECT_DOUBLE_EQ(r1["summary"]["latency_ms"]["avg"].get<double>(), 145.0);
  EXPECT_EQ(r1["summary"]["buckets"].size(), 4u);
  EXPECT_EQ(r1["config"]["load"]["batch"], 32);
  EXPECT_EQ(r1["service"]["batches"], 10);
  EXPECT_EQ(r1["workers"][0]["id"], "r0");
  EXPECT_DOUBLE_EQ(r1["requests"][0]["server"]["tokenize_ms"].get<double>(), 2.0);
  EXPECT_EQ(j["runs"][2]["error"], "the Vulkan backend is not built");
}

TEST(Report, WriteReportCreatesAllFiles) {
  const auto dir = ::crossenc::test::temp_dir() / "report";
  std::filesystem::remove_all(dir);
  write_report(synthetic_experiment(), dir.string());
  for (const char* f : {"report.md", "report.html", "report.json", "latency_cdf.svg",
                        "throughput_over_time.svg", "stage_breakdown.svg"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / f)) << f;
  }
  std::ifstream in(dir / "report.json");
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded());
  EXPECT_EQ(j["runs"].size(), 3u);
  std::filesystem::remove_all(dir);
}

TEST(Report, RepeatedRoundsGetASpreadTable) {
  ExperimentResult e = synthetic_experiment();
  e.experiment.repeat = 2;
  for (auto& r : e.runs) r.config.base = r.index;
  RunResult again = e.runs[0];
  again.index = 4;
  again.config.round = 2;
  again.wall_s *= 2;  // half the throughput
  e.runs.push_back(again);
  const std::string md = render_report(e).markdown;
  EXPECT_TRUE(contains(md, "## Repeat Summary"));
  EXPECT_TRUE(contains(
      md, "| Config | Rounds | Pairs/s Median | Pairs/s Min | Pairs/s Max | Spread (%) |"));
  EXPECT_TRUE(contains(md, "| batch=32, conc=1 (label 1) | 2 | 165.5 | 110.3 | 220.7 | 66.7 |"))
      << md;
  EXPECT_TRUE(contains(md, "### Config 4: batch=32, concurrency=1 — label 1 (round 2)"));
}

TEST(Report, RemoteTargetWithoutStagesStillRenders) {
  ExperimentResult e = synthetic_experiment();
  for (auto& r : e.runs) {
    r.workers.clear();
    r.has_service = false;
    for (auto& q : r.requests) q.has_stages = false;  // gRPC: server total only
  }
  const std::string md = render_report(e).markdown;
  EXPECT_TRUE(contains(md, "| Other/gRPC |"));
  EXPECT_TRUE(contains(md, "| Tokenization (ms) | n/a |"));
  EXPECT_TRUE(contains(md, "| 1.c0 |")) << "per-client rows stand in for replicas";
}

TEST(Stats, PercentilesAndSummaryMatchNumpy) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const Summary s = summarize(v);
  EXPECT_DOUBLE_EQ(s.avg, 5.5);
  EXPECT_DOUBLE_EQ(s.p50, 5.5);
  EXPECT_DOUBLE_EQ(s.p90, 9.1);
  EXPECT_NEAR(s.p95, 9.55, 1e-12);
  EXPECT_NEAR(s.std, 2.8722813232690143, 1e-12);
  EXPECT_EQ(summarize(std::vector<double>{}).count, 0u);
  EXPECT_DOUBLE_EQ(correlation(v, std::vector<double>{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}), -1.0);
  std::vector<double> tp;
  for (double x : v) tp.push_back(100.0 / x);
  const auto b = latency_buckets(v, tp);
  ASSERT_EQ(b.size(), 4u);
  size_t n = 0;
  for (const auto& x : b) n += x.count;
  EXPECT_EQ(n, v.size());
  EXPECT_EQ(b[0].range, "< 5.5ms (P50)");
  EXPECT_EQ(b[0].count, 5u);
  EXPECT_EQ(b[3].range, ">= 9.1ms (P90+)");
}

TEST(Svg, TicksAreRound) {
  const auto t = nice_ticks(0, 97);
  ASSERT_FALSE(t.empty());
  EXPECT_DOUBLE_EQ(t[1] - t[0], 20.0);
  EXPECT_EQ(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  EXPECT_TRUE(well_formed_xml(render_line_chart({})));
  EXPECT_TRUE(well_formed_xml(render_stacked_bars({})));
}

constexpr const char* kYaml = R"(
name: t
model: m.cenc
defaults:
  service: {max_batch_pairs: 16}
  load: {batch: 8, total_pairs: 64}
sweep:
  load.concurrency: [1, 2]
  service.timeout_ms: [0, 5]
)";

TEST(Experiment, SweepIsACartesianProductWithOverridesLast) {
  const Experiment e = parse_experiment(kYaml, "t.yaml");
  ASSERT_EQ(e.runs.size(), 4u);
  EXPECT_EQ(e.runs[0].load.concurrency, 1);
  EXPECT_EQ(e.runs[1].service.timeout_ms, 5);
  EXPECT_EQ(e.runs[3].load.concurrency, 2);
  EXPECT_EQ(e.runs[0].label, "timeout_ms=0");
  EXPECT_EQ(e.runs[0].requests_per_client(), 8);
  EXPECT_EQ(e.runs[2].requests_per_client(), 4);
  EXPECT_EQ(e.runs[0].service.max_batch_pairs, 16);
  EXPECT_EQ(e.data_files.size(), 2u);

  const Experiment o =
      parse_experiment(kYaml, "t.yaml",
                       {parse_override("service.timeout_ms=9"), parse_override("scale=2"),
                        parse_override("name=renamed")});
  EXPECT_EQ(o.name, "renamed");
  for (const auto& r : o.runs) EXPECT_EQ(r.service.timeout_ms, 9);
  EXPECT_EQ(o.runs[0].requests_per_client(), 16);

  const Experiment rep = parse_experiment(kYaml, "t.yaml", {parse_override("repeat=3")});
  ASSERT_EQ(rep.runs.size(), 12u);
  EXPECT_EQ(rep.runs[4].round, 2);
  EXPECT_EQ(rep.runs[4].base, 1);
  EXPECT_EQ(rep.runs[11].base, 4);

  const Experiment w =
      parse_experiment(kYaml, "t.yaml", {parse_override("sweep.load.batch=[4, 8, 16]")});
  EXPECT_EQ(w.runs.size(), 12u);
  EXPECT_EQ(w.runs.back().load.batch, 16);
}

TEST(Experiment, BadInputNamesTheProblem) {
  const auto message = [](const std::string& yaml, std::vector<Override> o = {}) {
    try {
      parse_experiment(yaml, "x.yaml", o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_TRUE(contains(message("name: t\nmodel: m\nload: {}"), "unknown key 'load'"));
  EXPECT_TRUE(contains(message("name: t\nmodel: m\ndefaults: {load: {batchh: 3}}"), "load.batchh"));
  EXPECT_TRUE(contains(message("name: t\nmodel: m\ndefaults: {load: {batch: x}}"), "load.batch"));
  EXPECT_TRUE(contains(message("name: t\n"), "no model"));
  EXPECT_TRUE(contains(message("name: t\nmodel: m\nsweep: {load.batch: []}"), "non-empty"));
  EXPECT_TRUE(contains(message("name: t\nmodel: m", {parse_override("bogus=1")}), "bogus"));
  EXPECT_THROW(parse_override("novalue"), Error);
}

TEST(Experiment, ShippedExperimentsParse) {
  const std::filesystem::path dir =
      std::filesystem::path(CROSSENC_SOURCE_DIR) / "bench/experiments";
  size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".yaml") continue;
    SCOPED_TRACE(f.path().string());
    const Experiment e = load_experiment(f.path().string());
    EXPECT_FALSE(e.runs.empty());
    EXPECT_EQ(e.name, f.path().stem().string()) << "report folder = file name";
    ++n;
  }
  EXPECT_GE(n, 11u);
}

TEST(Dataset, RequestsAreDeterministicAndStayWithinOneQuery) {
  const Dataset d = Dataset::from_queries({{"q1", {"a", "b", "c"}}, {"q2", {"d", "e"}}});
  EXPECT_EQ(d.pairs(), 5u);
  const auto r1 = d.request(7, 0, 3, 2, false), r2 = d.request(7, 0, 3, 2, false);
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].passage, r2[0].passage);
  EXPECT_EQ(r1[0].query, r1[1].query);
  const auto big = d.request(7, 1, 0, 4, false);  // more than one query has: next query
  ASSERT_EQ(big.size(), 4u);
  EXPECT_EQ(d.request(1, 2, 3, 6, true).size(), 6u);
}

TEST(LoadTarget, UrlsAreLoopbackOnly) {
  EXPECT_EQ(parse_loopback_url("http://127.0.0.1:8080", "http").port, 8080);
  EXPECT_EQ(parse_loopback_url("grpc://localhost:50051/", "grpc").host, "127.0.0.1");
  EXPECT_THROW(parse_loopback_url("http://10.0.0.1:80", "http"), Error);
  EXPECT_THROW(parse_loopback_url("http://127.0.0.1", "http"), Error);
  EXPECT_THROW(parse_loopback_url("grpc://127.0.0.1:99999", "grpc"), Error);
  RunConfig c;
  c.target = "ftp://127.0.0.1:1";
  EXPECT_THROW(make_target(c), Error);
}

TEST(LoadTarget, PrometheusTextMapsOntoASnapshot) {
  const MetricsSnapshot m = parse_prometheus_metrics(
      "# TYPE crossenc_uptime_seconds gauge\ncrossenc_uptime_seconds 10\n"
      "crossenc_core_pairs_total 500\ncrossenc_core_tokens_total 45000\n"
      "crossenc_padded_baseline_waste_ratio 0.25\nprocess_cpu_seconds_total 15\n"
      "process_resident_memory_bytes 1048576\n"
      "crossenc_replica_batches_total{replica=\"1\",backend=\"cpu\",device=\"x\"} 7\n"
      "crossenc_replica_batch_duration_seconds{replica=\"1\",backend=\"cpu\",device=\"x\",quantile="
      "\"0.95\"} 0.2\n");
  EXPECT_EQ(m.pairs, 500u);
  EXPECT_DOUBLE_EQ(m.padded_baseline_waste_pct, 25.0);
  EXPECT_DOUBLE_EQ(m.process_cpu_pct, 150.0);
  EXPECT_EQ(m.rss_bytes, 1048576u);
  ASSERT_EQ(m.replicas.size(), 2u);
  EXPECT_EQ(m.replicas[1].batches, 7u);
  EXPECT_DOUBLE_EQ(m.replicas[1].batch_latency.p95_ms, 200.0);
}

TEST(Progress, BarShowsPairsRateAndEta) {
  ProgressBar p(100, false);
  const std::string s = p.render(25, 5.0);
  EXPECT_TRUE(contains(s, "25/100 pairs")) << s;
  EXPECT_TRUE(contains(s, "5.0 pairs/s")) << s;
  EXPECT_TRUE(contains(s, "ETA 0:15")) << s;
}

}  // namespace
}  // namespace crossenc::bench
