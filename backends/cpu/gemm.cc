// GEMM out = act(a · wᵀ + bias): path choice, OpenBLAS (cblas), Eigen, our own kernel
// (gemm_simd.h, built per ISA) and the plain reference loop the tests compare against.
#include <algorithm>
#include <string>
#include <vector>

#include "blas_loader.h"
#include "cpu_ops.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "gemm_amx.h"
#include "gemm_bf16_dot.h"
#include "gemm_int8.h"

#define CROSSENC_SIMD_NS generic
#include "gemm_eigen.h"

#ifndef CROSSENC_DEFAULT_GEMM
#define CROSSENC_DEFAULT_GEMM "blas"
#endif

namespace crossenc::cpu {

namespace {
Isa require(Isa want, const std::string& name) {
  const Isa have = detect_isa();
  if (want > have) {
    throw Error("CPU GEMM path '" + name + "' needs " + isa_name(want) + ", this CPU/build has " +
                isa_name(have));
  }
  return want;
}
// BF16 weights: AMX tiles, else AVX512-BF16 dot products, else the F32 emulation.
KernelConfig own_best(Isa best) {
  const bool amx = amx_available();
  return {GemmPath::Own, best, amx, !amx && bf16_dot_available()};
}
}  // namespace

// The float paths; parse_gemm_path adds the INT8 kernel.
static KernelConfig parse_float_gemm_path(const char* name) {
  std::string s = name ? name : "auto";
  const Isa best = detect_isa();
  if (s == "auto" || s.empty()) {
    // Our kernel is the fastest on every AVX2/AVX-512 shape measured (bench/RESULTS.md).
    if (best != Isa::Generic) return own_best(best);
    s = CROSSENC_DEFAULT_GEMM;
  }
  if (s == "own") {
    if (best == Isa::Generic) throw Error("CPU GEMM path 'own' needs AVX2 (use blas or eigen)");
    return own_best(best);
  }
  if (s == "own-avx512bf16") {
    if (!bf16_dot_available()) {
      throw Error(
          "CPU GEMM path 'own-avx512bf16' needs AVX512_BF16 (this CPU or CROSSENC_CPU_ISA "
          "does not allow it)");
    }
    return {GemmPath::Own, Isa::Avx512, false, true};
  }
  if (s == "own-amx") {
    if (!amx_available()) {
      throw Error(
          "CPU GEMM path 'own-amx' needs AMX-BF16 (this CPU, OS or CROSSENC_CPU_ISA "
          "does not allow it)");
    }
    return {GemmPath::Own, require(Isa::Avx512, s), true};
  }
  if (s == "own-avx512") return {GemmPath::Own, require(Isa::Avx512, s)};
  if (s == "own-avx2") return {GemmPath::Own, require(Isa::Avx2, s)};
  if (s == "blas" || s == "openblas") return {GemmPath::Blas, best};
  if (s == "eigen") return {GemmPath::Eigen, best};
  if (s == "reference") return {GemmPath::Reference, Isa::Generic};
  throw Error("unknown CPU GEMM path '" + s +
              "' (expected auto, own, own-amx, own-avx512bf16, own-avx512, own-avx2, blas, eigen "
              "or reference; int8-avx512vnni, int8-avxvnni, int8-avx2 or int8-scalar pick the INT8 "
              "kernel)");
}

KernelConfig parse_gemm_path(const char* name) {
  const std::string s = name ? name : "auto";
  for (Int8Kernel kernel :
       {Int8Kernel::Avx512Vnni, Int8Kernel::AvxVnni, Int8Kernel::Avx2, Int8Kernel::Scalar}) {
    std::string flat = int8_kernel_name(kernel);  // "avx512-vnni" -> "int8-avx512vnni"
    flat.erase(std::remove(flat.begin(), flat.end(), '-'), flat.end());
    if (s != "int8-" + flat) continue;
    KernelConfig config = parse_float_gemm_path("auto");
    if (!int8_kernel_available(kernel, config.isa)) {
      throw Error("CPU GEMM path '" + s + "' needs the " + int8_kernel_name(kernel) +
                  " INT8 kernel, which this CPU, build or CROSSENC_CPU_ISA does not allow");
    }
    config.int8 = kernel;
    return config;
  }
  KernelConfig config = parse_float_gemm_path(name);
  config.int8 = best_int8_kernel(config.isa);
  return config;
}

std::string kernel_config_name(const KernelConfig& config) {
  switch (config.gemm) {
    case GemmPath::Own:
      return std::string("own-") + isa_name(config.isa) + (config.amx ? "+amx" : "") +
             (config.bf16_dot ? "+bf16dot" : "");
    case GemmPath::Blas: return std::string("blas, ") + isa_name(config.isa) + " ops";
    case GemmPath::Eigen: return std::string("eigen-") + isa_name(config.isa);
    case GemmPath::Reference: return "reference";
  }
  return "?";
}

namespace {

void gemm_reference(const float* a, const float* w, float* out, int64_t m, int64_t n, int64_t k,
                    ThreadPool& pool) {
  pool.parallel_for(m, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * w[j * k + p];
        out[i * n + j] = static_cast<float>(acc);
      }
    }
  });
}

}  // namespace

void gemm(const KernelConfig& config, const float* a, WeightRef w, const float* bias,
          Activation act, float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
  if (m <= 0 || n <= 0) return;
  if (w.dtype == DType::I8) {  // data: the Int8Weight of a PackedWeight (packed_weights.h)
    gemm_int8(config.int8, config.isa, a, *static_cast<const Int8Weight*>(w.data), bias, act, out,
              m, pool);
    return;
  }
  if (w.dtype == DType::BF16) {
    if (config.amx) {
      amx_gemm_bf16(a, static_cast<const uint16_t*>(w.data), bias, act, out, m, n, k, pool);
      return;
    }
    if (config.bf16_dot) {
      bf16_dot_gemm(a, static_cast<const uint16_t*>(w.data), bias, act, out, m, n, k, pool);
      return;
    }
    // Without AMX: the same BF16 products in F32 arithmetic (activations rounded here, the
    // weights widened below or in the kernel).
    thread_local std::vector<float> rounded;
    rounded.resize(static_cast<size_t>(m * k));
    for (size_t i = 0; i < rounded.size(); ++i) rounded[i] = bf16_to_float(float_to_bf16(a[i]));
    a = rounded.data();
  }
  const SimdKernels* simd = simd_kernels(config.isa);
  // A handful of rows (a single short request's last layer): our tiles would be mostly
  // padding; Eigen's matrix-vector style kernel is several times faster there (ops_bench).
  constexpr int64_t kFewRows = 8;
  if (config.gemm == GemmPath::Own && simd && !(m < kFewRows && w.dtype == DType::F32)) {
    simd->gemm(a, w, bias, act, out, m, n, k, pool);
    return;
  }
  if (config.gemm == GemmPath::Own && simd) {
    simd->gemm_eigen(a, static_cast<const float*>(w.data), out, m, n, k, pool);
    simd->bias_activation(out, bias, m, n, act, pool);
    return;
  }
  // The library paths need F32 weights: F16/BF16 ones are widened per call (kept narrow in
  // memory).
  const float* w32 = static_cast<const float*>(w.data);
  thread_local std::vector<float> widened;
  if (w.dtype == DType::F16 || w.dtype == DType::BF16) {
    widened.resize(static_cast<size_t>(n * k));
    const auto* src = static_cast<const uint16_t*>(w.data);
    if (w.dtype == DType::F16) {
      half_to_float(src, widened.data(), widened.size());
    } else {
      bf16_to_float(src, widened.data(), widened.size());
    }
    w32 = widened.data();
  }
  switch (config.gemm) {
    case GemmPath::Blas: {
      const auto ld = static_cast<blasint>(std::max<int64_t>(k, 1));
      blas().sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
                   static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a, ld, w32, ld, 0.0f,
                   out, static_cast<blasint>(n));
      break;
    }
    case GemmPath::Eigen:
      if (simd) {
        simd->gemm_eigen(a, w32, out, m, n, k, pool);
      } else {
        generic::gemm_eigen_rows(a, w32, out, m, n, k, pool);
      }
      break;
    case GemmPath::Own:  // no vector kernels on this CPU: parse_gemm_path prevents it
    case GemmPath::Reference: gemm_reference(a, w32, out, m, n, k, pool); break;
  }
  bias_activation(config.isa, out, bias, m, n, act, pool);
}

}  // namespace crossenc::cpu
