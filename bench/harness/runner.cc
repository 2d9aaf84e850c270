// The load generator: closed-loop client threads against a LoadTarget, a sampler thread (the
// caller's) taking the time series, and the end-of-run accounting from the target's counters.
#include "runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <latch>
#include <mutex>
#include <sstream>
#include <thread>

#include "crossenc/process_stats.h"
#include "stats.h"

namespace crossenc::bench {

namespace {

using Clock = std::chrono::steady_clock;

double secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// What padding each batch to its longest pair would have computed, up to a snapshot (the core
// reports it as a waste percentage of running totals).
double baseline_tokens(const MetricsSnapshot& m) {
  const double keep = 1.0 - m.padded_baseline_waste_pct / 100.0;
  return keep > 0 ? static_cast<double>(m.tokens) / keep : 0.0;
}
double waste_pct(double tokens, double padded) {
  return padded > 0 && padded >= tokens ? (1.0 - tokens / padded) * 100.0 : 0.0;
}

struct ResourceReading {
  double cpu_s = 0;
  uint64_t rss = 0;
  bool server_side = false;
};

ResourceReading read_resources(const TargetInfo& info, const std::optional<MetricsSnapshot>& m) {
  // In process the serving core is this process; a server reports its own numbers.
  if (info.kind != "in-process" && m && m->uptime_s > 0) {
    return {m->process_cpu_pct / 100.0 * m->uptime_s, m->rss_bytes, true};
  }
  return {process_cpu_seconds(), process_rss_bytes(), info.kind == "in-process"};
}

class Sampler {
 public:
  Sampler(LoadTarget& target, double experiment_offset_s)
      : target_(target), offset_s_(experiment_offset_s) {}

  void start(const std::optional<MetricsSnapshot>& m) {
    last_metrics_ = m;
    last_res_ = read_resources(target_.info(), m);
  }

  // Summarises the requests that completed since the last sample. merge: fold them into the
  // last sample instead (a tail shorter than half a period would give a meaningless rate).
  TimeSample take(double now_s, const std::vector<RequestRecord>& records, bool merge = false) {
    if (merge && have_prev_) {
      last_t_ = prev_.t;
      last_metrics_ = prev_.metrics;
      last_res_ = prev_.res;
      from_ = prev_.from;
    }
    prev_ = {last_t_, last_metrics_, last_res_, from_};
    have_prev_ = true;
    TimeSample s;
    s.t_s = now_s;
    s.experiment_t_s = offset_s_ + now_s;
    s.period_s = std::max(1e-9, now_s - last_t_);
    const auto m = target_.metrics();
    const ResourceReading res = read_resources(target_.info(), m);
    s.rss_mb = static_cast<double>(res.rss) / (1024.0 * 1024.0);
    s.cpu_pct = std::max(0.0, (res.cpu_s - last_res_.cpu_s) / s.period_s * 100.0);
    s.server_side = res.server_side;
    double lat = 0, tok = 0, inf = 0, que = 0;
    size_t staged = 0;
    for (size_t i = from_; i < records.size(); ++i) {
      const RequestRecord& r = records[i];
      if (!r.ok) continue;
      ++s.requests;
      s.pairs += r.pairs;
      lat += r.latency_ms;
      if (r.has_stages) {
        ++staged;
        tok += r.server.tokenize_ms;
        inf += r.server.inference_ms;
        que += r.server.queue_ms;
      }
    }
    from_ = records.size();
    if (s.requests > 0) s.latency_ms = lat / static_cast<double>(s.requests);
    if (staged > 0) {
      s.tokenize_ms = tok / static_cast<double>(staged);
      s.inference_ms = inf / static_cast<double>(staged);
      s.queue_ms = que / static_cast<double>(staged);
    }
    s.throughput = static_cast<double>(s.pairs) / s.period_s;
    if (m && last_metrics_ && m->tokens > last_metrics_->tokens) {
      const double dt = static_cast<double>(m->tokens - last_metrics_->tokens);
      s.has_padding = true;
      s.padded_baseline_pct = waste_pct(dt, baseline_tokens(*m) - baseline_tokens(*last_metrics_));
    }
    if (m) last_metrics_ = m;
    last_res_ = res;
    last_t_ = now_s;
    return s;
  }

  size_t sampled() const { return from_; }
  double last_t() const { return last_t_; }

 private:
  LoadTarget& target_;
  double offset_s_;
  double last_t_ = 0;
  std::optional<MetricsSnapshot> last_metrics_;
  ResourceReading last_res_;
  size_t from_ = 0;  // first record not yet in a sample
  struct State {
    double t;
    std::optional<MetricsSnapshot> metrics;
    ResourceReading res;
    size_t from;
  } prev_{};
  bool have_prev_ = false;
};

void account_service(RunResult& r, const MetricsSnapshot& a, const MetricsSnapshot& b) {
  r.has_service = true;
  ServiceTotals& t = r.service;
  const auto d = [](uint64_t x, uint64_t y) { return y > x ? y - x : 0; };
  t.requests = d(a.requests, b.requests);
  t.pairs = d(a.pairs, b.pairs);
  t.tokens = d(a.tokens, b.tokens);
  t.batches = d(a.batches, b.batches);
  t.errors = d(a.errors, b.errors);
  t.rejected = d(a.rejected_overloaded, b.rejected_overloaded);
  if (t.batches > 0) {
    t.avg_batch_pairs = static_cast<double>(t.pairs) / static_cast<double>(t.batches);
    t.avg_batch_tokens = static_cast<double>(t.tokens) / static_cast<double>(t.batches);
  }
  const double dt = static_cast<double>(t.tokens);
  t.padded_baseline_waste_pct = waste_pct(dt, baseline_tokens(b) - baseline_tokens(a));
  for (size_t i = 0; i < b.replicas.size(); ++i) {
    const ReplicaMetrics& y = b.replicas[i];
    const ReplicaMetrics x = i < a.replicas.size() ? a.replicas[i] : ReplicaMetrics{};
    WorkerStats w;
    w.id = "r";
    w.id += std::to_string(i);
    w.backend = y.backend;
    w.device = y.device;
    w.batches = d(x.batches, y.batches);
    w.pairs = d(x.pairs, y.pairs);
    w.tokens = d(x.tokens, y.tokens);
    w.busy_ms = std::max(0.0, y.busy_ms - x.busy_ms);
    w.avg_batch_ms = w.batches > 0 ? w.busy_ms / static_cast<double>(w.batches) : 0.0;
    w.p95_batch_ms = y.batch_latency.p95_ms;  // since start: includes the warmup batches
    r.workers.push_back(std::move(w));
  }
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

size_t planned_pairs(const Experiment& experiment) {
  size_t n = 0;
  for (const auto& r : experiment.runs) n += r.planned_pairs();
  return n;
}

RunResult run_config(const RunConfig& config, int index, int run_count, const Dataset& data,
                     int sample_ms, double experiment_t0_offset_s, size_t pairs_before,
                     ProgressBar& progress) {
  RunResult result;
  result.index = index;
  result.config = config;
  result.start_offset_s = experiment_t0_offset_s;
  const int clients = config.load.concurrency;
  const int per_client = config.requests_per_client();
  // Built with a stream: GCC 12's -Wrestrict misfires on chains of "literal" + std::string.
  std::ostringstream d, t;
  d << "batch=" << config.load.batch << " conc=" << clients;
  if (!config.label.empty()) d << " (" << config.label << ")";
  t << "[" << index << "/" << run_count << "] ";
  const std::string desc = d.str(), tag = t.str();
  std::ostringstream h;
  h << "config " << index << "/" << run_count << " " << desc;
  const std::string head = h.str();
  progress.set_stage(head + " loading");
  const auto setup0 = Clock::now();
  std::unique_ptr<LoadTarget> target;
  std::vector<std::unique_ptr<LoadSession>> sessions;
  try {
    target = make_target(config);
    result.target = target->info();
    auto warm = target->open_session();
    for (int i = 0; i < config.load.warmup; ++i) {
      // Client id -1: warmup pairs differ from every measured request's.
      warm->score(
          data.request(config.load.seed, -1, i, config.load.batch, config.load.mix_queries));
    }
    for (int c = 0; c < clients; ++c) sessions.push_back(target->open_session());
  } catch (const std::exception& e) {
    result.error = e.what();
    progress.skip(config.planned_pairs());
    progress.note(tag + desc + ": skipped: " + result.error);
    return result;
  }
  result.setup_s = secs(setup0, Clock::now());
  progress.set_stage(head);

  std::mutex mu;
  std::vector<RequestRecord> records;
  records.reserve(static_cast<size_t>(clients) * static_cast<size_t>(per_client));
  std::atomic<size_t> pairs_done{0};
  std::atomic<int> finished{0};
  std::latch ready(clients), go(1);
  Clock::time_point t0;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<std::vector<Pair>> todo;  // built before the clock starts
      for (int i = 0; i < per_client; ++i) {
        todo.push_back(
            data.request(config.load.seed, c, i, config.load.batch, config.load.mix_queries));
      }
      ready.count_down();
      go.wait();
      for (int i = 0; i < per_client; ++i) {
        if (config.load.max_seconds > 0 && secs(t0, Clock::now()) >= config.load.max_seconds) break;
        RequestRecord r;
        r.client = c;
        r.index = i;
        r.pairs = todo[static_cast<size_t>(i)].size();
        const auto ts = Clock::now();
        try {
          const TargetReply reply =
              sessions[static_cast<size_t>(c)]->score(todo[static_cast<size_t>(i)]);
          r.has_stages = reply.has_stages;
          r.has_server_total = reply.has_server_total;
          r.server = reply.timing;
        } catch (const std::exception& e) {
          r.ok = false;
          r.error = e.what();
        }
        const auto te = Clock::now();
        r.start_s = secs(t0, ts);
        r.latency_ms = secs(ts, te) * 1e3;
        if (r.ok) pairs_done += r.pairs;
        std::lock_guard lock(mu);
        records.push_back(std::move(r));
      }
      ++finished;
    });
  }

  ready.wait();
  result.clock_offset_s = experiment_t0_offset_s + result.setup_s;
  Sampler sampler(*target, result.clock_offset_s);
  const auto m0 = target->metrics();
  sampler.start(m0);
  t0 = Clock::now();
  go.count_down();
  double next_sample = sample_ms / 1000.0;
  uint64_t peak_rss = 0;
  const auto take_sample = [&](double now_s, bool merge) {
    std::lock_guard lock(mu);
    if (merge) result.samples.pop_back();
    result.samples.push_back(sampler.take(now_s, records, merge));
    peak_rss = std::max(peak_rss, static_cast<uint64_t>(result.samples.back().rss_mb * 1048576.0));
  };
  while (finished.load() < clients) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    progress.update(pairs_before + pairs_done.load());
    const double now_s = secs(t0, Clock::now());
    if (now_s >= next_sample) {
      take_sample(now_s, false);
      next_sample = now_s + sample_ms / 1000.0;
    }
  }
  for (auto& t : threads) t.join();
  const double end_s = secs(t0, Clock::now());
  if (records.size() > sampler.sampled() || result.samples.empty()) {
    const bool short_tail =
        !result.samples.empty() && (end_s - sampler.last_t()) * 2000.0 < sample_ms;
    take_sample(end_s, short_tail);
  }
  progress.update(pairs_before + pairs_done.load());

  result.requests = std::move(records);
  std::sort(result.requests.begin(), result.requests.end(),
            [](const RequestRecord& a, const RequestRecord& b) { return a.start_s < b.start_s; });
  double wall = 0;
  for (const auto& r : result.requests) wall = std::max(wall, r.start_s + r.latency_ms / 1e3);
  result.wall_s = wall > 0 ? wall : end_s;
  const auto m1 = target->metrics();
  if (m0 && m1) account_service(result, *m0, *m1);
  result.service.peak_rss_bytes = peak_rss;

  // One log line per config, also when stderr is not a terminal.
  std::vector<double> lat;
  size_t failed = 0, pairs = 0;
  for (const auto& r : result.requests) {
    if (r.ok) {
      lat.push_back(r.latency_ms);
      pairs += r.pairs;
    } else {
      ++failed;
    }
  }
  const Summary s = summarize(lat);
  progress.skip(config.planned_pairs() - std::min(config.planned_pairs(), pairs));
  std::ostringstream line;
  line << tag << desc << ": " << pairs << " pairs in " << fmt("%.2f", result.wall_s)
       << "s = " << fmt("%.1f", pairs / std::max(1e-9, result.wall_s)) << " pairs/s, latency avg "
       << fmt("%.1f", s.avg) << " ms, p95 " << fmt("%.1f", s.p95) << " ms";
  if (failed > 0) {
    std::string first;
    for (const auto& r : result.requests) {
      if (!r.ok) {
        first = r.error;
        break;
      }
    }
    line << ", " << failed << " failed (" << first << ")";
  }
  progress.note(line.str());
  return result;
}

ExperimentResult run_experiment(const Experiment& experiment, const Dataset& data,
                                ProgressBar& progress) {
  ExperimentResult out;
  out.experiment = experiment;
  out.timestamp = timestamp_now();
  out.host = host_info();
  out.dataset_queries = data.queries();
  out.dataset_pairs = data.pairs();
  const auto t0 = Clock::now();
  size_t done = 0;
  const int n = static_cast<int>(experiment.runs.size());
  for (int i = 0; i < n; ++i) {
    RunResult r = run_config(experiment.runs[static_cast<size_t>(i)], i + 1, n, data,
                             experiment.sample_ms, secs(t0, Clock::now()), done, progress);
    for (const auto& q : r.requests) {
      if (q.ok) done += q.pairs;
    }
    out.runs.push_back(std::move(r));
  }
  progress.finish();
  out.total_s = secs(t0, Clock::now());
  out.host.load_after = load_average_1m();
  return out;
}

}  // namespace crossenc::bench
