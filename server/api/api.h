// One function per API family: each adds that family's routes to the router.
#pragma once

#include "routes.h"

namespace crossenc::server {

void add_tei_routes(Router& router);     // api/tei.cc: /rerank /predict /tokenize /decode
void add_cohere_routes(Router& router);  // api/cohere.cc: /v1/rerank /v2/rerank
void add_score_routes(Router& router);   // api/score.cc: /score /v1/score (vLLM)
void add_info_routes(Router& router);    // api/info.cc: /health /info /metrics /openapi.json /docs

}  // namespace crossenc::server
