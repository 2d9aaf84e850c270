// Parsing and validation of the HTTP API's JSON bodies, and the bodies it answers with.
#include "json_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace crossenc::server {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;  // responses keep their fields in a readable order

namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw ApiError(ErrorKind::kInvalid, message);
}

// nlohmann's messages start with "[json.exception.parse_error.101] " and end with the bytes last
// read; clients need only the middle (and no echo of bytes that may not be UTF-8).
std::string strip_exception_id(const std::string& what) {
  const auto start = what.find("] ");
  std::string out = start == std::string::npos ? what : what.substr(start + 2);
  if (const auto end = out.find("; last read"); end != std::string::npos) out.resize(end);
  return out;
}

json parse_body(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 9e999
    const std::string what = strip_exception_id(e.what());
    if (what.find("UTF-8") != std::string::npos)
      invalid("request body is not valid UTF-8: " + what);
    throw ApiError(ErrorKind::kMalformed, "malformed JSON: " + what);
  }
}

json parse_object(std::string_view body) {
  json v = parse_body(body);
  if (!v.is_object()) invalid("request body must be a JSON object");
  return v;
}

const char* type_name(const json& v) { return v.type_name(); }

std::string string_field(const json& obj, const char* field) {
  const auto it = obj.find(field);
  if (it == obj.end()) invalid(std::string("missing field \"") + field + "\"");
  if (!it->is_string()) {
    invalid(std::string("\"") + field + "\" must be a string, not " + type_name(*it));
  }
  return it->get<std::string>();
}

// Absent and null both mean "not given".
std::optional<bool> optional_bool(const json& obj, const char* field) {
  const auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) {
    invalid(std::string("\"") + field + "\" must be true or false, not " + type_name(*it));
  }
  return it->get<bool>();
}

const json& nonempty_array(const json& obj, const char* field) {
  const auto it = obj.find(field);
  if (it == obj.end()) invalid(std::string("missing field \"") + field + "\"");
  if (!it->is_array()) {
    invalid(std::string("\"") + field + "\" must be an array, not " + type_name(*it));
  }
  if (it->empty()) invalid(std::string("\"") + field + "\" cannot be empty");
  return *it;
}

std::string item_name(const char* field, size_t i) {
  return std::string("\"") + field + "\"[" + std::to_string(i) + "]";
}

// The shortest decimal that reads back as the same float: 0.8125 rather than 0.81250000000000000.
double tidy(float f) {
  if (!std::isfinite(f)) return f;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

// Positions sorted by descending score; equal scores keep input order.
std::vector<size_t> ranking(std::span<const float> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Invalid UTF-8 never reaches a response (requests are validated), but never throw while
// answering either.
std::string dump(const ordered_json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

Pair pair_from_item(const json& item, size_t i) {
  if (item.is_array()) {
    if (item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      invalid(item_name("pairs", i) + " must be [query, passage] (two strings)");
    }
    return {item[0].get<std::string>(), item[1].get<std::string>()};
  }
  if (!item.is_object()) {
    invalid(item_name("pairs", i) + " must be {\"query\", \"passage\"} or [query, passage], not " +
            type_name(item));
  }
  const char* second = item.contains("passage") ? "passage" : "document";
  try {
    return {string_field(item, "query"), string_field(item, second)};
  } catch (const ApiError& e) {
    invalid(item_name("pairs", i) + ": " + e.what());
  }
}

}  // namespace

TeiRerankRequest parse_tei_rerank(std::string_view body) {
  const json v = parse_object(body);
  TeiRerankRequest r;
  r.query = string_field(v, "query");
  const json& texts = nonempty_array(v, "texts");
  r.texts.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!texts[i].is_string()) {
      invalid(item_name("texts", i) + " must be a string, not " + type_name(texts[i]));
    }
    r.texts.push_back(texts[i].get<std::string>());
  }
  r.raw_scores = optional_bool(v, "raw_scores").value_or(true);
  r.return_text = optional_bool(v, "return_text").value_or(false);
  r.truncate = optional_bool(v, "truncate");
  return r;
}

CohereRerankRequest parse_cohere_rerank(std::string_view body) {
  const json v = parse_object(body);
  CohereRerankRequest r;
  if (v.contains("model") && !v["model"].is_null() && !v["model"].is_string()) {
    invalid("\"model\" must be a string");
  }
  r.query = string_field(v, "query");
  const json& docs = nonempty_array(v, "documents");
  r.documents.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const json& d = docs[i];
    if (d.is_string()) {
      r.documents.push_back(d.get<std::string>());
    } else if (d.is_object() && d.contains("text") && d["text"].is_string()) {
      r.documents.push_back(d["text"].get<std::string>());
    } else {
      invalid(item_name("documents", i) + " must be a string or {\"text\": string}");
    }
  }
  if (const auto it = v.find("top_n"); it != v.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      invalid("\"top_n\" must be a positive integer");
    }
    r.top_n = static_cast<size_t>(it->get<int64_t>());
  }
  r.return_documents = optional_bool(v, "return_documents").value_or(false);
  r.truncate = optional_bool(v, "truncate");
  return r;
}

ScoreRequest parse_score(std::string_view body) {
  const json v = parse_body(body);
  ScoreRequest r;
  const json* pairs = &v;
  if (v.is_object()) {
    pairs = &nonempty_array(v, "pairs");
    r.raw_scores = optional_bool(v, "raw_scores").value_or(true);
    r.truncate = optional_bool(v, "truncate");
  } else if (!v.is_array()) {
    invalid("request body must be {\"pairs\": [...]} or an array of [query, passage]");
  } else if (v.empty()) {
    invalid("\"pairs\" cannot be empty");
  }
  r.pairs.reserve(pairs->size());
  for (size_t i = 0; i < pairs->size(); ++i) r.pairs.push_back(pair_from_item((*pairs)[i], i));
  return r;
}

float sigmoid(float logit) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logit))));
}

std::string tei_rerank_response(const TeiRerankRequest& request, std::span<const float> logits) {
  ordered_json out = ordered_json::array();
  for (size_t i : ranking(logits)) {
    ordered_json item = {{"index", i},
                         {"score", tidy(request.raw_scores ? logits[i] : sigmoid(logits[i]))}};
    if (request.return_text) item["text"] = request.texts[i];
    out.push_back(std::move(item));
  }
  return dump(out);
}

std::string cohere_rerank_response(const CohereRerankRequest& request,
                                   std::span<const float> logits, size_t total_tokens,
                                   const std::string& model) {
  ordered_json results = ordered_json::array();
  const std::vector<size_t> order = ranking(logits);
  const size_t n = std::min(order.size(), request.top_n.value_or(order.size()));
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    ordered_json item = {{"index", i}, {"relevance_score", tidy(sigmoid(logits[i]))}};
    if (request.return_documents) item["document"] = {{"text", request.documents[i]}};
    results.push_back(std::move(item));
  }
  return dump({{"model", model},
               {"results", std::move(results)},
               {"usage", {{"total_tokens", total_tokens}}}});
}

std::string score_response(const ScoreRequest& request, std::span<const float> logits) {
  ordered_json scores = ordered_json::array();
  for (float s : logits) scores.push_back(tidy(request.raw_scores ? s : sigmoid(s)));
  return dump({{"scores", std::move(scores)}});
}

std::string error_body(ErrorKind kind, std::string_view message) {
  return dump({{"error", std::string(message)}, {"error_type", error_type(kind)}});
}

std::string info_response(const EngineInfo& info, const ServiceOptions& service,
                          const ServerOptions& server, const std::string& model_id,
                          const std::string& version) {
  const std::string tei_dtype = info.dtype == DType::F16    ? "float16"
                                : info.dtype == DType::BF16 ? "bfloat16"
                                                            : "float32";
  ordered_json labels = ordered_json::object(), ids = ordered_json::object();
  for (int i = 0; i < info.config.num_labels; ++i) {
    labels[std::to_string(i)] = "LABEL_" + std::to_string(i);
    ids["LABEL_" + std::to_string(i)] = i;
  }
  ordered_json backends = ordered_json::array();
  for (const auto& b : service.replica_backends) backends.push_back(b);
  return dump({
      // Text Embeddings Inference's /info fields.
      {"model_id", model_id},
      {"model_sha", nullptr},
      {"model_dtype", tei_dtype},
      {"model_type", {{"reranker", {{"id2label", labels}, {"label2id", ids}}}}},
      {"max_concurrent_requests", server.max_concurrent_requests},
      {"max_input_length", info.max_length},
      {"max_batch_tokens", service.max_batch_tokens},
      {"max_batch_requests", service.max_batch_pairs},
      {"max_client_batch_size", server.max_client_batch_size},
      {"auto_truncate", server.default_truncate},
      {"tokenization_workers", service.tokenizer_workers},
      {"version", version},
      // crossenc's own.
      {"engine", "crossenc"},
      {"model_path", info.model_path},
      {"architecture", info.config.architecture},
      {"num_layers", info.config.num_layers},
      {"hidden_size", info.config.hidden_size},
      {"dtype", std::string(dtype_name(info.dtype))},
      {"backend", info.backend},
      {"device", info.device},
      {"replicas", service.replicas},
      {"replica_backends", backends},
      {"batch_timeout_ms", service.timeout_ms},
      {"dynamic_batching", service.dynamic_batching},
      {"max_queued_pairs", service.max_queued_pairs},
      {"payload_limit", server.payload_limit_bytes},
      {"grpc_max_message_bytes", server.grpc_max_message_bytes},
      {"scores", "raw logits; sigmoid with raw_scores=false (/rerank, /score) and on /v1/rerank"},
  });
}

}  // namespace crossenc::server
