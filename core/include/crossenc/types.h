// Small value types shared by every layer: element types and their sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crossenc {

// I8: GEMM weights quantized to symmetric INT8 per output channel (a CPU mode, like BF16).
enum class DType : uint8_t { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, I8 = 4 };

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);
// Parses "f32", "fp32", "float32", "f16", "fp16", "float16", "bf16", "int8", "i8"; throws Error
// otherwise.
DType parse_dtype(std::string_view name);

}  // namespace crossenc
