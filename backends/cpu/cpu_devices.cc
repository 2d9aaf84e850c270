// The CPU backend's registration: its `info --devices` line (model, threads, the vector
// kernels and AMX this CPU runs) and its factory.
#include <string>
#include <thread>

#include "cpu_ops.h"
#include "crossenc/backends/cpu.h"
#include "crossenc/host.h"
#include "gemm_amx.h"
#include "gemm_bf16_dot.h"
#include "gemm_int8.h"

namespace crossenc {

namespace {

// "INT8 kernels avx512-vnni, avx-vnni, avx2, scalar (--dtype int8 runs on avx512-vnni)".
std::string describe_int8() {
  const cpu::Isa isa = cpu::detect_isa();
  std::string list;
  for (cpu::Int8Kernel k : {cpu::Int8Kernel::Avx512Vnni, cpu::Int8Kernel::AvxVnni,
                            cpu::Int8Kernel::Avx2, cpu::Int8Kernel::Scalar}) {
    if (cpu::int8_kernel_available(k, isa)) {
      list += (list.empty() ? "" : ", ") + std::string(cpu::int8_kernel_name(k));
    }
  }
  return ", INT8 kernels " + list + " (--dtype int8 runs on " +
         cpu::int8_kernel_name(cpu::best_int8_kernel(isa)) + ")";
}

std::string describe_cpu() {
  return "cpu      " + cpu_model_name() + ", " +
         std::to_string(std::thread::hardware_concurrency()) +
         " hardware threads (--backend cpu); kernels " + cpu::isa_name(cpu::detect_isa()) +
         ", AMX-BF16 " + (cpu::amx_available() ? "yes (--dtype bf16 runs on it)" : "no") +
         ", AVX512-BF16 dot products " +
         (cpu::bf16_dot_available()
              ? (cpu::amx_available() ? "yes (AMX preferred)" : "yes (--dtype bf16 runs on them)")
              : "no") +
         describe_int8() + "\n";
}

}  // namespace

const BackendRegistration& cpu_backend_registration() {
  static const BackendRegistration registration{
      .name = "cpu",
      .accelerated = [] { return false; },
      .describe_devices = describe_cpu,
      .create = make_cpu_backend,
  };
  return registration;
}

}  // namespace crossenc
