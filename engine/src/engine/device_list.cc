// describe_devices: the CPU (with its vector kernels and AMX), and every Vulkan device the
// loader reports (if built with Vulkan).
#include "crossenc/device_list.h"

#include <cstdio>
#include <fstream>
#include <thread>

#include "cpu_ops.h"
#include "gemm_amx.h"

#ifdef CROSSENC_HAVE_VULKAN
#include "vulkan_backend.h"
#endif

namespace crossenc {

std::string describe_devices() {
  std::string out;
  std::string cpu = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  out += "cpu      " + cpu + ", " + std::to_string(std::thread::hardware_concurrency()) +
         " hardware threads (--backend cpu); kernels " + cpu::isa_name(cpu::detect_isa()) +
         ", AMX-BF16 " + (cpu::amx_available() ? "yes (--dtype bf16 runs on it)" : "no") + "\n";
#ifdef CROSSENC_HAVE_VULKAN
  const auto devices = list_vulkan_devices();
  if (devices.empty()) out += "vulkan   no Vulkan devices (loader or driver missing)\n";
  for (const auto& d : devices) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "vulkan %d %s (%s, %s, Vulkan %s, %.1f GiB, fp16 %s, 16-bit storage %s, "
                  "subgroup %u)%s%s\n",
                  d.index, d.name.c_str(), d.type.c_str(), d.vendor.c_str(), d.api_version.c_str(),
                  d.memory_bytes / 1073741824.0, d.fp16_arithmetic ? "yes" : "no",
                  d.storage_16bit ? "yes" : "no", d.subgroup_size,
                  d.usable ? "" : " unusable: ", d.usable ? "" : d.unusable_reason.c_str());
    out += line;
  }
#else
  out += "vulkan   not built into this binary\n";
#endif
  return out;
}

}  // namespace crossenc
