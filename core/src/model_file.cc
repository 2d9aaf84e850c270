// .cenc model files: atomic writer and validating, zero-copy mmap reader.
#include "crossenc/model_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "config_json.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "crossenc/quantize.h"
#include "json_int.h"

namespace crossenc {

using nlohmann::json;

namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t round64(uint64_t acc, uint64_t w) { return rotl(acc + w * kPrime2, 31) * kPrime1; }

uint64_t align_up(uint64_t x) {
  return (x + kModelAlignment - 1) / kModelAlignment * kModelAlignment;
}

json config_to_json(const ModelConfig& c) {
  return {{"architecture", c.architecture},
          {"vocab_size", c.vocab_size},
          {"hidden_size", c.hidden_size},
          {"num_hidden_layers", c.num_layers},
          {"num_attention_heads", c.num_heads},
          {"intermediate_size", c.intermediate_size},
          {"max_position_embeddings", c.max_position_embeddings},
          {"type_vocab_size", c.type_vocab_size},
          {"num_labels", c.num_labels},
          {"layer_norm_eps", c.layer_norm_eps},
          {"hidden_act", c.hidden_act},
          {"dtype", std::string(dtype_name(c.dtype))}};
}

ModelConfig config_from_json(const json& j) {
  ModelConfig c;
  c.architecture = j.at("architecture").get<std::string>();
  read_encoder_dims(j, c);
  c.type_vocab_size = json_int<int>(j.at("type_vocab_size"), "type_vocab_size");
  c.num_labels = json_int<int>(j.at("num_labels"), "num_labels");
  c.layer_norm_eps = j.at("layer_norm_eps").get<float>();
  c.hidden_act = j.at("hidden_act").get<std::string>();
  c.dtype = parse_dtype(j.at("dtype").get<std::string>());
  return c;
}

json tokenizer_to_json(const TokenizerConfig& t) {
  return {{"lowercase", t.lowercase},
          {"strip_accents", t.strip_accents},
          {"handle_chinese_chars", t.handle_chinese_chars},
          {"max_length", t.max_length},
          {"max_input_chars_per_word", t.max_input_chars_per_word},
          {"continuing_prefix", t.continuing_prefix},
          {"unk_token", t.unk_token},
          {"cls_token", t.cls_token},
          {"sep_token", t.sep_token},
          {"pad_token", t.pad_token},
          {"mask_token", t.mask_token}};
}

TokenizerConfig tokenizer_from_json(const json& j) {
  TokenizerConfig t;
  t.lowercase = j.at("lowercase").get<bool>();
  t.strip_accents = j.at("strip_accents").get<bool>();
  t.handle_chinese_chars = j.at("handle_chinese_chars").get<bool>();
  t.max_length = json_int<int>(j.at("max_length"), "tokenizer max_length");
  t.max_input_chars_per_word =
      json_int<int>(j.at("max_input_chars_per_word"), "tokenizer max_input_chars_per_word");
  t.continuing_prefix = j.at("continuing_prefix").get<std::string>();
  t.unk_token = j.at("unk_token").get<std::string>();
  t.cls_token = j.at("cls_token").get<std::string>();
  t.sep_token = j.at("sep_token").get<std::string>();
  t.pad_token = j.at("pad_token").get<std::string>();
  t.mask_token = j.at("mask_token").get<std::string>();
  return t;
}

// The shape every required tensor must have, derived from the config.
std::vector<std::pair<std::string, std::vector<int64_t>>> required_shapes(const ModelConfig& c) {
  namespace tn = tensor_names;
  const int64_t h = c.hidden_size, f = c.intermediate_size;
  std::vector<std::pair<std::string, std::vector<int64_t>>> r = {
      {tn::kWordEmb, {c.vocab_size, h}},
      {tn::kPosEmb, {c.max_position_embeddings, h}},
      {tn::kTypeEmb, {c.type_vocab_size, h}},
      {tn::kEmbLnGamma, {h}},
      {tn::kEmbLnBeta, {h}},
      {tn::kPoolerW, {h, h}},
      {tn::kPoolerB, {h}},
      {tn::kClassifierW, {c.num_labels, h}},
      {tn::kClassifierB, {c.num_labels}}};
  for (int i = 0; i < c.num_layers; ++i) {
    r.push_back({tn::layer(i, tn::kQkvW), {3 * h, h}});
    r.push_back({tn::layer(i, tn::kQkvB), {3 * h}});
    r.push_back({tn::layer(i, tn::kAttnOutW), {h, h}});
    r.push_back({tn::layer(i, tn::kAttnOutB), {h}});
    r.push_back({tn::layer(i, tn::kAttnLnGamma), {h}});
    r.push_back({tn::layer(i, tn::kAttnLnBeta), {h}});
    r.push_back({tn::layer(i, tn::kFfnInW), {f, h}});
    r.push_back({tn::layer(i, tn::kFfnInB), {f}});
    r.push_back({tn::layer(i, tn::kFfnOutW), {h, f}});
    r.push_back({tn::layer(i, tn::kFfnOutB), {h}});
    r.push_back({tn::layer(i, tn::kFfnLnGamma), {h}});
    r.push_back({tn::layer(i, tn::kFfnLnBeta), {h}});
  }
  return r;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

std::string tensor_names::layer(int i, const char* suffix) {
  return "layer." + std::to_string(i) + "." + suffix;
}

uint64_t checksum64(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t v[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    for (int l = 0; l < 4; ++l) v[l] = round64(v[l], w[l]);
  }
  uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
  h += size;
  for (; i < size; ++i) h = rotl(h ^ (p[i] * kPrime1), 11) * kPrime2;
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  return h;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<uint8_t> serialize_model(const ModelConfig& config, const TokenizerConfig& tokenizer,
                                     const std::vector<std::string>& vocab,
                                     const std::vector<TensorData>& tensors) {
  config.validate();
  // Lay out the data section and the tensor table.
  json table = json::array();
  uint64_t data_size = 0;
  std::vector<uint64_t> offsets;
  for (const auto& t : tensors) {
    if (t.bytes.size() != static_cast<size_t>(t.info.numel()) * dtype_size(t.info.dtype)) {
      throw Error("tensor '" + t.info.name + "': byte size does not match its shape and dtype");
    }
    data_size = align_up(data_size);
    offsets.push_back(data_size);
    table.push_back({{"name", t.info.name},
                     {"dtype", std::string(dtype_name(t.info.dtype))},
                     {"shape", t.info.shape},
                     {"offset", data_size},
                     {"nbytes", t.bytes.size()}});
    data_size += t.bytes.size();
  }
  json meta = {{"format", "crossenc"},
               {"config", config_to_json(config)},
               {"tokenizer", tokenizer_to_json(tokenizer)},
               {"tensors", table}};
  const std::string meta_str = meta.dump(1);
  std::string vocab_str;
  for (const auto& tok : vocab) {
    if (tok.find('\n') != std::string::npos) throw Error("vocabulary token contains a newline");
    vocab_str += tok;
    vocab_str += '\n';
  }

  FileHeader h{};
  std::memcpy(h.magic, kModelMagic, sizeof(h.magic));
  h.version = kModelFormatVersion;
  h.header_size = sizeof(FileHeader);
  h.metadata = {align_up(sizeof(FileHeader)), meta_str.size(),
                checksum64(meta_str.data(), meta_str.size())};
  h.vocab = {align_up(h.metadata.offset + h.metadata.size), vocab_str.size(),
             checksum64(vocab_str.data(), vocab_str.size())};
  h.data.offset = align_up(h.vocab.offset + h.vocab.size);
  h.data.size = data_size;
  h.file_size = h.data.offset + data_size;

  // Assemble in memory (model files are small) so the data checksum is one pass.
  std::vector<uint8_t> out(h.file_size, 0);
  std::memcpy(out.data() + h.metadata.offset, meta_str.data(), meta_str.size());
  std::memcpy(out.data() + h.vocab.offset, vocab_str.data(), vocab_str.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::memcpy(out.data() + h.data.offset + offsets[i], tensors[i].bytes.data(),
                tensors[i].bytes.size());
  }
  h.data.checksum = checksum64(out.data() + h.data.offset, data_size);
  h.header_checksum = checksum64(&h, offsetof(FileHeader, header_checksum));
  std::memcpy(out.data(), &h, sizeof(h));
  return out;
}

void write_model_file(const std::string& path, const std::vector<uint8_t>& out) {
  // Atomic: write a temp file next to the target, then rename; never leave a partial file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error("cannot write '" + path + "': " + std::strerror(errno));
    const size_t written = std::fwrite(out.data(), 1, out.size(), f);
    const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    const int err = errno;
    std::fclose(f);
    if (written != out.size() || !flushed) {
      std::remove(tmp.c_str());
      throw Error("cannot write '" + path + "': " + std::strerror(err ? err : EIO));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "': " + std::strerror(err));
  }
}

std::shared_ptr<const ModelFile> ModelFile::open(const std::string& path) {
  std::shared_ptr<ModelFile> m(new ModelFile());  // private constructor: make_shared can't reach it
  m->path_ = path;
  // O_NONBLOCK: a FIFO given as the model must fail the regular-file check below, not block
  // open() until a writer appears (no effect on regular files).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open model '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("cannot open model '" + path + "': not a regular file");
  }
  m->size_ = static_cast<size_t>(st.st_size);
  if (m->size_ < sizeof(FileHeader)) {
    ::close(fd);
    throw Error("model '" + path + "' is truncated: " + std::to_string(m->size_) +
                " bytes, smaller than the " + std::to_string(sizeof(FileHeader)) + "-byte header");
  }
  void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) throw Error("cannot map model '" + path + "': " + std::strerror(errno));
  m->base_ = static_cast<const uint8_t*>(p);
  m->mapped_ = true;
  m->parse();
  return m;
}

std::shared_ptr<const ModelFile> ModelFile::from_bytes(std::vector<uint8_t> bytes,
                                                       const std::string& name) {
  std::shared_ptr<ModelFile> m(new ModelFile());
  m->path_ = name;
  m->owned_ = std::move(bytes);
  m->base_ = m->owned_.data();
  m->size_ = m->owned_.size();
  if (m->size_ < sizeof(FileHeader)) {
    throw Error("model '" + name + "' is truncated: " + std::to_string(m->size_) +
                " bytes, smaller than the header");
  }
  m->parse();
  return m;
}

ModelFile::~ModelFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(base_), size_);
}

void ModelFile::parse() {
  const std::string where = "model '" + path_ + "'";
  std::memcpy(&header_, base_, sizeof(FileHeader));
  if (std::memcmp(header_.magic, kModelMagic, sizeof(kModelMagic)) != 0) {
    throw Error(where +
                " is not a crossenc model file (wrong magic; convert a Hugging Face "
                "folder with 'crossenc convert')");
  }
  if (header_.version < kOldestModelFormatVersion || header_.version > kModelFormatVersion) {
    throw Error(where + " has format version " + std::to_string(header_.version) +
                "; this build reads versions " + std::to_string(kOldestModelFormatVersion) +
                " to " + std::to_string(kModelFormatVersion));
  }
  if (header_.header_size != sizeof(FileHeader) ||
      checksum64(&header_, offsetof(FileHeader, header_checksum)) != header_.header_checksum) {
    throw Error(where + " is corrupt: header checksum mismatch");
  }
  if (header_.file_size != size_) {
    throw Error(where + " is truncated or padded: header says " +
                std::to_string(header_.file_size) + " bytes, file has " + std::to_string(size_));
  }
  const std::pair<const char*, const FileSection*> sections[] = {
      {"metadata", &header_.metadata}, {"vocab", &header_.vocab}, {"data", &header_.data}};
  for (const auto& [name, s] : sections) {
    if (s->offset < sizeof(FileHeader) || s->offset % kModelAlignment != 0 || s->offset > size_ ||
        s->size > size_ - s->offset) {
      throw Error(where + " is corrupt: section '" + name + "' lies outside the file");
    }
    if (checksum64(base_ + s->offset, s->size) != s->checksum) {
      throw Error(where + " is corrupt: checksum mismatch in section '" + name +
                  "' (flipped or altered bytes)");
    }
  }

  metadata_json_.assign(reinterpret_cast<const char*>(base_ + header_.metadata.offset),
                        header_.metadata.size);
  try {
    const json meta = json::parse(metadata_json_);
    config_ = config_from_json(meta.at("config"));
    tokenizer_config_ = tokenizer_from_json(meta.at("tokenizer"));
    for (const auto& t : meta.at("tensors")) {
      TensorInfo info;
      info.name = t.at("name").get<std::string>();
      info.dtype = parse_dtype(t.at("dtype").get<std::string>());
      info.shape = json_ints<int64_t>(t.at("shape"), "tensor '" + info.name + "' shape");
      info.offset = json_int<uint64_t>(t.at("offset"), "tensor '" + info.name + "' offset");
      info.nbytes = json_int<uint64_t>(t.at("nbytes"), "tensor '" + info.name + "' nbytes");
      tensors_.push_back(std::move(info));
    }
  } catch (const json::exception& e) {
    throw Error(where + " has invalid metadata: " + e.what());
  } catch (const Error& e) {  // an out-of-range integer or an unknown dtype
    throw Error(where + " has invalid metadata: " + e.what());
  }
  config_.validate();

  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorInfo& t = tensors_[i];
    // Element count checked against the data section as it grows: a shape of several large
    // dimensions must be rejected, not overflow int64 in numel().
    uint64_t elements = 1;
    for (int64_t d : t.shape) {
      if (d <= 0 || d > (int64_t{1} << 32)) {
        throw Error(where + ": tensor '" + t.name + "' has invalid shape " + shape_str(t.shape));
      }
      elements *= static_cast<uint64_t>(d);  // both factors <= 2^32: no wrap
      if (elements > header_.data.size) {
        throw Error(where + ": tensor '" + t.name + "' with shape " + shape_str(t.shape) +
                    " is larger than the data section");
      }
    }
    if (t.nbytes != elements * dtype_size(t.dtype)) {
      throw Error(where + ": tensor '" + t.name + "' byte size does not match its shape");
    }
    if (t.offset % kModelAlignment != 0 || t.offset > header_.data.size ||
        t.nbytes > header_.data.size - t.offset) {
      throw Error(where + ": tensor '" + t.name + "' lies outside the data section");
    }
    if (!by_name_.emplace(t.name, i).second) {
      throw Error(where + ": tensor '" + t.name + "' appears twice");
    }
  }
  for (const auto& [name, shape] : required_shapes(config_)) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) throw Error(where + " lacks required tensor '" + name + "'");
    if (tensors_[it->second].shape != shape) {
      throw Error(where + ": tensor '" + name + "' has shape " +
                  shape_str(tensors_[it->second].shape) + ", expected " + shape_str(shape));
    }
    const DType dt = tensors_[it->second].dtype;
    if (dt == DType::I8) {
      validate_int8_matrix(where, tensors_[it->second]);
    } else if (dt != DType::F32 && dt != DType::F16) {
      throw Error(where + ": tensor '" + name + "' has unsupported dtype");
    }
  }

  const char* v = reinterpret_cast<const char*>(base_ + header_.vocab.offset);
  const char* end = v + header_.vocab.size;
  while (v < end) {
    const char* nl = static_cast<const char*>(std::memchr(v, '\n', end - v));
    if (!nl) throw Error(where + " is corrupt: vocabulary is not newline-terminated");
    vocab_.emplace_back(v, nl);
    v = nl + 1;
  }
  if (vocab_.empty() || static_cast<int>(vocab_.size()) > config_.vocab_size) {
    throw Error(where + ": vocabulary has " + std::to_string(vocab_.size()) +
                " tokens but the embedding table has " + std::to_string(config_.vocab_size));
  }
}

// An INT8 matrix (format version 2, encoder layers only): its scales tensor must exist, be F32
// of one value per row, and hold finite positive values.
void ModelFile::validate_int8_matrix(const std::string& where, const TensorInfo& t) const {
  if (header_.version < 2) {
    throw Error(where + ": tensor '" + t.name + "' is INT8, which format version " +
                std::to_string(header_.version) + " does not allow");
  }
  if (!tensor_names::is_layer_matrix(t.name, t.shape)) {
    throw Error(where + ": tensor '" + t.name + "' is INT8; only encoder layer matrices may be");
  }
  const std::string scales_name = tensor_names::int8_scales(t.name);
  auto it = by_name_.find(scales_name);
  if (it == by_name_.end()) {
    throw Error(where + ": INT8 tensor '" + t.name + "' has no scales tensor '" + scales_name +
                "'");
  }
  const TensorInfo& s = tensors_[it->second];
  if (s.dtype != DType::F32 || s.shape != std::vector<int64_t>{t.shape[0]}) {
    throw Error(where + ": scales tensor '" + scales_name + "' must be F32 of shape [" +
                std::to_string(t.shape[0]) + "]");
  }
  try {
    validate_int8_scales(static_cast<const float*>(data(s)), t.shape[0], t.name);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

bool ModelFile::has(const std::string& name) const { return by_name_.count(name) != 0; }

const TensorInfo& ModelFile::info(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) throw Error("model '" + path_ + "' has no tensor '" + name + "'");
  return tensors_[it->second];
}

const void* ModelFile::data(const TensorInfo& t) const {
  return base_ + header_.data.offset + t.offset;
}

std::vector<float> ModelFile::floats(const TensorInfo& t) const {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  if (t.dtype == DType::F32) {
    std::memcpy(out.data(), data(t), n * sizeof(float));
  } else if (t.dtype == DType::F16) {
    half_to_float(static_cast<const uint16_t*>(data(t)), out.data(), n);
  } else if (t.dtype == DType::BF16) {
    bf16_to_float(static_cast<const uint16_t*>(data(t)), out.data(), n);
  } else {
    throw Error("tensor " + t.name + " is stored as " + std::string(dtype_name(t.dtype)) +
                ", not as floats");
  }
  return out;
}

std::span<const uint8_t> ModelFile::bytes(const TensorInfo& t) const {
  return {base_ + header_.data.offset + t.offset, t.nbytes};
}

}  // namespace crossenc
