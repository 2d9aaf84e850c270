// JSON of the HTTP API: request parsing and validation, response bodies, error bodies.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"
#include "crossenc/engine.h"
#include "crossenc/serving.h"
#include "server_options.h"

namespace crossenc::server {

// POST /rerank (Text Embeddings Inference).
struct TeiRerankRequest {
  std::string query;
  std::vector<std::string> texts;
  bool raw_scores = true;  // false: sigmoid, so scores are in [0, 1]
  bool return_text = false;
  std::optional<bool> truncate;
};

// POST /v1/rerank (Cohere / Jina).
struct CohereRerankRequest {
  std::string query;
  std::vector<std::string> documents;
  std::optional<size_t> top_n;
  bool return_documents = false;
  std::optional<bool> truncate;
};

// POST /score: raw pairs.
struct ScoreRequest {
  std::vector<Pair> pairs;
  bool raw_scores = true;
  std::optional<bool> truncate;
};

// Each parser throws ApiError: kMalformed (not JSON), kInvalid (wrong shape or types, invalid
// UTF-8, empty list), naming the offending field.
TeiRerankRequest parse_tei_rerank(std::string_view body);
CohereRerankRequest parse_cohere_rerank(std::string_view body);
ScoreRequest parse_score(std::string_view body);

float sigmoid(float logit);

// [{"index", "score", "text"?}] sorted by descending score (ties: lower index first).
std::string tei_rerank_response(const TeiRerankRequest& request, std::span<const float> logits);
// {"model", "results": [{"index", "relevance_score", "document"?: {"text"}}], "usage"}.
std::string cohere_rerank_response(const CohereRerankRequest& request,
                                   std::span<const float> logits, size_t total_tokens,
                                   const std::string& model);
// {"scores": [...]}.
std::string score_response(const ScoreRequest& request, std::span<const float> logits);

// {"error": message, "error_type": ...}.
std::string error_body(ErrorKind kind, std::string_view message);

// GET /info: model, precision, backend, limits, version (TEI's field names where they exist).
std::string info_response(const EngineInfo& info, const ServiceOptions& service,
                          const ServerOptions& server, const std::string& model_id,
                          const std::string& version);

}  // namespace crossenc::server
