// Run-time choice of the vector kernels: what the CPU supports, capped by CROSSENC_CPU_ISA.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdlib>
#include <string>

#include "cpu_ops.h"
#include "crossenc/error.h"

namespace crossenc::cpu {

namespace {
#if defined(__x86_64__) || defined(__i386__)
// F16C through cpuid (leaf 1, ecx bit 29): clang's __builtin_cpu_supports does not know it.
// Read once: detect_isa runs on every INT8 GEMM call, and cpuid traps to the hypervisor in a VM.
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
  }();
  return has;
}
bool cpu_has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
}
bool cpu_has_avx512() {
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq");
}
#else
bool cpu_has_avx512() { return false; }
bool cpu_has_avx2() { return false; }
#endif
}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

const SimdKernels* simd_kernels(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return avx512_kernels();
    case Isa::Avx2: return avx2_kernels();
    case Isa::Generic: return nullptr;
  }
  return nullptr;
}

Isa detect_isa() {
  Isa best = Isa::Generic;
  if (avx2_kernels() && cpu_has_avx2()) best = Isa::Avx2;
  if (avx512_kernels() && cpu_has_avx512()) best = Isa::Avx512;
  if (const char* cap = std::getenv("CROSSENC_CPU_ISA"); cap && *cap) {
    const std::string c = cap;
    Isa want;
    if (c == "generic")
      want = Isa::Generic;
    else if (c == "avx2")
      want = Isa::Avx2;
    else if (c == "avx512" || c == "avx512bf16" || c == "amx")
      want = Isa::Avx512;  // "avx512" also turns AMX and AVX512-BF16 off, "avx512bf16" AMX
    else
      throw Error("CROSSENC_CPU_ISA='" + c +
                  "': expected generic, avx2, avx512, avx512bf16 or amx");
    if (want < best) best = want;
  }
  return best;
}

}  // namespace crossenc::cpu
