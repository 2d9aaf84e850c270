// The OpenAPI 3 document served at /openapi.json: every route of the router, its body and its
// answers.
#pragma once

#include <string>

#include "routes.h"

namespace crossenc::server {

std::string openapi_document(const Router& router);

}  // namespace crossenc::server
