// BF16 GEMM on Intel AMX tiles (the `--dtype bf16` path): out = act(a · wᵀ + bias) with the weights
// in BF16 and the activations rounded to BF16 (round to nearest even) as they are loaded; products
// are exact and summed in F32 by the tile unit.
//
// AMX multiplies a 16 x 32 BF16 tile of a by a 32 x 16 tile of w laid out in pairs ("VNNI"): tile
// row r holds (w[c][2r], w[c][2r + 1]) for each of the 16 output columns c. The weights are packed
// into that layout once, at load (amx_pack_weights); activations per call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu_ops.h"

namespace crossenc::cpu {

// True when this CPU and OS allow AMX-BF16 tiles (cpuid, XCR0 and the Linux permission request for
// tile data, asked once per process), this build has the kernel, and CROSSENC_CPU_ISA does not cap
// below "amx".
bool amx_available();

// Elements (uint16_t) of the packed layout of an [n x k] weight: n and k rounded up to 32.
size_t amx_packed_size(int64_t n, int64_t k);
// Packs row-major w [n x k] (BF16, or F32 rounded to BF16 on the way) into dst (amx_packed_size
// elements; padding is zero).
void amx_pack_weights(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst);
void amx_pack_weights(const float* w, int64_t n, int64_t k, uint16_t* dst);

// out[m x n] = act(bf16(a)[m x k] · wᵀ + bias), `packed` from amx_pack_weights. Throws Error unless
// amx_available().
void amx_gemm_bf16(const float* a, const uint16_t* packed, const float* bias, Activation act,
                   float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool);

// ---- shared with gemm_amx_kernel.cc ----
constexpr int64_t kAmxBlock = 32;  // rows and columns per register block: 2 x 2 tiles of 16
constexpr int64_t kAmxTileK = 32;  // BF16 elements of k per tile row (64 bytes)
constexpr int64_t kAmxTileElems = 16 * kAmxTileK;  // one packed 16-column x 32-k weight tile

bool amx_kernel_built();
// Row blocks [rb0, rb1) x column pairs [jp0, jp1) (32 x 32 each) on the calling thread.
void amx_gemm_blocks(const float* a, const uint16_t* packed, const float* bias, Activation act,
                     float* out, int64_t m, int64_t n, int64_t k, int64_t rb0, int64_t rb1,
                     int64_t jp0, int64_t jp1);

}  // namespace crossenc::cpu
