// Text Embeddings Inference's routes (router/src/http/server.rs): POST /rerank (with Jina's and
// vLLM's fields where they do not clash), /predict, /tokenize, /decode. Scores are sigmoid unless
// raw_scores is true, as in TEI.
#include <string>
#include <utility>
#include <vector>

#include "api.h"
#include "common.h"

namespace crossenc::server {

namespace {

float activate(float logit, bool raw) { return raw ? logit : sigmoid(logit); }

// TEI: [{"index", "score", "text"?}], best first.
HttpResponse tei_rerank(Scorer& scorer, const json& v, RequestLog& log) {
  ScoreJob job;
  const std::string query = string_field(v, "query");
  const std::vector<std::string> texts = string_items(nonempty_array(v, "texts"), "texts");
  read_job_options(v, scorer, job);
  const bool raw = optional_bool(v, "raw_scores").value_or(false);
  const bool return_text = optional_bool(v, "return_text").value_or(false);
  job.pairs = query_pairs(query, texts);
  const Scorer::Result r = run(scorer, job, log);
  ordered_json out = ordered_json::array();
  for (size_t i : ranking(r.scores)) {
    ordered_json item = {{"index", i}, {"score", tidy(activate(r.scores[i], raw))}};
    if (return_text) item["text"] = texts[i];
    out.push_back(std::move(item));
  }
  return json_response(dump(out));
}

// Jina / vLLM: {"id", "model", "results": [{"index", "relevance_score", "document"}], "usage"}.
HttpResponse jina_rerank(const RouteContext& ctx, const json& v, RequestLog& log) {
  log.style = ErrorStyle::kOpenAi;  // vLLM answers errors on its /rerank in OpenAI's shape
  ScoreJob job;
  const std::string query = string_field(v, "query");
  const Documents docs = read_documents(v);
  const auto top_n = optional_positive_int(v, "top_n");
  const bool return_documents = optional_bool(v, "return_documents").value_or(true);
  const bool raw = optional_bool(v, "raw_scores").value_or(false);
  read_job_options(v, ctx.scorer, job);
  job.pairs = query_pairs(query, docs.texts);
  Scorer::Result r = run(ctx.scorer, job, log);
  for (float& s : r.scores) s = activate(s, raw);
  const size_t tokens = r.timing.tokens;
  return json_response(
      dump({{"id", "rerank-" + random_id()},
            {"model", r.model->name},
            {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}},
            {"results", rerank_results(r.scores, docs, top_n, return_documents)}}));
}

// inputs: a pair ["a", "b"], or a batch [["a", "b"], ...]. A single text is refused: a
// cross-encoder scores pairs.
std::vector<Pair> predict_inputs(const json& v, bool& batch) {
  const auto it = v.find("inputs");
  if (it == v.end()) invalid("missing field \"inputs\"");
  const json& in = *it;
  const auto as_pair = [](const json& item, const std::string& name) -> Pair {
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      invalid(name + " must be a pair [text_a, text_b] (this model is a cross-encoder)");
    }
    return {item[0].get<std::string>(), item[1].get<std::string>()};
  };
  if (in.is_array() && in.size() == 2 && in[0].is_string() && in[1].is_string()) {
    batch = false;
    return {as_pair(in, "\"inputs\"")};
  }
  if (!in.is_array()) as_pair(in, "\"inputs\"");  // throws with the message above
  if (in.empty()) throw ApiError(ErrorKind::kEmpty, "\"inputs\" cannot be empty");
  batch = true;
  std::vector<Pair> pairs;
  pairs.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) pairs.push_back(as_pair(in[i], item_name("inputs", i)));
  return pairs;
}

// TEI: a pair gives [{"score", "label"}]; a batch gives one such list per pair.
HttpResponse predict(Scorer& scorer, const json& v, RequestLog& log) {
  ScoreJob job;
  bool batch = false;
  job.pairs = predict_inputs(v, batch);
  read_job_options(v, scorer, job);
  const bool raw = optional_bool(v, "raw_scores").value_or(false);
  const Scorer::Result r = run(scorer, job, log);
  ordered_json out = ordered_json::array();
  for (float s : r.scores) {
    out.push_back(ordered_json::array({{{"score", tidy(activate(s, raw))}, {"label", "LABEL_0"}}}));
  }
  return json_response(dump(batch ? out : out[0]));
}

// Hugging Face's WordPiece decoder with cleanup: "##" pieces join the previous one, others
// start a new word, and spaces before punctuation and contractions go.
std::string decode_ids(const Tokenizer& tokenizer, const json& ids, const std::string& name,
                       bool skip_special) {
  const std::vector<std::string>& vocab = tokenizer.vocab();
  const TokenizerConfig& c = tokenizer.config();
  const std::string& prefix = c.continuing_prefix;
  std::string out;
  bool first = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_number_integer() || ids[i].get<int64_t>() < 0 ||
        ids[i].get<int64_t>() >= static_cast<int64_t>(vocab.size())) {
      invalid(name + "[" + std::to_string(i) + "] must be a token id in [0, " +
              std::to_string(vocab.size()) + ")");
    }
    std::string token = vocab[static_cast<size_t>(ids[i].get<int64_t>())];
    const bool special = token == c.cls_token || token == c.sep_token || token == c.pad_token ||
                         token == c.mask_token || token == c.unk_token;
    if (special && skip_special) continue;
    if (!first) token = token.starts_with(prefix) ? token.substr(prefix.size()) : " " + token;
    first = false;
    for (const auto& [from, to] : {std::pair{" .", "."},
                                   {" ?", "?"},
                                   {" !", "!"},
                                   {" ,", ","},
                                   {" ' ", "'"},
                                   {" n't", "n't"},
                                   {" 'm", "'m"},
                                   {" do not", " don't"},
                                   {" 's", "'s"},
                                   {" 've", "'ve"},
                                   {" 're", "'re"}}) {
      for (size_t at = token.find(from); at != std::string::npos; at = token.find(from, at)) {
        token.replace(at, std::string_view(from).size(), to);
        at += std::string_view(to).size();
      }
    }
    out += token;
  }
  return out;
}

// TEI: {"ids": [..] | [[..], ..], "skip_special_tokens"?} -> one string per sequence.
HttpResponse decode(const Tokenizer& tokenizer, const json& v) {
  const json& ids = nonempty_array(v, "ids");
  const bool skip = optional_bool(v, "skip_special_tokens").value_or(true);
  ordered_json out = ordered_json::array();
  if (ids[0].is_array()) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!ids[i].is_array()) invalid(item_name("ids", i) + " must be an array of token ids");
      out.push_back(decode_ids(tokenizer, ids[i], item_name("ids", i), skip));
    }
  } else {
    out.push_back(decode_ids(tokenizer, ids, "\"ids\"", skip));
  }
  return json_response(dump(out));
}

// One text as TEI's SimpleTokens: {"id", "text", "special", "start", "stop"}, offsets in
// characters (Unicode scalar values) of the text, null for the [CLS]/[SEP] added around it.
ordered_json tokenize_text(const Tokenizer& tokenizer, const std::string& text, bool add_special) {
  std::vector<TokenSpan> spans;
  const std::vector<int32_t> ids = tokenizer.tokenize(text, spans);
  // Byte offset -> character offset. Spans begin and end on character boundaries (the text is
  // valid UTF-8: the tokenizer checked it), so only those entries are ever read.
  std::vector<uint32_t> chars(text.size() + 1, 0);
  uint32_t n = 0;
  for (size_t b = 0; b < text.size(); ++b) {
    chars[b] = n;
    if ((static_cast<unsigned char>(text[b]) & 0xC0) != 0x80) ++n;
  }
  chars[text.size()] = n;
  const std::vector<std::string>& vocab = tokenizer.vocab();
  ordered_json out = ordered_json::array();
  const auto added = [&](int32_t id) {
    out.push_back({{"id", id},
                   {"text", vocab[static_cast<size_t>(id)]},
                   {"special", true},
                   {"start", nullptr},
                   {"stop", nullptr}});
  };
  if (add_special) added(tokenizer.cls_id());
  for (size_t i = 0; i < ids.size(); ++i) {
    const TokenSpan s = spans[i];
    out.push_back({{"id", ids[i]},
                   {"text", text.substr(s.begin, s.end - s.begin)},
                   {"special", false},
                   {"start", chars[s.begin]},
                   {"stop", chars[s.end]}});
  }
  if (add_special) added(tokenizer.sep_id());
  return out;
}

// TEI: {"inputs": "text" | ["text", ..], "add_special_tokens" (true)} -> one token list per text.
HttpResponse tokenize(Scorer& scorer, const json& v) {
  const auto it = v.find("inputs");
  if (it == v.end()) invalid("missing field \"inputs\"");
  const bool add_special = optional_bool(v, "add_special_tokens").value_or(true);
  if (v.contains("prompt_name") && !v["prompt_name"].is_null()) {
    invalid("\"prompt_name\" is not supported: this model has no prompts");
  }
  std::vector<std::string> texts;
  if (it->is_string()) {
    texts.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    if (it->empty()) throw ApiError(ErrorKind::kEmpty, "\"inputs\" cannot be empty");
    scorer.check_batch_size(it->size());
    texts = string_items(*it, "inputs");
  } else {
    invalid("\"inputs\" must be a string or an array of strings");
  }
  const Tokenizer& tokenizer =
      scorer.model(optional_string(v, "model").value_or("")).service->tokenizer();
  ordered_json out = ordered_json::array();
  for (const std::string& text : texts) {
    try {
      out.push_back(tokenize_text(tokenizer, text, add_special));
    } catch (const Error& e) {
      throw ApiError(ErrorKind::kInvalid, e.what());
    }
  }
  return json_response(dump(out));
}

}  // namespace

void add_tei_routes(Router& router) {
  const RouteContext& ctx = router.context();
  router.add({"POST", "/rerank", ErrorStyle::kTei, [&ctx](const HttpRequest& req, RequestLog& log) {
                const json v = parse_object(req.body);
                if (v.contains("documents") && !v.contains("texts")) {
                  return jina_rerank(ctx, v, log);
                }
                return tei_rerank(ctx.scorer, v, log);
              }});
  router.add(
      {"POST", "/predict", ErrorStyle::kTei, [&ctx](const HttpRequest& req, RequestLog& log) {
         return predict(ctx.scorer, parse_object(req.body), log);
       }});
  router.add({"POST", "/tokenize", ErrorStyle::kTei, [&ctx](const HttpRequest& req, RequestLog&) {
                return tokenize(ctx.scorer, parse_object(req.body));
              }});
  router.add({"POST", "/decode", ErrorStyle::kTei, [&ctx](const HttpRequest& req, RequestLog&) {
                const json v = parse_object(req.body);
                const ServedModel& m = ctx.scorer.model(optional_string(v, "model").value_or(""));
                return decode(m.service->tokenizer(), v);
              }});
}

}  // namespace crossenc::server
