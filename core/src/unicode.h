// Unicode character classes and mappings used by the BERT normalizer and pre-tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crossenc::unicode {

// Per-code-point class bits, matching what Hugging Face `tokenizers` decides for a character.
enum CharFlag : uint8_t {
  kRemove = 1 << 0,        // clean_text drops it: NUL, U+FFFD, Cc/Cf/Co except \t \n \r
  kWhitespace = 1 << 1,    // \t \n \r or Unicode White_Space: becomes a space / splits words
  kPunctuation = 1 << 2,   // ASCII punctuation or Unicode P*: a word of its own
  kNonspacing = 1 << 3,    // category Mn: dropped by strip_accents (after NFD)
  kCjk = 1 << 4,           // CJK ideograph: handle_chinese_chars puts spaces around it
  kDecomposes = 1 << 5,    // canonical decomposition (NFD) differs from the character
  kLowerDiffers = 1 << 6,  // lowercase mapping differs from the character
  kNonStarter = 1 << 7,    // canonical combining class != 0 (NFD reorders these)
};

// The class bits of code point c (c must be a Unicode scalar value).
uint8_t char_flags(char32_t c);

// Canonical combining class of c.
uint8_t combining_class(char32_t c);

// Full canonical decomposition (NFD, no reordering) of c into out; returns the count.
// kMaxDecomposition is enough for every code point.
inline constexpr size_t kMaxDecomposition = 4;
size_t decompose(char32_t c, char32_t* out);

// Full lowercase mapping of c (Rust char::to_lowercase) into out; returns the count (1 or 2).
size_t to_lower(char32_t c, char32_t* out);

// Appends the UTF-8 encoding of c at out; returns the byte count (1-4).
inline size_t encode_utf8(char32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (c >> 18));
  out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

// Decodes one code point of strict UTF-8 (no overlongs, surrogates or values above U+10FFFF)
// from [p, end). Returns its length in bytes and sets *c, or returns 0 if the bytes at p are
// not valid UTF-8.
inline size_t decode_utf8(const unsigned char* p, const unsigned char* end, char32_t* c) {
  const unsigned b0 = p[0];
  const size_t avail = static_cast<size_t>(end - p);
  if (b0 < 0x80) {
    *c = b0;
    return 1;
  }
  auto cont = [](unsigned b) { return (b & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (avail < 2 || !cont(p[1])) return 0;
    *c = ((b0 & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (avail < 3 || !cont(p[1]) || !cont(p[2])) return 0;
    if (b0 == 0xE0 && p[1] < 0xA0) return 0;  // overlong
    if (b0 == 0xED && p[1] > 0x9F) return 0;  // surrogate
    *c = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (avail < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3])) return 0;
    if (b0 == 0xF0 && p[1] < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && p[1] > 0x8F) return 0;  // above U+10FFFF
    *c = ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
  }
  return 0;
}

}  // namespace crossenc::unicode
