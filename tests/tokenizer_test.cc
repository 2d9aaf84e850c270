// Tests of the WordPiece tokenizer: the Hugging Face goldens, one test per rule, threads, errors.
#include "crossenc/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/error.h"
#include "test_util.h"

namespace crossenc {
namespace {

using Tokens = std::vector<std::string>;

const Tokenizer& bert() {
  static const Tokenizer tok =
      Tokenizer::from_vocab_file(test::data_path("tiny-random/vocab.txt").string());
  return tok;
}

Tokens to_tokens(const std::vector<int32_t>& ids) {
  Tokens out;
  for (int32_t id : ids) out.push_back(bert().vocab().at(static_cast<size_t>(id)));
  return out;
}

Tokens pieces(std::string_view text) { return to_tokens(bert().tokenize(text)); }

Tokens pair(std::string_view query, std::string_view passage, int max_length = 0) {
  return to_tokens(bert().encode_pair(query, passage, max_length).input_ids);
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct GoldenResult {
  int lines = 0;
  int failures = 0;
};

// Encodes every line of a golden jsonl file and compares input_ids and token_type_ids exactly.
GoldenResult check_golden(const std::filesystem::path& path) {
  GoldenResult r;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++r.lines;
    const nlohmann::json j = nlohmann::json::parse(line);
    const int max_length = j.value("max_length", 512);
    const auto want_ids = j.at("input_ids").get<std::vector<int32_t>>();
    const auto want_types = j.at("token_type_ids").get<std::vector<int32_t>>();
    const Encoding got = bert().encode_pair(j.at("query").get<std::string>(),
                                            j.at("passage").get<std::string>(), max_length);
    for (const char* field : {"query", "passage"}) {
      // The offsets path gives the same ids, with spans in order inside the text (pieces of
      // one character, as Hangul jamo after NFD, share its span).
      const std::string text = j.at(field).get<std::string>();
      std::vector<TokenSpan> spans;
      const bool same = bert().tokenize(text, spans) == bert().tokenize(text);
      bool ordered = true;
      for (size_t i = 0; i < spans.size(); ++i) {
        ordered =
            ordered && spans[i].begin < spans[i].end && spans[i].end <= text.size() &&
            (i == 0 || (spans[i - 1].begin <= spans[i].begin && spans[i - 1].end <= spans[i].end &&
                        (spans[i - 1].end <= spans[i].begin || spans[i - 1] == spans[i])));
      }
      if (!same || !ordered) {
        ++r.failures;
        ADD_FAILURE() << path.filename().string() << " line " << r.lines << ": " << field
                      << (same ? " offsets out of order" : " ids differ with offsets");
      }
    }
    if (got.input_ids == want_ids && got.token_type_ids == want_types) continue;
    ++r.failures;
    if (r.failures > 10) continue;  // report the first few in detail
    const std::string name =
        j.contains("id")
            ? j["id"].get<std::string>() + " (" + j.value("desc", std::string()) + ")"
            : "qid " + j.at("qid").dump() + " docid " + j.at("docid").get<std::string>();
    const bool ids_differ = got.input_ids != want_ids;
    const auto& g = ids_differ ? got.input_ids : got.token_type_ids;
    const auto& w = ids_differ ? want_ids : want_types;
    const size_t n = std::min(g.size(), w.size());
    size_t pos = 0;
    while (pos < n && g[pos] == w[pos]) ++pos;
    std::ostringstream msg;
    msg << path.filename().string() << " line " << r.lines << ": " << name << " max_length "
        << max_length << ": " << (ids_differ ? "input_ids" : "token_type_ids")
        << " differ at position " << pos << " (got length " << g.size() << ", want " << w.size()
        << ")";
    if (pos < g.size()) msg << ", got " << g[pos];
    if (pos < w.size()) msg << ", want " << w[pos];
    ADD_FAILURE() << msg.str();
  }
  return r;
}

// --- Goldens ---------------------------------------------------------------------------------

TEST(TokenizerGolden, CommittedSample) {
  const GoldenResult r = check_golden(test::data_path("tokenize_sample.jsonl"));
  EXPECT_GT(r.lines, 50);
  EXPECT_EQ(r.failures, 0) << r.failures << " of " << r.lines << " lines differ";
}

TEST(TokenizerGolden, Dl19AllPairs) {
  const auto path = test::shared_path("golden/tokenize_dl19.jsonl");
  CROSSENC_REQUIRE_SHARED_FILE(path);
  const GoldenResult r = check_golden(path);
  EXPECT_EQ(r.lines, 4300);
  EXPECT_EQ(r.failures, 0) << r.failures << " of " << r.lines << " lines differ";
}

TEST(TokenizerGolden, EdgeCasesAllMaxLengths) {
  const auto path = test::shared_path("golden/tokenize_edge.jsonl");
  CROSSENC_REQUIRE_SHARED_FILE(path);
  const GoldenResult r = check_golden(path);
  EXPECT_EQ(r.lines, 504);
  EXPECT_EQ(r.failures, 0) << r.failures << " of " << r.lines << " lines differ";
}

TEST(TokenizerGolden, SharedVocabMatchesCommittedCopy) {
  const auto path = test::shared_path("models/ms-marco-MiniLM-L-6-v2/vocab.txt");
  CROSSENC_REQUIRE_SHARED_FILE(path);
  EXPECT_EQ(Tokenizer::from_vocab_file(path.string()).vocab(), bert().vocab());
}

// --- Vocabulary and special ids ----------------------------------------------------------------

TEST(Tokenizer, SpecialIdsComeFromTheVocab) {
  EXPECT_EQ(bert().vocab().size(), 30522u);
  EXPECT_EQ(bert().pad_id(), 0);
  EXPECT_EQ(bert().unk_id(), 100);
  EXPECT_EQ(bert().cls_id(), 101);
  EXPECT_EQ(bert().sep_id(), 102);
  EXPECT_EQ(bert().config().max_length, 512);
}

TEST(Tokenizer, MissingSpecialTokenThrows) {
  EXPECT_THROW(Tokenizer({"[PAD]", "[UNK]", "[CLS]", "hello"}, {}), Error);  // no [SEP]
  EXPECT_THROW(Tokenizer({"[PAD]", "[CLS]", "[SEP]"}, {}), Error);           // no [UNK]
  EXPECT_THROW(Tokenizer({"[UNK]", "[CLS]", "[SEP]"}, {}), Error);           // no [PAD]
  EXPECT_NO_THROW(Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}, {}));      // [MASK] optional
  EXPECT_THROW(Tokenizer::from_vocab_file("/nonexistent/vocab.txt"), Error);
}

// --- Normalizer --------------------------------------------------------------------------------

TEST(Tokenizer, LowercasesAndSplitsWords) {
  EXPECT_EQ(pieces("Hello, World!"), (Tokens{"hello", ",", "world", "!"}));
  EXPECT_EQ(pieces("THE Cat"), pieces("the cat"));
}

TEST(Tokenizer, StripsAccentsAfterCanonicalDecomposition) {
  EXPECT_EQ(pieces("Café"), pieces("cafe"));
  EXPECT_EQ(pieces("cafe\u0301"), pieces("cafe"));  // already decomposed
  EXPECT_EQ(pieces("CAFÉ"), pieces("cafe"));
  EXPECT_EQ(pieces("İstanbul"), pieces("istanbul"));  // I + U+0307, the mark stripped
  EXPECT_EQ(pieces("\u212A"), pieces("k"));           // Kelvin sign is canonically K
  EXPECT_EQ(pieces("\u2126"), pieces("ω"));           // Ohm sign is canonically omega
  EXPECT_EQ(pieces("\u212B"), pieces("a"));           // Angstrom sign is canonically A-ring
  EXPECT_NE(pieces("ﬁ"), pieces("fi"));               // ligature: compatibility only, kept
  EXPECT_EQ(pieces("ﬁ"), (Tokens{"ﬁ"}));
  EXPECT_EQ(pieces("naïve résumé"), pieces("naive resume"));
}

TEST(Tokenizer, LowercasesCharacterByCharacter) {
  // Word-final capital sigma becomes σ, never the contextual final form ς.
  EXPECT_EQ(pieces("ΟΔΟΣ"), (Tokens{"ο", "##δ", "##ο", "##σ"}));
  EXPECT_EQ(pieces("ΟΔΟΣ"), pieces("οδοσ"));
}

TEST(Tokenizer, SpacesAroundCjkIdeographs) {
  EXPECT_EQ(pieces("中国人"), (Tokens{"中", "国", "人"}));
  EXPECT_EQ(pieces("a中b"), (Tokens{"a", "中", "b"}));
  // Astral ideographs (Extension B) are split too: two words, two [UNK].
  EXPECT_EQ(pieces("\U00020000\U00020001"), (Tokens{"[UNK]", "[UNK]"}));
  // U+2B820..U+2B91F is outside HF's ranges: no split, one word.
  EXPECT_EQ(pieces("\U0002B820\U0002B821"), (Tokens{"[UNK]"}));
  // A compatibility ideograph is isolated, then NFD maps it to the unified one.
  EXPECT_EQ(pieces("x\uF900y"), pieces("x \u8C48 y"));
  // Kana and Hangul are not ideographs: they stay inside their words.
  EXPECT_NE(pieces("カタ"), pieces("カ タ"));
}

TEST(Tokenizer, RemovesControlAndFormatCharactersWithoutSpace) {
  EXPECT_EQ(pieces("ab\u200Bcd"), pieces("abcd"));              // zero-width space (Cf)
  EXPECT_EQ(pieces("ab\u200Dcd\uFEFF"), pieces("abcd"));        // ZWJ, BOM
  EXPECT_EQ(pieces(std::string("ab\0cd", 5)), pieces("abcd"));  // NUL
  EXPECT_EQ(pieces("ab\177\033cd"), pieces("abcd"));            // DEL, ESC
  EXPECT_EQ(pieces("ab\013\014cd"), pieces("abcd"));          // VT, FF are Cc: removed, not spaces
  EXPECT_EQ(pieces("ab\u0085cd"), pieces("abcd"));            // NEL: Cc wins over White_Space
  EXPECT_EQ(pieces("ab\u00ADcd"), pieces("abcd"));            // soft hyphen
  EXPECT_EQ(pieces("ab\uFFFDcd"), pieces("abcd"));            // replacement character
  EXPECT_EQ(pieces("ab\uE000cd\U000F0000"), pieces("abcd"));  // private use
  EXPECT_EQ(pieces("ab\u180Ecd"), pieces("abcd"));            // Mongolian vowel separator (Cf)
  EXPECT_TRUE(pieces(std::string("\u200B\0\u200D", 7)).empty());
  // Unassigned code points are kept (and unknown).
  EXPECT_EQ(pieces("a\u0378b"), (Tokens{"[UNK]"}));
  // Format characters added after Unicode 8.0 are not in HF's tables: kept, not removed.
  EXPECT_EQ(pieces("ab\u0890cd"), (Tokens{"[UNK]"}));
}

TEST(Tokenizer, MapsWhitespaceToSpace) {
  EXPECT_EQ(pieces("a\tb\nc\rd"), pieces("a b c d"));
  EXPECT_EQ(pieces("a\u00A0b\u3000c\u2028d\u2029e\u2003f\u202Fg\u205Fh\u1680i"),
            pieces("a b c d e f g h i"));
  EXPECT_EQ(pieces("  many     spaces  "), pieces("many spaces"));
}

TEST(Tokenizer, SplitsPunctuation) {
  EXPECT_EQ(pieces("don't"), (Tokens{"don", "'", "t"}));
  EXPECT_EQ(pieces("a.b,c"), (Tokens{"a", ".", "b", ",", "c"}));
  EXPECT_EQ(pieces("$5"), (Tokens{"$", "5"}));  // ASCII symbols count as punctuation
  EXPECT_EQ(pieces("##ing"), (Tokens{"#", "#", "ing"}));
  EXPECT_EQ(pieces("«a—b»"), (Tokens{"«", "a", "—", "b", "»"}));  // Unicode P*
  EXPECT_EQ(pieces("¿que?"), (Tokens{"¿", "que", "?"}));
  // Symbols and numbers outside P* do not split: x€ is one word.
  EXPECT_EQ(pieces("x€"), (Tokens{"x", "##€"}));
  EXPECT_EQ(pieces("€"), (Tokens{"€"}));
}

TEST(Tokenizer, WordPieceContinuation) {
  const Tokens t = pieces("tokenization");
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[0].rfind("##", 0), std::string::npos);
  for (size_t i = 1; i < t.size(); ++i) EXPECT_EQ(t[i].rfind("##", 0), 0u) << t[i];
  // A word with a part no token covers becomes a single [UNK].
  EXPECT_EQ(pieces("abc☃def"), (Tokens{"[UNK]"}));
  EXPECT_EQ(pieces("ok abc☃def ok"), (Tokens{"ok", "[UNK]", "ok"}));
}

TEST(Tokenizer, WordsOverOneHundredCharactersAreUnknown) {
  EXPECT_GT(pieces(repeat("a", 100)).size(), 1u);          // exactly 100: still split
  EXPECT_EQ(pieces(repeat("a", 101)), (Tokens{"[UNK]"}));  // 101: one [UNK]
  EXPECT_EQ(pieces("x " + repeat("a", 101) + " x"), (Tokens{"x", "[UNK]", "x"}));
  // Counted after normalization: 100 letters + 2 stripped marks is 100 characters.
  EXPECT_GT(pieces(repeat("a", 50) + "e\u0301\u0301" + repeat("a", 49)).size(), 1u);
  // Characters, not bytes: 100 Greek letters (200 bytes) are still split.
  EXPECT_GT(pieces(repeat("ο", 100)).size(), 1u);
  EXPECT_EQ(pieces(repeat("ο", 101)), (Tokens{"[UNK]"}));
  // Punctuation splits words, so the limit applies to each part.
  EXPECT_GT(pieces(repeat("a", 60) + "." + repeat("a", 60)).size(), 3u);
}

TEST(Tokenizer, SpecialTokenLiteralsAreMatchedBeforeNormalization) {
  EXPECT_EQ(pieces("[SEP]"), (Tokens{"[SEP]"}));
  EXPECT_EQ(pieces("x[CLS]y [MASK] [UNK] [PAD]"),
            (Tokens{"x", "[CLS]", "y", "[MASK]", "[UNK]", "[PAD]"}));
  EXPECT_EQ(bert().tokenize("[MASK]"), std::vector<int32_t>{103});
  EXPECT_EQ(bert().tokenize("[PAD]"), std::vector<int32_t>{0});
  // Case-sensitive, and only the exact raw string.
  EXPECT_EQ(pieces("[sep]"), (Tokens{"[", "sep", "]"}));
  EXPECT_EQ(pieces("[SE\u200BP]"), (Tokens{"[", "sep", "]"}));
  EXPECT_EQ(pieces("[[SEP]]"), (Tokens{"[", "[SEP]", "]"}));
  EXPECT_EQ(pair("[SEP]", "a"), (Tokens{"[CLS]", "[SEP]", "[SEP]", "a", "[SEP]"}));
}

TEST(Tokenizer, CanonicalReorderingOfKeptMarks) {
  // U+302E (class 224) and U+1B44 (class 9) are spacing marks: not stripped, but NFD puts the
  // lower class first.
  const Tokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "x\u1B44\u302E"}, {});
  EXPECT_EQ(tok.tokenize("x\u302E\u1B44"), std::vector<int32_t>{4});
  EXPECT_EQ(tok.tokenize("x\u1B44\u302E"), std::vector<int32_t>{4});
  // A removed character does not break the run (clean_text runs before NFD) ...
  EXPECT_EQ(tok.tokenize("x\u302E\u200B\u1B44"), std::vector<int32_t>{4});
  // ... but a starter does, even a mark of class 0 that strip_accents then drops (U+0900).
  EXPECT_EQ(tok.tokenize("x\u302E\u0900\u1B44"), std::vector<int32_t>{1});
}

// --- Offsets ---------------------------------------------------------------------------------

// The source text of each id: text[span.begin, span.end).
Tokens sources(std::string_view text) {
  std::vector<TokenSpan> spans;
  const std::vector<int32_t> ids = bert().tokenize(text, spans);
  EXPECT_EQ(ids, bert().tokenize(text)) << text;
  EXPECT_EQ(spans.size(), ids.size()) << text;
  Tokens out;
  for (const TokenSpan& s : spans) {
    EXPECT_LE(s.begin, s.end);
    EXPECT_LE(s.end, text.size());
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
  return out;
}

std::string joined(const Tokens& t) {
  std::string out;
  for (const std::string& s : t) out += s;
  return out;
}

TEST(Tokenizer, OffsetsPointAtTheSourceOfEachPiece) {
  EXPECT_EQ(sources("Hello, World!"), (Tokens{"Hello", ",", "World", "!"}));
  EXPECT_EQ(sources("  two\tspaces "), (Tokens{"two", "spaces"}));
  // Word pieces split the word where their normalized bytes came from.
  const Tokens t = sources("Tokenization");
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(joined(t), "Tokenization");
  // Accents: the lowercased, stripped letters map back to the accented ones.
  EXPECT_EQ(joined(sources("CAFÉ")), "CAFÉ");
  EXPECT_EQ(joined(sources("naïve")), "naïve");
  EXPECT_EQ(joined(sources("İstanbul")), "İstanbul");  // one character lowercases to two
  // A stripped trailing mark came from no kept byte: the piece ends before it, as in HF.
  EXPECT_EQ(joined(sources("cafe\u0301")), "cafe");
  // A removed character inside a word is inside its span.
  std::vector<TokenSpan> zw;
  bert().tokenize("ab\u200Bcd", zw);
  ASSERT_FALSE(zw.empty());
  EXPECT_EQ(zw.front().begin, 0u);
  EXPECT_EQ(zw.back().end, 7u);
  EXPECT_EQ(joined(sources("ab\u200Bcd")).back(), 'd');
  // Special literals, CJK, punctuation and a whole-word [UNK].
  EXPECT_EQ(sources("x[CLS]y"), (Tokens{"x", "[CLS]", "y"}));
  EXPECT_EQ(sources("中国人"), (Tokens{"中", "国", "人"}));
  // NFD splits a Hangul syllable into jamo: pieces of one syllable share its span.
  const Tokens hangul = sources("서울");
  ASSERT_GE(hangul.size(), 2u);
  for (const std::string& s : hangul) EXPECT_TRUE(s == "서" || s == "울") << s;
  EXPECT_EQ(sources("«a—b»"), (Tokens{"«", "a", "—", "b", "»"}));
  EXPECT_EQ(sources("ok abc☃def ok"), (Tokens{"ok", "abc☃def", "ok"}));
  EXPECT_EQ(sources(repeat("a", 101)), (Tokens{repeat("a", 101)}));
  EXPECT_TRUE(sources("").empty());
  EXPECT_TRUE(sources("\u200B ").empty());
}

TEST(Tokenizer, OffsetsKeepKeptMarksWithTheirCharacters) {
  // Reordered spacing marks: both map back into the word.
  const Tokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "x\u1B44\u302E"}, {});
  std::vector<TokenSpan> spans;
  const std::string text = "x\u302E\u1B44 x";
  EXPECT_EQ(tok.tokenize(text, spans), (std::vector<int32_t>{4, 1}));
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0], (TokenSpan{0, 7}));
  EXPECT_EQ(spans[1], (TokenSpan{8, 9}));
  EXPECT_THROW(tok.tokenize("bad \xff", spans), Error);
}

TEST(Tokenizer, ConfigWithoutLowercaseOrAccentStripping) {
  TokenizerConfig config;
  config.lowercase = false;
  config.strip_accents = false;
  const Tokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "Ab", "##c", "ab", "é", "i\u0307"},
                      config);
  EXPECT_EQ(tok.tokenize("Abc"), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(tok.tokenize("é"), std::vector<int32_t>{7});
  EXPECT_EQ(tok.tokenize("e\u0301"), std::vector<int32_t>{1});  // no NFD without stripping
  config.lowercase = true;
  const Tokenizer lower({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "ab", "##c", "i\u0307"}, config);
  EXPECT_EQ(lower.tokenize("ABc"), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(lower.tokenize("İ"), std::vector<int32_t>{6});  // full lowercase: i + U+0307
}

// --- Pair encoding and truncation -------------------------------------------------------------

TEST(Tokenizer, PairLayoutAndTokenTypes) {
  const Encoding e = bert().encode_pair("the cat", "a dog");
  EXPECT_EQ(to_tokens(e.input_ids), (Tokens{"[CLS]", "the", "cat", "[SEP]", "a", "dog", "[SEP]"}));
  EXPECT_EQ(e.token_type_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1, 1}));
}

TEST(Tokenizer, EmptyAndWhitespaceOnlyTexts) {
  EXPECT_EQ(bert().encode_pair("", "").input_ids, (std::vector<int32_t>{101, 102, 102}));
  EXPECT_EQ(bert().encode_pair("", "").token_type_ids, (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(pair("query", ""), (Tokens{"[CLS]", "query", "[SEP]", "[SEP]"}));
  EXPECT_EQ(bert().encode_pair("query", "").token_type_ids, (std::vector<int32_t>{0, 0, 0, 1}));
  EXPECT_EQ(pair("", "passage"), (Tokens{"[CLS]", "[SEP]", "passage", "[SEP]"}));
  EXPECT_EQ(pair("  \t", "\n \u3000\u00A0"), (Tokens{"[CLS]", "[SEP]", "[SEP]"}));
  EXPECT_EQ(pair("\u200B", std::string("\0\uFEFF", 4)), (Tokens{"[CLS]", "[SEP]", "[SEP]"}));
  EXPECT_TRUE(bert().tokenize("").empty());
}

// Counts of query and passage tokens kept, from "the " x n1 and "the " x n2.
std::pair<size_t, size_t> kept(int n1, int n2, int max_length) {
  const Encoding e = bert().encode_pair(repeat("the ", n1), repeat("the ", n2), max_length);
  const auto first =
      static_cast<size_t>(std::count(e.token_type_ids.begin(), e.token_type_ids.end(), 0));
  EXPECT_EQ(e.input_ids.front(), 101);
  EXPECT_EQ(e.input_ids[first - 1], 102);
  EXPECT_EQ(e.input_ids.back(), 102);
  return {first - 2, e.input_ids.size() - first - 1};
}

TEST(Tokenizer, LongestFirstTruncation) {
  using P = std::pair<size_t, size_t>;
  EXPECT_EQ(kept(10, 11, 24), P(10, 11));  // fits exactly (t = 21)
  EXPECT_EQ(kept(3, 40, 24), P(3, 18));    // shorter fits in t/2: longer gets the rest
  EXPECT_EQ(kept(40, 3, 24), P(18, 3));
  EXPECT_EQ(kept(10, 40, 24), P(10, 11));  // shorter exactly t/2
  EXPECT_EQ(kept(15, 15, 24), P(10, 11));  // tie: passage gets the extra token
  EXPECT_EQ(kept(20, 15, 24), P(11, 10));  // query longer: it gets the extra token
  EXPECT_EQ(kept(15, 20, 24), P(10, 11));
  EXPECT_EQ(kept(40, 40, 25), P(11, 11));     // even t = 22
  EXPECT_EQ(kept(1000, 999, 24), P(11, 10));  // passage shorter by one: counted exactly
  EXPECT_EQ(kept(30, 1000, 24), P(10, 11));
  EXPECT_EQ(kept(5, 1000, 24), P(5, 16));
  EXPECT_EQ(kept(300, 300, 512), P(254, 255));
  EXPECT_EQ(kept(5, 5, 3), P(0, 0));  // room for the specials only
  EXPECT_EQ(kept(5, 5, 4), P(0, 1));
  EXPECT_EQ(kept(0, 5, 4), P(0, 1));
  EXPECT_EQ(kept(300, 300, 0), P(254, 255));  // 0 means config().max_length = 512
  EXPECT_EQ(kept(300, 300, -7), P(254, 255));
}

TEST(Tokenizer, MaxLengthTooSmallThrows) {
  EXPECT_THROW(bert().encode_pair("a", "b", 2), Error);
  EXPECT_THROW(bert().encode_pair("a", "b", 1), Error);
  TokenizerConfig config;
  config.max_length = 2;
  const Tokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}, config);
  EXPECT_THROW(tok.encode_pair("a", "b"), Error);
  EXPECT_NO_THROW(tok.encode_pair("a", "b", 3));
}

// --- Invalid UTF-8 ------------------------------------------------------------------------------

std::string error_of(std::string_view query, std::string_view passage) {
  try {
    bert().encode_pair(query, passage);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, InvalidUtf8IsRejectedWithItsOffset) {
  const std::string msg = error_of("ab\377cd", "ok");
  EXPECT_NE(msg.find("invalid UTF-8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("query"), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset 2"), std::string::npos) << msg;
  const std::string in_passage = error_of("ok", "caf\xC3");  // truncated sequence at the end
  EXPECT_NE(in_passage.find("passage"), std::string::npos) << in_passage;
  EXPECT_NE(in_passage.find("offset 3"), std::string::npos) << in_passage;
  for (const char* bad :
       {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xF5\x80\x80\x80", "\x80", "\xE2\x82", "\xE2\x28\xA1"}) {
    EXPECT_THROW(bert().tokenize(bad), Error) << "bytes of " << ::testing::PrintToString(bad);
  }
  // Rejected even where truncation would cut the text before the bad byte.
  EXPECT_NE(error_of("q", repeat("the ", 2000) + "\xFF").find("offset 8000"), std::string::npos);
  // Valid edge values pass.
  EXPECT_NO_THROW(bert().tokenize("\x7F\xC2\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));
}

// --- Threads ------------------------------------------------------------------------------------

TEST(Tokenizer, ConcurrentEncodingMatchesSingleThreaded) {
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"what is the capital of France?", "Paris is the capital and most populous city of France."},
      {"Ångström ΟΔΟΣ 中国", "naïve café [SEP] zero\u200Bwidth 𠀀𠀁 " + repeat("word ", 300)},
      {"", ""},
      {repeat("long query ", 200), "short"}};
  std::ifstream in(test::data_path("tokenize_sample.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    pairs.emplace_back(j.at("query").get<std::string>(), j.at("passage").get<std::string>());
  }
  std::vector<Encoding> expected;
  for (const auto& [q, p] : pairs) expected.push_back(bert().encode_pair(q, p, 64));

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < pairs.size(); ++i) {
          const size_t k = (i + static_cast<size_t>(t) * 7) % pairs.size();  // different orders
          const Encoding e = bert().encode_pair(pairs[k].first, pairs[k].second, 64);
          if (e.input_ids != expected[k].input_ids ||
              e.token_type_ids != expected[k].token_type_ids) {
            ++mismatches[static_cast<size_t>(t)];
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// ------------------------------------------------------------------ truncation side, windows

// What the windows of a pair must be, from the word pieces: the query cut as longest_first
// cuts it, every window [CLS] query [SEP] slice [SEP], together covering the passage.
struct Pieces {
  std::vector<int32_t> query, passage;
};
Pieces word_pieces(std::string_view query, std::string_view passage) {
  return {bert().tokenize(query), bert().tokenize(passage)};
}

std::vector<int32_t> slice(const std::vector<int32_t>& ids, size_t first, size_t n) {
  return {ids.begin() + static_cast<ptrdiff_t>(first),
          ids.begin() + static_cast<ptrdiff_t>(first + n)};
}

std::vector<int32_t> sequence(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::vector<int32_t> ids = {bert().cls_id()};
  ids.insert(ids.end(), a.begin(), a.end());
  ids.push_back(bert().sep_id());
  ids.insert(ids.end(), b.begin(), b.end());
  ids.push_back(bert().sep_id());
  return ids;
}

TEST(Tokenizer, LeftTruncationKeepsTheEndOfEachText) {
  const std::string query = repeat("alpha beta ", 20), passage = "start " + repeat("flea ", 60);
  const Pieces p = word_pieces(query, passage);
  for (int max_length : {16, 32, 64, 200}) {
    SCOPED_TRACE(max_length);
    const Encoding right = bert().encode_pair(query, passage, max_length);
    const PairWindows left =
        bert().encode_pair_windows(query, passage, max_length, {.side = TruncationSide::kLeft});
    ASSERT_EQ(left.windows.size(), 1u);
    const Encoding& l = left.windows[0];
    // The same lengths as longest_first on the right, the other end of each text.
    EXPECT_EQ(l.input_ids.size(), right.input_ids.size());
    EXPECT_EQ(l.token_type_ids, right.token_type_ids);
    const auto q =
        static_cast<size_t>(std::count(l.token_type_ids.begin(), l.token_type_ids.end(), 0) - 2);
    const size_t d = l.input_ids.size() - q - 3;
    EXPECT_EQ(l.input_ids, sequence(slice(p.query, p.query.size() - q, q),
                                    slice(p.passage, p.passage.size() - d, d)));
    EXPECT_EQ(left.truncated, q + d < p.query.size() + p.passage.size());
    // Right through encode_pair_windows is encode_pair.
    EXPECT_EQ(bert().encode_pair_windows(query, passage, max_length, {}).windows[0].input_ids,
              right.input_ids);
  }
}

TEST(Tokenizer, LongPassageWindowsOverlapAndCoverIt) {
  const std::string query = "what is a flea";
  std::string passage;
  for (int i = 0; i < 300; ++i) {  // appended piece by piece: GCC 12 misreads "w" + to_string
    passage.append("w").append(std::to_string(i % 37)).append(" flea ");
  }
  const Pieces p = word_pieces(query, passage);
  const int max_length = 64;
  const size_t width = max_length - 3 - p.query.size(), stride = width - width / 4;
  for (TruncationSide side : {TruncationSide::kRight, TruncationSide::kLeft}) {
    SCOPED_TRACE(side == TruncationSide::kRight ? "right" : "left");
    const PairWindows w =
        bert().encode_pair_windows(query, passage, max_length, {.side = side, .max_windows = 1000});
    const size_t want = 1 + (p.passage.size() - width + stride - 1) / stride;
    ASSERT_EQ(w.windows.size(), want);
    EXPECT_FALSE(w.truncated);
    EXPECT_LE(w.windows.size(), windows_to_cover(p.passage.size(), max_length));
    std::vector<bool> covered(p.passage.size(), false);
    for (size_t j = 0; j < w.windows.size(); ++j) {
      SCOPED_TRACE(j);
      // Window j starts j strides from its end of the passage; the last is flush with the other.
      const bool last = j + 1 == w.windows.size();
      const size_t offset = last ? p.passage.size() - width : j * stride;
      const size_t first =
          side == TruncationSide::kRight ? offset : p.passage.size() - offset - width;
      EXPECT_EQ(w.windows[j].input_ids, sequence(p.query, slice(p.passage, first, width)));
      EXPECT_EQ(
          std::count(w.windows[j].token_type_ids.begin(), w.windows[j].token_type_ids.end(), 0),
          static_cast<ptrdiff_t>(p.query.size() + 2));
      for (size_t k = first; k < first + width; ++k) covered[k] = true;
    }
    EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](bool c) { return c; }));
    // The first window is the one-sequence encoding of that side.
    EXPECT_EQ(w.windows[0].input_ids,
              bert()
                  .encode_pair_windows(query, passage, max_length, {.side = side})
                  .windows[0]
                  .input_ids);

    // Fewer windows allowed than needed: the first ones, and the pair says it was cut.
    const PairWindows three =
        bert().encode_pair_windows(query, passage, max_length, {.side = side, .max_windows = 3});
    ASSERT_EQ(three.windows.size(), 3u);
    EXPECT_TRUE(three.truncated);
    for (size_t j = 0; j < 3; ++j) EXPECT_EQ(three.windows[j].input_ids, w.windows[j].input_ids);
  }
}

TEST(Tokenizer, WindowsRespectTheTokenCapAndShortPairsStayOneSequence) {
  const std::string query = "q", passage = repeat("flea ", 500);
  // max_passage_tokens cuts the passage first: 100 pieces in windows of 61 (max_length 64).
  const PairWindows capped = bert().encode_pair_windows(
      query, passage, 64, {.max_windows = 50, .max_passage_tokens = 100});
  EXPECT_EQ(capped.windows.size(), 2u);
  EXPECT_TRUE(capped.truncated);
  // A pair that fits is one sequence, untouched by max_windows.
  const PairWindows short_pair =
      bert().encode_pair_windows(query, "a flea", 64, {.max_windows = 9});
  ASSERT_EQ(short_pair.windows.size(), 1u);
  EXPECT_FALSE(short_pair.truncated);
  EXPECT_EQ(short_pair.windows[0].input_ids, bert().encode_pair(query, "a flea", 64).input_ids);
  // A query longer than the passage is cut as longest_first cuts it: no windows help.
  const PairWindows long_query =
      bert().encode_pair_windows(repeat("flea ", 100), "a flea", 32, {.max_windows = 9});
  ASSERT_EQ(long_query.windows.size(), 1u);
  EXPECT_TRUE(long_query.truncated);
  // windows_to_cover is an upper bound whatever the query.
  for (size_t n : {1u, 61u, 62u, 500u, 4096u}) {
    for (int q : {0, 5, 40, 200}) {
      const PairWindows w = bert().encode_pair_windows(
          repeat("flea ", q), repeat("w ", static_cast<int>(n)), 64, {.max_windows = 10000});
      EXPECT_LE(w.windows.size(), windows_to_cover(n, 64)) << n << " " << q;
    }
  }
  EXPECT_THROW(bert().encode_pair_windows(query, passage, 2, {}), Error);
}

}  // namespace
}  // namespace crossenc
