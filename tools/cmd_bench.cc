// crossenc bench: the peers rig's engine contract (one JSON line of throughput on stdout), and
// serving experiments (bench/experiments/*.yaml) run by the harness into Markdown/HTML/JSON.
//   crossenc bench --model M --pairs FILE --batch N --threads N --limit N --warmup N [--sort]
//                  [--logits-out FILE] [--ref FILE]
//   crossenc bench --experiment bench/experiments/X.yaml [--out DIR] [--set key=value ...]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli_common.h"
#include "commands.h"
#include "dataset.h"
#include "experiment.h"
#include "progress.h"
#include "report.h"
#include "runner.h"

namespace crossenc::cli {

namespace {
std::vector<double> read_reference(const std::string& path) {
  std::ifstream in;
  open_input(path, in);
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line[0] == '{') {
      const auto v = ordered_json::parse(line);
      const auto& x = v.contains("logit")    ? v["logit"]
                      : v.contains("logits") ? v["logits"]
                                             : v["score"];
      out.push_back(x.is_array() ? x[0].get<double>() : x.get<double>());
    } else {
      out.push_back(std::stod(line));
    }
  }
  return out;
}

struct BenchArgs {
  CLI::App* app = nullptr;
  EngineArgs engine;
  std::string pairs, logits_out, ref;
  int limit = 0, warmup = 2;
  bool sort = false;
  // --experiment mode.
  std::string experiment, out_dir, target;
  std::vector<std::string> sets;
  int concurrency = 0, requests = 0, replicas = 0, timeout_ms = -1, repeat = 1;
  double scale = 0;
  bool list = false, progress = false, no_progress = false;
};

void add_experiment_options(CLI::App* app, BenchArgs& a) {
  const char* g = "Experiment";
  app->add_option("--experiment", a.experiment, "run this experiment YAML (bench/experiments/)")
      ->group(g);
  app->add_option("--out", a.out_dir, "report folder (default: bench/results/<experiment name>)")
      ->group(g);
  app->add_option("--set", a.sets,
                  "override any field: key.path=value (repeatable), e.g. "
                  "--set service.timeout_ms=5 --set load.requests=20")
      ->group(g);
  app->add_option("--target", a.target, "inprocess | http://127.0.0.1:PORT | grpc://127.0.0.1:PORT")
      ->group(g);
  app->add_option("--concurrency", a.concurrency, "client threads (load.concurrency)")->group(g);
  app->add_option("--requests", a.requests, "requests per client (load.requests)")->group(g);
  app->add_option("--scale", a.scale, "multiply every config's request count (longer runs)")
      ->group(g);
  app->add_option("--repeat", a.repeat,
                  "run the whole config list N times, interleaved, and "
                  "report the spread (noisy machines)")
      ->group(g);
  app->add_option("--replicas", a.replicas, "engine replicas (service.replicas)")->group(g);
  app->add_option("--timeout-ms", a.timeout_ms, "batching timeout (service.timeout_ms)")->group(g);
  app->add_flag("--list", a.list, "print the expanded configs and exit")->group(g);
  app->add_flag("--progress", a.progress, "draw the progress bar even when not a terminal")
      ->group(g);
  app->add_flag("--no-progress", a.no_progress, "never draw the progress bar")->group(g);
}

// A string as a single-quoted YAML scalar, so paths and URLs are never read as YAML syntax.
std::string yaml_str(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Flags given on the command line, as experiment overrides (they win over the YAML).
std::vector<bench::Override> experiment_overrides(const BenchArgs& a) {
  std::vector<bench::Override> o;
  const auto given = [&](const char* flag) { return a.app->get_option(flag)->count() > 0; };
  const EngineArgs& e = a.engine;
  if (given("--model")) o.emplace_back("model", yaml_str(e.model));
  if (given("--backend")) o.emplace_back("engine.backend", yaml_str(e.backend));
  if (given("--gemm")) o.emplace_back("engine.gemm", yaml_str(e.gemm));
  if (given("--dtype")) o.emplace_back("engine.dtype", yaml_str(e.dtype));
  if (given("--threads")) o.emplace_back("engine.threads", std::to_string(e.threads));
  if (given("--max-length")) o.emplace_back("engine.max_length", std::to_string(e.max_length));
  if (given("--device")) o.emplace_back("engine.device", std::to_string(e.device));
  if (given("--batch-size"))
    o.emplace_back("service.max_batch_pairs", std::to_string(e.batch_size));
  if (given("--max-batch-tokens")) {
    o.emplace_back("service.max_batch_tokens", std::to_string(e.max_batch_tokens));
  }
  if (given("--batch")) o.emplace_back("load.batch", std::to_string(e.batch_size));
  if (given("--warmup")) o.emplace_back("load.warmup", std::to_string(a.warmup));
  if (given("--target")) o.emplace_back("target", yaml_str(a.target));
  if (given("--concurrency")) o.emplace_back("load.concurrency", std::to_string(a.concurrency));
  if (given("--requests")) {
    o.emplace_back("load.requests", std::to_string(a.requests));
    o.emplace_back("load.total_requests", "0");  // R per client, as asked
    o.emplace_back("load.total_pairs", "0");
  }
  if (given("--scale")) o.emplace_back("scale", std::to_string(a.scale));
  if (given("--repeat")) o.emplace_back("repeat", std::to_string(a.repeat));
  if (given("--replicas")) o.emplace_back("service.replicas", std::to_string(a.replicas));
  if (given("--timeout-ms")) o.emplace_back("service.timeout_ms", std::to_string(a.timeout_ms));
  for (const auto& s : a.sets) o.push_back(bench::parse_override(s));
  return o;
}

int run_experiment_command(const BenchArgs& a) {
  if (a.app->get_option("--batch")->count() > 0 && a.app->get_option("--batch-size")->count() > 0) {
    // Both name the same variable in peers mode; here they differ, so be explicit.
    throw Error(
        "with --experiment, --batch is pairs per request and --batch-size pairs per "
        "forward pass; give them as --set load.batch=N / --set service.max_batch_pairs=N");
  }
  const bench::Experiment ex = bench::load_experiment(a.experiment, experiment_overrides(a));
  const size_t total = bench::planned_pairs(ex);
  std::fprintf(stderr, "experiment %s: %zu configs, %zu pairs planned\n", ex.name.c_str(),
               ex.runs.size(), total);
  if (a.list) {
    for (size_t i = 0; i < ex.runs.size(); ++i) {
      const auto& r = ex.runs[i];
      std::printf("%zu. batch=%d conc=%d %s\n   model=%s, %s\n", i + 1, r.load.batch,
                  r.load.concurrency, r.label.c_str(), r.model.c_str(), r.describe().c_str());
    }
    return 0;
  }
  const bench::Dataset data = bench::Dataset::load(ex.data_files);
  const bool bar = !a.no_progress && (a.progress || ::isatty(2));
  bench::ProgressBar progress(total, bar);
  bench::ExperimentResult result = bench::run_experiment(ex, data, progress);
  result.tool_version = "0.1.0";
  const std::string dir = a.out_dir.empty() ? "bench/results/" + ex.name : a.out_dir;
  bench::write_report(result, dir);
  size_t ok = 0;
  for (const auto& r : result.runs) ok += r.error.empty() ? 1 : 0;
  std::printf("wrote %s/report.md, report.html, report.json (%zu of %zu configs ran, %.1fs)\n",
              dir.c_str(), ok, result.runs.size(), result.total_s);
  return ok == result.runs.size() ? 0 : 1;
}

}  // namespace

Command add_bench(CLI::App& root) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* app = root.add_subcommand(
      "bench",
      "Throughput benchmark on a JSONL pairs file (tokenized or raw); prints one JSON line "
      "({engine, threads, batch, sorted, pairs, seconds, pairs_per_s, p50_batch_ms, ...}) in the "
      "format of the peers rig, so runs can be compared with ONNX Runtime and PyTorch.\n"
      "With --experiment instead of --pairs: runs a serving experiment (bench/experiments/*.yaml: "
      "client threads sending requests of DL19/DL20 pairs to the in-process Service or a server) "
      "and writes report.md, report.html and report.json; the engine flags below and --set "
      "override the experiment's fields.");
  args->app = app;
  add_engine_options(app, args->engine, /*model_required=*/false);
  add_profile_flag(app, args->engine);
  app->add_option("--pairs", args->pairs,
                  "JSONL pairs (input_ids/token_type_ids or query/passage)");
  app->add_option("--batch", args->engine.batch_size, "pairs per batch")->capture_default_str();
  app->add_option("--limit", args->limit, "first N pairs (0 = all)");
  app->add_option("--warmup", args->warmup, "untimed batches first")->capture_default_str();
  app->add_flag("--sort", args->sort, "stable-sort pairs by length before cutting batches");
  app->add_option("--logits-out", args->logits_out, "write one logit per line, input order");
  app->add_option("--ref", args->ref, "reference logits (one per line or JSONL with \"logit\")");
  add_experiment_options(app, *args);
  return {
      app, [args] {
        if (!args->experiment.empty()) {
          if (!args->pairs.empty()) throw Error("give --pairs or --experiment, not both");
          if (args->engine.profile) throw Error("--profile goes with --pairs, not --experiment");
          return run_experiment_command(*args);
        }
        if (args->pairs.empty()) {
          throw Error("give --pairs FILE (peers contract) or --experiment FILE.yaml");
        }
        if (args->engine.model.empty()) throw Error("--model is required with --pairs");
        auto lines = read_jsonl(args->pairs);
        if (args->limit > 0 && static_cast<size_t>(args->limit) < lines.size()) {
          lines.resize(args->limit);
        }
        Engine engine = open_engine(args->engine);
        std::vector<Encoding> enc;
        for (auto& l : lines) {
          auto p = pair_from_line(l);
          if (!p) throw Error(args->pairs + ":" + std::to_string(l.line_no) + ": " + l.error);
          enc.push_back(p->encoding ? *p->encoding : engine.tokenize(p->query, p->passage));
        }
        std::vector<size_t> order(enc.size());
        std::iota(order.begin(), order.end(), 0);
        if (args->sort) {
          std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return enc[a].input_ids.size() < enc[b].input_ids.size();
          });
        }
        const size_t bs = static_cast<size_t>(std::max(1, args->engine.batch_size));
        std::vector<std::vector<Encoding>> batches;
        for (size_t i = 0; i < order.size(); i += bs) {
          std::vector<Encoding> b;
          for (size_t j = i; j < std::min(order.size(), i + bs); ++j) b.push_back(enc[order[j]]);
          batches.push_back(std::move(b));
        }
        for (int w = 0; w < args->warmup && w < static_cast<int>(batches.size()); ++w) {
          engine.score_encoded(batches[w]);
        }
        std::vector<float> logits(enc.size());
        std::vector<double> batch_ms;
        Progress progress(enc.size(), false);
        const auto t0 = std::chrono::steady_clock::now();
        size_t done = 0;
        for (size_t b = 0; b < batches.size(); ++b) {
          const auto tb = std::chrono::steady_clock::now();
          const auto s = engine.score_encoded(batches[b]);
          batch_ms.push_back(seconds_since(tb) * 1e3);
          for (size_t j = 0; j < s.size(); ++j) logits[order[b * bs + j]] = s[j];
          done += s.size();
          progress.update(done);
        }
        const double seconds = seconds_since(t0);
        progress.finish();
        size_t tokens = 0, padded = 0;
        for (const auto& b : batches) {
          size_t longest = 0;
          for (const auto& e : b) {
            tokens += e.input_ids.size();
            longest = std::max(longest, e.input_ids.size());
          }
          padded += longest * b.size();
        }
        std::vector<double> sorted_ms = batch_ms;
        std::sort(sorted_ms.begin(), sorted_ms.end());
        const EngineInfo& info = engine.info();
        ordered_json out = {
            {"engine", "crossenc-0.1-" + info.backend + "-" + std::string(dtype_name(info.dtype))},
            {"threads", args->engine.threads},
            {"batch", bs},
            {"sorted", args->sort},
            {"pairs", enc.size()},
            {"seconds", seconds},
            {"pairs_per_s", enc.size() / seconds},
            {"p50_batch_ms", sorted_ms.empty() ? 0.0 : sorted_ms[(sorted_ms.size() - 1) / 2]},
            {"tokens", tokens},
            {"padded_tokens", tokens},
            {"padding_baseline_tokens", padded},
            {"version", "0.1.0"},
            {"device", info.device}};
        if (!args->logits_out.empty()) {
          OutputFile f(args->logits_out);
          char buf[32];
          for (float v : logits) {
            std::snprintf(buf, sizeof buf, "%.9g", v);
            f.write_line(buf);
          }
          f.commit();
        }
        if (!args->ref.empty()) {
          const auto ref = read_reference(args->ref);
          if (ref.size() < logits.size()) throw Error("reference has fewer values than pairs");
          double diff = 0;
          for (size_t i = 0; i < logits.size(); ++i)
            diff = std::max(diff, std::fabs(logits[i] - ref[i]));
          out["max_abs_diff"] = diff;
        }
        std::printf("%s\n", out.dump().c_str());
        print_profile(engine, args->engine);
        return 0;
      }};
}

}  // namespace crossenc::cli
