// IEEE binary16 and bfloat16 <-> float32 conversion (round to nearest even).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace crossenc {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
// BF16 is the top half of an F32: inline, as whole weight matrices go through these at load.
inline float bf16_to_float(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}
inline uint16_t float_to_bf16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

void half_to_float(const uint16_t* in, float* out, size_t n);
void bf16_to_float(const uint16_t* in, float* out, size_t n);
void float_to_half(const float* in, uint16_t* out, size_t n);
void float_to_bf16(const float* in, uint16_t* out, size_t n);
// Index of the first finite value F16 cannot hold (|x| > 65504 would round to Inf), or n.
size_t first_f16_overflow(const float* in, size_t n);

}  // namespace crossenc
