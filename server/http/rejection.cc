// Rejection causes, their statuses and error bodies (TEI's {"error", "error_type"}).
#include "rejection.h"

#include "api_error.h"
#include "json_api.h"

namespace crossenc::server::http {

namespace {

struct RejectionInfo {
  std::string_view cause;
  int status;
  ErrorKind kind;  // for error_type
  std::string_view message;
};

RejectionInfo info_of(Rejection r) {
  switch (r) {
    case Rejection::kConnections:
      return {"connections", 503, ErrorKind::kOverloaded, "too many open connections"};
    case Rejection::kConnectionsPerAddress:
      return {"connections_per_address", 503, ErrorKind::kOverloaded,
              "too many open connections from this address"};
    case Rejection::kFileDescriptors:
      return {"file_descriptors", 503, ErrorKind::kOverloaded,
              "the server is out of file descriptors"};
    case Rejection::kRequestDeadline:
      return {"request_deadline", 408, ErrorKind::kMalformed,
              "the request was not received within the deadline"};
    case Rejection::kIdleTimeout:
      return {"idle_timeout", 408, ErrorKind::kMalformed, "connection idle for too long"};
    case Rejection::kHeaderSize:
      return {"header_size", 431, ErrorKind::kMalformed, "request header larger than the limit"};
    case Rejection::kHeaderCount:
      return {"header_count", 431, ErrorKind::kMalformed,
              "more request header fields than the limit"};
    case Rejection::kPayload:
      return {"payload", 413, ErrorKind::kPayloadTooLarge,
              "request body larger than the payload limit"};
    case Rejection::kMalformed:
      return {"malformed", 400, ErrorKind::kMalformed, "malformed HTTP request"};
  }
  return {"malformed", 400, ErrorKind::kMalformed, "malformed HTTP request"};
}

}  // namespace

std::string_view rejection_cause(Rejection r) { return info_of(r).cause; }

HttpResponse rejection_response(Rejection r, std::string_view detail) {
  const RejectionInfo i = info_of(r);
  std::string message(i.message);
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  HttpResponse res;
  res.status = i.status;
  res.body = error_body(i.kind, message);
  return res;
}

}  // namespace crossenc::server::http
