// Bounded load test of the server: concurrent gRPC and HTTP clients on loopback, every response
// checked; prints p50/p99 latency and pairs/s next to the same load run in-process.
//
//   ninja crossenc_load_test
//   crossenc_load_test --model minilm-l6-random.cenc --pairs shared/golden/scores_l6_dl19.jsonl
//       [--clients 64] [--duration 60] [--batch 32] [--threads 0] [--replicas 1]
//       [--phases inprocess,grpc,http,overload] [--overload-duration 10] [--tolerance 1e-4]
//
// The pairs file is JSONL with "query" and "passage" (and "logit": the expected score, checked
// too). Clients send windows of --batch consecutive pairs; each response is compared with the
// scores the serving core gave the same window before the run. Exit code 1 on any error other
// than the deliberate 429s of the overload phase, or on a wrong score.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/serving.h"
#include "inference.grpc.pb.h"
#include "server.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using crossenc::Pair;

struct Args {
  std::string model, pairs;
  int clients = 64, batch = 32, threads = 0, replicas = 1, limit = 0;
  double duration_s = 60, overload_duration_s = 10, tolerance = 1e-4;
  std::string phases = "inprocess,grpc,http,overload";
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "error: %s\nusage: crossenc_load_test --model M --pairs FILE.jsonl [--clients N] "
               "[--duration S] [--batch N] [--threads N] [--replicas N] [--limit N] "
               "[--phases inprocess,grpc,http,overload] [--overload-duration S] "
               "[--tolerance X]\n",
               why);
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + key).c_str());
    const std::string v = argv[++i];
    if (key == "--model")
      a.model = v;
    else if (key == "--pairs")
      a.pairs = v;
    else if (key == "--clients")
      a.clients = std::stoi(v);
    else if (key == "--batch")
      a.batch = std::stoi(v);
    else if (key == "--threads")
      a.threads = std::stoi(v);
    else if (key == "--replicas")
      a.replicas = std::stoi(v);
    else if (key == "--limit")
      a.limit = std::stoi(v);
    else if (key == "--duration")
      a.duration_s = std::stod(v);
    else if (key == "--overload-duration")
      a.overload_duration_s = std::stod(v);
    else if (key == "--tolerance")
      a.tolerance = std::stod(v);
    else if (key == "--phases")
      a.phases = v;
    else
      usage(("unknown option " + key).c_str());
  }
  if (a.model.empty() || a.pairs.empty()) usage("--model and --pairs are required");
  if (a.clients < 1 || a.batch < 1 || a.duration_s <= 0) usage("bad --clients/--batch/--duration");
  return a;
}

struct Window {
  std::vector<Pair> pairs;
  std::vector<double> golden;  // from the file, when it has "logit"
  std::vector<float> expected;
  std::string http_body;  // POST /score
  inference::InferRequest grpc_request;
};

std::vector<Window> load_windows(const Args& a) {
  std::ifstream in(a.pairs);
  if (!in) usage(("cannot read " + a.pairs).c_str());
  std::vector<Pair> pairs;
  std::vector<double> logits;
  for (std::string line; std::getline(in, line) && (a.limit == 0 || int(pairs.size()) < a.limit);) {
    if (line.empty()) continue;
    const json v = json::parse(line);
    pairs.push_back({v.at("query").get<std::string>(), v.at("passage").get<std::string>()});
    logits.push_back(v.contains("logit") ? v["logit"].get<double>() : NAN);
  }
  std::vector<Window> windows;
  for (size_t start = 0; start + a.batch <= pairs.size(); start += a.batch) {
    Window w;
    json body = json::array();
    for (size_t i = start; i < start + a.batch; ++i) {
      w.pairs.push_back(pairs[i]);
      w.golden.push_back(logits[i]);
      body.push_back({pairs[i].query, pairs[i].passage});
      auto* p = w.grpc_request.add_pairs();
      p->set_query(pairs[i].query);
      p->set_document(pairs[i].passage);
    }
    w.http_body = json{{"pairs", body}}.dump();
    windows.push_back(std::move(w));
  }
  if (windows.empty()) usage("fewer pairs in the file than --batch");
  return windows;
}

// What one request ended in.
struct Outcome {
  enum Kind { kOk, kOverloaded, kError } kind = kError;
  std::vector<float> scores;
  std::string error;
};

struct PhaseResult {
  std::string name;
  uint64_t ok = 0, pairs = 0, overloaded = 0, errors = 0, wrong = 0;
  double wall_s = 0;
  std::vector<double> latencies_ms;  // successful requests
  std::vector<std::string> samples;  // first few errors
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * double(v.size())));
  return v[i];
}

// `clients` threads call `send(client, window)` back to back until the deadline; the last
// request of each is awaited (bounded by the clients' own timeouts).
PhaseResult run_phase(const std::string& name, int clients, double duration_s,
                      const std::vector<Window>& windows, double tolerance,
                      const std::function<Outcome(int, const Window&)>& send) {
  PhaseResult r;
  r.name = name;
  std::mutex mutex;
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(duration_s);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      PhaseResult local;
      for (size_t k = 0; Clock::now() < deadline; ++k) {
        const Window& w = windows[(static_cast<size_t>(c) * 7 + k) % windows.size()];
        const auto start = Clock::now();
        Outcome o = send(c, w);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (o.kind == Outcome::kOverloaded) {
          ++local.overloaded;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a polite client backs off
          continue;
        }
        if (o.kind == Outcome::kError) {
          ++local.errors;
          if (local.samples.size() < 3) {
            char where[96];
            std::snprintf(where, sizeof(where), "client %d, request %zu, t=%.2fs, %.0f ms: ", c, k,
                          std::chrono::duration<double>(start - t0).count(), ms);
            local.samples.push_back(where + o.error);
          }
          continue;
        }
        bool right = o.scores.size() == w.expected.size();
        for (size_t i = 0; right && i < o.scores.size(); ++i) {
          right = std::fabs(o.scores[i] - w.expected[i]) <=
                  tolerance * std::max(1.0f, std::fabs(w.expected[i]));
        }
        if (!right) {
          ++local.wrong;
          if (local.samples.size() < 3) local.samples.push_back("wrong scores");
          continue;
        }
        ++local.ok;
        local.pairs += o.scores.size();
        local.latencies_ms.push_back(ms);
      }
      std::lock_guard lock(mutex);
      r.ok += local.ok;
      r.pairs += local.pairs;
      r.overloaded += local.overloaded;
      r.errors += local.errors;
      r.wrong += local.wrong;
      r.latencies_ms.insert(r.latencies_ms.end(), local.latencies_ms.begin(),
                            local.latencies_ms.end());
      for (auto& s : local.samples) {
        if (r.samples.size() < 5) r.samples.push_back(s);
      }
    });
  }
  for (auto& t : threads) t.join();
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

void print_result(const PhaseResult& r) {
  std::printf("%-10s %8llu %9llu %8.1f %10.1f %10.1f %6llu %6llu %6llu\n", r.name.c_str(),
              static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.pairs),
              double(r.pairs) / r.wall_s, percentile(r.latencies_ms, 50),
              percentile(r.latencies_ms, 99), static_cast<unsigned long long>(r.overloaded),
              static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.wrong));
  for (const auto& s : r.samples) std::printf("           e.g. %s\n", s.c_str());
  std::fflush(stdout);
}

Outcome grpc_send(inference::InferenceService::Stub& stub, const Window& w, double timeout_s) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  // Ride out a connection attempt that fails while 64 channels connect at once, as a
  // production client would, instead of failing fast during the reconnect backoff.
  context.set_wait_for_ready(true);
  inference::InferResponse response;
  const grpc::Status s = stub.Infer(&context, w.grpc_request, &response);
  Outcome o;
  if (s.ok() && response.status_code() == 200) {
    o.kind = Outcome::kOk;
    o.scores.assign(response.scores().begin(), response.scores().end());
  } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    o.kind = Outcome::kOverloaded;
  } else {
    o.error = "gRPC " + std::to_string(s.error_code()) + ": " + s.error_message();
  }
  return o;
}

Outcome http_send(httplib::Client& client, const Window& w) {
  Outcome o;
  auto res = client.Post("/score", w.http_body, "application/json");
  if (!res) {
    o.error = "HTTP transport: " + httplib::to_string(res.error());
    return o;
  }
  const json body = json::parse(res->body, nullptr, false);
  if (res->status == 429 && body.is_object() && body.value("error_type", "") == "overloaded") {
    o.kind = Outcome::kOverloaded;
  } else if (res->status == 200 && body.is_object() && body.contains("scores")) {
    o.kind = Outcome::kOk;
    o.scores = body["scores"].get<std::vector<float>>();
  } else {
    o.error = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace crossenc;
  const Args a = parse_args(argc, argv);
  std::vector<Window> windows = load_windows(a);
  const auto has = [&](const char* phase) { return a.phases.find(phase) != std::string::npos; };

  Service service(
      a.model, {.threads = a.threads},
      {.max_batch_pairs = a.batch, .replicas = a.replicas, .threads_per_replica = a.threads});
  std::printf("model %s: %s, %s; %zu windows of %d pairs; %d clients, %.0f s per phase\n",
              a.model.c_str(), service.info().backend.c_str(), service.info().device.c_str(),
              windows.size(), a.batch, a.clients, a.duration_s);

  // Expected scores: each window once, through the serving core; golden logits when given.
  double worst_golden = 0;
  for (Window& w : windows) {
    w.expected = service.score(w.pairs);
    for (size_t i = 0; i < w.golden.size(); ++i) {
      if (!std::isnan(w.golden[i])) {
        worst_golden = std::max(worst_golden, std::fabs(double(w.expected[i]) - w.golden[i]));
      }
    }
  }
  std::printf("expected scores ready; max |score - file logit| = %.2e\n", worst_golden);
  bool failed = worst_golden > a.tolerance;
  const double timeout_s = a.duration_s + 600;

  std::printf("\n%-10s %8s %9s %8s %10s %10s %6s %6s %6s\n", "phase", "requests", "pairs",
              "pairs/s", "p50 ms", "p99 ms", "429s", "errors", "wrong");
  std::vector<PhaseResult> results;
  const auto check = [&](const PhaseResult& r, bool allow_429) {
    print_result(r);
    if (r.errors || r.wrong || (!allow_429 && r.overloaded) || r.ok == 0) failed = true;
    results.push_back(r);
  };

  if (has("inprocess")) {
    check(run_phase("inprocess", a.clients, a.duration_s, windows, a.tolerance,
                    [&](int, const Window& w) {
                      Outcome o;
                      try {
                        o.scores = service.score(w.pairs);
                        o.kind = Outcome::kOk;
                      } catch (const OverloadedError&) {
                        o.kind = Outcome::kOverloaded;
                      } catch (const std::exception& e) {
                        o.error = e.what();
                      }
                      return o;
                    }),
          false);
  }

  const auto serve = [&](int max_concurrent) {
    return std::make_unique<server::Server>(
        service, server::ServerOptions{.host = "127.0.0.1",
                                       .grpc_port = 0,
                                       .http_port = 0,
                                       .max_concurrent_requests = max_concurrent,
                                       .http_threads = a.clients + 8,
                                       .http_read_timeout_s = static_cast<int>(timeout_s)});
  };
  const auto grpc_stubs = [&](int port) {
    std::vector<std::unique_ptr<inference::InferenceService::Stub>> stubs;
    for (int c = 0; c < a.clients; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("crossenc.load_test.client", c);  // a connection per client, like real ones
      stubs.push_back(inference::InferenceService::NewStub(grpc::CreateCustomChannel(
          "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args)));
    }
    return stubs;
  };
  const auto http_clients = [&](int port) {
    std::vector<std::unique_ptr<httplib::Client>> clients;
    for (int c = 0; c < a.clients; ++c) {
      clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
      clients.back()->set_read_timeout(static_cast<time_t>(timeout_s), 0);
      clients.back()->set_keep_alive(true);
    }
    return clients;
  };

  if (has("grpc") || has("http")) {
    auto srv = serve(512);
    if (has("grpc")) {
      auto stubs = grpc_stubs(srv->grpc_port());
      check(run_phase("grpc", a.clients, a.duration_s, windows, a.tolerance,
                      [&](int c, const Window& w) { return grpc_send(*stubs[c], w, timeout_s); }),
            false);
    }
    if (has("http")) {
      auto clients = http_clients(srv->http_port());
      check(run_phase("http", a.clients, a.duration_s, windows, a.tolerance,
                      [&](int c, const Window& w) { return http_send(*clients[c], w); }),
            false);
    }
  }

  // Deliberate overload: a quarter of the clients fit; the rest must get clean 429s /
  // RESOURCE_EXHAUSTED, and every admitted request must still be right.
  if (has("overload")) {
    auto srv = serve(std::max(1, a.clients / 4));
    auto stubs = grpc_stubs(srv->grpc_port());
    auto clients = http_clients(srv->http_port());
    PhaseResult r =
        run_phase("overload", a.clients, a.overload_duration_s, windows, a.tolerance,
                  [&](int c, const Window& w) {
                    return c % 2 ? grpc_send(*stubs[c], w, timeout_s) : http_send(*clients[c], w);
                  });
    if (r.overloaded == 0) {
      r.samples.push_back("no 429 although clients exceeded --max-concurrent-requests");
      ++r.errors;
    }
    check(r, true);
  }

  const MetricsSnapshot m = service.metrics();
  std::printf(
      "\nserving core: %llu requests, %llu pairs, %.1f pairs/batch, %.1f tokens/batch, "
      "padded-baseline waste %.1f%%, RSS %.0f MB\n",
      static_cast<unsigned long long>(m.requests), static_cast<unsigned long long>(m.pairs),
      m.avg_batch_pairs, m.avg_batch_tokens, m.padded_baseline_waste_pct,
      double(m.rss_bytes) / 1e6);
  for (const auto& r : results) {
    json line = {{"phase", r.name},
                 {"clients", a.clients},
                 {"batch", a.batch},
                 {"seconds", r.wall_s},
                 {"requests", r.ok},
                 {"pairs", r.pairs},
                 {"pairs_per_s", double(r.pairs) / r.wall_s},
                 {"p50_ms", percentile(r.latencies_ms, 50)},
                 {"p99_ms", percentile(r.latencies_ms, 99)},
                 {"overloaded", r.overloaded},
                 {"errors", r.errors},
                 {"wrong", r.wrong}};
    std::printf("%s\n", line.dump().c_str());
  }
  std::printf("%s\n", failed ? "FAILED" : "OK");
  service.shutdown();
  return failed ? 1 : 0;
}
