// The single-file .cenc model format: layout, writer and validating mmap reader.
//
// Layout (little-endian, every section 64-byte aligned):
//   [0, 128)      FileHeader (magic, version, section offsets/sizes, per-section checksums)
//   metadata      JSON: model config, tokenizer settings, tensor table
//   vocab         the vocabulary, one token per '\n'-terminated line (vocab.txt verbatim order)
//   data          tensor bytes, each tensor 64-byte aligned, offsets relative to this section
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crossenc/model_config.h"
#include "crossenc/tokenizer.h"
#include "crossenc/types.h"

namespace crossenc {

inline constexpr char kModelMagic[8] = {'C', 'R', 'O', 'S', 'S', 'E', 'N', 'C'};
// Version 2 added INT8 encoder matrices (`convert --dtype int8`), each with its F32 per-row
// scales in a tensor named tensor_names::int8_scales(matrix). Version 1 files still load.
inline constexpr uint32_t kModelFormatVersion = 2;
inline constexpr uint32_t kOldestModelFormatVersion = 1;
inline constexpr size_t kModelAlignment = 64;

struct FileSection {
  uint64_t offset;
  uint64_t size;
  uint64_t checksum;
};

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;  // sizeof(FileHeader)
  uint64_t file_size;
  FileSection metadata;
  FileSection vocab;
  FileSection data;
  uint64_t reserved[3];
  uint64_t header_checksum;  // of the bytes before this field
};
static_assert(sizeof(FileHeader) == 128, "FileHeader is part of the file format");

// 64-bit checksum used for every section: fast (several GB/s), catches any flipped byte.
uint64_t checksum64(const void* data, size_t size);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // in the data section
  uint64_t nbytes = 0;
  int64_t numel() const;
};

// A tensor to be written: bytes already in `dtype`.
struct TensorData {
  TensorInfo info;
  std::vector<uint8_t> bytes;
};

// The complete file image: header, metadata, vocab, 64-byte aligned tensor data, checksums.
std::vector<uint8_t> serialize_model(const ModelConfig& config, const TokenizerConfig& tokenizer,
                                     const std::vector<std::string>& vocab,
                                     const std::vector<TensorData>& tensors);
// Writes a file image atomically (temp file in the same folder, then rename). Throws Error.
void write_model_file(const std::string& path, const std::vector<uint8_t>& image);

// A loaded model: the file is mmapped read-only, tensors are views into it.
class ModelFile {
 public:
  // Validates magic, version, sizes, offsets, checksums; throws Error naming the problem.
  static std::shared_ptr<const ModelFile> open(const std::string& path);
  // Same, from bytes in memory (used by the converter's in-memory path and by tests).
  static std::shared_ptr<const ModelFile> from_bytes(std::vector<uint8_t> bytes,
                                                     const std::string& name = "<memory>");
  ~ModelFile();

  const std::string& path() const { return path_; }
  const FileHeader& header() const { return header_; }
  const ModelConfig& config() const { return config_; }
  const TokenizerConfig& tokenizer_config() const { return tokenizer_config_; }
  const std::vector<std::string>& vocab() const { return vocab_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::string& metadata_json() const { return metadata_json_; }
  size_t file_size() const { return size_; }

  bool has(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;  // throws Error if missing
  const void* data(const TensorInfo& t) const;
  std::span<const uint8_t> bytes(const TensorInfo& t) const;
  // The tensor's values as F32 from F32, F16 or BF16 storage; throws Error for INT8.
  std::vector<float> floats(const TensorInfo& t) const;

 private:
  ModelFile() = default;
  void parse();
  void validate_int8_matrix(const std::string& where, const TensorInfo& t) const;

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> owned_;
  FileHeader header_{};
  ModelConfig config_;
  TokenizerConfig tokenizer_config_;
  std::vector<std::string> vocab_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> by_name_;
  std::string metadata_json_;
};

// Canonical tensor names of the .cenc file (the converter maps Hugging Face names to these).
namespace tensor_names {
std::string layer(int i, const char* suffix);  // "layer.{i}.{suffix}"
// An encoder layer matrix: what `convert --dtype int8` stores as INT8, and all a file may.
inline bool is_layer_matrix(const std::string& name, const std::vector<int64_t>& shape) {
  return shape.size() == 2 && name.rfind("layer.", 0) == 0;
}
// The per-row F32 scales of an INT8 matrix: "{matrix}.scales".
inline std::string int8_scales(const std::string& matrix) { return matrix + ".scales"; }
inline constexpr const char* kWordEmb = "embeddings.word";
inline constexpr const char* kPosEmb = "embeddings.position";
inline constexpr const char* kTypeEmb = "embeddings.token_type";
inline constexpr const char* kEmbLnGamma = "embeddings.ln.gamma";
inline constexpr const char* kEmbLnBeta = "embeddings.ln.beta";
// Per layer suffixes. qkv is Q, K, V stacked on the output dimension: [3*hidden, hidden].
inline constexpr const char* kQkvW = "attn.qkv.weight";
inline constexpr const char* kQkvB = "attn.qkv.bias";
inline constexpr const char* kAttnOutW = "attn.out.weight";
inline constexpr const char* kAttnOutB = "attn.out.bias";
inline constexpr const char* kAttnLnGamma = "attn.ln.gamma";
inline constexpr const char* kAttnLnBeta = "attn.ln.beta";
inline constexpr const char* kFfnInW = "ffn.in.weight";
inline constexpr const char* kFfnInB = "ffn.in.bias";
inline constexpr const char* kFfnOutW = "ffn.out.weight";
inline constexpr const char* kFfnOutB = "ffn.out.bias";
inline constexpr const char* kFfnLnGamma = "ffn.ln.gamma";
inline constexpr const char* kFfnLnBeta = "ffn.ln.beta";
inline constexpr const char* kPoolerW = "pooler.weight";
inline constexpr const char* kPoolerB = "pooler.bias";
inline constexpr const char* kClassifierW = "classifier.weight";
inline constexpr const char* kClassifierB = "classifier.bias";
}  // namespace tensor_names

}  // namespace crossenc
