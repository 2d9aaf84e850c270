// --api-key on gRPC: the same "authorization: Bearer <key>" as HTTP, sent as call metadata.
#pragma once

#include <grpcpp/server_context.h>

#include <string>

namespace crossenc::server {

// Throws ApiError(kUnauthorized) unless key is empty or the call carries the key.
void check_grpc_api_key(const grpc::ServerContext& context, const std::string& key);

}  // namespace crossenc::server
