// Routes about the server itself: GET /health, /info, /v1/models, /metrics, /openapi.json, /docs.
#include <chrono>
#include <vector>

#include "api.h"
#include "json_api.h"
#include "openapi.h"
#include "prometheus.h"

namespace crossenc::server {

namespace {

const char* tei_dtype(DType dtype) {
  return dtype == DType::F16 ? "float16" : dtype == DType::BF16 ? "bfloat16" : "float32";
}

// One served model as /info lists it.
ordered_json model_entry(const ServedModel& m) {
  const EngineInfo& info = m.service->info();
  return {{"id", m.name},
          {"model_path", info.model_path},
          {"dtype", std::string(dtype_name(info.dtype))},
          {"backend", info.backend},
          {"device", info.device},
          {"max_input_length", info.max_length},
          {"replicas", m.service->options().replicas},
          {"warnings", info.warnings}};
}

// GET /v1/models, in the OpenAI / vLLM shape.
std::string models_body(const Scorer& scorer) {
  static const auto started = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  ordered_json data = ordered_json::array();
  for (const ServedModel& m : scorer.models()) {
    data.push_back({{"id", m.name},
                    {"object", "model"},
                    {"created", started},
                    {"owned_by", "crossenc"},
                    {"max_model_len", m.service->info().max_length}});
  }
  return dump({{"object", "list"}, {"data", data}});
}

// GET /info: the first (default) model, precision, backend, limits, version (TEI's field names
// where they exist), and every served model under "models".
std::string info_body(Scorer& scorer, const std::string& version) {
  const EngineInfo& info = scorer.service().info();
  const ServiceOptions& service = scorer.service().options();
  const ServerOptions& server = scorer.options();
  const std::string& model_id = scorer.models().front().name;
  ordered_json models = ordered_json::array();
  for (const ServedModel& m : scorer.models()) models.push_back(model_entry(m));
  ordered_json labels = ordered_json::object(), ids = ordered_json::object();
  for (int i = 0; i < info.config.num_labels; ++i) {
    labels[std::to_string(i)] = "LABEL_" + std::to_string(i);
    ids["LABEL_" + std::to_string(i)] = i;
  }
  ordered_json backends = ordered_json::array();
  for (const auto& b : service.replica_backends) backends.push_back(b);
  return dump({
      // Text Embeddings Inference's /info fields.
      {"model_id", model_id},
      {"model_sha", nullptr},
      {"model_dtype", tei_dtype(info.dtype)},
      {"model_type", {{"reranker", {{"id2label", labels}, {"label2id", ids}}}}},
      {"max_concurrent_requests", server.max_concurrent_requests},
      {"max_input_length", info.max_length},
      {"max_batch_tokens", service.max_batch_tokens},
      {"max_batch_requests", service.max_batch_pairs},
      {"max_client_batch_size", server.max_client_batch_size},
      {"auto_truncate", server.default_truncate},
      {"max_chunks_per_doc", server.default_max_chunks_per_doc},
      {"tokenization_workers", service.tokenizer_workers},
      {"version", version},
      // crossenc's own.
      {"engine", "crossenc"},
      {"models", models},
      {"model_path", info.model_path},
      {"architecture", info.config.architecture},
      {"num_layers", info.config.num_layers},
      {"hidden_size", info.config.hidden_size},
      {"dtype", std::string(dtype_name(info.dtype))},
      {"backend", info.backend},
      {"device", info.device},
      {"replicas", service.replicas},
      {"replica_backends", backends},
      {"batch_timeout_ms", service.timeout_ms},
      {"dynamic_batching", service.dynamic_batching},
      {"max_queued_pairs", service.max_queued_pairs},
      {"payload_limit", server.payload_limit_bytes},
      {"grpc_max_message_bytes", server.grpc_max_message_bytes},
      {"http_threads", server.http_threads},
      {"http_max_connections", server.http_max_connections},
      {"http_max_connections_per_address", server.http_max_connections_per_address},
      {"http_request_deadline_ms", server.http_request_deadline_ms},
      {"http_idle_timeout_ms", server.http_idle_timeout_ms},
      {"http_max_header_bytes", server.http_max_header_bytes},
      {"http_max_header_count", server.http_max_header_count},
      {"scores",
       "sigmoid relevance by default (TEI, Cohere, Jina, vLLM shapes; raw_scores: true gives "
       "logits); "
       "raw logits on /score {pairs} and gRPC"},
  });
}

// A page that renders /openapi.json with Swagger UI when the browser can fetch it from its CDN,
// and links the document itself otherwise (the server ships no JavaScript).
constexpr const char* kDocsPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>crossenc API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><p>The OpenAPI 3 document of this server: <a href="openapi.json">/openapi.json</a></p>
<div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>if (window.SwaggerUIBundle) SwaggerUIBundle({url: "openapi.json", dom_id: "#ui"});</script>
</body></html>
)";

}  // namespace

void add_info_routes(Router& router) {
  const RouteContext& ctx = router.context();
  router.add({"GET", "/health", ErrorStyle::kTei, [&ctx](const HttpRequest&, RequestLog&) {
                if (!ctx.scorer.accepting()) {
                  throw ApiError(ErrorKind::kUnavailable, "shutting down");
                }
                return json_response(R"({"status":"ok"})");
              }});
  router.add({"GET", "/info", ErrorStyle::kTei, [&ctx](const HttpRequest&, RequestLog&) {
                return json_response(info_body(ctx.scorer, ctx.version));
              }});
  router.add({"GET", "/v1/models", ErrorStyle::kOpenAi, [&ctx](const HttpRequest&, RequestLog&) {
                return json_response(models_body(ctx.scorer));
              }});
  router.add({"GET", "/metrics", ErrorStyle::kTei, [&ctx](const HttpRequest&, RequestLog&) {
                std::vector<ModelExposition> models;
                for (const ServedModel& m : ctx.scorer.models()) {
                  models.push_back({m.name, m.service->metrics(), m.service->info()});
                }
                HttpResponse res;
                res.content_type = "text/plain; version=0.0.4; charset=utf-8";
                res.body = render_prometheus({.server = ctx.scorer.metrics().snapshot(),
                                              .models = models,
                                              .version = ctx.version,
                                              .in_flight = ctx.scorer.in_flight()});
                return res;
              }});
  router.add({"GET", "/openapi.json", ErrorStyle::kTei, [&router](const HttpRequest&, RequestLog&) {
                return json_response(openapi_document(router));
              }});
  router.add({"GET", "/docs", ErrorStyle::kTei, [](const HttpRequest&, RequestLog&) {
                HttpResponse res;
                res.content_type = "text/html; charset=utf-8";
                res.body = kDocsPage;
                return res;
              }});
}

}  // namespace crossenc::server
