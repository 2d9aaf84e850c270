// BERT WordPiece tokenizer, identical in output to Hugging Face's BertTokenizerFast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crossenc {

struct TokenizerConfig {
  bool lowercase = true;
  bool strip_accents = true;           // HF: strip_accents=None follows lowercase
  bool handle_chinese_chars = true;    // spaces around CJK ideographs
  int max_length = 512;                // default total budget incl. special tokens
  int max_input_chars_per_word = 100;  // longer words become [UNK]
  std::string continuing_prefix = "##";
  std::string unk_token = "[UNK]", cls_token = "[CLS]", sep_token = "[SEP]", pad_token = "[PAD]",
              mask_token = "[MASK]";
};

// input_ids = [CLS] query [SEP] passage [SEP]; token_type_ids 0 for the first part, 1 after.
struct Encoding {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> token_type_ids;
};

// Where a token comes from in its text: bytes [begin, end). A word piece covers the source
// characters its normalized bytes came from.
struct TokenSpan {
  uint32_t begin = 0, end = 0;
  bool operator==(const TokenSpan&) const = default;
};

// Which end of a text longest_first truncation cuts (Hugging Face's truncation_side).
enum class TruncationSide { kRight, kLeft };

// How a pair longer than max_length becomes model inputs.
struct LongPairOptions {
  TruncationSide side = TruncationSide::kRight;
  // > 1: a passage too long for one sequence is split into up to this many windows that
  // overlap by a quarter of a window, each [CLS] query [SEP] window [SEP], the query cut as
  // longest_first cuts it for one sequence. The first window is the one-sequence encoding.
  size_t max_windows = 1;
  size_t max_passage_tokens = 0;  // cut the passage to this many word pieces first; 0: no cap
};

// A pair as 1..max_windows model inputs.
struct PairWindows {
  std::vector<Encoding> windows;
  bool truncated = false;  // some word pieces of the pair are in no window
};

// The most windows encode_pair_windows makes of a passage of `passage_tokens` word pieces at
// max_length, whatever the query (a long query leaves each window at least half the room).
size_t windows_to_cover(size_t passage_tokens, int max_length);

class Tokenizer {
 public:
  // vocab[i] is the token of id i (the lines of vocab.txt). Throws Error on an unusable vocab
  // (special tokens missing).
  Tokenizer(std::vector<std::string> vocab, TokenizerConfig config);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Reads vocab.txt (one token per line).
  static Tokenizer from_vocab_file(const std::string& path, TokenizerConfig config = {});

  // Pair encoding with longest_first truncation to max_length (<= 0: config.max_length).
  // Throws Error on invalid UTF-8 (the message names the byte offset) or max_length < 3.
  Encoding encode_pair(std::string_view query, std::string_view passage, int max_length = 0) const;

  // The pair cut on options.side and, with options.max_windows > 1, split into windows. Throws
  // like encode_pair.
  PairWindows encode_pair_windows(std::string_view query, std::string_view passage, int max_length,
                                  const LongPairOptions& options) const;

  // Word pieces of one text, no special tokens added, no truncation.
  std::vector<int32_t> tokenize(std::string_view text) const;
  // The same ids, and spans[i] the source bytes of id i (Hugging Face's offsets, in bytes).
  std::vector<int32_t> tokenize(std::string_view text, std::vector<TokenSpan>& spans) const;

  const TokenizerConfig& config() const;
  const std::vector<std::string>& vocab() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  int32_t pad_id() const;
  int32_t unk_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossenc
