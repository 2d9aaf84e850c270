// One HTTP exchange as the routes see it, independent of the transport that parsed it: the
// event-driven front end (http_server) fills an HttpRequest and sends back the HttpResponse
// that the router (routes) makes. Nothing here does I/O.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crossenc::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query string, e.g. "/v1/rerank"
  std::string query;   // what follows '?', "" if none
  // Header names lower-cased by the transport; values as sent (surrounding spaces trimmed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;  // the client's address ("127.0.0.1"), for logs and per-address limits

  // The first header of that (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (x-total-time, ...)

  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// What the transport calls for each complete request, on a thread that may block (scoring).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace crossenc::server
