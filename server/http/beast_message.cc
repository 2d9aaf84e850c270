// Conversions between Beast's messages and the router's HttpRequest / HttpResponse.
#include "beast_message.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace crossenc::server::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

HttpRequest to_http_request(BeastRequest&& request, const std::string& peer) {
  HttpRequest out;
  out.method = std::string(request.method_string());
  const std::string_view target = request.target();
  const size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.headers.reserve(static_cast<size_t>(std::distance(request.begin(), request.end())));
  for (const auto& field : request) {
    out.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(request.body());
  out.peer = peer;
  return out;
}

BeastResponse to_beast_response(HttpResponse&& response, unsigned version, bool keep_alive) {
  BeastResponse out;
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  out.set(boost::beast::http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace crossenc::server::http
