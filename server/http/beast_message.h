// Parser glue: Beast's request/response types <-> the transport-neutral HttpRequest/HttpResponse.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "http_message.h"

namespace crossenc::server::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Method, path / query split, lower-cased header names, body (moved out of `request`).
HttpRequest to_http_request(BeastRequest&& request, const std::string& peer);
// Status, Content-Type, extra headers and body; HTTP version and keep-alive as given, and a
// Content-Length.
BeastResponse to_beast_response(HttpResponse&& response, unsigned version, bool keep_alive);

}  // namespace crossenc::server::http
