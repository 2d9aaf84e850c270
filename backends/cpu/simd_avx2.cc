// The AVX2 build of every vector kernel (this file is compiled with -mavx2 -mfma -mf16c).
// Namespaces: ours is crossenc::cpu::avx2 and Eigen's is renamed, so nothing built here with
// AVX2 instructions can be picked by the linker for a caller that runs on an older CPU.
#define CROSSENC_SIMD_NS avx2
#define Eigen Eigen_avx2
#include "activation_simd.h"
#include "attention_simd.h"
#include "embed_simd.h"
#include "gemm_eigen.h"
#include "gemm_simd.h"
#include "layernorm_simd.h"

namespace crossenc::cpu {

#ifdef CROSSENC_SIMD_AVX2
namespace {
using V = avx2::Avx2;
const SimdKernels kKernels = {
    V::kName,
    &avx2::own_gemm<V>,
    &avx2::gemm_eigen_rows,
    &avx2::BiasActivation<V>::run,
    &avx2::BiasActivation<V>::block,
    &avx2::LayerNorm<V>::run,
    &avx2::attention_run<V>,
    &avx2::Embed<V>::run,
};
}  // namespace
const SimdKernels* avx2_kernels() { return &kKernels; }
#else
const SimdKernels* avx2_kernels() { return nullptr; }
#endif

}  // namespace crossenc::cpu
