// API-key checks shared by HTTP and gRPC: "Authorization: Bearer KEY", compared in constant time.
#pragma once

#include <string_view>

namespace crossenc::server {

// True when `authorization` is "Bearer <key>" (scheme case-insensitive). The key comparison takes
// the same time wherever the first difference is, so timing does not reveal the key.
bool bearer_matches(std::string_view authorization, std::string_view key);

}  // namespace crossenc::server
