// The portable half of the INT8 GEMM (gemm_int8.h): kernel choice, the per-row activation
// quantization, the scalar kernel and the thread split. Built without ISA flags; the vector
// kernels are in gemm_int8_<isa>.cc.
#include "gemm_int8.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cmath>
#include <vector>

#include "crossenc/error.h"

namespace crossenc::cpu {

namespace {

#if defined(__x86_64__)
// cpuid leaf 7 (subleaf 0 ecx, subleaf 1 eax): read directly, since older compilers' (clang 14)
// __builtin_cpu_supports knows neither "avx512vnni" nor "avxvnni". The OS-state check for the
// registers is the ISA cap's (detect_isa), applied by the caller.
bool cpuid7_bit(unsigned subleaf, bool eax_register, unsigned bit) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, subleaf, &eax, &ebx, &ecx, &edx)) return false;
  return ((eax_register ? eax : ecx) >> bit) & 1u;
}
#endif

// Read once: cpuid traps to the hypervisor in a VM (microseconds), and gemm_int8 checks on
// every call.
bool cpu_supports(Int8Kernel kernel) {
#if defined(__x86_64__)
  static const bool avx512_vnni = cpuid7_bit(0, /*eax_register=*/false, 11);
  static const bool avx_vnni = cpuid7_bit(1, /*eax_register=*/true, 4);
  switch (kernel) {
    case Int8Kernel::Avx512Vnni: return avx512_vnni;
    case Int8Kernel::AvxVnni: return avx_vnni;
    case Int8Kernel::Avx2: return true;  // the ISA cap below checks AVX2
    case Int8Kernel::Scalar: return true;
  }
#endif
  return kernel == Int8Kernel::Scalar;
}

Int8BlockKernel block_kernel(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Avx512Vnni: return int8_avx512vnni_kernel();
    case Int8Kernel::AvxVnni: return int8_avxvnni_kernel();
    case Int8Kernel::Avx2: return int8_avx2_kernel();
    case Int8Kernel::Scalar: return &int8_scalar_blocks;
  }
  return nullptr;
}

Isa kernel_isa(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Avx512Vnni: return Isa::Avx512;
    case Int8Kernel::AvxVnni:
    case Int8Kernel::Avx2: return Isa::Avx2;
    case Int8Kernel::Scalar: return Isa::Generic;
  }
  return Isa::Generic;
}

}  // namespace

const char* int8_kernel_name(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Avx512Vnni: return "avx512-vnni";
    case Int8Kernel::AvxVnni: return "avx-vnni";
    case Int8Kernel::Avx2: return "avx2";
    case Int8Kernel::Scalar: return "scalar";
  }
  return "?";
}

bool int8_kernel_available(Int8Kernel kernel, Isa isa) {
  return block_kernel(kernel) && kernel_isa(kernel) <= isa && kernel_isa(kernel) <= detect_isa() &&
         cpu_supports(kernel);
}

Int8Kernel best_int8_kernel(Isa isa) {
  for (Int8Kernel k : {Int8Kernel::Avx512Vnni, Int8Kernel::AvxVnni, Int8Kernel::Avx2}) {
    if (int8_kernel_available(k, isa)) return k;
  }
  return Int8Kernel::Scalar;
}

Int8RowParams int8_row_params(float lo, float hi) {
  const float range = hi - lo;
  const float inv = range > 0 ? 255.0f / range : 0.0f;
  return {.inv = inv,
          .scale = range / 255.0f,
          .zero = std::clamp(static_cast<int32_t>(std::nearbyint(-lo * inv)), 0, 255)};
}

uint8_t int8_quantize_value(float x, const Int8RowParams& row) {
  return static_cast<uint8_t>(
      std::clamp(static_cast<int32_t>(std::nearbyint(x * row.inv)) + row.zero, 0, 255));
}

void int8_quantize_rows_scalar(const float* a, int64_t k, int64_t k_pad, int64_t r0, int64_t r1,
                               uint8_t* q, float* scale, int32_t* zero) {
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = a + i * k;
    uint8_t* dst = q + i * k_pad;
    float lo = 0, hi = 0;
    for (int64_t p = 0; p < k; ++p) {
      lo = std::min(lo, row[p]);
      hi = std::max(hi, row[p]);
    }
    const Int8RowParams params = int8_row_params(lo, hi);
    for (int64_t p = 0; p < k; ++p) dst[p] = int8_quantize_value(row[p], params);
    std::fill(dst + k, dst + k_pad, static_cast<uint8_t>(params.zero));
    scale[i] = params.scale;
    zero[i] = params.zero;
  }
}

Int8QuantizeRows int8_quantizer(Isa isa) {
  Int8QuantizeRows f = nullptr;
  if (isa >= Isa::Avx512 && detect_isa() >= Isa::Avx512) f = int8_quantize_avx512();
  if (!f && isa >= Isa::Avx2 && detect_isa() >= Isa::Avx2) f = int8_quantize_avx2();
  return f ? f : &int8_quantize_rows_scalar;
}

void int8_scalar_blocks(const Int8Rows& a, const Int8Weight& w, float* out, int64_t ldo, int64_t r0,
                        int64_t r1, int64_t cb0, int64_t cb1) {
  const int64_t groups = w.k_pad / kInt8KGroup;
  for (int64_t i = r0; i < r1; ++i) {
    const uint8_t* row = a.q + i * w.k_pad;
    for (int64_t cb = cb0; cb < cb1; ++cb) {
      const int8_t* block = w.packed + cb * groups * kInt8Cols * kInt8KGroup;
      for (int64_t c = 0; c < kInt8Cols; ++c) {
        const int64_t j = cb * kInt8Cols + c;
        if (j >= w.n) break;
        int32_t acc = 0;
        for (int64_t g = 0; g < groups; ++g) {
          const int8_t* wg = block + (g * kInt8Cols + c) * kInt8KGroup;
          for (int64_t t = 0; t < kInt8KGroup; ++t) acc += row[g * kInt8KGroup + t] * wg[t];
        }
        out[i * ldo + j] =
            static_cast<float>(acc - a.zero[i] * w.col_sums[j]) * (a.scale[i] * w.scales[j]);
      }
    }
  }
}

void gemm_int8(Int8Kernel kernel, Isa isa, const float* a, const Int8Weight& w, const float* bias,
               Activation act, float* out, int64_t m, ThreadPool& pool) {
  if (m <= 0 || w.n <= 0) return;
  const Int8BlockKernel run = block_kernel(kernel);
  if (!run || !int8_kernel_available(kernel, isa)) {
    throw Error(std::string("INT8 kernel ") + int8_kernel_name(kernel) +
                " is not available on this CPU/build");
  }
  thread_local std::vector<uint8_t> qa;
  thread_local std::vector<float> row_scale;
  thread_local std::vector<int32_t> row_zero;
  qa.resize(static_cast<size_t>(m * w.k_pad));
  row_scale.resize(static_cast<size_t>(m));
  row_zero.resize(static_cast<size_t>(m));
  // Plain pointers: in the workers, the thread_local names would be their own (empty) buffers.
  uint8_t* const q = qa.data();
  float* const scales = row_scale.data();
  int32_t* const zeros = row_zero.data();
  const Int8QuantizeRows quantize = int8_quantizer(isa);
  pool.parallel_for(
      m, [&](int64_t r0, int64_t r1) { quantize(a, w.k, w.k_pad, r0, r1, q, scales, zeros); });
  const Int8Rows rows{.q = q, .scale = scales, .zero = zeros};
  // Tasks of kRowChunk rows x kColGroup column blocks: the weight slice of one task stays in L2
  // while its rows stream past it. Each task applies bias and activation to its block while it
  // is in cache, on `isa`'s code whatever the kernel (so every kernel gives the same floats).
  constexpr int64_t kRowChunk = 96, kColGroup = 4, kEpilogueRows = 6;
  const int64_t blocks = (w.n + kInt8Cols - 1) / kInt8Cols;
  const int64_t row_chunks = (m + kRowChunk - 1) / kRowChunk;
  const int64_t col_groups = (blocks + kColGroup - 1) / kColGroup;
  pool.parallel_for(
      row_chunks * col_groups,
      [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = (t / col_groups) * kRowChunk, cb0 = (t % col_groups) * kColGroup;
          const int64_t r1 = std::min(m, r0 + kRowChunk), cb1 = std::min(blocks, cb0 + kColGroup);
          const int64_t j0 = cb0 * kInt8Cols, j1 = std::min(w.n, cb1 * kInt8Cols);
          // A few rows at a time, so the epilogue reads them from L1: the rows of a whole task
          // are n floats apart, a stride that maps them to a few L1 sets (6 KB for n = 1536).
          for (int64_t i = r0; i < r1; i += kEpilogueRows) {
            const int64_t i1 = std::min(r1, i + kEpilogueRows);
            run(rows, w, out, w.n, i, i1, cb0, cb1);
            bias_activation_block(isa, out + i * w.n + j0, w.n, bias ? bias + j0 : nullptr, i1 - i,
                                  j1 - j0, act);
          }
        }
      },
      1);
}

}  // namespace crossenc::cpu
