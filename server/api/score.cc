// Pair scoring: POST /score in crossenc's own shape ({"pairs"} or [[q, p], ...], raw logits) or
// in vLLM's ({"text_1", "text_2"}, sigmoid), and vLLM's POST /v1/score.
#include <ctime>
#include <string>
#include <vector>

#include "api.h"
#include "common.h"

namespace crossenc::server {

namespace {

Pair pair_from_item(const json& item, size_t i) {
  if (item.is_array()) {
    if (item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      invalid(item_name("pairs", i) + " must be [query, passage] (two strings)");
    }
    return {item[0].get<std::string>(), item[1].get<std::string>()};
  }
  if (!item.is_object()) {
    invalid(item_name("pairs", i) + " must be {\"query\", \"passage\"} or [query, passage], not " +
            item.type_name());
  }
  // "document" is gRPC's name for the passage; both are accepted.
  const char* second = item.contains("passage") ? "passage" : "document";
  try {
    return {string_field(item, "query"), string_field(item, second)};
  } catch (const ApiError& e) {
    invalid(item_name("pairs", i) + ": " + e.what());
  }
}

// crossenc: {"pairs": [...], "raw_scores"?, "truncate"?} or a bare array -> {"scores"}.
HttpResponse pairs_score(Scorer& scorer, const json& v, RequestLog& log) {
  ScoreJob job;
  bool raw = true;
  const json* items = &v;
  if (v.is_object()) {
    items = &nonempty_array(v, "pairs");
    raw = optional_bool(v, "raw_scores").value_or(true);
    read_job_options(v, scorer, job);
  } else if (!v.is_array()) {
    invalid("request body must be {\"pairs\": [...]} or an array of [query, passage]");
  } else if (v.empty()) {
    throw ApiError(ErrorKind::kEmpty, "\"pairs\" cannot be empty");
  }
  job.pairs.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) job.pairs.push_back(pair_from_item((*items)[i], i));
  const Scorer::Result r = run(scorer, job, log);
  ordered_json scores = ordered_json::array();
  for (float s : r.scores) scores.push_back(tidy(raw ? s : sigmoid(s)));
  return json_response(dump({{"scores", std::move(scores)}}));
}

std::vector<std::string> texts_of(const json& v, const char* field) {
  const auto it = v.find(field);
  if (it == v.end()) invalid(std::string("missing field \"") + field + "\"");
  if (it->is_string()) return {it->get<std::string>()};
  if (!it->is_array()) invalid(std::string("\"") + field + "\" must be a string or an array");
  return string_items(nonempty_array(v, field), field);
}

// vLLM: text_1 and text_2 are 1:1, 1:N or N:N -> {"id", "object", "data": [...], "usage"}.
HttpResponse vllm_score(const RouteContext& ctx, const json& v, RequestLog& log) {
  log.style = ErrorStyle::kOpenAi;
  refuse_field(v, "truncate_prompt_tokens", "use \"truncate\" (cut at the model's window)");
  const std::vector<std::string> a = texts_of(v, "text_1"), b = texts_of(v, "text_2");
  if (a.size() != 1 && a.size() != b.size()) {
    invalid("\"text_1\" has " + std::to_string(a.size()) + " texts and \"text_2\" " +
            std::to_string(b.size()) + ": give one text_1, or as many as text_2");
  }
  ScoreJob job;
  read_job_options(v, ctx.scorer, job);
  job.pairs.reserve(b.size());
  for (size_t i = 0; i < b.size(); ++i) job.pairs.push_back({a.size() == 1 ? a[0] : a[i], b[i]});
  const Scorer::Result r = run(ctx.scorer, job, log);
  ordered_json data = ordered_json::array();
  for (size_t i = 0; i < r.scores.size(); ++i) {
    data.push_back({{"index", i}, {"object", "score"}, {"score", tidy(sigmoid(r.scores[i]))}});
  }
  const size_t tokens = r.timing.tokens;
  return json_response(dump({{"id", "score-" + random_id()},
                             {"object", "list"},
                             {"created", static_cast<int64_t>(std::time(nullptr))},
                             {"model", r.model->name},
                             {"data", std::move(data)},
                             {"usage",
                              {{"prompt_tokens", tokens},
                               {"total_tokens", tokens},
                               {"completion_tokens", 0},
                               {"prompt_tokens_details", nullptr}}}}));
}

}  // namespace

void add_score_routes(Router& router) {
  const RouteContext& ctx = router.context();
  router.add({"POST", "/score", ErrorStyle::kTei, [&ctx](const HttpRequest& req, RequestLog& log) {
                const json v = parse_body(req.body);
                if (v.is_object() && (v.contains("text_1") || v.contains("text_2"))) {
                  return vllm_score(ctx, v, log);
                }
                return pairs_score(ctx.scorer, v, log);
              }});
  router.add(
      {"POST", "/v1/score", ErrorStyle::kOpenAi, [&ctx](const HttpRequest& req, RequestLog& log) {
         return vllm_score(ctx, parse_object(req.body), log);
       }});
}

}  // namespace crossenc::server
