// BERT WordPiece tokenizer: special-token split, BertNormalizer, BertPreTokenizer, WordPiece and
// longest_first pair truncation, matching Hugging Face `tokenizers` (BertTokenizerFast).
#include "crossenc/tokenizer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <span>
#include <utility>

#include "crossenc/error.h"
#include "unicode.h"

namespace crossenc {
namespace {

bool is_continuation_byte(char b) { return (static_cast<unsigned char>(b) & 0xC0) == 0x80; }

// Hash of a short byte string: 8 bytes at a time, then a final avalanche.
inline uint64_t hash_bytes(const char* s, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, s, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    s += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, s, n);
    h = (h ^ v) * 0x94D049BB133111EBull;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

// Open-addressing map from token bytes to id, with two key spaces: whole tokens, and
// continuation tokens keyed by the text after the prefix ("##ing" is found as "ing"), so a
// continuation lookup needs no string concatenation.
class VocabIndex {
 public:
  void build(const std::vector<std::string>& vocab, std::string_view prefix) {
    size_t entries = vocab.size();
    for (const std::string& t : vocab) entries += t.starts_with(prefix) ? 1 : 0;
    size_t capacity = 16;
    while (capacity < entries + entries / 2 + entries / 4) capacity *= 2;  // load <= 0.57
    slots_.assign(capacity, Slot{0, 0, 0, -1});
    mask_ = capacity - 1;
    for (size_t id = 0; id < vocab.size(); ++id) {
      const std::string& t = vocab[id];
      insert(t, false, static_cast<int32_t>(id));
      if (t.starts_with(prefix)) {
        insert(std::string_view(t).substr(prefix.size()), true, static_cast<int32_t>(id));
      }
    }
  }

  // Id of s (a continuation piece when cont), or -1.
  int32_t find(const char* s, size_t n, bool cont) const {
    const uint64_t h = hash_bytes(s, n, cont ? kContSeed : kWordSeed);
    const uint16_t tag = make_tag(h, cont);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return -1;
      if (slot.tag == tag && slot.len == n && std::memcmp(arena_.data() + slot.offset, s, n) == 0) {
        return slot.id;
      }
    }
  }

  // Longest key in bytes: no lookup longer than this can succeed.
  size_t max_len(bool cont) const { return max_len_[cont ? 1 : 0]; }

 private:
  struct Slot {
    uint32_t offset;
    uint16_t len;
    uint16_t tag;  // hash bits and the key space, checked before the bytes
    int32_t id;
  };
  static constexpr uint64_t kWordSeed = 0x243F6A8885A308D3ull;
  static constexpr uint64_t kContSeed = 0x13198A2E03707344ull;

  static uint16_t make_tag(uint64_t h, bool cont) {
    return static_cast<uint16_t>(((h >> 48) & 0xFFFE) | (cont ? 1 : 0));
  }

  void insert(std::string_view key, bool cont, int32_t id) {
    if (key.size() > 0xFFFF) return;  // can never match a word (those are at most a few KB)
    const uint64_t h = hash_bytes(key.data(), key.size(), cont ? kContSeed : kWordSeed);
    const uint16_t tag = make_tag(h, cont);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot =
            Slot{static_cast<uint32_t>(arena_.size()), static_cast<uint16_t>(key.size()), tag, id};
        arena_.append(key);
        size_t& longest = max_len_[cont ? 1 : 0];
        longest = std::max(longest, key.size());
        return;
      }
      if (slot.tag == tag && slot.len == key.size() &&
          std::memcmp(arena_.data() + slot.offset, key.data(), key.size()) == 0) {
        slot.id = id;  // a repeated token: the later line wins, as in HF's vocab loading
        return;
      }
    }
  }

  std::string arena_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t max_len_[2] = {0, 0};
};

enum AsciiClass : uint8_t { kAsciiWord, kAsciiRemove, kAsciiSpace, kAsciiPunct };

// A combining mark waiting for canonical reordering (NFD sorts runs of marks by class).
struct PendingMark {
  uint8_t ccc;
  char32_t c;
  uint32_t source;  // byte offset of the character it came from (offset tracking only)
};

// Per-thread buffers reused across calls, so steady-state encoding does not allocate.
struct Scratch {
  std::string word;
  std::vector<PendingMark> marks;
  std::vector<int32_t> first, second;
  std::vector<uint32_t> word_source;  // per byte of word: the source character's first byte
  std::vector<uint32_t> piece_ends;   // per word piece: its end in word
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

[[noreturn]] void throw_invalid_utf8(const char* what, size_t offset) {
  throw Error(std::string("invalid UTF-8 in ") + what + " at byte offset " +
              std::to_string(offset));
}

void validate_utf8(const unsigned char* begin, const unsigned char* p, const unsigned char* end,
                   const char* what) {
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    char32_t c;
    const size_t n = unicode::decode_utf8(p, end, &c);
    if (n == 0) throw_invalid_utf8(what, static_cast<size_t>(p - begin));
    p += n;
  }
}

}  // namespace

struct Tokenizer::Impl {
  struct Special {
    std::string text;
    int32_t id;
  };

  TokenizerConfig config;
  std::vector<std::string> vocab;
  VocabIndex index;
  int32_t cls = -1, sep = -1, pad = -1, unk = -1;
  std::vector<Special> specials;  // longest first, so the first match is the longest
  bool special_start[256] = {};   // first bytes of the special strings
  AsciiClass ascii_class[128];
  char ascii_map[128];          // ASCII word characters after lowercasing
  int32_t ascii_punct_id[128];  // id of each ASCII punctuation character as a word

  template <bool kSpans>
  class TextEncoder;

  // piece_ends, when given, gets each appended piece's end byte in word.
  void wordpiece(const std::string& word, size_t chars, std::vector<int32_t>& out,
                 std::vector<uint32_t>* piece_ends = nullptr) const;
  // kSpans: spans gets one entry per id appended to out, its source bytes in text.
  template <bool kSpans>
  void encode_text(std::string_view text, const char* what, size_t limit, std::vector<int32_t>& out,
                   std::vector<TokenSpan>* spans = nullptr) const;
};

// Streams one text through normalizer, pre-tokenizer and WordPiece, appending ids to out.
// kSpans: also where in the text each id comes from. Every normalized byte remembers the source
// character it came from (NFD, lowercasing and accent stripping map characters to characters),
// so a word piece spans from its first byte's source character to its last one's.
template <bool kSpans>
class Tokenizer::Impl::TextEncoder {
 public:
  TextEncoder(const Impl& tok, std::vector<int32_t>& out, Scratch& s, std::string_view text,
              std::vector<TokenSpan>* spans)
      : tok_(tok),
        out_(out),
        word_(s.word),
        marks_(s.marks),
        text_(text),
        spans_(spans),
        word_source_(s.word_source),
        piece_ends_(s.piece_ends) {
    word_.clear();
    marks_.clear();
    word_source_.clear();
  }

  // The source character of what follows: text bytes [begin, begin + size).
  void at(size_t begin) {
    if constexpr (kSpans) source_ = static_cast<uint32_t>(begin);
  }

  // One character of word text (clean_text and whitespace already handled).
  void ascii_word_char(unsigned char b) {
    if (!marks_.empty()) flush_marks();
    word_.push_back(tok_.ascii_map[b]);
    if constexpr (kSpans) word_source_.push_back(source_);
    ++chars_;
  }

  void ascii_punct(unsigned char b) {
    if (!marks_.empty()) flush_marks();
    end_word();
    out_.push_back(tok_.ascii_punct_id[b]);
    if constexpr (kSpans) spans_->push_back({source_, source_ + 1});
  }

  // A word boundary: whitespace, a special token, or the end of the text.
  void boundary() {
    if (!marks_.empty()) flush_marks();
    end_word();
  }

  void special(int32_t id, size_t size) {
    boundary();
    out_.push_back(id);
    if constexpr (kSpans) spans_->push_back({source_, source_ + static_cast<uint32_t>(size)});
  }

  void non_ascii(char32_t c) {
    const uint8_t f = unicode::char_flags(c);
    if (f & unicode::kRemove) return;
    if (f & unicode::kWhitespace) return boundary();
    if ((f & unicode::kCjk) && tok_.config.handle_chinese_chars) {
      boundary();
      normalize(c, f);
      return boundary();
    }
    normalize(c, f);
  }

 private:
  // strip_accents: NFD, then drop Mn. Marks that stay are reordered by combining class.
  void normalize(char32_t c, uint8_t f) {
    if (!tok_.config.strip_accents) return lowercase(c, f);
    if (!(f & unicode::kDecomposes)) return decomposed(c, f);
    char32_t parts[unicode::kMaxDecomposition];
    const size_t n = unicode::decompose(c, parts);
    for (size_t i = 0; i < n; ++i) decomposed(parts[i], unicode::char_flags(parts[i]));
  }

  void decomposed(char32_t c, uint8_t f) {
    const uint8_t ccc = (f & unicode::kNonStarter) ? unicode::combining_class(c) : 0;
    if (ccc == 0 && !marks_.empty()) flush_marks();  // a starter ends a run of marks
    if (f & unicode::kNonspacing) return;
    if (ccc != 0) {
      marks_.push_back(PendingMark{ccc, c, source_});
      return;
    }
    lowercase(c, f);
  }

  void flush_marks() {
    std::stable_sort(marks_.begin(), marks_.end(),
                     [](const PendingMark& a, const PendingMark& b) { return a.ccc < b.ccc; });
    const uint32_t source = source_;
    for (const PendingMark& m : marks_) {
      source_ = m.source;
      lowercase(m.c, unicode::char_flags(m.c));
    }
    source_ = source;
    marks_.clear();
  }

  void lowercase(char32_t c, uint8_t f) {
    if (!tok_.config.lowercase || !(f & unicode::kLowerDiffers)) return pre_tokenize(c, f);
    char32_t lower[2];
    const size_t n = unicode::to_lower(c, lower);
    for (size_t i = 0; i < n; ++i) pre_tokenize(lower[i], unicode::char_flags(lower[i]));
  }

  // BertPreTokenizer: whitespace splits, punctuation is a word of its own.
  void pre_tokenize(char32_t c, uint8_t f) {
    if (f & unicode::kWhitespace) return end_word();
    if (f & unicode::kPunctuation) {
      end_word();
      append(c);
      return end_word();
    }
    append(c);
  }

  void append(char32_t c) {
    char buf[4];
    const size_t n = unicode::encode_utf8(c, buf);
    word_.append(buf, n);
    if constexpr (kSpans) word_source_.insert(word_source_.end(), n, source_);
    ++chars_;
  }

  void end_word() {
    if (word_.empty()) return;
    if constexpr (kSpans) {
      piece_ends_.clear();
      tok_.wordpiece(word_, chars_, out_, &piece_ends_);
      uint32_t start = 0;
      for (const uint32_t end : piece_ends_) {
        // Reordered marks may put a later source character first: take the extremes.
        const auto [lo, hi] =
            std::minmax_element(word_source_.begin() + start, word_source_.begin() + end);
        spans_->push_back({*lo, source_end(*hi)});
        start = end;
      }
      word_source_.clear();
    } else {
      tok_.wordpiece(word_, chars_, out_);
    }
    word_.clear();
    chars_ = 0;
  }

  // The end of the source character that starts at byte `begin` (valid UTF-8 by now).
  uint32_t source_end(uint32_t begin) const {
    uint32_t end = begin + 1;
    while (end < text_.size() && is_continuation_byte(text_[end])) ++end;
    return end;
  }

  const Impl& tok_;
  std::vector<int32_t>& out_;
  std::string& word_;
  size_t chars_ = 0;
  std::vector<PendingMark>& marks_;
  std::string_view text_;
  std::vector<TokenSpan>* spans_;
  std::vector<uint32_t>& word_source_;
  std::vector<uint32_t>& piece_ends_;
  uint32_t source_ = 0;
};

// Greedy longest-match-first WordPiece; a word with any unmatched part is a single [UNK].
void Tokenizer::Impl::wordpiece(const std::string& word, size_t chars, std::vector<int32_t>& out,
                                std::vector<uint32_t>* piece_ends) const {
  const auto whole_word_unknown = [&] {
    out.push_back(unk);
    if (piece_ends) piece_ends->assign(1, static_cast<uint32_t>(word.size()));
  };
  if (chars > static_cast<size_t>(std::max(config.max_input_chars_per_word, 0))) {
    return whole_word_unknown();
  }
  const size_t n = word.size();
  const size_t rollback = out.size();
  size_t start = 0;
  while (start < n) {
    const bool cont = start > 0;
    size_t end = std::min(n, start + index.max_len(cont));
    while (end > start && end < n && is_continuation_byte(word[end])) --end;
    int32_t id = -1;
    while (end > start) {
      id = index.find(word.data() + start, end - start, cont);
      if (id >= 0) break;
      --end;
      while (end > start && is_continuation_byte(word[end])) --end;
    }
    if (id < 0) {
      out.resize(rollback);
      return whole_word_unknown();
    }
    out.push_back(id);
    if (piece_ends) piece_ends->push_back(static_cast<uint32_t>(end));
    start = end;
  }
}

// Tokenizes text into out. Once out holds at least limit ids the rest is only validated.
template <bool kSpans>
void Tokenizer::Impl::encode_text(std::string_view text, const char* what, size_t limit,
                                  std::vector<int32_t>& out, std::vector<TokenSpan>* spans) const {
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = begin + text.size();
  if constexpr (kSpans) {
    // Offsets are 32-bit to keep the per-byte record small.
    if (text.size() >= UINT32_MAX) throw Error(std::string(what) + " too long to map offsets");
    validate_utf8(begin, begin, end, what);  // so source_end() may trust the text
  }
  TextEncoder<kSpans> enc(*this, out, scratch(), text, spans);
  const unsigned char* p = begin;
  while (p < end) {
    const unsigned char b = *p;
    enc.at(static_cast<size_t>(p - begin));
    if (special_start[b]) {
      const Special* match = nullptr;
      for (const Special& s : specials) {
        if (static_cast<size_t>(end - p) >= s.text.size() &&
            std::memcmp(p, s.text.data(), s.text.size()) == 0) {
          match = &s;
          break;
        }
      }
      if (match != nullptr) {
        enc.special(match->id, match->text.size());
        p += match->text.size();
        if (out.size() >= limit) return validate_utf8(begin, p, end, what);
        continue;
      }
    }
    if (b < 0x80) {
      switch (ascii_class[b]) {
        case kAsciiWord: enc.ascii_word_char(b); break;
        case kAsciiSpace:
          enc.boundary();
          if (out.size() >= limit) return validate_utf8(begin, p + 1, end, what);
          break;
        case kAsciiPunct:
          enc.ascii_punct(b);
          if (out.size() >= limit) return validate_utf8(begin, p + 1, end, what);
          break;
        case kAsciiRemove: break;
      }
      ++p;
      continue;
    }
    char32_t c;
    const size_t n = unicode::decode_utf8(p, end, &c);
    if (n == 0) throw_invalid_utf8(what, static_cast<size_t>(p - begin));
    enc.non_ascii(c);
    p += n;
    if (out.size() >= limit) return validate_utf8(begin, p, end, what);
  }
  enc.boundary();
}

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerConfig config)
    : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  t.config = std::move(config);
  t.vocab = std::move(vocab);
  if (t.vocab.size() > static_cast<size_t>(INT32_MAX)) throw Error("vocabulary too large");
  t.index.build(t.vocab, t.config.continuing_prefix);

  auto lookup = [&t](const std::string& token, const char* role, bool required) -> int32_t {
    const int32_t id = token.empty() ? -1 : t.index.find(token.data(), token.size(), false);
    if (id < 0 && required) {
      throw Error(std::string("vocabulary has no ") + role + " token \"" + token + "\"");
    }
    return id;
  };
  t.unk = lookup(t.config.unk_token, "unknown", true);
  t.cls = lookup(t.config.cls_token, "classifier", true);
  t.sep = lookup(t.config.sep_token, "separator", true);
  t.pad = lookup(t.config.pad_token, "padding", true);
  const int32_t mask = lookup(t.config.mask_token, "mask", false);

  // The special tokens are matched in the raw text before normalization (HF added tokens with
  // normalized=false), so "[SEP]" typed in a passage is the separator token.
  for (auto [text, id] : {std::pair{t.config.cls_token, t.cls},
                          {t.config.sep_token, t.sep},
                          {t.config.pad_token, t.pad},
                          {t.config.unk_token, t.unk},
                          {t.config.mask_token, mask}}) {
    if (id < 0) continue;
    t.special_start[static_cast<unsigned char>(text[0])] = true;
    t.specials.push_back(Impl::Special{text, id});
  }
  std::stable_sort(
      t.specials.begin(), t.specials.end(),
      [](const Impl::Special& a, const Impl::Special& b) { return a.text.size() > b.text.size(); });

  for (int b = 0; b < 128; ++b) {
    const auto c = static_cast<char32_t>(b);
    const uint8_t f = unicode::char_flags(c);
    t.ascii_map[b] = static_cast<char>(t.config.lowercase && b >= 'A' && b <= 'Z' ? b + 32 : b);
    t.ascii_punct_id[b] = t.unk;
    if (f & unicode::kRemove) {
      t.ascii_class[b] = kAsciiRemove;
    } else if (f & unicode::kWhitespace) {
      t.ascii_class[b] = kAsciiSpace;
    } else if (f & unicode::kPunctuation) {
      t.ascii_class[b] = kAsciiPunct;
      const char ch = static_cast<char>(b);
      const int32_t id = t.index.find(&ch, 1, false);
      // A punctuation word longer than the limit cannot happen (it is one character), but a
      // limit of 0 makes every word [UNK].
      if (id >= 0 && t.config.max_input_chars_per_word >= 1) t.ascii_punct_id[b] = id;
    } else {
      t.ascii_class[b] = kAsciiWord;
    }
  }
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::from_vocab_file(const std::string& path, TokenizerConfig config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open vocabulary file " + path);
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    // HF trims the end of each line (trim_end); vocab tokens never end in whitespace.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t' ||
                             line.back() == '\v' || line.back() == '\f')) {
      line.pop_back();
    }
    vocab.push_back(line);
  }
  if (in.bad()) throw Error("error reading vocabulary file " + path);
  if (vocab.empty()) throw Error("vocabulary file " + path + " is empty");
  return Tokenizer(std::move(vocab), std::move(config));
}

namespace {

// Hugging Face's longest_first: how many of n1 query and n2 passage ids fit in room together.
std::pair<size_t, size_t> longest_first(size_t n1, size_t n2, size_t room) {
  if (n1 + n2 <= room) return {n1, n2};
  const bool swap = n1 > n2;  // a tie counts the query as the shorter
  size_t shorter = swap ? n2 : n1;
  size_t longer;
  if (shorter > room / 2) {
    shorter = room / 2;
    longer = room / 2 + room % 2;
  } else {
    longer = room - shorter;
  }
  return swap ? std::pair{longer, shorter} : std::pair{shorter, longer};
}

// The n ids that a cut on `side` keeps of ids[begin, end).
std::span<const int32_t> kept(const std::vector<int32_t>& ids, size_t begin, size_t end, size_t n,
                              TruncationSide side) {
  const size_t first = side == TruncationSide::kRight ? begin : end - n;
  return {ids.data() + first, n};
}

// [CLS] a [SEP] b [SEP], token types 0 up to the first [SEP] and 1 after it.
Encoding assemble(int32_t cls, int32_t sep, std::span<const int32_t> a,
                  std::span<const int32_t> b) {
  Encoding e;
  e.input_ids.reserve(a.size() + b.size() + 3);
  e.input_ids.push_back(cls);
  e.input_ids.insert(e.input_ids.end(), a.begin(), a.end());
  e.input_ids.push_back(sep);
  e.input_ids.insert(e.input_ids.end(), b.begin(), b.end());
  e.input_ids.push_back(sep);
  e.token_type_ids.assign(e.input_ids.size(), 1);
  std::fill_n(e.token_type_ids.begin(), a.size() + 2, 0);
  return e;
}

// The window rule of encode_pair_windows: a window keeps `width` passage ids and the next one
// starts three quarters of a width later.
size_t window_stride(size_t width) { return width - width / 4; }

size_t room_in(int budget) {
  if (budget < 3) {
    throw Error("max_length " + std::to_string(budget) +
                " cannot hold the 3 special tokens [CLS] [SEP] [SEP]");
  }
  return static_cast<size_t>(budget - 3);
}

}  // namespace

size_t windows_to_cover(size_t passage_tokens, int max_length) {
  const size_t room = room_in(max_length);
  const size_t width = room - room / 2;  // the narrowest window: the query took half the room
  if (width == 0 || passage_tokens <= width) return 1;
  const size_t stride = window_stride(width);
  return 1 + (passage_tokens - width + stride - 1) / stride;
}

Encoding Tokenizer::encode_pair(std::string_view query, std::string_view passage,
                                int max_length) const {
  return std::move(encode_pair_windows(query, passage, max_length, {}).windows.front());
}

PairWindows Tokenizer::encode_pair_windows(std::string_view query, std::string_view passage,
                                           int max_length, const LongPairOptions& options) const {
  const Impl& t = *impl_;
  const size_t room = room_in(max_length > 0 ? max_length : t.config.max_length);
  const TruncationSide side = options.side;
  const size_t max_windows = std::max<size_t>(1, options.max_windows);
  const size_t cap = options.max_passage_tokens;
  Scratch& s = scratch();
  std::vector<int32_t>& a = s.first;
  std::vector<int32_t>& b = s.second;
  a.clear();
  b.clear();
  t.encode_text<false>(query, "query", SIZE_MAX, a);
  // A right cut keeps a prefix: the windows reach at most max_windows * room ids into the
  // passage, so one more tells "cut" from "fits" (as in encode_pair). A left cut needs the end.
  size_t limit = SIZE_MAX;
  if (side == TruncationSide::kRight) {
    limit = std::max(room * max_windows, a.size()) + 1;
    if (cap > 0) limit = std::min(limit, cap + 1);
  }
  t.encode_text<false>(passage, "passage", limit, b);

  PairWindows out;
  // The passage's ids in play: [b0, b1) of b after the max_passage_tokens cut.
  size_t b0 = 0, b1 = b.size();
  if (cap > 0 && b.size() > cap) {
    out.truncated = true;
    if (side == TruncationSide::kRight) {
      b1 = cap;
    } else {
      b0 = b.size() - cap;
    }
  }
  const size_t n2 = b1 - b0;
  const auto [k1, k2] = longest_first(a.size(), n2, room);
  const std::span<const int32_t> q = kept(a, 0, a.size(), k1, side);
  out.truncated = out.truncated || k1 < a.size();
  if (max_windows == 1 || k2 == n2 || k2 == 0) {
    out.truncated = out.truncated || k2 < n2;
    out.windows.push_back(assemble(t.cls, t.sep, q, kept(b, b0, b1, k2, side)));
    return out;
  }
  // Windows of k2 ids (the one-sequence share) every `stride` ids, the last flush with the end.
  const size_t width = k2, stride = window_stride(k2);
  size_t count = 1 + (n2 - width + stride - 1) / stride;
  const bool all = count <= max_windows;
  if (!all) {
    count = max_windows;
    out.truncated = true;
  }
  out.windows.reserve(count);
  for (size_t j = 0; j < count; ++j) {
    const size_t offset = all && j + 1 == count ? n2 - width : j * stride;  // from the kept end
    const size_t first = side == TruncationSide::kRight ? b0 + offset : b1 - offset - width;
    out.windows.push_back(assemble(t.cls, t.sep, q, {b.data() + first, width}));
  }
  return out;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text) const {
  std::vector<int32_t> out;
  impl_->encode_text<false>(text, "text", SIZE_MAX, out);
  return out;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text,
                                         std::vector<TokenSpan>& spans) const {
  std::vector<int32_t> out;
  spans.clear();
  impl_->encode_text<true>(text, "text", SIZE_MAX, out, &spans);
  return out;
}

const TokenizerConfig& Tokenizer::config() const { return impl_->config; }
const std::vector<std::string>& Tokenizer::vocab() const { return impl_->vocab; }
int32_t Tokenizer::cls_id() const { return impl_->cls; }
int32_t Tokenizer::sep_id() const { return impl_->sep; }
int32_t Tokenizer::pad_id() const { return impl_->pad; }
int32_t Tokenizer::unk_id() const { return impl_->unk; }

}  // namespace crossenc
