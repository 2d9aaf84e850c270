// Parses the bytes-typed copy of InferRequest, so that invalid UTF-8 is our error to report.
#include "grpc_infer_request.h"

#include <google/protobuf/stubs/common.h>

#include <string>

#include "api_error.h"
#include "inference_wire.pb.h"

namespace crossenc::server {

namespace {

std::string flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    throw ApiError(ErrorKind::kMalformed, "malformed InferRequest: the message cannot be read");
  }
  std::string bytes;
  bytes.reserve(buffer.Length());
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

// The same check protobuf applies to proto3 strings.
void require_utf8(const std::string& text, const std::string& field) {
  if (!google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                           static_cast<int>(text.size()))) {
    throw ApiError(ErrorKind::kInvalid, field + " is not valid UTF-8 (proto3 strings must be)");
  }
}

}  // namespace

InferRequestFields decode_infer_request(const grpc::ByteBuffer& request) {
  inference::wire::InferRequest wire;
  if (!wire.ParseFromString(flatten(request))) {
    throw ApiError(ErrorKind::kMalformed,
                   "malformed InferRequest: the bytes are not a valid protobuf message");
  }
  InferRequestFields out;
  out.pairs.reserve(static_cast<size_t>(wire.pairs_size()));
  for (int i = 0; i < wire.pairs_size(); ++i) {
    auto* p = wire.mutable_pairs(i);
    const std::string at = "pairs[" + std::to_string(i) + "].";
    require_utf8(p->query(), at + "query");
    require_utf8(p->document(), at + "document");
    out.pairs.push_back({std::move(*p->mutable_query()), std::move(*p->mutable_document())});
  }
  require_utf8(wire.model(), "model");
  out.model = std::move(*wire.mutable_model());
  return out;
}

}  // namespace crossenc::server
