// crossenc bench: the peers rig's engine contract (one JSON line of throughput on stdout).
//   crossenc bench --model M --pairs FILE --batch N --threads N --limit N --warmup N [--sort]
//                  [--logits-out FILE] [--ref FILE]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli_common.h"
#include "commands.h"

namespace crossenc::cli {

namespace {
std::vector<double> read_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read reference '" + path + "'");
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line[0] == '{') {
      const auto v = ordered_json::parse(line);
      const auto& x = v.contains("logit") ? v["logit"] : v.contains("logits") ? v["logits"] : v["score"];
      out.push_back(x.is_array() ? x[0].get<double>() : x.get<double>());
    } else {
      out.push_back(std::stod(line));
    }
  }
  return out;
}
}  // namespace

Command add_bench(CLI::App& root) {
  struct Args {
    EngineArgs engine;
    std::string pairs, logits_out, ref;
    int limit = 0, warmup = 2;
    bool sort = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = root.add_subcommand(
      "bench",
      "Throughput benchmark on a JSONL pairs file (tokenized or raw); prints one JSON line "
      "({engine, threads, batch, sorted, pairs, seconds, pairs_per_s, p50_batch_ms, ...}) in the "
      "format of the peers rig, so runs can be compared with ONNX Runtime and PyTorch.");
  add_engine_options(app, args->engine);
  app->add_option("--pairs", args->pairs, "JSONL pairs (input_ids/token_type_ids or query/passage)")
      ->required();
  app->add_option("--batch", args->engine.batch_size, "pairs per batch")->capture_default_str();
  app->add_option("--limit", args->limit, "first N pairs (0 = all)");
  app->add_option("--warmup", args->warmup, "untimed batches first")->capture_default_str();
  app->add_flag("--sort", args->sort, "stable-sort pairs by length before cutting batches");
  app->add_option("--logits-out", args->logits_out, "write one logit per line, input order");
  app->add_option("--ref", args->ref, "reference logits (one per line or JSONL with \"logit\")");
  return {app, [args] {
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
            ordered_json out = {{"engine", "crossenc-0.1-" + info.backend + "-" +
                                               std::string(dtype_name(info.dtype))},
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
              for (size_t i = 0; i < logits.size(); ++i) diff = std::max(diff, std::fabs(logits[i] - ref[i]));
              out["max_abs_diff"] = diff;
            }
            std::printf("%s\n", out.dump().c_str());
            return 0;
          }};
}

}  // namespace crossenc::cli
