// libFuzzer target: the HTTP API's request bodies (/rerank, /v1/rerank, /score:
// server/json_api.cc).
//
// Every input is given to all three parsers, as the body of each route. Invariants: a parser
// throws only ApiError, of kind kMalformed or kInvalid; an accepted request has at least one
// pair and only valid UTF-8 (it tokenizes without error); the response built from it for
// made-up logits (ties, NaN, +-Inf included) is valid JSON with each index exactly once; the
// error body for a rejection is valid JSON too.
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "crossenc/tokenizer.h"
#include "fuzz_util.h"
#include "json_api.h"

namespace {

namespace srv = crossenc::server;
using crossenc::fuzz::require;
using nlohmann::json;

const crossenc::Tokenizer& tokenizer() {
  static const crossenc::Tokenizer t = crossenc::Tokenizer::from_vocab_file(
      std::string(CROSSENC_TEST_DATA_DIR) + "/tiny-random/vocab.txt");
  return t;
}

void check_tokenizes(std::string_view q, std::string_view p) {
  try {
    tokenizer().encode_pair(q, p, 16);
  } catch (const crossenc::Error& e) {
    crossenc::fuzz::fail(std::string("an accepted request does not tokenize: ") + e.what());
  }
}

// Logits the parsers' sizes can be answered with: repeats (ties) and non-finite values.
std::vector<float> logits_for(size_t n) {
  const float pool[] = {0.5f,
                        -1.0f,
                        0.5f,
                        std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity(),
                        3.25f,
                        std::nanf(""),
                        0.0f};
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = pool[i % 8];
  return out;
}

// A JSON array of {"index": i, ...} must hold each of 0..n-1 at most once (exactly once if full).
void check_indices(const json& items, size_t n, bool full) {
  require(items.is_array(), "results are not an array");
  std::vector<bool> seen(n, false);
  for (const auto& item : items) {
    const auto i = item.at("index").get<size_t>();
    require(i < n && !seen[i], "index out of range or repeated");
    seen[i] = true;
  }
  if (full) require(items.size() == n, "results miss an index");
}

json parse_response(const std::string& body) {
  require(json::accept(body), "response is not valid JSON: " + body.substr(0, 200));
  return json::parse(body);
}

template <class Parse, class Check>
void run(const char* route, std::string_view body, Parse parse, Check check) {
  try {
    check(parse(body));
  } catch (const srv::ApiError& e) {
    require(e.kind() == srv::ErrorKind::kMalformed || e.kind() == srv::ErrorKind::kInvalid,
            std::string(route) + ": unexpected error kind for: " + e.what());
    const json err = parse_response(srv::error_body(e.kind(), e.what()));
    require(err.at("error").is_string(), "error body without a message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  run("/rerank", body, srv::parse_tei_rerank, [](const srv::TeiRerankRequest& r) {
    require(!r.texts.empty(), "/rerank accepted no texts");
    for (const auto& t : r.texts) check_tokenizes(r.query, t);
    const auto logits = logits_for(r.texts.size());
    check_indices(parse_response(srv::tei_rerank_response(r, logits)), r.texts.size(), true);
  });
  run("/v1/rerank", body, srv::parse_cohere_rerank, [](const srv::CohereRerankRequest& r) {
    require(!r.documents.empty(), "/v1/rerank accepted no documents");
    require(!r.top_n || *r.top_n >= 1, "/v1/rerank accepted top_n < 1");
    for (const auto& d : r.documents) check_tokenizes(r.query, d);
    const auto logits = logits_for(r.documents.size());
    const json out = parse_response(srv::cohere_rerank_response(r, logits, 42, "fuzz-model"));
    const size_t n = r.documents.size();
    const size_t want = r.top_n ? std::min(*r.top_n, n) : n;
    check_indices(out.at("results"), n, false);
    require(out.at("results").size() == want, "/v1/rerank ignored top_n");
  });
  run("/score", body, srv::parse_score, [](const srv::ScoreRequest& r) {
    require(!r.pairs.empty(), "/score accepted no pairs");
    for (const auto& p : r.pairs) check_tokenizes(p.query, p.passage);
    const json out = parse_response(srv::score_response(r, logits_for(r.pairs.size())));
    require(out.at("scores").size() == r.pairs.size(), "/score answered the wrong count");
  });
  return 0;
}
