// INT8 GEMM (the `--dtype int8` path): out = act(dequant(q(a) · qwᵀ) + bias).
//
// Weights: symmetric INT8 per output channel (packed_weights.h makes them once, at load).
// Activations: quantized per row (token) as the GEMM packs them, asymmetric: the row's range
// [min(0, min a), max(0, max a)] onto u8 [0, 255] with a zero point z (a = scale * (q - z)), the
// operand order of vpdpbusd (u8 x s8). Asymmetric uses all 256 levels on one-sided rows (GELU
// outputs, the FFN-out input, sit in [-0.17, max]): twice as fine as a symmetric scale there.
// Sums are INT32 and exact (k * 255 * 127 stays far below 2^31 for any BERT width), the zero
// point comes off as the integer z * sum_k w, so every kernel below computes the same integers,
// and the dequantization is the same two IEEE multiplies on all of them: every path gives
// bit-identical outputs.
//
// Weight layout ("VNNI 16x4"): column blocks of 16 output channels; within a block, groups of 4
// consecutive k, each group 16 columns x 4 bytes (64 bytes: one zmm). n is padded to 16 and k to
// 4 with zeros.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu_ops.h"

namespace crossenc::cpu {

constexpr int64_t kInt8Cols = 16;   // output channels per column block
constexpr int64_t kInt8KGroup = 4;  // k per group (one vpdpbusd lane)

// A packed INT8 weight [n x k]: what the kernels read.
struct Int8Weight {
  int64_t n = 0, k = 0;
  int64_t k_pad = 0;                  // k rounded up to kInt8KGroup
  const int8_t* packed = nullptr;     // round_up(n, 16) * k_pad bytes, layout above
  const float* scales = nullptr;      // n: weight = q * scale
  const int32_t* col_sums = nullptr;  // round_up(n, 16): sum_k q (takes off the zero points)
};

// Activation rows quantized as above: q rows of k_pad bytes, and each row's scale and zero point.
struct Int8Rows {
  const uint8_t* q = nullptr;
  const float* scale = nullptr;
  const int32_t* zero = nullptr;
};

// The integer kernels (Int8Kernel, cpu_ops.h) each run where the CPU has their instructions.
const char* int8_kernel_name(Int8Kernel kernel);  // "avx512-vnni", "avx-vnni", "avx2", "scalar"
// Whether this CPU and build can run it, within the cap of `isa` (CROSSENC_CPU_ISA / --gemm).
bool int8_kernel_available(Int8Kernel kernel, Isa isa);
Int8Kernel best_int8_kernel(Isa isa);

// out[m x n] = act(dequant(q(a) · wᵀ) + bias); bias may be null. The bias and activation run on
// `isa`'s vector code, the same for every kernel.
void gemm_int8(Int8Kernel kernel, Isa isa, const float* a, const Int8Weight& w, const float* bias,
               Activation act, float* out, int64_t m, ThreadPool& pool);

// ---- shared with the per-ISA kernel files ----

// Rows [r0, r1) x column blocks [cb0, cb1): out[i, j] = float(acc - zero[i] * col_sums[j]) *
// (scale[i] * scales[j]), acc = sum_p q[i, p] * packed w[j, p].
using Int8BlockKernel = void (*)(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo,
                                 int64_t r0, int64_t r1, int64_t cb0, int64_t cb1);
Int8BlockKernel int8_avx512vnni_kernel();  // null where not built
Int8BlockKernel int8_avxvnni_kernel();
Int8BlockKernel int8_avx2_kernel();

// Rows [r0, r1) of a (k floats each) quantized as above: q rows of k_pad bytes (the padding at
// the zero point), with range = hi - lo: scale[i] = range / 255, inv = 255 / range,
// zero[i] = nearbyint(-lo * inv), q = clamp(nearbyint(a * inv) + zero[i], 0, 255); a zero row
// gives scale 0, zero point 0. Every version gives the same bytes.
using Int8QuantizeRows = void (*)(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1,
                                  uint8_t* q, float* scale, int32_t* zero);
// One row's parameters from its range lo <= 0 <= hi (the formula above), and one value's byte.
// Every quantizer calls these: defined once, built without ISA flags (an inline definition here
// could be merged with a copy compiled for AVX-512), so every version computes them alike.
struct Int8RowParams {
  float inv = 0, scale = 0;
  int32_t zero = 0;
};
Int8RowParams int8_row_params(float lo, float hi);
uint8_t int8_quantize_value(float x, const Int8RowParams& row);
Int8QuantizeRows int8_quantize_avx512();  // null where not built
Int8QuantizeRows int8_quantize_avx2();
void int8_quantize_rows_scalar(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1,
                               uint8_t* q, float* scale, int32_t* zero);
// The version for `isa` (the scalar one for Generic or where not built).
Int8QuantizeRows int8_quantizer(Isa isa);

void int8_scalar_blocks(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0,
                        int64_t r1, int64_t cb0, int64_t cb1);

}  // namespace crossenc::cpu
