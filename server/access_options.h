// Who may call the server and what it records about each call: API key, CORS, access logs.
#pragma once

#include <string>

namespace crossenc::server {

struct AccessOptions {
  std::string api_key;  // non-empty: every route but /health needs "Bearer <key>"
  std::string
      cors_allow_origin;   // non-empty: sent as Access-Control-Allow-Origin; OPTIONS answered
  bool json_logs = false;  // one JSON access-log line per HTTP request on stderr
};

}  // namespace crossenc::server
