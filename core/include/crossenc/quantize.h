// Symmetric per-output-channel INT8 weight quantization: one definition, used by
// `crossenc convert --dtype int8` (stored in the .cenc file) and by the CPU backend when it
// quantizes an F32/F16 file at load, so both give the same INT8 weights and the same scores.
#pragma once

#include <cstdint>
#include <string>

namespace crossenc {

// Row j of w [n x k]: scales[j] = max_c |w[j, c]| / 127 (1 for an all-zero row) and
// q[j, c] = round(w[j, c] / scales[j]) in [-127, 127]. Throws Error on a non-finite weight.
void quantize_rows_int8(const float* w, int64_t n, int64_t k, int8_t* q, float* scales);

// Throws Error unless every scale is finite and positive (what quantize_rows_int8 makes):
// a .cenc file's scales are checked so a damaged file cannot yield silent wrong scores.
void validate_int8_scales(const float* scales, int64_t n, const std::string& tensor);

}  // namespace crossenc
