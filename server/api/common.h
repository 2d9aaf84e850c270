// Pieces several API adapters share: request fields with one meaning everywhere, running a
// ScoreJob, and the rerank result list of the Cohere / Jina / vLLM shapes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json_api.h"
#include "routes.h"

namespace crossenc::server {

// What an API does with a long document when the request does not say (Cohere: 10 chunks on
// v1, 4096 tokens on v2); 0: the server's --max-chunks-per-doc.
struct LongDocumentDefaults {
  size_t max_chunks = 0;
  size_t max_tokens = 0;
};
inline constexpr size_t kMaxChunksPerDoc = 100;
inline constexpr size_t kMaxTokensPerDoc = 16384;
// Fields every scoring route reads into job: "model" (which served model; see Scorer::model),
// "truncate", "truncation_direction" ("Right" or "Left", TEI), "max_chunks_per_doc" (windows a
// document may be scored in) and "max_tokens_per_doc" (its word pieces kept).
void read_job_options(const json& body, const Scorer& scorer, ScoreJob& job,
                      LongDocumentDefaults defaults = {});
// (query, document) for every document.
std::vector<Pair> query_pairs(const std::string& query, const std::vector<std::string>& documents);
// Scores the job through the Scorer (the one scoring path) and reports it in the log.
Scorer::Result run(Scorer& scorer, const ScoreJob& job, RequestLog& log);

// Documents as Cohere, Jina and vLLM send them: strings, or objects scored by `rank_fields`
// (default ["text"]); `echo` is what return_documents gives back (strings become {"text"}).
struct Documents {
  std::vector<std::string> texts;
  std::vector<ordered_json> echo;
};
Documents read_documents(const json& body);

// [{"index", "relevance_score", "document"?}] best first, at most top_n.
ordered_json rerank_results(std::span<const float> relevance, const Documents& documents,
                            std::optional<size_t> top_n, bool return_documents);

// A random RFC 4122 version-4 id, as Cohere and vLLM give every response.
std::string random_id();

}  // namespace crossenc::server
