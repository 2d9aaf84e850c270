// Errors a client request can end in, and how each maps onto HTTP statuses and TEI error types.
#pragma once

#include <string>

#include "crossenc/error.h"

namespace crossenc::server {

enum class ErrorKind {
  kMalformed,             // not JSON / not protobuf                          HTTP 400
  kEmpty,                 // an empty list of texts (TEI's "empty")            HTTP 400
  kUnauthorized,          // missing or wrong API key                          HTTP 401
  kInvalid,               // well-formed but unusable: types, UTF-8, too long  HTTP 422
  kPayloadTooLarge,       // too many pairs, body over the payload limit       HTTP 413
  kOverloaded,            // concurrency limit or queue full                   HTTP 429
  kNotFound,              // no such route                                     HTTP 404
  kMethodNotAllowed,      // a known route, another method                     HTTP 405
  kUnsupportedMediaType,  // a POST body that is not declared JSON             HTTP 415
  kBackend,               // inference failed (TEI's "backend")                HTTP 424
  kUnavailable,           // shutting down                                     HTTP 503
  kInternal,              // a bug                                             HTTP 500
};

// Thrown inside the server for a request that fails; carries what the client is told.
class ApiError : public Error {
 public:
  ApiError(ErrorKind kind, const std::string& message) : Error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

inline int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMalformed:
    case ErrorKind::kEmpty: return 400;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kInvalid: return 422;
    case ErrorKind::kPayloadTooLarge: return 413;
    case ErrorKind::kOverloaded: return 429;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kMethodNotAllowed: return 405;
    case ErrorKind::kUnsupportedMediaType: return 415;
    case ErrorKind::kBackend: return 424;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

// The "error_type" of TEI's error body ({"error": ..., "error_type": ...}); TEI's own values
// (router/src/http/types.rs ErrorType) where it has one.
inline const char* error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMalformed:
    case ErrorKind::kInvalid:
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kUnsupportedMediaType: return "validation";
    case ErrorKind::kEmpty: return "empty";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kOverloaded: return "overloaded";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kMethodNotAllowed: return "method_not_allowed";
    case ErrorKind::kUnavailable: return "unhealthy";
    case ErrorKind::kBackend:
    case ErrorKind::kInternal: return "backend";
  }
  return "backend";
}

}  // namespace crossenc::server
