// Element type names and sizes.
#include "crossenc/types.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "crossenc/error.h"

namespace crossenc {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I32: return 4;
    case DType::I8: return 1;
  }
  throw Error("unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I32: return "i32";
    case DType::I8: return "int8";
  }
  return "unknown";
}

DType parse_dtype(std::string_view name) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "f32" || s == "fp32" || s == "float32" || s == "float") return DType::F32;
  if (s == "f16" || s == "fp16" || s == "float16" || s == "half") return DType::F16;
  if (s == "bf16" || s == "bfloat16") return DType::BF16;
  if (s == "int8" || s == "i8") return DType::I8;
  throw Error("unknown dtype '" + std::string(name) + "' (expected f32, f16, bf16 or int8)");
}

}  // namespace crossenc
