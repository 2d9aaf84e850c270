// The portable half of the AVX512-BF16 dot-product GEMM (gemm_bf16_dot.h): detection, weight
// packing and the thread split. Built without ISA flags; the vector code is in
// gemm_bf16_dot_kernel.cc, built with -mavx512bf16 where the compiler knows it.
#include "gemm_bf16_dot.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "crossenc/error.h"
#include "crossenc/half.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace crossenc::cpu {

namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

bool cpu_has_avx512_bf16() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  // cpuid leaf 7 sub-leaf 1, eax bit 5: AVX512_BF16.
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 5)) != 0;
#else
  return false;
#endif
}

// Column c of panel-major packed storage: panel c / width, lane c % width; row p of a panel
// is the k pair (2p, 2p + 1).
template <class Bf16At>
void pack(Bf16At bf16, int64_t n, int64_t k, uint16_t* dst) {
  const int64_t kp = round_up(k, 2);
  std::fill(dst, dst + bf16_dot_packed_size(n, k), uint16_t{0});
  for (int64_t col = 0; col < n; ++col) {
    uint16_t* panel = dst + (col / kBf16DotPanel) * kBf16DotPanel * kp + 2 * (col % kBf16DotPanel);
    for (int64_t p = 0; p < k; ++p) {
      panel[(p / 2) * 2 * kBf16DotPanel + p % 2] = bf16(col * k + p);
    }
  }
}

}  // namespace

bool bf16_dot_available() {
  static const bool ok = [] {
    if (!bf16_dot_kernel_built() || detect_isa() != Isa::Avx512) return false;
    if (const char* cap = std::getenv("CROSSENC_CPU_ISA"); cap && *cap) {
      const std::string c = cap;
      if (c != "amx" && c != "avx512bf16") return false;
    }
    return cpu_has_avx512_bf16();
  }();
  return ok;
}

size_t bf16_dot_packed_size(int64_t n, int64_t k) {
  return static_cast<size_t>(round_up(n, kBf16DotPanel) * round_up(k, 2));
}

void bf16_dot_pack_weights(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst) {
  pack([w](int64_t i) { return w[i]; }, n, k, dst);
}

void bf16_dot_pack_weights(const float* w, int64_t n, int64_t k, uint16_t* dst) {
  pack([w](int64_t i) { return float_to_bf16(w[i]); }, n, k, dst);
}

void bf16_dot_gemm(const float* a, const uint16_t* packed, const float* bias, Activation act,
                   float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
  if (m <= 0 || n <= 0) return;
  if (!bf16_dot_available()) throw Error("AVX512_BF16 is not available on this CPU");
  const int64_t row_blocks = (m + kBf16DotRowBlock - 1) / kBf16DotRowBlock;
  const int64_t panels = (n + kBf16DotPanel - 1) / kBf16DotPanel;
  if (pool.size() > 1 && row_blocks >= 2 * pool.size()) {
    // Many tokens: each task rounds its own rows once and streams all the weights.
    pool.parallel_for(
        row_blocks,
        [&](int64_t b0, int64_t b1) {
          bf16_dot_blocks(a, packed, bias, act, out, m, n, k, b0, b1, 0, panels);
        },
        1);
  } else if (pool.size() > 1 && panels > 1 && m * n * k >= (int64_t{1} << 18)) {
    // A few rows (the [CLS] rows of the last layer, the pooler): split the columns.
    pool.parallel_for(panels, [&](int64_t c0, int64_t c1) {
      bf16_dot_blocks(a, packed, bias, act, out, m, n, k, 0, row_blocks, c0, c1);
    });
  } else {
    bf16_dot_blocks(a, packed, bias, act, out, m, n, k, 0, row_blocks, 0, panels);
  }
}

}  // namespace crossenc::cpu
