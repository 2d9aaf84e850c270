// /openapi.json: a hand-written description of each path (schemas in OpenAPI 3.0 JSON), checked
// against the router's table by tests/routes_test.cc so that no route goes undescribed.
#include "openapi.h"

#include "json_api.h"

namespace crossenc::server {

namespace {

// Shared pieces: schemas and the error answers of each API style.
constexpr const char* kComponents = R"json({
 "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
   "description": "Needed on every route but /health when the server runs with --api-key"}},
 "schemas": {
  "TeiError": {"type": "object", "required": ["error", "error_type"], "properties": {
    "error": {"type": "string"},
    "error_type": {"type": "string", "enum": ["validation", "empty", "tokenizer", "overloaded",
      "unhealthy", "backend", "not_found", "method_not_allowed", "unauthorized"]}}},
  "CohereError": {"type": "object", "required": ["message"],
    "properties": {"message": {"type": "string"}}},
  "OpenAiError": {"type": "object", "required": ["object", "message", "type", "code"],
    "properties": {"object": {"type": "string", "enum": ["error"]}, "message": {"type": "string"},
      "type": {"type": "string"}, "param": {"type": "string", "nullable": true},
      "code": {"type": "integer"}}},
  "Truncate": {"type": "boolean", "nullable": true,
    "description": "Cut texts longer than the model's window (default: --auto-truncate, on); false: 422"},
  "TruncationDirection": {"type": "string", "enum": ["Right", "Left"], "default": "Right"},
  "MaxChunksPerDoc": {"type": "integer", "minimum": 1, "maximum": 100,
    "description": "Windows a long document is scored in (overlapping by a quarter, the query in each; the best counts). Default: --max-chunks-per-doc (1); /v1/rerank 10"},
  "MaxTokensPerDoc": {"type": "integer", "minimum": 1, "maximum": 16384,
    "description": "Word pieces of a document kept, scored in as many windows as they need. Default: none; /v2/rerank 4096"},
  "Document": {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": true}],
    "description": "A string, or an object ranked by rank_fields (default [\"text\"])"},
  "ModelName": {"type": "string", "description": "Which served model scores the request (GET /v1/models); absent: the first. With one model served any name is accepted"},
  "RerankResult": {"type": "object", "required": ["index", "relevance_score"], "properties": {
    "index": {"type": "integer"}, "relevance_score": {"type": "number"},
    "document": {"type": "object"}}},
  "CohereRerankRequest": {"type": "object", "required": ["query", "documents"], "properties": {
    "model": {"$ref": "#/components/schemas/ModelName"}, "query": {"type": "string"},
    "documents": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Document"}},
    "top_n": {"type": "integer", "minimum": 1}, "rank_fields": {"type": "array", "items": {"type": "string"}},
    "return_documents": {"type": "boolean", "default": false},
    "truncate": {"$ref": "#/components/schemas/Truncate"},
    "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
    "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
    "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}},
  "CohereRerankResponse": {"type": "object", "required": ["id", "results", "meta"], "properties": {
    "id": {"type": "string"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/RerankResult"}},
    "meta": {"type": "object", "properties": {"api_version": {"type": "object"},
      "billed_units": {"type": "object", "properties": {"search_units": {"type": "integer"}}}}},
    "model": {"type": "string"}, "usage": {"$ref": "#/components/schemas/Usage"}}},
  "Usage": {"type": "object", "properties": {"prompt_tokens": {"type": "integer"},
    "total_tokens": {"type": "integer"}}}
 }
})json";

constexpr const char* kPaths = R"json({
 "/rerank": {"post": {"summary": "TEI rerank; Jina / vLLM rerank when the body has documents",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
   {"type": "object", "required": ["query", "texts"], "properties": {"model": {"$ref": "#/components/schemas/ModelName"}, 
     "query": {"type": "string"}, "texts": {"type": "array", "minItems": 1, "items": {"type": "string"}},
     "raw_scores": {"type": "boolean", "default": false, "description": "false: sigmoid"},
     "return_text": {"type": "boolean", "default": false},
     "truncate": {"$ref": "#/components/schemas/Truncate"},
     "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
     "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
     "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}},
   {"type": "object", "required": ["query", "documents"], "properties": {
     "model": {"$ref": "#/components/schemas/ModelName"}, "query": {"type": "string"},
     "documents": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Document"}},
     "top_n": {"type": "integer", "minimum": 1}, "return_documents": {"type": "boolean", "default": true},
     "raw_scores": {"type": "boolean", "default": false},
     "rank_fields": {"type": "array", "items": {"type": "string"}},
     "truncate": {"$ref": "#/components/schemas/Truncate"},
     "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
     "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
     "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}}]}}}},
  "responses": {"200": {"description": "TEI: [{index, score, text?}] best first; Jina/vLLM: {id, model, usage, results}",
    "content": {"application/json": {"schema": {"oneOf": [
     {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"},
       "score": {"type": "number"}, "text": {"type": "string"}}}},
     {"type": "object", "properties": {"id": {"type": "string"}, "model": {"type": "string"},
       "usage": {"$ref": "#/components/schemas/Usage"},
       "results": {"type": "array", "items": {"$ref": "#/components/schemas/RerankResult"}}}}]}}}},
   "default": {"$ref": "#/components/responses/TeiError"}}}},
 "/predict": {"post": {"summary": "TEI predict: a pair [a, b] or a batch [[a, b], ...]",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
   "required": ["inputs"], "properties": {"model": {"$ref": "#/components/schemas/ModelName"}, 
    "inputs": {"oneOf": [{"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
      {"type": "array", "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}}]},
    "raw_scores": {"type": "boolean", "default": false},
    "truncate": {"$ref": "#/components/schemas/Truncate"},
    "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
     "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
     "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}}}}},
  "responses": {"200": {"description": "[{score, label}] for a pair, one such list per pair for a batch"},
   "default": {"$ref": "#/components/responses/TeiError"}}}},
 "/tokenize": {"post": {"summary": "TEI tokenize: token ids with character offsets",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
   "required": ["inputs"], "properties": {"model": {"$ref": "#/components/schemas/ModelName"}, 
    "inputs": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "add_special_tokens": {"type": "boolean", "default": true}}}}}},
  "responses": {"200": {"description": "one token list per text; start/stop are character offsets, null for the added [CLS]/[SEP]",
    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "array", "items": {
     "type": "object", "properties": {"id": {"type": "integer"}, "text": {"type": "string"},
      "special": {"type": "boolean"}, "start": {"type": "integer", "nullable": true}, "stop": {"type": "integer", "nullable": true}}}}}}}},
   "default": {"$ref": "#/components/responses/TeiError"}}}},
 "/decode": {"post": {"summary": "TEI decode: token ids back to text",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
   "required": ["ids"], "properties": {"model": {"$ref": "#/components/schemas/ModelName"}, 
    "ids": {"oneOf": [{"type": "array", "items": {"type": "integer"}},
      {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}]},
    "skip_special_tokens": {"type": "boolean", "default": true}}}}}},
  "responses": {"200": {"description": "one string per sequence",
    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}},
   "default": {"$ref": "#/components/responses/TeiError"}}}},
 "/v1/rerank": {"post": {"summary": "Cohere v1 rerank (also Jina's shape)",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CohereRerankRequest"}}}},
  "responses": {"200": {"description": "sigmoid relevance, best first",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CohereRerankResponse"}}}},
   "default": {"$ref": "#/components/responses/CohereError"}}}},
 "/v2/rerank": {"post": {"summary": "Cohere v2 rerank",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CohereRerankRequest"}}}},
  "responses": {"200": {"description": "sigmoid relevance, best first",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CohereRerankResponse"}}}},
   "default": {"$ref": "#/components/responses/CohereError"}}}},
 "/score": {"post": {"summary": "Pairs {pairs: [{query, passage}] | [[q, p]]} (raw logits), or vLLM's {text_1, text_2} (sigmoid)",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
   {"type": "object", "required": ["pairs"], "properties": {"model": {"$ref": "#/components/schemas/ModelName"}, "pairs": {"type": "array", "minItems": 1},
     "raw_scores": {"type": "boolean", "default": true},
     "truncate": {"$ref": "#/components/schemas/Truncate"},
     "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
     "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
     "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}},
   {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
   {"$ref": "#/components/schemas/VllmScoreRequest"}]}}}},
  "responses": {"200": {"description": "{scores: [...]} in input order, or vLLM's score list"},
   "default": {"$ref": "#/components/responses/TeiError"}}}},
 "/v1/score": {"post": {"summary": "vLLM score: text_1 and text_2 1:1, 1:N or N:N",
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VllmScoreRequest"}}}},
  "responses": {"200": {"description": "{id, object: list, model, data: [{index, object: score, score}], usage}"},
   "default": {"$ref": "#/components/responses/OpenAiError"}}}},
 "/health": {"get": {"summary": "200 {status: ok} while serving, 503 while draining", "security": [],
  "responses": {"200": {"description": "serving"}, "503": {"$ref": "#/components/responses/TeiError"}}}},
 "/info": {"get": {"summary": "Model, precision, backend, limits and version (TEI's fields and crossenc's); every served model under models",
  "responses": {"200": {"description": "JSON object"}}}},
 "/v1/models": {"get": {"summary": "The served models (OpenAI / vLLM shape); a request's \"model\" field picks one, the first is the default",
  "responses": {"200": {"description": "{object: list, data: [{id, object: model, created, owned_by, max_model_len}]}"}}}},
 "/metrics": {"get": {"summary": "Prometheus text format",
  "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
 "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}},
 "/docs": {"get": {"summary": "A page that renders this document", "responses": {"200": {"description": "HTML"}}}}
})json";

constexpr const char* kVllmScoreRequest =
    R"json({"type": "object", "required": ["text_1", "text_2"],
 "properties": {"model": {"type": "string"},
  "text_1": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
  "text_2": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
  "truncate": {"$ref": "#/components/schemas/Truncate"},
  "truncation_direction": {"$ref": "#/components/schemas/TruncationDirection"},
     "max_chunks_per_doc": {"$ref": "#/components/schemas/MaxChunksPerDoc"},
     "max_tokens_per_doc": {"$ref": "#/components/schemas/MaxTokensPerDoc"}}})json";

ordered_json error_answer(const char* schema) {
  return {{"description",
           "an error (400, 401, 404, 405, 413, 415, 422, 424, 429, 503) in this API's shape"},
          {"content",
           {{"application/json",
             {{"schema", {{"$ref", std::string("#/components/schemas/") + schema}}}}}}}};
}

}  // namespace

std::string openapi_document(const Router& router) {
  ordered_json components = ordered_json::parse(kComponents);
  components["schemas"]["VllmScoreRequest"] = ordered_json::parse(kVllmScoreRequest);
  components["responses"] = {{"TeiError", error_answer("TeiError")},
                             {"CohereError", error_answer("CohereError")},
                             {"OpenAiError", error_answer("OpenAiError")}};
  ordered_json paths = ordered_json::parse(kPaths);
  return dump({{"openapi", "3.0.3"},
               {"info",
                {{"title", "crossenc"},
                 {"version", router.context().version},
                 {"description",
                  "Cross-encoder reranking: TEI, Cohere, Jina and vLLM shapes over one engine"}}},
               {"security",
                ordered_json::array({ordered_json::object(), {{"bearer", ordered_json::array()}}})},
               {"paths", std::move(paths)},
               {"components", std::move(components)}});
}

}  // namespace crossenc::server
