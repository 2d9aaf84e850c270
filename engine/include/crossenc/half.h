// IEEE binary16 and bfloat16 <-> float32 conversion (round to nearest even).
#pragma once

#include <cstddef>
#include <cstdint>

namespace crossenc {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);

void half_to_float(const uint16_t* in, float* out, size_t n);
void float_to_half(const float* in, uint16_t* out, size_t n);

}  // namespace crossenc
