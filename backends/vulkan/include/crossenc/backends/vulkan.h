// The Vulkan backend's public face: its registration (crossenc/backend.h), creation, device
// listing and the validation-layer counter.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossenc/backend.h"

namespace crossenc {

// One physical device as the Vulkan loader reports it (index = enumeration order, which is
// what BackendOptions::device selects).
struct VulkanDeviceInfo {
  int index = 0;
  std::string name;
  std::string type;  // "discrete", "integrated", "virtual", "cpu", "other"
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  std::string vendor;            // "NVIDIA", "AMD", "Intel", "Mesa" (software), ... or hex id
  std::string api_version;       // "1.3.230"
  uint64_t memory_bytes = 0;     // largest device-local heap
  bool fp16_arithmetic = false;  // shaderFloat16
  bool storage_16bit = false;    // storageBuffer16BitAccess: needed for F16 weights
  uint32_t subgroup_size = 0;
  bool usable = false;          // Vulkan >= 1.2 with a compute queue
  std::string unusable_reason;  // why not, when !usable
};

const BackendRegistration& vulkan_backend_registration();

// Creates the Vulkan backend on options.device (-1: best usable device: discrete GPU, then
// integrated, virtual, CPU/lavapipe). Throws Error: "no Vulkan loader ...", "no Vulkan
// device ...", "Vulkan device index N out of range ...", out-of-memory and driver failures.
// Env CROSSENC_VULKAN_VALIDATION=1 enables VK_LAYER_KHRONOS_validation with an error counter.
std::unique_ptr<Backend> make_vulkan_backend(const BackendOptions& options);

// All physical devices; empty (never throws) when there is no loader or instance.
std::vector<VulkanDeviceInfo> list_vulkan_devices();
// One line per device for `crossenc devices`-style listings, e.g.
// "0: NVIDIA H100 (discrete, NVIDIA, 79.6 GiB, Vulkan 1.3.277, fp16, 16-bit storage, subgroup 32)".
std::string describe_vulkan_device(const VulkanDeviceInfo& info);
// True when a usable non-CPU Vulkan device exists (what `--backend auto` needs).
bool vulkan_has_real_gpu();

// True when VK_LAYER_KHRONOS_validation is installed.
bool vulkan_validation_available();
// Validation errors reported to our debug messenger so far in this process.
uint64_t vulkan_validation_error_count();

}  // namespace crossenc
