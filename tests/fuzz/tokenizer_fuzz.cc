// libFuzzer target: Tokenizer::encode_pair / tokenize on arbitrary bytes, any max_length and
// config.
//
// Input: [config bits][max_length: int16][query length: u16][query][passage]. Invariants: only
// crossenc::Error escapes, and only for invalid UTF-8 or max_length < 3; the pair layout is
// [CLS] q [SEP] p [SEP] within the budget; the result equals longest_first truncation applied to
// tokenize(query) and tokenize(passage) (which checks the early stop of the passage scan).
#include <array>
#include <memory>
#include <optional>

#include "crossenc/error.h"
#include "crossenc/tokenizer.h"
#include "fuzz_util.h"

namespace {

using crossenc::Encoding;
using crossenc::Tokenizer;
using crossenc::fuzz::require;

std::vector<std::string> load_vocab() {
  std::ifstream in(std::string(CROSSENC_TEST_DATA_DIR) + "/tiny-random/vocab.txt");
  std::vector<std::string> vocab;
  for (std::string line; std::getline(in, line);) vocab.push_back(line);
  if (vocab.size() < 1000) crossenc::fuzz::fail("tiny-random/vocab.txt not found");
  return vocab;
}

// One tokenizer per combination of the config switches, built on first use.
const Tokenizer& tokenizer_for(uint8_t bits) {
  static const std::vector<std::string> vocab = load_vocab();
  static std::array<std::unique_ptr<Tokenizer>, 16> cache;
  auto& t = cache[bits & 15];
  if (!t) {
    crossenc::TokenizerConfig c;
    c.lowercase = bits & 1;
    c.strip_accents = bits & 2;
    c.handle_chinese_chars = bits & 4;
    c.max_input_chars_per_word = (bits & 8) ? 5 : 100;
    t = std::make_unique<Tokenizer>(vocab, c);
  }
  return *t;
}

// HF longest_first: the expected (query, passage) token counts for a budget of `room`.
std::pair<size_t, size_t> longest_first(size_t n1, size_t n2, size_t room) {
  if (n1 + n2 <= room) return {n1, n2};
  const bool swap = n1 > n2;
  size_t shorter = swap ? n2 : n1, longer;
  if (shorter > room / 2) {
    shorter = room / 2;
    longer = room / 2 + room % 2;
  } else {
    longer = room - shorter;
  }
  return swap ? std::make_pair(longer, shorter) : std::make_pair(shorter, longer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crossenc::fuzz::Reader r(data, size);
  const Tokenizer& tok = tokenizer_for(r.u8());
  const int max_length = static_cast<int16_t>(r.u16());
  const size_t qlen = r.u16();
  const std::string_view query = r.take(qlen), passage = r.rest();
  const bool utf8_ok = crossenc::fuzz::valid_utf8(query) && crossenc::fuzz::valid_utf8(passage);
  const int budget = max_length > 0 ? max_length : tok.config().max_length;

  std::optional<Encoding> enc;
  try {
    enc = tok.encode_pair(query, passage, max_length);
  } catch (const crossenc::Error& e) {
    const std::string what = e.what();
    require(!utf8_ok || budget < 3, "encode_pair threw on valid input: " + what);
    require(what.find(budget < 3 ? "max_length" : "invalid UTF-8") != std::string::npos,
            "unexpected message: " + what);
    return 0;
  }
  require(utf8_ok, "encode_pair accepted invalid UTF-8");
  require(budget >= 3, "encode_pair accepted max_length < 3");

  const Encoding& e = *enc;
  const auto vocab_size = static_cast<int32_t>(tok.vocab().size());
  require(e.input_ids.size() == e.token_type_ids.size(), "ids and type ids differ in length");
  require(e.input_ids.size() >= 3 && e.input_ids.size() <= static_cast<size_t>(budget),
          "length outside [3, max_length]");
  require(e.input_ids.front() == tok.cls_id() && e.input_ids.back() == tok.sep_id(),
          "not [CLS] ... [SEP]");
  for (int32_t id : e.input_ids) require(id >= 0 && id < vocab_size, "id outside the vocab");

  // Differential: the same result from the untruncated word pieces of each text.
  const std::vector<int32_t> a = tok.tokenize(query), b = tok.tokenize(passage);
  const auto [n1, n2] = longest_first(a.size(), b.size(), static_cast<size_t>(budget - 3));
  std::vector<int32_t> want = {tok.cls_id()};
  want.insert(want.end(), a.begin(), a.begin() + static_cast<ptrdiff_t>(n1));
  want.push_back(tok.sep_id());
  want.insert(want.end(), b.begin(), b.begin() + static_cast<ptrdiff_t>(n2));
  want.push_back(tok.sep_id());
  require(e.input_ids == want, "encode_pair differs from longest_first over tokenize()");
  for (size_t i = 0; i < e.token_type_ids.size(); ++i) {
    require(e.token_type_ids[i] == (i < n1 + 2 ? 0 : 1), "wrong token_type_ids");
  }
  return 0;
}
