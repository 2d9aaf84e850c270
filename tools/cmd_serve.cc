// crossenc serve: the gRPC (inference.InferenceService) + HTTP (TEI / Cohere rerank) server.
#include <cstdio>
#include <memory>
#include <sstream>

#include "cli_common.h"
#include "commands.h"

#ifdef CROSSENC_HAVE_SERVER
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <vector>

#include "crossenc/serving.h"
#include "server.h"
#endif

namespace crossenc::cli {

#ifdef CROSSENC_HAVE_SERVER
namespace {

struct ServeArgs {
  EngineArgs engine;
  std::vector<std::string> model_specs;  // --model, repeatable
  server::ServerOptions server;
  server::AccessOptions access;
  ServiceOptions service;
  int max_input_length = 0;
  std::string replica_backends;  // comma-separated
  std::string api_key_file;
  bool no_dynamic_batching = false, no_length_aware = false;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// --api-key, else --api-key-file (first line), else $CROSSENC_API_KEY; "" leaves the server open.
void resolve_api_key(ServeArgs& a) {
  if (!a.access.api_key.empty() && !a.api_key_file.empty()) {
    throw Error("give --api-key or --api-key-file, not both");
  }
  if (!a.api_key_file.empty()) {
    std::ifstream in(a.api_key_file);
    if (!in) throw Error("cannot read --api-key-file " + a.api_key_file);
    std::getline(in, a.access.api_key);
    while (!a.access.api_key.empty() &&
           std::isspace(static_cast<unsigned char>(a.access.api_key.back()))) {
      a.access.api_key.pop_back();
    }
    if (a.access.api_key.empty()) throw Error("--api-key-file " + a.api_key_file + " is empty");
  } else if (a.access.api_key.empty()) {
    if (const char* env = std::getenv("CROSSENC_API_KEY")) a.access.api_key = env;
  }
}

// Engine flags that also steer the serving core, and the TEI-named aliases.
void reconcile(ServeArgs& a) {
  resolve_api_key(a);
  if (a.max_input_length > 0) {
    if (a.engine.max_length > 0 && a.engine.max_length != a.max_input_length) {
      throw Error("--max-input-length and --max-length disagree; give one of them");
    }
    a.engine.max_length = a.max_input_length;
  }
  a.service.max_batch_pairs = a.engine.batch_size;
  if (a.engine.max_batch_tokens > 0) a.service.max_batch_tokens = a.engine.max_batch_tokens;
  if (a.engine.max_length > 0 && a.service.max_batch_tokens < a.engine.max_length) {
    throw Error("--max-batch-tokens (" + std::to_string(a.service.max_batch_tokens) +
                ") must be >= --max-input-length (" + std::to_string(a.engine.max_length) +
                "): one full-length pair must fit in a batch");
  }
  if (a.service.max_queued_pairs < static_cast<size_t>(a.server.max_client_batch_size)) {
    throw Error("--max-queued-pairs (" + std::to_string(a.service.max_queued_pairs) +
                ") must be >= --max-client-batch-size (" +
                std::to_string(a.server.max_client_batch_size) + "): a full request must fit");
  }
  a.service.replica_backends = split_list(a.replica_backends);
  a.service.dynamic_batching = !a.no_dynamic_batching;
  a.service.length_aware = !a.no_length_aware;
}

// One --model: PATH, or NAME=PATH[,dtype=D][,replicas=N][,backend=B][,threads=T], each key
// overriding the flag of the same name for this model.
struct ModelSpec {
  std::string name;  // "" : --model-id or the file name
  EngineArgs engine;
  ServiceOptions service;
};

bool is_model_name(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

int spec_int(const std::string& spec, const std::string& key, const std::string& value, int lo,
             int hi) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || v < lo || v > hi) {
    throw Error("--model " + spec + ": " + key + " must be an integer in [" + std::to_string(lo) +
                ", " + std::to_string(hi) + "], not \"" + value + "\"");
  }
  return v;
}

ModelSpec parse_model_spec(const std::string& spec, const ServeArgs& a) {
  ModelSpec m{"", a.engine, a.service};
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || !is_model_name(std::string_view(spec).substr(0, eq))) {
    m.engine.model = spec;  // a plain path
    return m;
  }
  m.name = spec.substr(0, eq);
  std::vector<std::string> parts = split_list(spec.substr(eq + 1));
  if (parts.empty()) throw Error("--model " + spec + ": no model path after \"" + m.name + "=\"");
  m.engine.model = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t kv = parts[i].find('=');
    const std::string key = parts[i].substr(0, kv);
    const std::string value = kv == std::string::npos ? "" : parts[i].substr(kv + 1);
    if (kv == std::string::npos || value.empty()) {
      throw Error("--model " + spec + ": \"" + parts[i] + "\" is not KEY=VALUE");
    }
    if (key == "dtype") {
      m.engine.dtype = value;
    } else if (key == "backend") {
      m.engine.backend = value;
    } else if (key == "replicas") {
      m.service.replicas = spec_int(spec, key, value, 1, 256);
    } else if (key == "threads") {
      m.engine.threads = spec_int(spec, key, value, 0, 4096);
    } else {
      throw Error("--model " + spec + ": unknown key \"" + key +
                  "\" (known: dtype, backend, replicas, threads)");
    }
  }
  return m;
}

std::vector<ModelSpec> model_specs(const ServeArgs& a) {
  std::vector<ModelSpec> specs;
  for (const std::string& s : a.model_specs) specs.push_back(parse_model_spec(s, a));
  const bool named =
      std::any_of(specs.begin(), specs.end(), [](const ModelSpec& m) { return !m.name.empty(); });
  if (specs.size() > 1) {
    for (const ModelSpec& m : specs) {
      if (m.name.empty()) {
        throw Error("several models are served: name each one, --model NAME=PATH (\"" +
                    m.engine.model + "\" has no name)");
      }
    }
  }
  if (named && !a.server.model_id.empty()) {
    throw Error("--model-id names an unnamed --model; with NAME=PATH the name is NAME");
  }
  return specs;
}

std::string endpoint(const std::string& host, int port) {
  if (port < 0) return "off";
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int serve(ServeArgs& a) {
  reconcile(a);
  // Before any thread exists, so that every thread inherits the mask and the signal reaches
  // wait_for_termination_signal() instead of killing the process mid-request.
  const std::vector<ModelSpec> specs = model_specs(a);
  server::block_termination_signals();
  std::vector<std::unique_ptr<Service>> services;
  for (const ModelSpec& m : specs) {
    services.push_back(std::make_unique<Service>(m.engine.model, to_options(m.engine), m.service));
  }
  std::unique_ptr<server::Server> srv_ptr;
  if (specs.size() == 1 && specs[0].name.empty()) {
    srv_ptr = std::make_unique<server::Server>(*services[0], a.server, a.access);
  } else {
    std::vector<server::ServedModel> models;
    for (size_t i = 0; i < specs.size(); ++i) models.push_back({specs[i].name, services[i].get()});
    srv_ptr = std::make_unique<server::Server>(std::move(models), a.server, a.access);
  }
  server::Server& srv = *srv_ptr;
  for (const server::ServedModel& m : srv.scorer().models()) {
    const EngineInfo& info = m.service->info();
    std::fprintf(stderr, "crossenc serve: model %s (%s, %s on %s, max length %d), %d replica(s)\n",
                 m.name.c_str(), std::string(dtype_name(info.dtype)).c_str(), info.backend.c_str(),
                 info.device.c_str(), info.max_length, m.service->options().replicas);
    print_warnings(info);
  }
  std::fprintf(stderr,
               "  gRPC  %s  inference.InferenceService + grpc.health.v1.Health\n"
               "  HTTP  %s  POST /rerank /predict /tokenize /decode /v1/rerank /v2/rerank /score\n"
               "        /v1/score, GET /health /info /v1/models /metrics /openapi.json /docs%s\n"
               "  Ctrl-C or SIGTERM stops accepting, answers what is in flight and exits.\n",
               endpoint(a.server.host, srv.grpc_port()).c_str(),
               endpoint(a.server.host, srv.http_port()).c_str(),
               a.access.api_key.empty() ? "" : " (API key required but on /health)");
  // One machine-readable line on stdout: scripts and tests that asked for port 0 read it.
  std::printf("listening grpc=%d http=%d\n", srv.grpc_port(), srv.http_port());
  std::fflush(stdout);

  const int sig = server::wait_for_termination_signal();
  std::fprintf(stderr, "crossenc serve: %s received, finishing requests in flight\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  srv.stop();
  uint64_t requests = 0, pairs = 0;
  for (const auto& service : services) {
    service->shutdown();
    const MetricsSnapshot m = service->metrics();
    requests += m.requests;
    pairs += m.pairs;
  }
  std::fprintf(stderr, "crossenc serve: stopped after %llu scoring requests, %llu pairs\n",
               static_cast<unsigned long long>(requests), static_cast<unsigned long long>(pairs));
  return 0;
}

}  // namespace

Command add_serve(CLI::App& root) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* app = root.add_subcommand(
      "serve",
      "Run the reranking server.\n"
      "  gRPC (--grpc-port): inference.InferenceService {Infer, GetMetrics} "
      "(server/inference.proto)\n"
      "        and grpc.health.v1.Health; scores are raw logits.\n"
      "  HTTP (--http-port), described at GET /openapi.json (page: /docs):\n"
      "    POST /rerank     TEI {query, texts[], raw_scores?, return_text?, truncate?,\n"
      "                     truncation_direction?}, or Jina/vLLM {query, documents[], top_n?}\n"
      "    POST /predict    TEI {inputs: [a, b] | [[a, b], ...], raw_scores?}\n"
      "    POST /tokenize   TEI {inputs: text | [text, ..], add_special_tokens?} (offsets)\n"
      "    POST /decode     TEI {ids: [..] | [[..]], skip_special_tokens?}\n"
      "    POST /v1/rerank /v2/rerank  Cohere {query, documents[], top_n?, rank_fields?,\n"
      "                     return_documents?}\n"
      "    POST /score      {pairs: [{query, passage}] | [[q, p]]} (raw logits), or vLLM\n"
      "    POST /v1/score   vLLM {text_1, text_2} (1:1, 1:N, N:N)\n"
      "    GET  /health /info /v1/models /metrics (Prometheus) /openapi.json /docs\n"
      "  Scores are the sigmoid relevance in [0, 1] (TEI: raw logits with raw_scores: true),\n"
      "  raw logits on /score {pairs} and gRPC. Errors in each API's own shape: 400 malformed\n"
      "  JSON or empty list, 401 API key, 404, 405, 413 too many pairs or body too large,\n"
      "  415 not JSON, 422 invalid input, 424 inference failed, 429 overloaded.\n"
      "  SIGTERM / SIGINT: stop accepting, answer requests in flight, exit 0.");
  add_engine_options(app, a->engine);
  // serve takes --model more than once: one Service per model, picked by name per request.
  app->remove_option(app->get_option("--model"));
  app->add_option("--model,-m", a->model_specs,
                  "model to serve: a .cenc file or Hugging Face folder. Repeat as "
                  "NAME=PATH[,dtype=D][,replicas=N][,backend=B][,threads=T] to serve several "
                  "in one process (each with its own engine and batcher; those keys override "
                  "the flags for it): a request's \"model\" field (gRPC: InferRequest.model) "
                  "picks one, the first is the default, an unknown name is a 404 listing them "
                  "(GET /v1/models). With one model any name is accepted")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);

  auto* net = "Network";
  app->add_option("--host", a->server.host, "address to listen on (0.0.0.0: all interfaces)")
      ->capture_default_str()
      ->group(net);
  app->add_option("--grpc-port", a->server.grpc_port, "gRPC port (0: any free port, -1: off)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535))
      ->group(net);
  app->add_option("--http-port", a->server.http_port, "HTTP port (0: any free port, -1: off)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535))
      ->group(net);
  app->add_option("--http-threads", a->server.http_threads,
                  "HTTP handler threads: requests worked on at once (connections, idle or not, "
                  "hold no thread)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096))
      ->group(net);
  app->add_option("--http-timeout", a->server.http_read_timeout_s,
                  "seconds a client may take to read its answer before it is dropped (sending "
                  "the request: --http-request-deadline-ms)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600))
      ->group(net);
  app->add_option("--shutdown-grace-ms", a->server.shutdown_grace_ms,
                  "on SIGTERM, how long gRPC calls in flight may run before being cancelled")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group(net);
  app->add_option("--api-key", a->access.api_key,
                  "require \"Authorization: Bearer KEY\" on every HTTP route but /health and as "
                  "gRPC metadata (default: $CROSSENC_API_KEY; unset: no key)")
      ->group(net);
  app->add_option("--api-key-file", a->api_key_file,
                  "read the API key from the first line of this file (keeps it out of ps)")
      ->group(net);
  app->add_option("--cors-allow-origin", a->access.cors_allow_origin,
                  "send Access-Control-Allow-Origin with this value (e.g. * or an origin) and "
                  "answer CORS preflight OPTIONS requests")
      ->group(net);
  app->add_flag("--json-logs", a->access.json_logs,
                "one JSON access-log line per HTTP request on stderr (route, model, pairs, "
                "tokens, status, queue/inference ms)")
      ->group(net);
  app->add_option("--model-id", a->server.model_id,
                  "model name reported by /info and /v1/rerank (default: the model file name)")
      ->group(net);

  auto* limits =
      "Limits (over a limit: HTTP 408/413/422/429/431/503 with {\"error\", \"error_type\"}, "
      "gRPC INVALID_ARGUMENT/RESOURCE_EXHAUSTED; HTTP ones counted in "
      "crossenc_http_rejections_total)";
  app->add_option("--max-client-batch-size", a->server.max_client_batch_size,
                  "pairs (texts, documents) one request may carry")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(limits);
  app->add_option("--max-input-length", a->max_input_length,
                  "tokens per pair incl. [CLS]/[SEP] (same as --max-length; 0 = the model's); "
                  "longer pairs are truncated, or rejected with 422 when the request says "
                  "truncate: false")
      ->check(CLI::NonNegativeNumber)
      ->group(limits);
  app->add_option("--auto-truncate", a->server.default_truncate,
                  "truncate pairs over the max length when a request does not say")
      ->capture_default_str()
      ->group(limits);
  app->add_option("--max-chunks-per-doc", a->server.default_max_chunks_per_doc,
                  "windows a document longer than the max length is scored in (they overlap by "
                  "a quarter, the query in each; the best one counts) when a request does not "
                  "say max_chunks_per_doc / max_tokens_per_doc; 1 = truncate, as TEI does. "
                  "Cohere's routes default to their own (v1: 10 chunks, v2: 4096 tokens)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100))
      ->group(limits);
  app->add_option("--max-concurrent-requests", a->server.max_concurrent_requests,
                  "requests in flight across gRPC and HTTP; beyond it 429 / RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(limits);
  app->add_option("--max-queued-pairs", a->service.max_queued_pairs,
                  "pairs waiting for a batch; beyond it 429 / RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(limits);
  app->add_option("--payload-limit", a->server.payload_limit_bytes,
                  "HTTP body limit in bytes; beyond it 413")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(limits);
  app->add_option("--http-max-connections", a->server.http_max_connections,
                  "open HTTP connections at once; beyond it 503 and close (also bounded by the "
                  "open-file limit, ulimit -n: out of descriptors, new ones get 503)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(limits);
  app->add_option("--http-max-connections-per-address", a->server.http_max_connections_per_address,
                  "open HTTP connections from one client address; beyond it 503 and close")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(limits);
  app->add_option("--http-request-deadline-ms", a->server.http_request_deadline_ms,
                  "time to receive a whole HTTP request, head and body, from its first byte "
                  "(not per byte: trickling does not extend it); beyond it 408 and close")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000))
      ->group(limits);
  app->add_option("--http-idle-timeout-ms", a->server.http_idle_timeout_ms,
                  "an HTTP connection with no request for this long (new, or kept alive after "
                  "an answer) is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000))
      ->group(limits);
  app->add_option("--http-max-header-bytes", a->server.http_max_header_bytes,
                  "request line + header fields in bytes; beyond it 431 and close")
      ->capture_default_str()
      ->check(CLI::Range(256, 1 << 24))
      ->group(limits);
  app->add_option("--http-max-header-count", a->server.http_max_header_count,
                  "header fields per request; beyond it 431 and close")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16))
      ->group(limits);
  app->add_option("--grpc-max-message-bytes", a->server.grpc_max_message_bytes,
                  "gRPC request size limit; beyond it RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(limits);

  auto* batching = "Batching (--batch-size and --max-batch-tokens also cap each batch)";
  app->add_option("--batch-timeout-ms", a->service.timeout_ms,
                  "run a batch when its oldest request has waited this long")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group(batching);
  app->add_option("--replicas", a->service.replicas,
                  "engine replicas running batches; --threads is split between them")
      ->capture_default_str()
      ->check(CLI::Range(1, 256))
      ->group(batching);
  app->add_option("--replica-backends", a->replica_backends,
                  "backend of each replica, comma-separated (e.g. vulkan,cpu; default --backend)")
      ->group(batching);
  app->add_option("--tokenizer-workers", a->service.tokenizer_workers,
                  "tokenization threads (0: each request thread tokenizes its own pairs)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256))
      ->group(batching);
  app->add_flag("--no-dynamic-batching", a->no_dynamic_batching,
                "run each request on its own instead of batching across requests")
      ->group(batching);
  app->add_flag("--no-length-aware", a->no_length_aware,
                "do not group pairs of similar length when forming batches")
      ->group(batching);
  return {app, [a] { return serve(*a); }};
}

#else  // built without the server (-DCROSSENC_SERVER=OFF)

Command add_serve(CLI::App& root) {
  CLI::App* app = root.add_subcommand("serve", "Run the gRPC + HTTP reranking server.");
  return {app, []() -> int {
            throw Error("this crossenc was built without the server (-DCROSSENC_SERVER=OFF)");
          }};
}

#endif

}  // namespace crossenc::cli
