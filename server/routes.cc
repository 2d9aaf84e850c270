// Route lookup and the answers every route shares: unknown path, wrong method, wrong content
// type, errors in the route's own shape, TEI's timing headers, per-endpoint metrics.
#include "routes.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "api/api.h"
#include "auth.h"

namespace crossenc::server {

namespace {

using Clock = std::chrono::steady_clock;
using ordered_json = nlohmann::ordered_json;

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", ms);
  return buf;
}

// TEI reports where the time went in response headers; keep the same names.
void set_timing_headers(HttpResponse& res, const RequestTiming& t, double total_ms) {
  res.set_header("x-total-time", ms_text(total_ms));
  res.set_header("x-queue-time", ms_text(t.queue_ms));
  res.set_header("x-tokenization-time", ms_text(t.tokenize_ms));
  res.set_header("x-inference-time", ms_text(t.inference_ms));
  res.set_header("x-compute-tokens", std::to_string(t.tokens));
}

// "application/json", "application/json; charset=utf-8", "application/vnd.x+json".
bool is_json_content_type(std::string_view value) {
  std::string type(value.substr(0, value.find(';')));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return type == "application/json" || (type.size() > 5 && type.ends_with("+json"));
}

std::string dump(const ordered_json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* openai_error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMalformed:
    case ErrorKind::kEmpty:
    case ErrorKind::kInvalid:
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kUnsupportedMediaType: return "BadRequestError";
    case ErrorKind::kUnauthorized: return "AuthenticationError";
    case ErrorKind::kOverloaded: return "RateLimitError";
    case ErrorKind::kNotFound: return "NotFoundError";
    case ErrorKind::kMethodNotAllowed: return "MethodNotAllowedError";
    case ErrorKind::kUnavailable: return "ServiceUnavailableError";
    case ErrorKind::kBackend:
    case ErrorKind::kInternal: return "InternalServerError";
  }
  return "InternalServerError";
}

}  // namespace

HttpResponse json_response(std::string body, int status) {
  HttpResponse res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

HttpResponse error_response(ErrorStyle style, ErrorKind kind, std::string_view message) {
  const int status = http_status(kind);
  const std::string text(message);
  switch (style) {
    case ErrorStyle::kCohere: return json_response(dump({{"message", text}}), status);
    case ErrorStyle::kOpenAi:
      return json_response(dump({{"object", "error"},
                                 {"message", text},
                                 {"type", openai_error_type(kind)},
                                 {"param", nullptr},
                                 {"code", status}}),
                           status);
    case ErrorStyle::kTei: break;
  }
  return json_response(dump({{"error", text}, {"error_type", error_type(kind)}}), status);
}

Router::Router(RouteContext context) : context_(std::move(context)) {
  add_tei_routes(*this);
  add_cohere_routes(*this);
  add_score_routes(*this);
  add_info_routes(*this);
}

void Router::add(Route route) { routes_.push_back(std::move(route)); }

HttpHandler Router::handler() const {
  return [this](const HttpRequest& request) { return handle(request); };
}

// The route for request.path; "" in `allow` when the path is unknown.
const Route* Router::find(const HttpRequest& request, std::string& allow) const {
  const Route* route = nullptr;
  for (const Route& r : routes_) {
    if (r.path != request.path) continue;
    if (r.method == request.method) route = &r;
    allow += (allow.empty() ? "" : ", ") + r.method;
  }
  return route;
}

HttpResponse Router::handle(const HttpRequest& request) const {
  const auto t0 = Clock::now();
  const AccessOptions& options = context_.access;
  std::string allow;
  const Route* route = find(request, allow);
  const ErrorStyle style = route ? route->style : ErrorStyle::kTei;
  RequestLog log;
  HttpResponse res;
  if (allow.empty()) {
    res = error_response(ErrorStyle::kTei, ErrorKind::kNotFound,
                         "no route for " + request.method + " " + request.path +
                             "; see GET /openapi.json for the routes");
  } else if (request.method == "OPTIONS" && !options.cors_allow_origin.empty()) {
    res.status = 204;  // a CORS preflight: which methods and headers a browser may send
    res.content_type.clear();
    res.set_header("Access-Control-Allow-Methods", allow + ", OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.set_header("Access-Control-Max-Age", "600");
  } else if (!options.api_key.empty() && request.path != "/health" &&
             !bearer_matches(request.header("authorization"), options.api_key)) {
    res = error_response(style, ErrorKind::kUnauthorized,
                         request.header("authorization").empty()
                             ? "missing API key: send \"Authorization: Bearer <key>\""
                             : "invalid API key");
    res.set_header("WWW-Authenticate", "Bearer");
  } else if (!route) {
    const ErrorStyle path_style = std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) {
                                    return r.path == request.path;
                                  })->style;
    res = error_response(
        path_style, ErrorKind::kMethodNotAllowed,
        request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")");
    res.set_header("Allow", allow);
  } else if (route->method == "POST" && !is_json_content_type(request.header("content-type"))) {
    const std::string_view type = request.header("content-type");
    res = error_response(style, ErrorKind::kUnsupportedMediaType,
                         "Content-Type must be application/json, not \"" +
                             std::string(type.empty() ? "(none)" : type) + "\"");
  } else {
    try {
      res = route->fn(request, log);
      if (log.pairs > 0 && res.status == 200) {
        set_timing_headers(res, log.timing,
                           std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    } catch (const ApiError& e) {
      res = error_response(log.style.value_or(style), e.kind(), e.what());
    } catch (const std::exception& e) {
      res = error_response(log.style.value_or(style), ErrorKind::kInternal, e.what());
    }
  }
  if (!options.cors_allow_origin.empty()) {
    res.set_header("Access-Control-Allow-Origin", options.cors_allow_origin);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  // Unknown paths share one metric label to bound the metric's size.
  const std::string endpoint = allow.empty() ? "other" : request.path;
  context_.scorer.metrics().record_request(endpoint, std::to_string(res.status), log.pairs,
                                           seconds);
  if (options.json_logs) write_access_log(request, endpoint, res.status, log, seconds);
  return res;
}

void Router::write_access_log(const HttpRequest& request, const std::string& endpoint, int status,
                              const RequestLog& log, double seconds) const {
  const std::string line =
      dump({{"ts", static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()) /
                       1000.0},
            {"method", request.method},
            {"route", endpoint},
            {"model", log.model.empty() ? context_.model_id : log.model},
            {"pairs", log.pairs},
            {"tokens", log.timing.tokens},
            {"status", status},
            {"queue_ms", log.timing.queue_ms},
            {"inference_ms", log.timing.inference_ms},
            {"total_ms", seconds * 1000.0},
            {"peer", request.peer}}) +
      "\n";
  // One write per line, so that lines of concurrent requests never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace crossenc::server
