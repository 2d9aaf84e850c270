// BF16 GEMM on AVX512-BF16 dot products (`vdpbf16ps`) for CPUs with AVX512_BF16 and no AMX
// (AMD Zen 4/5, Intel Cooper Lake): out = act(bf16(a) · wᵀ + bias), products of BF16 pairs
// summed in F32, the same products as the AMX path (gemm_amx.h).
//
// vdpbf16ps adds, per F32 lane, the dot product of one BF16 pair of each operand. The weights
// are packed once, at load, into panels of kBf16DotPanel output columns with pairs of k
// interleaved: panel row p holds (w[c][2p], w[c][2p + 1]) for each column c of the panel, so one
// vector load gives 16 columns x one k pair and each activation pair is a 32-bit broadcast.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu_ops.h"

namespace crossenc::cpu {

// True when this CPU has AVX512_BF16 on top of our AVX-512 kernels, this build has the kernel,
// and CROSSENC_CPU_ISA does not cap it (unset, "amx" or "avx512bf16").
bool bf16_dot_available();

// Elements (uint16_t) of the packed layout of an [n x k] weight: n rounded up to the panel
// width, k to even.
size_t bf16_dot_packed_size(int64_t n, int64_t k);
// Packs row-major w [n x k] (BF16, or F32 rounded to BF16 on the way) into dst
// (bf16_dot_packed_size elements; padding is zero).
void bf16_dot_pack_weights(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst);
void bf16_dot_pack_weights(const float* w, int64_t n, int64_t k, uint16_t* dst);

// out[m x n] = act(bf16(a)[m x k] · wᵀ + bias), `packed` from bf16_dot_pack_weights. Throws
// Error unless bf16_dot_available().
void bf16_dot_gemm(const float* a, const uint16_t* packed, const float* bias, Activation act,
                   float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool);

// ---- shared with gemm_bf16_dot_kernel.cc ----
constexpr int64_t kBf16DotPanel = 48;     // output columns per packed panel (3 vectors)
constexpr int64_t kBf16DotRowBlock = 96;  // activation rows rounded per block (in L2)

bool bf16_dot_kernel_built();
// Row blocks [rb0, rb1) x column panels [cp0, cp1) on the calling thread.
void bf16_dot_blocks(const float* a, const uint16_t* packed, const float* bias, Activation act,
                     float* out, int64_t m, int64_t n, int64_t k, int64_t rb0, int64_t rb1,
                     int64_t cp0, int64_t cp1);

}  // namespace crossenc::cpu
