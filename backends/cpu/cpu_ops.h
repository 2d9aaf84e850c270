// Raw CPU kernels on host pointers: one function per op, used by CpuBackend and the benchmarks.
// Every op has a portable version and vector versions (AVX2+FMA+F16C, AVX-512) picked at run
// time; weights may be F32 or F16 (F16 is widened inside the kernels, never stored wide).
#pragma once

#include <cstdint>
#include <string>

#include "crossenc/backend.h"
#include "thread_pool.h"

namespace crossenc::cpu {

// The instruction set of the vector kernels.
enum class Isa : uint8_t { Generic, Avx2, Avx512 };
// The best ISA this CPU and this build support; CROSSENC_CPU_ISA=generic|avx2|avx512|avx512bf16|
// amx caps it ("avx512" and below also turn AMX and AVX512-BF16 off, "avx512bf16" AMX).
Isa detect_isa();
const char* isa_name(Isa isa);

enum class GemmPath : uint8_t { Blas, Eigen, Own, Reference };

// The integer kernels of the INT8 GEMM (gemm_int8.h), fastest first.
enum class Int8Kernel : uint8_t { Avx512Vnni, AvxVnni, Avx2, Scalar };

// Which GEMM and which ISA for all other ops; amx: BF16 weights run on AMX tiles (gemm_amx.h)
// and are stored packed for them; bf16_dot: likewise on AVX512-BF16 dot products
// (gemm_bf16_dot.h), used only without AMX.
struct KernelConfig {
  GemmPath gemm = GemmPath::Own;
  Isa isa = Isa::Generic;
  bool amx = false;
  bool bf16_dot = false;
  Int8Kernel int8 = Int8Kernel::Scalar;  // runs INT8 weights (gemm_int8.h)
};
// "auto" (fastest here: own on AVX2/AVX-512, else blas; BF16 weights on AMX where the CPU has
// it, else on AVX512-BF16 dot products where it has those), "own", "own-amx", "own-avx512bf16",
// "own-avx512" (BF16 as F32 emulation), "own-avx2", "blas", "eigen" (other ops on the best ISA),
// "reference" (portable code for every op); "int8-avx512vnni", "int8-avxvnni", "int8-avx2",
// "int8-scalar": auto with that INT8 kernel (otherwise INT8 weights run on the best one within
// the ISA). Throws Error for an unknown name or an ISA this CPU lacks.
KernelConfig parse_gemm_path(const char* name);
std::string kernel_config_name(const KernelConfig& config);  // e.g. "own-avx512"

// A weight matrix or vector as stored: row-major F32, F16 or BF16 (BF16 matrices in the AMX
// tile layout instead when KernelConfig::amx, in the dot-product panels when ::bf16_dot).
struct WeightRef {
  const void* data = nullptr;
  DType dtype = DType::F32;
};

// out[m x n] = act(a[m x k] · w[n x k]ᵀ + bias[n]) (row-major, contiguous); bias may be null.
// With BF16 weights, a is rounded to BF16 too (every path: the same products, summed in F32).
void gemm(const KernelConfig& config, const float* a, WeightRef w, const float* bias,
          Activation act, float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool);

// out[i, j] = act(out[i, j] + bias[j]) in place; bias may be null.
void bias_activation(Isa isa, float* out, const float* bias, int64_t m, int64_t n, Activation act,
                     ThreadPool& pool);

// out = LayerNorm(x + residual) * gamma + beta per row; out may alias x or residual.
void add_layernorm(Isa isa, const float* x, const float* residual, const float* gamma,
                   const float* beta, float eps, float* out, int64_t rows, int64_t cols,
                   ThreadPool& pool);

// The same on one block of a larger output (rows ldo floats apart, bias the block's first
// column), on the calling thread: a GEMM's epilogue while its output is in cache.
void bias_activation_block(Isa isa, float* out, int64_t ldo, const float* bias, int64_t rows,
                           int64_t cols, Activation act);

// Packed multi-head attention. qkv [T x 3H]; sequence s owns rows [offsets[s], offsets[s+1]).
// out [T x H], or [num_seqs x H] with cls_only (only each sequence's first query).
void attention(Isa isa, const float* qkv, const int32_t* offsets, int num_seqs, int hidden,
               int heads, bool cls_only, float* out, ThreadPool& pool);

// out[t] = LayerNorm(word[ids[t]] + position[pos[t]] + type[types[t]]); tables F32 or F16.
void embed(Isa isa, const int32_t* ids, const int32_t* types, const int32_t* positions,
           int64_t tokens, WeightRef word, WeightRef position, WeightRef token_type,
           const float* gamma, const float* beta, float eps, int hidden, float* out,
           ThreadPool& pool);

// out row s = x row offsets[s] (each sequence's [CLS] token); x and out have `cols` columns.
void gather_cls(const float* x, const int32_t* offsets, int num_seqs, int64_t cols, float* out);

// ---- internals shared by the op files and the ISA translation units ----

// The vector kernels of one ISA (simd_avx512.cc, simd_avx2.cc); null if not built.
struct SimdKernels {
  const char* name;
  void (*gemm)(const float* a, WeightRef w, const float* bias, Activation act, float* out,
               int64_t m, int64_t n, int64_t k, ThreadPool& pool);
  void (*gemm_eigen)(const float* a, const float* w, float* out, int64_t m, int64_t n, int64_t k,
                     ThreadPool& pool);
  void (*bias_activation)(float* out, const float* bias, int64_t m, int64_t n, Activation act,
                          ThreadPool& pool);
  void (*bias_activation_block)(float* out, int64_t ldo, const float* bias, int64_t rows,
                                int64_t cols, Activation act);
  void (*add_layernorm)(const float* x, const float* residual, const float* gamma,
                        const float* beta, float eps, float* out, int64_t rows, int64_t cols,
                        ThreadPool& pool);
  // Returns false for head sizes it has no kernel for (the caller falls back).
  bool (*attention)(const float* qkv, const int32_t* offsets, int num_seqs, int hidden, int heads,
                    bool cls_only, float* out, ThreadPool& pool);
  void (*embed)(const int32_t* ids, const int32_t* types, const int32_t* positions, int64_t tokens,
                WeightRef word, WeightRef position, WeightRef token_type, const float* gamma,
                const float* beta, float eps, int hidden, float* out, ThreadPool& pool);
};
const SimdKernels* avx512_kernels();
const SimdKernels* avx2_kernels();
const SimdKernels* simd_kernels(Isa isa);  // null for Generic

}  // namespace crossenc::cpu
