#include "grpc_auth.h"

#include <string_view>

#include "api_error.h"
#include "auth.h"

namespace crossenc::server {

void check_grpc_api_key(const grpc::ServerContext& context, const std::string& key) {
  if (key.empty()) return;
  const auto& md = context.client_metadata();
  const auto it = md.find("authorization");
  const std::string_view given =
      it == md.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size());
  if (!bearer_matches(given, key)) {
    throw ApiError(ErrorKind::kUnauthorized, given.empty() ? "missing API key: send the metadata "
                                                             "\"authorization: Bearer <key>\""
                                                           : "invalid API key");
  }
}

}  // namespace crossenc::server
