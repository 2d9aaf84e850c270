// INT8 GEMM (the `--dtype int8` path): out = act(dequant(q(a) · qwᵀ) + bias).
//
// Weights: symmetric INT8 per output channel (packed_weights.h makes them once, at load).
// Activations: quantized per row (token) as the GEMM packs them, symmetric to [-127, 127] and
// stored offset by +128 as u8, the operand order of vpdpbusd (u8 x s8). Sums are INT32 and exact
// (k * 254 * 127 stays far below 2^31 for any BERT width), so every kernel below computes the
// same integers, and the dequantization is the same two IEEE multiplies on all of them: every
// path gives bit-identical outputs.
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
  int64_t k_pad = 0;                     // k rounded up to kInt8KGroup
  const int8_t* packed = nullptr;        // round_up(n, 16) * k_pad bytes, layout above
  const float* scales = nullptr;         // n: weight = q * scale
  const int32_t* offset_sums = nullptr;  // round_up(n, 16): 128 * sum_k q (undoes the u8 offset)
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

// Rows [r0, r1) x column blocks [cb0, cb1): out[i, j] = float(acc - offset_sums[j]) *
// (row_scale[i] * scales[j]), acc = sum_p a[i, p] * packed w[j, p]. a: u8 rows of w.k_pad bytes.
using Int8BlockKernel = void (*)(const uint8_t* a, const float* row_scale, const Int8Weight& w,
                                 float* out, int64_t ldo, int64_t r0, int64_t r1, int64_t cb0,
                                 int64_t cb1);
Int8BlockKernel int8_avx512vnni_kernel();  // null where not built
Int8BlockKernel int8_avxvnni_kernel();
Int8BlockKernel int8_avx2_kernel();

// Rows [r0, r1) of a (k floats each) quantized as above: q rows of k_pad bytes (the padding at
// the zero point 128), scale[i] = max |a| / 127. Every version gives the same bytes.
using Int8QuantizeRows = void (*)(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1,
                                  uint8_t* q, float* scale);
Int8QuantizeRows int8_quantize_avx512();  // null where not built
Int8QuantizeRows int8_quantize_avx2();
void int8_quantize_rows_scalar(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1,
                               uint8_t* q, float* scale);
// The version for `isa` (the scalar one for Generic or where not built).
Int8QuantizeRows int8_quantizer(Isa isa);

void int8_scalar_blocks(const uint8_t* a, const float* row_scale, const Int8Weight& w, float* out,
                        int64_t ldo, int64_t r0, int64_t r1, int64_t cb0, int64_t cb1);

}  // namespace crossenc::cpu
