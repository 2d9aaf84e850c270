// The Vulkan backend's registration: one `info --devices` line per device the loader reports,
// and its factory. `--backend auto` takes Vulkan only on a real GPU (not lavapipe).
#include <cstdio>
#include <string>

#include "crossenc/backends/vulkan.h"

namespace crossenc {

namespace {

std::string describe_vulkan() {
  const auto devices = list_vulkan_devices();
  if (devices.empty()) return "vulkan   no Vulkan devices (loader or driver missing)\n";
  std::string out;
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
  return out;
}

}  // namespace

const BackendRegistration& vulkan_backend_registration() {
  static const BackendRegistration registration{
      .name = "vulkan",
      .accelerated = vulkan_has_real_gpu,
      .describe_devices = describe_vulkan,
      .create = make_vulkan_backend,
  };
  return registration;
}

}  // namespace crossenc
