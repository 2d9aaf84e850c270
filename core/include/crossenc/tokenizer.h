// BERT WordPiece tokenizer, identical in output to Hugging Face's BertTokenizerFast.
#pragma once

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

  // Word pieces of one text, no special tokens added, no truncation.
  std::vector<int32_t> tokenize(std::string_view text) const;

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
