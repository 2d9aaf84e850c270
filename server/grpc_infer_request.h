// Decoding inference.InferRequest from the raw request bytes, with errors a client can act on.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <vector>

#include "crossenc/engine.h"

namespace crossenc::server {

// The request's pairs and model name. Throws ApiError: kMalformed when the bytes are not an
// InferRequest, kInvalid naming the field when a string is not UTF-8.
struct InferRequestFields {
  std::vector<Pair> pairs;
  std::string model;
};
InferRequestFields decode_infer_request(const grpc::ByteBuffer& request);

}  // namespace crossenc::server
