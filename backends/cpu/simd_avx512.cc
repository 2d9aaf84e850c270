// The AVX-512 build of every vector kernel (this file is compiled with -mavx512f/bw/vl/dq).
// Namespaces: ours is crossenc::cpu::avx512 and Eigen's is renamed, so nothing built here with
// AVX-512 instructions can be picked by the linker for a caller that runs on an older CPU.
#define CROSSENC_SIMD_NS avx512
#define Eigen Eigen_avx512
#include "activation_simd.h"
#include "attention_simd.h"
#include "embed_simd.h"
#include "gemm_eigen.h"
#include "gemm_simd.h"
#include "layernorm_simd.h"

namespace crossenc::cpu {

#ifdef CROSSENC_SIMD_AVX512
namespace {
using V = avx512::Avx512;
const SimdKernels kKernels = {
    V::kName,
    &avx512::own_gemm<V>,
    &avx512::gemm_eigen_rows,
    &avx512::BiasActivation<V>::run,
    &avx512::BiasActivation<V>::block,
    &avx512::LayerNorm<V>::run,
    &avx512::attention_run<V>,
    &avx512::Embed<V>::run,
};
}  // namespace
const SimdKernels* avx512_kernels() { return &kKernels; }
#else
const SimdKernels* avx512_kernels() { return nullptr; }
#endif

}  // namespace crossenc::cpu
