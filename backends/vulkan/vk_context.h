// The Vulkan instance (optionally with validation), device probing/selection, and the
// logical device + compute queue that the backend runs on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vk_loader.h"
#include "crossenc/backends/vulkan.h"

namespace crossenc::vk {

// What we need to know about a physical device to choose it and to use it.
struct DeviceCaps {
  VkPhysicalDeviceProperties props{};
  VkPhysicalDeviceMemoryProperties memory{};
  bool storage_16bit = false;  // storageBuffer16BitAccess
  bool float16 = false;        // shaderFloat16
  uint32_t subgroup_size = 0;
  uint64_t max_allocation = 0;         // maxMemoryAllocationSize
  uint32_t queue_family = UINT32_MAX;  // first family with compute; UINT32_MAX if none
  uint32_t timestamp_bits = 0;         // of that family; 0 = no timestamps
};

// An instance with its entry points; destroys the debug messenger and instance on exit.
class Instance {
 public:
  // Throws Error ("no Vulkan loader ...", "Vulkan 1.2 ...", instance creation failure).
  explicit Instance(bool validation);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  Api api;
  VkInstance handle = VK_NULL_HANDLE;
  bool validation = false;  // the layer and messenger are really active

  std::vector<VkPhysicalDevice> physical_devices() const;
  DeviceCaps probe(VkPhysicalDevice device) const;

 private:
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
};

// The public description of a probed device.
VulkanDeviceInfo describe(int index, const DeviceCaps& caps);

// Instance + chosen physical device + logical device and queue.
class Context {
 public:
  // device_index -1 picks the best usable device. Throws Error with the cause.
  Context(int device_index, bool validation);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  std::unique_ptr<Instance> instance;
  Api api;  // instance's table plus device-level entry points
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  DeviceCaps caps;
  VulkanDeviceInfo info;
  bool f16_enabled = false;  // storageBuffer16BitAccess switched on at device creation
};

// True when CROSSENC_VULKAN_VALIDATION=1.
bool validation_requested();

}  // namespace crossenc::vk
