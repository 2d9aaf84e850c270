// Writes the committed seed corpora of the fuzzers (tests/fuzz/<fuzzer>/): a tiny BERT model
// (16-token vocab, hidden 4, one layer) as .cenc images and as a Hugging Face folder, plus text,
// JSON and protobuf samples. Usage: fuzz_make_seeds <tests/fuzz folder>. Deterministic.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crossenc/half.h"
#include "crossenc/model_file.h"
#include "fuzz_util.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

const std::vector<std::string> kVocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a",
                                         "flea",  "is",    "what",  "small", "insect", "##s",
                                         ".",     "the",   "in",    "##ect"};
constexpr int kHidden = 4, kInter = 8, kPositions = 32, kTypes = 2, kLabels = 1;

fs::path g_root;

void write(const std::string& rel, std::string_view bytes) {
  const fs::path p = g_root / rel;
  fs::create_directories(p.parent_path());
  crossenc::fuzz::write_file(p, bytes);
}

std::string u16le(uint16_t v) { return {char(v & 0xFF), char(v >> 8)}; }

// Small deterministic weights; LayerNorm gammas are 1 and betas 0 like a fresh checkpoint.
std::vector<float> values(const std::string& name, size_t n) {
  std::vector<float> v(n);
  const bool gamma =
      name.find("gamma") != std::string::npos || name.find("LayerNorm.weight") != std::string::npos;
  const bool beta =
      name.find("beta") != std::string::npos || name.find("LayerNorm.bias") != std::string::npos;
  uint32_t s = 2166136261u;  // FNV-1a of the name: the same weights on every platform
  for (unsigned char ch : name) s = (s ^ ch) * 16777619u;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = gamma ? 1.0f : beta ? 0.0f : (static_cast<float>(s >> 8) / 16777216.0f - 0.5f) * 0.2f;
  }
  return v;
}

struct Named {
  std::string name;
  std::vector<int64_t> shape;
};

// The HF tensors of the tiny model, in BertForSequenceClassification's names.
std::vector<Named> hf_tensors() {
  const int64_t h = kHidden, f = kInter, v = static_cast<int64_t>(kVocab.size());
  std::vector<Named> t = {{"bert.embeddings.word_embeddings.weight", {v, h}},
                          {"bert.embeddings.position_embeddings.weight", {kPositions, h}},
                          {"bert.embeddings.token_type_embeddings.weight", {kTypes, h}},
                          {"bert.embeddings.LayerNorm.weight", {h}},
                          {"bert.embeddings.LayerNorm.bias", {h}}};
  const std::string p = "bert.encoder.layer.0.";
  for (const char* part : {"query", "key", "value"}) {
    t.push_back({p + "attention.self." + part + ".weight", {h, h}});
    t.push_back({p + "attention.self." + part + ".bias", {h}});
  }
  for (const auto& n : std::vector<Named>{{"attention.output.dense.weight", {h, h}},
                                          {"attention.output.dense.bias", {h}},
                                          {"attention.output.LayerNorm.weight", {h}},
                                          {"attention.output.LayerNorm.bias", {h}},
                                          {"intermediate.dense.weight", {f, h}},
                                          {"intermediate.dense.bias", {f}},
                                          {"output.dense.weight", {h, f}},
                                          {"output.dense.bias", {h}},
                                          {"output.LayerNorm.weight", {h}},
                                          {"output.LayerNorm.bias", {h}}}) {
    t.push_back({p + n.name, n.shape});
  }
  t.push_back({"bert.pooler.dense.weight", {h, h}});
  t.push_back({"bert.pooler.dense.bias", {h}});
  t.push_back({"classifier.weight", {kLabels, h}});
  t.push_back({"classifier.bias", {kLabels}});
  return t;
}

size_t numel(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(d);
  return n;
}

// model.safetensors bytes with every tensor in `dtype` ("F32", "F16" or "BF16").
std::string safetensors(const std::string& dtype) {
  ordered_json header = {{"__metadata__", {{"format", "pt"}}}};
  std::string data;
  for (const auto& t : hf_tensors()) {
    const size_t begin = data.size();
    for (float x : values(t.name, numel(t.shape))) {
      if (dtype == "F32") {
        data.append(reinterpret_cast<const char*>(&x), 4);
      } else if (dtype == "F16") {
        data += u16le(crossenc::float_to_half(x));
      } else {
        data += u16le(crossenc::float_to_bf16(x));
      }
    }
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string h = header.dump();
  const uint64_t len = h.size();
  return std::string(reinterpret_cast<const char*>(&len), 8) + h + data;
}

std::string config_json() {
  return ordered_json{{"architectures", {"BertForSequenceClassification"}},
                      {"model_type", "bert"},
                      {"hidden_act", "gelu"},
                      {"hidden_size", kHidden},
                      {"intermediate_size", kInter},
                      {"num_attention_heads", 2},
                      {"num_hidden_layers", 1},
                      {"max_position_embeddings", kPositions},
                      {"type_vocab_size", kTypes},
                      {"vocab_size", kVocab.size()},
                      {"layer_norm_eps", 1e-12},
                      {"position_embedding_type", "absolute"},
                      {"id2label", {{"0", "LABEL_0"}}}}
      .dump(1);
}

std::string vocab_txt() {
  std::string s;
  for (const auto& t : kVocab) s += t + "\n";
  return s;
}

std::string tokenizer_config_json() {
  return ordered_json{
      {"do_lower_case", true}, {"strip_accents", nullptr}, {"model_max_length", 16},
      {"cls_token", "[CLS]"},  {"sep_token", "[SEP]"},     {"pad_token", "[PAD]"},
      {"unk_token", "[UNK]"},  {"mask_token", "[MASK]"},   {"tokenize_chinese_chars", true}}
      .dump(1);
}

std::string tokenizer_json() {
  ordered_json vocab = ordered_json::object();
  for (size_t i = 0; i < kVocab.size(); ++i) vocab[kVocab[i]] = i;
  return ordered_json{{"normalizer",
                       {{"type", "BertNormalizer"},
                        {"clean_text", true},
                        {"handle_chinese_chars", true},
                        {"strip_accents", nullptr},
                        {"lowercase", true}}},
                      {"model",
                       {{"type", "WordPiece"},
                        {"unk_token", "[UNK]"},
                        {"continuing_subword_prefix", "##"},
                        {"max_input_chars_per_word", 100},
                        {"vocab", vocab}}}}
      .dump(1);
}

// A .cenc image of the tiny model, matrices stored in `dtype`.
std::vector<uint8_t> cenc(crossenc::DType dtype) {
  namespace tn = crossenc::tensor_names;
  crossenc::ModelConfig c;
  c.vocab_size = static_cast<int>(kVocab.size());
  c.hidden_size = kHidden;
  c.num_layers = 1;
  c.num_heads = 2;
  c.intermediate_size = kInter;
  c.max_position_embeddings = kPositions;
  c.type_vocab_size = kTypes;
  c.num_labels = kLabels;
  c.dtype = dtype;
  crossenc::TokenizerConfig tok;
  tok.max_length = 16;
  const int64_t h = kHidden, f = kInter;
  const std::vector<Named> names = {{tn::kWordEmb, {c.vocab_size, h}},
                                    {tn::kPosEmb, {kPositions, h}},
                                    {tn::kTypeEmb, {kTypes, h}},
                                    {tn::kEmbLnGamma, {h}},
                                    {tn::kEmbLnBeta, {h}},
                                    {tn::layer(0, tn::kQkvW), {3 * h, h}},
                                    {tn::layer(0, tn::kQkvB), {3 * h}},
                                    {tn::layer(0, tn::kAttnOutW), {h, h}},
                                    {tn::layer(0, tn::kAttnOutB), {h}},
                                    {tn::layer(0, tn::kAttnLnGamma), {h}},
                                    {tn::layer(0, tn::kAttnLnBeta), {h}},
                                    {tn::layer(0, tn::kFfnInW), {f, h}},
                                    {tn::layer(0, tn::kFfnInB), {f}},
                                    {tn::layer(0, tn::kFfnOutW), {h, f}},
                                    {tn::layer(0, tn::kFfnOutB), {h}},
                                    {tn::layer(0, tn::kFfnLnGamma), {h}},
                                    {tn::layer(0, tn::kFfnLnBeta), {h}},
                                    {tn::kPoolerW, {h, h}},
                                    {tn::kPoolerB, {h}},
                                    {tn::kClassifierW, {kLabels, h}},
                                    {tn::kClassifierB, {kLabels}}};
  std::vector<crossenc::TensorData> tensors;
  for (const auto& n : names) {
    crossenc::TensorData t;
    t.info.name = n.name;
    t.info.shape = n.shape;
    t.info.dtype = n.shape.size() == 2 ? dtype : crossenc::DType::F32;
    const auto v = values(n.name, numel(n.shape));
    if (t.info.dtype == crossenc::DType::F16) {
      for (float x : v) {
        const std::string b = u16le(crossenc::float_to_half(x));
        t.bytes.insert(t.bytes.end(), b.begin(), b.end());
      }
    } else {
      t.bytes.resize(v.size() * 4);
      std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    }
    t.info.nbytes = t.bytes.size();
    tensors.push_back(std::move(t));
  }
  return crossenc::serialize_model(c, tok, kVocab, tensors);
}

// Tokenizer fuzzer input: [config bits][max_length int16][query length u16][query][passage].
std::string tokenizer_input(uint8_t bits, int16_t max_length, std::string_view q,
                            std::string_view p) {
  return std::string(1, char(bits)) + u16le(static_cast<uint16_t>(max_length)) +
         u16le(static_cast<uint16_t>(q.size())) + std::string(q) + std::string(p);
}

// InferRequest wire format: field 1 (pairs) of QueryDocPair {1: query, 2: document}.
std::string varint(size_t n) {
  std::string s;
  do {
    s += char((n & 0x7F) | (n > 0x7F ? 0x80 : 0));
    n >>= 7;
  } while (n);
  return s;
}
std::string field(int number, std::string_view bytes) {
  return std::string(1, char(number << 3 | 2)) + varint(bytes.size()) + std::string(bytes);
}
std::string infer_request(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [q, d] : pairs) out += field(1, field(1, q) + field(2, d));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <tests/fuzz folder>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  const std::string sep(crossenc::fuzz::kPartSeparator);

  // tokenizer
  write("tokenizer/plain", tokenizer_input(7, 512, "what is a flea", "A flea is a small insect."));
  write("tokenizer/short_budget", tokenizer_input(7, 9, "How many people live in Berlin?",
                                                  "Berlin had a population of 3,520,031."));
  write("tokenizer/unicode", tokenizer_input(7, 64, "Caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87",
                                             "na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xF0\x9F\x98\x80 "
                                             "\xE2\x80\x8B zero\xC2\xADwidth"));
  write("tokenizer/cased", tokenizer_input(0, 32, "\xC3\x89T\xC3\x89",
                                           "Stra\xC3\x9F"
                                           "e"));
  write("tokenizer/specials", tokenizer_input(7, 20, "[CLS] x [SEP]", "[UNK][MASK] [PAD]"));
  write("tokenizer/long_word", tokenizer_input(15, 40, std::string(120, 'x'), "a-b_c!d?e"));
  write("tokenizer/invalid_utf8", tokenizer_input(7, 16, "ok", "bad \xFF\xFE \xC0\xAF"));
  write("tokenizer/tiny_budget", tokenizer_input(7, 3, "q", "p"));

  // model_file
  for (const auto& [name, dtype] :
       {std::pair{"mini_f32", crossenc::DType::F32}, std::pair{"mini_f16", crossenc::DType::F16}}) {
    const auto image = cenc(dtype);
    write(std::string("model_file/") + name,
          {reinterpret_cast<const char*>(image.data()), image.size()});
  }

  // converter: [flags] config | safetensors | vocab.txt | tokenizer_config.json | tokenizer.json
  const auto folder = [&](uint8_t flags, const std::string& dtype) {
    return std::string(1, char(flags)) + config_json() + sep + safetensors(dtype) + sep +
           vocab_txt() + sep + tokenizer_config_json() + sep + tokenizer_json();
  };
  write("converter/vocab_txt_f32", folder(0x2 | 0x4, "F32"));
  write("converter/tokenizer_json_to_f16", folder(0x1 | 0x8, "F32"));
  write("converter/all_files_bf16", folder(0x2 | 0x4 | 0x8, "BF16"));
  write("converter/f16_checkpoint", folder(0x2, "F16"));

  // jsonl
  write("jsonl/pairs",
        "{\"id\": 1, \"query\": \"what is a flea\", \"passage\": \"A flea is an insect.\"}\n"
        "{\"query\": \"berlin\", \"passage\": \"Berlin is a city.\", \"extra\": [1, 2]}\r\n"
        "\n   \t\n"
        "{\"query\": \"\\u00e9\\ud83d\\ude00\", \"passage\": \"\\u0000 nul\"}\n");
  write("jsonl/ids",
        "{\"input_ids\": [101, 2054, 102, 4068, 102], \"token_type_ids\": [0, 0, 0, 1, 1]}\n"
        "{\"input_ids\": [101, 102]}\n"
        "{\"input_ids\": [], \"token_type_ids\": []}\n"
        "{\"input_ids\": [-1, 4294967296]}\n");
  write("jsonl/bad",
        "{not json\n{\"query\": \"a\"}\n{\"query\": 5, \"passage\": \"b\"}\n"
        "[1, 2]\n{\"query\": \"a\", \"passage\": \"\xFF\"}\n\"just a string\"\n");

  // http_request (each body goes to all three parsers)
  write(
      "http_request/tei",
      R"({"query": "what is a flea", "texts": ["an insect", "a dog"], "raw_scores": false, "return_text": true, "truncate": true})");
  write(
      "http_request/cohere",
      R"({"model": "m", "query": "q", "documents": ["a", {"text": "b"}], "top_n": 1, "return_documents": true})");
  write(
      "http_request/score_object",
      R"({"pairs": [{"query": "q", "passage": "p"}, {"query": "q", "document": "d"}, ["q2", "p2"]], "raw_scores": true})");
  write("http_request/score_array", R"([["q", "p"], ["\u00e9", "\ud83d\ude00"]])");
  write("http_request/invalid",
        "{\"query\": \"\xFF\", \"texts\": [1, null], \"top_n\": -3, \"truncate\": \"yes\"}");

  // infer_request
  write("infer_request/two_pairs", infer_request({{"what is a flea", "an insect"}, {"q", ""}}));
  write("infer_request/empty", "");
  write("infer_request/invalid_utf8", infer_request({{"ok", "bad \xFF"}}));
  std::fprintf(stderr, "seeds written under %s\n", g_root.c_str());
  return 0;
}
