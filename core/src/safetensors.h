// A minimal, validating reader of the safetensors format (8-byte header length, JSON, data).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace crossenc {

struct SafeTensor {
  std::string dtype;  // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  std::span<const uint8_t> bytes;
};

class SafetensorsFile {
 public:
  // mmaps and validates the header; throws Error naming the problem.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::map<std::string, SafeTensor>& tensors() const { return tensors_; }

  // The tensor widened to float32; throws Error for an unsupported dtype.
  static std::vector<float> to_f32(const SafeTensor& t);

 private:
  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, SafeTensor> tensors_;
};

}  // namespace crossenc
