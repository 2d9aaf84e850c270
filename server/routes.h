// The transport-neutral router: the route table (method + path -> handler) behind every HTTP API,
// and the checks every route shares (404, 405 with Allow, 415, error bodies, metrics).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "access_options.h"
#include "api_error.h"
#include "crossenc/serving.h"
#include "http_message.h"
#include "scorer.h"

namespace crossenc::server {

// Each API answers errors in its own shape: TEI {"error", "error_type"}, Cohere {"message"},
// vLLM (OpenAI) {"object": "error", "message", "type", "code"}.
enum class ErrorStyle { kTei, kCohere, kOpenAi };

// What a route reports about the request it served, for metrics, headers and access logs.
struct RequestLog {
  size_t pairs = 0;   // scored pairs; 0 for routes that score nothing
  std::string model;  // the served model that scored them
  RequestTiming timing;
  // Set by a route that serves two APIs' shapes (vLLM's on /score) once it knows which.
  std::optional<ErrorStyle> style;
};

// A route handler returns the response for a request; it may throw ApiError, which the router
// turns into the route's error body and status.
using RouteFn = std::function<HttpResponse(const HttpRequest&, RequestLog&)>;

struct Route {
  std::string method;  // "GET" or "POST"
  std::string path;    // exact, e.g. "/v1/rerank"
  ErrorStyle style = ErrorStyle::kTei;
  RouteFn fn;
};

// What every route may need: the scorer and how the server names itself.
struct RouteContext {
  Scorer& scorer;
  std::string model_id;
  std::string version;
  AccessOptions access;
};

class Router {
 public:
  // Registers every API family's routes (server/api/).
  explicit Router(RouteContext context);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void add(Route route);
  HttpResponse handle(const HttpRequest& request) const;
  // handle() as the transport calls it; the router must outlive the handler.
  HttpHandler handler() const;

  const std::vector<Route>& routes() const { return routes_; }
  const RouteContext& context() const { return context_; }

 private:
  const Route* find(const HttpRequest& request, std::string& allow) const;
  void write_access_log(const HttpRequest& request, const std::string& endpoint, int status,
                        const RequestLog& log, double seconds) const;

  RouteContext context_;
  std::vector<Route> routes_;
};

// A JSON response with `body` (status 200 unless given).
HttpResponse json_response(std::string body, int status = 200);
// The error response of one API style.
HttpResponse error_response(ErrorStyle style, ErrorKind kind, std::string_view message);

}  // namespace crossenc::server
