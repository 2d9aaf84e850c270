// Cohere's rerank API: POST /v1/rerank and /v2/rerank. Relevance is the sigmoid of the logit;
// errors are {"message"}. The response also carries Jina's "model" and "usage", which Cohere
// clients ignore, so Jina clients (whose endpoint is /v1/rerank too) work unchanged.
#include <string>

#include "api.h"
#include "common.h"

namespace crossenc::server {

namespace {

// Cohere bills one search unit per query with up to 100 documents.
size_t search_units(size_t documents) { return (documents + 99) / 100; }

HttpResponse cohere_rerank(const RouteContext& ctx, const HttpRequest& req, RequestLog& log,
                           const char* api_version, LongDocumentDefaults long_documents) {
  const json v = parse_object(req.body);
  ScoreJob job;
  read_job_options(v, ctx.scorer, job, long_documents);
  const std::string query = string_field(v, "query");
  const Documents docs = read_documents(v);
  const auto top_n = optional_positive_int(v, "top_n");
  const bool return_documents = optional_bool(v, "return_documents").value_or(false);
  job.pairs = query_pairs(query, docs.texts);
  Scorer::Result r = run(ctx.scorer, job, log);
  for (float& s : r.scores) s = sigmoid(s);
  const size_t tokens = r.timing.tokens;
  return json_response(
      dump({{"id", random_id()},
            {"results", rerank_results(r.scores, docs, top_n, return_documents)},
            {"meta",
             {{"api_version", {{"version", api_version}}},
              {"billed_units", {{"search_units", search_units(docs.texts.size())}}},
              {"tokens", {{"input_tokens", tokens}, {"output_tokens", 0}}}}},
            {"model", r.model->name},
            {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}}));
}

}  // namespace

void add_cohere_routes(Router& router) {
  const RouteContext& ctx = router.context();
  router.add(
      {"POST", "/v1/rerank", ErrorStyle::kCohere, [&ctx](const HttpRequest& req, RequestLog& log) {
         // Cohere's defaults: v1 scores up to 10 chunks of a document, v2 its first 4096 tokens.
         return cohere_rerank(ctx, req, log, "1", {.max_chunks = 10});
       }});
  router.add(
      {"POST", "/v2/rerank", ErrorStyle::kCohere, [&ctx](const HttpRequest& req, RequestLog& log) {
         return cohere_rerank(ctx, req, log, "2", {.max_tokens = 4096});
       }});
}

}  // namespace crossenc::server
