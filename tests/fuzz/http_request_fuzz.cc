// libFuzzer target: the JSON layer every HTTP API route reads its body with (server/json_api.cc:
// parse_object and the typed field readers the adapters in server/api/ call).
//
// Every input is parsed as a request body; when it is an object, every typed reader is asked
// for the fields the routes read ("query", "texts", "documents", "top_n", ...). Invariants: only
// ApiError is thrown, of kind kMalformed, kInvalid or kEmpty; strings it accepts are valid UTF-8
// (they tokenize without error); ranking() of made-up scores (ties, NaN, +-Inf) is a
// permutation; the error body of a rejection is valid JSON with a message.
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

void check_tokenizes(std::string_view text) {
  try {
    tokenizer().encode_pair(text, "p", 16);
  } catch (const crossenc::Error& e) {
    crossenc::fuzz::fail(std::string("an accepted string does not tokenize: ") + e.what());
  }
}

// Runs one reader; a rejection must be a client error with a JSON error body.
template <class Read>
void run(const char* what, Read read) {
  try {
    read();
  } catch (const srv::ApiError& e) {
    require(e.kind() == srv::ErrorKind::kMalformed || e.kind() == srv::ErrorKind::kInvalid ||
                e.kind() == srv::ErrorKind::kEmpty,
            std::string(what) + ": unexpected error kind for: " + e.what());
    const std::string body = srv::error_body(e.kind(), e.what());
    require(json::accept(body), "error body is not valid JSON");
    require(json::parse(body).at("error").is_string(), "error body without a message");
  }
}

void check_ranking(size_t n) {
  const float pool[] = {0.5f,
                        -1.0f,
                        0.5f,
                        std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity(),
                        3.25f,
                        std::nanf(""),
                        0.0f};
  std::vector<float> scores(n);
  for (size_t i = 0; i < n; ++i) scores[i] = pool[i % 8];
  const auto order = srv::ranking(scores);
  require(order.size() == n, "ranking lost an index");
  std::vector<bool> seen(n, false);
  for (size_t i : order) {
    require(i < n && !seen[i], "ranking repeated an index");
    seen[i] = true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  json obj;
  run("parse_object", [&] { obj = srv::parse_object(body); });
  if (!obj.is_object()) return 0;
  for (const char* field : {"query", "model", "text_1"}) {
    run(field, [&] {
      if (auto s = srv::optional_string(obj, field)) check_tokenizes(*s);
    });
  }
  for (const char* field : {"texts", "documents", "text_2", "pairs"}) {
    run(field, [&] {
      const auto items = srv::string_items(srv::nonempty_array(obj, field), field);
      for (const auto& s : items) check_tokenizes(s);
      check_ranking(items.size());
    });
  }
  for (const char* field : {"top_n", "max_tokens_per_doc"})
    run(field, [&] { srv::optional_positive_int(obj, field); });
  for (const char* field : {"raw_scores", "return_documents", "truncate"})
    run(field, [&] { srv::optional_bool(obj, field); });
  return 0;
}
