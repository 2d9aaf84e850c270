// The portable half of the AMX-BF16 GEMM (gemm_amx.h): detection, weight packing and the thread
// split. Built without ISA flags, since it runs on every CPU; the tile code itself is in
// gemm_amx_kernel.cc, built with -mamx-tile
// -mamx-bf16 where the compiler knows them.
#include "gemm_amx.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "crossenc/error.h"
#include "crossenc/half.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace crossenc::cpu {

namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

bool cpu_and_os_have_amx() {
#if defined(__x86_64__) && defined(SYS_arch_prctl)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool tile = (edx & (1u << 24)) != 0, bf16 = (edx & (1u << 22)) != 0;
  // The kernel's epilogue runs on the AVX-512 kernels' wrapper: the same requirement as theirs
  // (which also implies the OS saves vector state, so xgetbv below is allowed).
  if (!tile || !bf16 || detect_isa() != Isa::Avx512) return false;
  // AVX512_BF16 converts the F32 activations.
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) || (eax & (1u << 5)) == 0) return false;
  // The OS must save the tile state (XCR0 bits 17 and 18) and, on Linux, grant it per process.
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return false;
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

}  // namespace

bool amx_available() {
  static const bool ok = [] {
    if (!amx_kernel_built()) return false;
    // Any CROSSENC_CPU_ISA other than "amx" caps below it (isa.cc validates the value).
    if (const char* cap = std::getenv("CROSSENC_CPU_ISA");
        cap && *cap && std::string(cap) != "amx") {
      return false;
    }
    return cpu_and_os_have_amx();
  }();
  return ok;
}

size_t amx_packed_size(int64_t n, int64_t k) {
  return static_cast<size_t>(round_up(n, kAmxBlock) * round_up(k, kAmxTileK));
}

namespace {
// Tile (jb, kb) of 16 columns x 32 k: row r holds the pairs (w[c][2r], w[c][2r + 1]); bf16(x) gives
// element x of row-major w as BF16. Walks w in order, one column (weight row) at a time.
template <class Bf16At>
void pack(Bf16At bf16, int64_t n, int64_t k, uint16_t* dst) {
  const int64_t kbs = round_up(k, kAmxTileK) / kAmxTileK;
  std::fill(dst, dst + amx_packed_size(n, k), uint16_t{0});
  for (int64_t col = 0; col < n; ++col) {
    uint16_t* tiles = dst + (col / 16) * kbs * kAmxTileElems + 2 * (col % 16);
    for (int64_t p = 0; p < k; ++p) {
      tiles[(p / kAmxTileK) * kAmxTileElems + (p % kAmxTileK / 2) * kAmxTileK + p % 2] =
          bf16(col * k + p);
    }
  }
}
}  // namespace

void amx_pack_weights(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst) {
  pack([w](int64_t i) { return w[i]; }, n, k, dst);
}

void amx_pack_weights(const float* w, int64_t n, int64_t k, uint16_t* dst) {
  pack([w](int64_t i) { return float_to_bf16(w[i]); }, n, k, dst);
}

void amx_gemm_bf16(const float* a, const uint16_t* packed, const float* bias, Activation act,
                   float* out, int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
  if (m <= 0 || n <= 0) return;
  if (!amx_available()) throw Error("AMX is not available on this CPU");
  const int64_t row_blocks = (m + kAmxBlock - 1) / kAmxBlock;
  const int64_t pairs = (n + kAmxBlock - 1) / kAmxBlock;
  if (pool.size() > 1 && row_blocks >= 2 * pool.size()) {
    // Many tokens: each task rounds its own rows once and streams all the weights.
    pool.parallel_for(
        row_blocks,
        [&](int64_t b0, int64_t b1) {
          amx_gemm_blocks(a, packed, bias, act, out, m, n, k, b0, b1, 0, pairs);
        },
        1);
  } else if (pool.size() > 1 && pairs > 1) {
    // A few rows (the [CLS] rows of the last layer, the pooler): split the columns.
    pool.parallel_for(pairs, [&](int64_t j0, int64_t j1) {
      amx_gemm_blocks(a, packed, bias, act, out, m, n, k, 0, row_blocks, j0, j1);
    });
  } else {
    amx_gemm_blocks(a, packed, bias, act, out, m, n, k, 0, row_blocks, 0, pairs);
  }
}

}  // namespace crossenc::cpu
