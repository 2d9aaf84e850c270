// Request fields with one meaning across APIs, the scoring call, rerank result lists.
#include "common.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace crossenc::server {

namespace {

size_t bounded_positive(const json& body, const char* field, size_t fallback, size_t limit) {
  const size_t n = optional_positive_int(body, field).value_or(fallback);
  if (n > limit) {
    invalid("\"" + std::string(field) + "\" must be at most " + std::to_string(limit) + ", not " +
            std::to_string(n));
  }
  return n;
}

}  // namespace

void read_job_options(const json& body, const Scorer& scorer, ScoreJob& job,
                      LongDocumentDefaults defaults) {
  job.model = optional_string(body, "model").value_or("");
  const int max_length = scorer.model(job.model).service->info().max_length;
  job.truncate = optional_bool(body, "truncate");
  if (const auto side = optional_string(body, "truncation_direction")) {
    if (*side == "Right" || *side == "right") {
      job.long_pairs.side = TruncationSide::kRight;
    } else if (*side == "Left" || *side == "left") {
      job.long_pairs.side = TruncationSide::kLeft;
    } else {
      invalid("\"truncation_direction\" must be \"Right\" or \"Left\", not \"" + *side + "\"");
    }
  }
  const size_t tokens =
      bounded_positive(body, "max_tokens_per_doc", defaults.max_tokens, kMaxTokensPerDoc);
  const size_t chunks =
      bounded_positive(body, "max_chunks_per_doc", defaults.max_chunks, kMaxChunksPerDoc);
  job.long_pairs.max_passage_tokens = tokens;
  // Chunks when given; else as many windows as the kept tokens need; else the server default.
  job.long_pairs.max_windows = chunks > 0   ? chunks
                               : tokens > 0 ? windows_to_cover(tokens, max_length)
                                            : 0;
}

std::vector<Pair> query_pairs(const std::string& query, const std::vector<std::string>& documents) {
  std::vector<Pair> pairs;
  pairs.reserve(documents.size());
  for (const auto& d : documents) pairs.push_back({query, d});
  return pairs;
}

Scorer::Result run(Scorer& scorer, const ScoreJob& job, RequestLog& log) {
  log.pairs = job.pairs.size();
  Scorer::Result r = scorer.score(job);
  log.timing = r.timing;
  log.model = r.model->name;
  return r;
}

namespace {

std::vector<std::string> read_rank_fields(const json& body) {
  const auto it = body.find("rank_fields");
  if (it == body.end() || it->is_null()) return {"text"};
  const json& fields = nonempty_array(body, "rank_fields");
  return string_items(fields, "rank_fields");
}

// Cohere ranks an object by its rank_fields in order; one field is its bare value, several are
// "field: value" lines so the model sees which is which.
std::string document_text(const json& doc, size_t i, const std::vector<std::string>& fields) {
  std::string text;
  for (const std::string& f : fields) {
    const auto it = doc.find(f);
    if (it == doc.end() || !it->is_string()) {
      invalid(item_name("documents", i) + " has no string field \"" + f + "\"" +
              (fields.size() == 1 && f == "text" ? " (name the fields to rank with rank_fields)"
                                                 : " (named in rank_fields)"));
    }
    const std::string value = it->get<std::string>();
    if (fields.size() == 1) return value;
    text += (text.empty() ? "" : "\n") + f + ": " + value;
  }
  return text;
}

}  // namespace

Documents read_documents(const json& body) {
  const json& docs = nonempty_array(body, "documents");
  const std::vector<std::string> fields = read_rank_fields(body);
  Documents out;
  out.texts.reserve(docs.size());
  out.echo.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const json& d = docs[i];
    if (d.is_string()) {
      out.texts.push_back(d.get<std::string>());
      out.echo.push_back({{"text", d.get<std::string>()}});
    } else if (d.is_object()) {
      out.texts.push_back(document_text(d, i, fields));
      out.echo.push_back(ordered_json(d));
    } else {
      invalid(item_name("documents", i) + " must be a string or an object, not " + d.type_name());
    }
  }
  return out;
}

ordered_json rerank_results(std::span<const float> relevance, const Documents& documents,
                            std::optional<size_t> top_n, bool return_documents) {
  ordered_json results = ordered_json::array();
  const std::vector<size_t> order = ranking(relevance);
  const size_t n = std::min(order.size(), top_n.value_or(order.size()));
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    ordered_json item = {{"index", i}, {"relevance_score", tidy(relevance[i])}};
    if (return_documents) item["document"] = documents.echo[i];
    results.push_back(std::move(item));
  }
  return results;
}

std::string random_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

}  // namespace crossenc::server
