// convert_hf_folder: maps Hugging Face BERT names/shapes to the .cenc layout (QKV fused).
#include "crossenc/converter.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config_json.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "crossenc/quantize.h"
#include "json_int.h"
#include "safetensors.h"

namespace crossenc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw Error("cannot read '" + p.string() + "'");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error("'" + p.string() + "' is not valid JSON: " + e.what());
  }
}

template <typename T>
T get_or(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

ModelConfig read_config(const fs::path& dir) {
  const json j = read_json(dir / "config.json");
  ModelConfig c;
  try {
    if (auto a = j.find("architectures"); a != j.end() && a->is_array() && !a->empty()) {
      c.architecture = (*a)[0].get<std::string>();
    }
    const std::string model_type = get_or<std::string>(j, "model_type", "bert");
    if (model_type != "bert") {
      throw Error("model_type '" + model_type + "' is not supported (only BERT encoders)");
    }
    if (c.architecture != "BertForSequenceClassification") {
      throw Error("architecture '" + c.architecture +
                  "' is not supported (expected BertForSequenceClassification)");
    }
    const std::string pos = get_or<std::string>(j, "position_embedding_type", "absolute");
    if (pos != "absolute") throw Error("position_embedding_type '" + pos + "' is not supported");
    read_encoder_dims(j, c);
    c.type_vocab_size = j.contains("type_vocab_size") && !j["type_vocab_size"].is_null()
                            ? json_int<int>(j["type_vocab_size"], "type_vocab_size")
                            : 2;
    c.layer_norm_eps = get_or<float>(j, "layer_norm_eps", 1e-12f);
    c.hidden_act = get_or<std::string>(j, "hidden_act", "gelu");
    if (auto it = j.find("num_labels"); it != j.end()) {
      c.num_labels = json_int<int>(*it, "num_labels");
    } else if (auto l = j.find("id2label"); l != j.end() && l->is_object()) {
      c.num_labels = static_cast<int>(l->size());
    }
  } catch (const json::exception& e) {
    throw Error("config.json: " + std::string(e.what()));
  }
  return c;
}

std::vector<std::string> read_vocab(const fs::path& dir) {
  std::vector<std::string> vocab;
  if (fs::exists(dir / "vocab.txt")) {
    std::ifstream in(dir / "vocab.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      vocab.push_back(line);
    }
    return vocab;
  }
  if (fs::exists(dir / "tokenizer.json")) {  // vocab as {token: id} inside the WordPiece model
    const json j = read_json(dir / "tokenizer.json");
    const json& v = j.at("model").at("vocab");
    vocab.resize(v.size());
    for (const auto& [tok, id] : v.items()) {
      const auto i = json_int<size_t>(id, "tokenizer.json: the id of \"" + tok + "\"");
      if (i >= vocab.size()) throw Error("tokenizer.json: vocabulary ids are not contiguous");
      vocab[i] = tok;
    }
    return vocab;
  }
  throw Error("'" + dir.string() + "' has neither vocab.txt nor tokenizer.json");
}

TokenizerConfig read_tokenizer_config(const fs::path& dir, const ModelConfig& model) {
  TokenizerConfig t;
  t.max_length = model.max_position_embeddings;
  if (fs::exists(dir / "tokenizer_config.json")) {
    const json j = read_json(dir / "tokenizer_config.json");
    t.lowercase = get_or<bool>(j, "do_lower_case", true);
    t.strip_accents = get_or<bool>(j, "strip_accents", t.lowercase);  // null follows lowercase
    t.handle_chinese_chars = get_or<bool>(j, "tokenize_chinese_chars", true);
    // model_max_length is often a huge sentinel: cap at the position table.
    const double mml = get_or<double>(j, "model_max_length", model.max_position_embeddings);
    if (mml > 0 && mml < model.max_position_embeddings) t.max_length = static_cast<int>(mml);
    t.unk_token = get_or<std::string>(j, "unk_token", t.unk_token);
    t.cls_token = get_or<std::string>(j, "cls_token", t.cls_token);
    t.sep_token = get_or<std::string>(j, "sep_token", t.sep_token);
    t.pad_token = get_or<std::string>(j, "pad_token", t.pad_token);
    t.mask_token = get_or<std::string>(j, "mask_token", t.mask_token);
  }
  if (fs::exists(dir / "tokenizer.json")) {  // the fast tokenizer's own normalizer wins
    const json j = read_json(dir / "tokenizer.json");
    if (auto n = j.find("normalizer");
        n != j.end() && n->is_object() && n->value("type", "") == "BertNormalizer") {
      t.lowercase = get_or<bool>(*n, "lowercase", t.lowercase);
      t.strip_accents = get_or<bool>(*n, "strip_accents", t.lowercase);
      t.handle_chinese_chars = get_or<bool>(*n, "handle_chinese_chars", t.handle_chinese_chars);
    }
    if (auto m = j.find("model"); m != j.end() && m->is_object()) {
      if (auto w = m->find("max_input_chars_per_word"); w != m->end() && !w->is_null()) {
        t.max_input_chars_per_word = json_int<int>(*w, "tokenizer.json max_input_chars_per_word");
      }
      t.continuing_prefix = get_or<std::string>(*m, "continuing_subword_prefix", "##");
      t.unk_token = get_or<std::string>(*m, "unk_token", t.unk_token);
    }
  }
  return t;
}

// Finds a HF tensor under its usual aliases (with or without the "bert." prefix, old gamma/beta).
class HfTensors {
 public:
  // f16_matrices: 2-D tensors will be stored as f16, so their values must fit its range.
  HfTensors(const SafetensorsFile& f, bool f16_matrices) : f_(f), f16_matrices_(f16_matrices) {}

  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape) const {
    for (const std::string& candidate : aliases(name)) {
      auto it = f_.tensors().find(candidate);
      if (it == f_.tensors().end()) continue;
      if (it->second.shape != shape) {
        throw Error("tensor '" + candidate + "' has shape " + shape_str(it->second.shape) +
                    ", expected " + shape_str(shape) + " from config.json");
      }
      std::vector<float> v = SafetensorsFile::to_f32(it->second);
      size_t bad = 0;
      while (bad < v.size() && std::isfinite(v[bad])) ++bad;
      // A finite weight beyond the f16 range would become Inf and silently wreck every score.
      // (Whichever problem comes first in the tensor is the one reported.)
      const size_t big =
          f16_matrices_ && shape.size() == 2 ? first_f16_overflow(v.data(), bad) : bad;
      if (big < bad) {
        throw Error("tensor '" + candidate + "' holds " + std::to_string(v[big]) + " at index " +
                    std::to_string(big) + ", outside the f16 range (+-65504); convert with " +
                    "--dtype f32");
      }
      if (bad < v.size()) {
        throw Error("tensor '" + candidate + "' holds a non-finite value (NaN or Inf) at index " +
                    std::to_string(bad) + "; refusing to convert a broken checkpoint");
      }
      return v;
    }
    throw Error("model.safetensors lacks required tensor '" + name + "'");
  }

  static std::string shape_str(const std::vector<int64_t>& s) {
    std::ostringstream o;
    o << '[';
    for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
    o << ']';
    return o.str();
  }

 private:
  static std::vector<std::string> aliases(const std::string& name) {
    std::vector<std::string> out = {name};
    if (name.rfind("bert.", 0) == 0) out.push_back(name.substr(5));
    for (size_t i = 0, n = out.size(); i < n; ++i) {
      const std::string s = out[i];  // a copy: push_back below reallocates
      auto swap_suffix = [&](const std::string& from, const std::string& to) {
        if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0) {
          out.push_back(s.substr(0, s.size() - from.size()) + to);
        }
      };
      swap_suffix("LayerNorm.weight", "LayerNorm.gamma");
      swap_suffix("LayerNorm.bias", "LayerNorm.beta");
    }
    return out;
  }

  const SafetensorsFile& f_;
  bool f16_matrices_;
};

TensorData make_tensor(const std::string& name, std::vector<int64_t> shape,
                       const std::vector<float>& values, DType dtype) {
  TensorData t;
  t.info.name = name;
  t.info.shape = std::move(shape);
  t.info.dtype = dtype;
  if (dtype == DType::F16) {
    t.bytes.resize(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t h = float_to_half(values[i]);
      std::memcpy(t.bytes.data() + 2 * i, &h, 2);
    }
  } else {
    t.bytes.resize(values.size() * 4);
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  }
  t.info.nbytes = t.bytes.size();
  return t;
}

// An encoder matrix as INT8 (crossenc/quantize.h) plus its per-row F32 scales; rounded with
// GPTQ on `gram` when there is one (crossenc/gptq.h).
std::pair<TensorData, TensorData> make_int8_tensors(const std::string& name,
                                                    const std::vector<int64_t>& shape,
                                                    const std::vector<float>& values,
                                                    const InputGram* gram) {
  TensorData q;
  q.info.name = name;
  q.info.shape = shape;
  q.info.dtype = DType::I8;
  q.bytes.resize(values.size());
  std::vector<float> scales(static_cast<size_t>(shape[0]));
  try {
    auto* levels = reinterpret_cast<int8_t*>(q.bytes.data());
    if (gram) {
      quantize_rows_int8_gptq(values.data(), shape[0], shape[1], *gram, levels, scales.data());
    } else {
      quantize_rows_int8(values.data(), shape[0], shape[1], levels, scales.data());
    }
  } catch (const Error& e) {
    throw Error("tensor '" + name + "': " + e.what());
  }
  q.info.nbytes = q.bytes.size();
  return {std::move(q),
          make_tensor(tensor_names::int8_scales(name), {shape[0]}, scales, DType::F32)};
}

}  // namespace

bool is_hf_folder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::exists(fs::path(path) / "config.json", ec);
}

std::vector<uint8_t> convert_hf_folder(const std::string& dir_str, const ConvertOptions& options) {
  const fs::path dir(dir_str);
  if (!fs::is_directory(dir)) throw Error("'" + dir_str + "' is not a folder");
  if (!fs::exists(dir / "config.json")) throw Error("'" + dir_str + "' has no config.json");
  if (options.dtype != DType::F32 && options.dtype != DType::F16 && options.dtype != DType::I8) {
    throw Error("convert supports --dtype f32, f16 or int8");
  }
  if (options.input_grams && options.dtype != DType::I8) {
    throw Error("calibration statistics (GPTQ rounding) apply to --dtype int8 only");
  }
  ModelConfig config = read_config(dir);
  config.dtype = options.dtype;
  config.validate();
  std::vector<std::string> vocab;
  TokenizerConfig tok;
  try {
    vocab = read_vocab(dir);
    tok = read_tokenizer_config(dir, config);
  } catch (const json::exception& e) {
    // A field of the wrong type, or tokenizer.json without "model": name it, as for config.json.
    throw Error("'" + dir_str + "': unusable tokenizer files: " + std::string(e.what()));
  }
  if (vocab.empty()) throw Error("'" + dir_str + "': the vocabulary is empty");
  if (vocab.size() > static_cast<size_t>(config.vocab_size)) {
    // The .cenc reader refuses this; say so now rather than write a file that cannot load.
    throw Error("'" + dir_str + "': the vocabulary has " + std::to_string(vocab.size()) +
                " tokens but config.json's vocab_size is " + std::to_string(config.vocab_size));
  }
  if (!fs::exists(dir / "model.safetensors")) {
    // Name only what is there: a PyTorch checkpoint gets the re-save hint, nothing else does.
    if (fs::exists(dir / "pytorch_model.bin")) {
      throw Error("'" + dir_str +
                  "' has pytorch_model.bin but no model.safetensors: crossenc reads safetensors "
                  "only (re-save with save_pretrained(..., safe_serialization=True))");
    }
    throw Error("'" + dir_str + "' has no model.safetensors");
  }
  const SafetensorsFile st((dir / "model.safetensors").string());
  const HfTensors hf(st, options.dtype == DType::F16);

  namespace tn = tensor_names;
  const int64_t h = config.hidden_size, f = config.intermediate_size;
  // 2-D matrices in the requested dtype; 1-D vectors stay F32. INT8 quantizes the encoder
  // layers' matrices only (what the int8 mode runs in INT8); the embedding tables, pooler and
  // classifier stay F32 as that mode uses them.
  const DType mat = options.dtype;
  std::vector<TensorData> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
    if (mat == DType::I8 && tn::is_layer_matrix(name, shape)) {
      const InputGram* gram = nullptr;
      if (options.input_grams) {
        auto it = options.input_grams->find(name);
        if (it == options.input_grams->end()) {
          throw Error("the calibration has no statistics for '" + name + "'");
        }
        gram = &it->second;
      }
      auto [q, scales] = make_int8_tensors(name, shape, v, gram);
      out.push_back(std::move(q));
      out.push_back(std::move(scales));
      return;
    }
    const DType stored = mat == DType::I8 ? DType::F32 : mat;
    out.push_back(make_tensor(name, shape, v, shape.size() == 2 ? stored : DType::F32));
  };
  const std::string e = "bert.embeddings.";
  add(tn::kWordEmb, {config.vocab_size, h},
      hf.get(e + "word_embeddings.weight", {config.vocab_size, h}));
  add(tn::kPosEmb, {config.max_position_embeddings, h},
      hf.get(e + "position_embeddings.weight", {config.max_position_embeddings, h}));
  add(tn::kTypeEmb, {config.type_vocab_size, h},
      hf.get(e + "token_type_embeddings.weight", {config.type_vocab_size, h}));
  add(tn::kEmbLnGamma, {h}, hf.get(e + "LayerNorm.weight", {h}));
  add(tn::kEmbLnBeta, {h}, hf.get(e + "LayerNorm.bias", {h}));
  for (int i = 0; i < config.num_layers; ++i) {
    const std::string p = "bert.encoder.layer." + std::to_string(i) + ".";
    std::vector<float> qkv_w, qkv_b;
    for (const char* part : {"query", "key", "value"}) {
      const auto w = hf.get(p + "attention.self." + part + ".weight", {h, h});
      const auto b = hf.get(p + "attention.self." + part + ".bias", {h});
      qkv_w.insert(qkv_w.end(), w.begin(), w.end());
      qkv_b.insert(qkv_b.end(), b.begin(), b.end());
    }
    add(tn::layer(i, tn::kQkvW), {3 * h, h}, qkv_w);
    add(tn::layer(i, tn::kQkvB), {3 * h}, qkv_b);
    add(tn::layer(i, tn::kAttnOutW), {h, h}, hf.get(p + "attention.output.dense.weight", {h, h}));
    add(tn::layer(i, tn::kAttnOutB), {h}, hf.get(p + "attention.output.dense.bias", {h}));
    add(tn::layer(i, tn::kAttnLnGamma), {h}, hf.get(p + "attention.output.LayerNorm.weight", {h}));
    add(tn::layer(i, tn::kAttnLnBeta), {h}, hf.get(p + "attention.output.LayerNorm.bias", {h}));
    add(tn::layer(i, tn::kFfnInW), {f, h}, hf.get(p + "intermediate.dense.weight", {f, h}));
    add(tn::layer(i, tn::kFfnInB), {f}, hf.get(p + "intermediate.dense.bias", {f}));
    add(tn::layer(i, tn::kFfnOutW), {h, f}, hf.get(p + "output.dense.weight", {h, f}));
    add(tn::layer(i, tn::kFfnOutB), {h}, hf.get(p + "output.dense.bias", {h}));
    add(tn::layer(i, tn::kFfnLnGamma), {h}, hf.get(p + "output.LayerNorm.weight", {h}));
    add(tn::layer(i, tn::kFfnLnBeta), {h}, hf.get(p + "output.LayerNorm.bias", {h}));
  }
  add(tn::kPoolerW, {h, h}, hf.get("bert.pooler.dense.weight", {h, h}));
  add(tn::kPoolerB, {h}, hf.get("bert.pooler.dense.bias", {h}));
  const int64_t labels = config.num_labels;
  add(tn::kClassifierW, {labels, h}, hf.get("classifier.weight", {labels, h}));
  add(tn::kClassifierB, {labels}, hf.get("classifier.bias", {labels}));
  return serialize_model(config, tok, vocab, out);
}

std::shared_ptr<const ModelFile> open_model(const std::string& path, DType hf_dtype) {
  if (is_hf_folder(path)) {
    return ModelFile::from_bytes(convert_hf_folder(path, {.dtype = hf_dtype}), path);
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("model '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) {
    throw Error("'" + path + "' is a folder without config.json: not a Hugging Face model");
  }
  return ModelFile::open(path);
}

}  // namespace crossenc
