// Why the HTTP transport turned a connection or request away: the `cause` label of
// crossenc_http_rejections_total, and the status + JSON error body the client gets.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "http_message.h"

namespace crossenc::server::http {

enum class Rejection {
  kConnections,            // --http-max-connections reached: 503, then close
  kConnectionsPerAddress,  // --http-max-connections-per-address reached: 503, then close
  kFileDescriptors,        // accept() failed with EMFILE/ENFILE: 503 on a spare descriptor
  kRequestDeadline,        // the whole request took longer than --http-request-deadline-ms: 408
  kIdleTimeout,            // no request within --http-idle-timeout-ms: closed without an answer
  kHeaderSize,             // head over --http-max-header-bytes: 431
  kHeaderCount,            // more than --http-max-header-count fields: 431
  kPayload,                // body over --payload-limit: 413
  kMalformed,              // not HTTP/1.x: 400
};

inline constexpr std::array kAllRejections = {
    Rejection::kConnections,     Rejection::kConnectionsPerAddress,
    Rejection::kFileDescriptors, Rejection::kRequestDeadline,
    Rejection::kIdleTimeout,     Rejection::kHeaderSize,
    Rejection::kHeaderCount,     Rejection::kPayload,
    Rejection::kMalformed};

// The metric label: "connections", "connections_per_address", "file_descriptors", ...
std::string_view rejection_cause(Rejection r);

// What the client is sent (status, {"error", "error_type"}); `detail` names the limit's value.
HttpResponse rejection_response(Rejection r, std::string_view detail);

}  // namespace crossenc::server::http
