// The CPU backend's registration: its `info --devices` line (model, threads, the vector
// kernels and AMX this CPU runs) and its factory.
#include <string>
#include <thread>

#include "cpu_ops.h"
#include "crossenc/backends/cpu.h"
#include "crossenc/host.h"
#include "gemm_amx.h"
#include "gemm_bf16_dot.h"

namespace crossenc {

namespace {

std::string describe_cpu() {
  return "cpu      " + cpu_model_name() + ", " +
         std::to_string(std::thread::hardware_concurrency()) +
         " hardware threads (--backend cpu); kernels " + cpu::isa_name(cpu::detect_isa()) +
         ", AMX-BF16 " + (cpu::amx_available() ? "yes (--dtype bf16 runs on it)" : "no") +
         ", AVX512-BF16 dot products " +
         (cpu::bf16_dot_available()
              ? (cpu::amx_available() ? "yes (AMX preferred)" : "yes (--dtype bf16 runs on them)")
              : "no") +
         "\n";
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
