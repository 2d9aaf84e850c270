// SafetensorsFile: bounds-checked parse of the JSON header; tensors are views into the mapping.
#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "crossenc/error.h"
#include "crossenc/half.h"
#include "json_int.h"

namespace crossenc {

namespace {
size_t element_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}
}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error("cannot stat '" + path + "'");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error("'" + path + "' is not a safetensors file (too short)");
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) throw Error("cannot map '" + path + "': " + std::strerror(errno));
  base_ = static_cast<const uint8_t*>(p);

  // What `git clone` without git-lfs leaves: a small text file naming the real blob.
  constexpr std::string_view kLfsPointer = "version https://git-lfs.github.com/spec/";
  if (size_ >= kLfsPointer.size() &&
      std::string_view(reinterpret_cast<const char*>(base_), kLfsPointer.size()) == kLfsPointer) {
    ::munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
    throw Error("'" + path +
                "' is a Git LFS pointer, not the weights: run `git lfs pull` in the model folder "
                "(or huggingface-cli download MODEL --local-dir DIR)");
  }
  uint64_t header_len = 0;
  std::memcpy(&header_len, base_, 8);
  if (header_len > size_ - 8) {
    ::munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
    throw Error("'" + path + "' is truncated or not safetensors: header length " +
                std::to_string(header_len) + " exceeds the file");
  }
  const uint8_t* data = base_ + 8 + header_len;
  const size_t data_size = size_ - 8 - header_len;
  try {
    const auto header = nlohmann::json::parse(base_ + 8, base_ + 8 + header_len);
    for (const auto& [name, v] : header.items()) {
      if (name == "__metadata__") continue;
      SafeTensor t;
      t.dtype = v.at("dtype").get<std::string>();
      t.shape = json_ints<int64_t>(v.at("shape"), "tensor '" + name + "' shape");
      const auto offsets =
          json_ints<uint64_t>(v.at("data_offsets"), "tensor '" + name + "' data_offsets");
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size) {
        throw Error("tensor '" + name + "' has data offsets outside the file");
      }
      uint64_t n = 1;
      for (int64_t d : t.shape) {
        if (d < 0) throw Error("tensor '" + name + "' has a negative dimension");
        // A wrapped product could make a huge shape look as small as its bytes.
        if (d != 0 && n > data_size / static_cast<uint64_t>(d)) {
          throw Error("tensor '" + name + "' has a shape larger than the file");
        }
        n *= static_cast<uint64_t>(d);
      }
      const size_t es = element_size(t.dtype);
      if (es != 0 && n * es != offsets[1] - offsets[0]) {
        throw Error("tensor '" + name + "' byte size does not match its shape");
      }
      t.bytes = {data + offsets[0], offsets[1] - offsets[0]};
      tensors_.emplace(name, std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    ::munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
    throw Error("'" + path + "' has an invalid safetensors header: " + e.what());
  } catch (const Error& e) {
    ::munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
    throw Error("'" + path + "': " + e.what());
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (base_) ::munmap(const_cast<uint8_t*>(base_), size_);
  base_ = nullptr;
}

std::vector<float> SafetensorsFile::to_f32(const SafeTensor& t) {
  const size_t n = t.bytes.size() / std::max<size_t>(1, element_size(t.dtype));
  std::vector<float> out(n);
  if (t.dtype == "F32") {
    std::memcpy(out.data(), t.bytes.data(), n * 4);
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) {
      uint16_t v;
      std::memcpy(&v, t.bytes.data() + 2 * i, 2);
      out[i] = t.dtype == "F16" ? half_to_float(v) : bf16_to_float(v);
    }
  } else if (t.dtype == "F64") {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, t.bytes.data() + 8 * i, 8);
      out[i] = static_cast<float>(v);
    }
  } else {
    throw Error("unsupported tensor dtype " + t.dtype + " (expected F32, F16, BF16 or F64)");
  }
  return out;
}

}  // namespace crossenc
