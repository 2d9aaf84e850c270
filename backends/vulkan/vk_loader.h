// Run-time loading of libvulkan (dlopen) and the table of Vulkan entry points we call.
//
// We never link libvulkan: a binary built with Vulkan support must still run (CPU backend)
// on a machine without a Vulkan loader, and say "no Vulkan loader" when Vulkan is asked for.
#pragma once

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <string>

namespace crossenc::vk {

// Entry points resolved through vkGetInstanceProcAddr(nullptr, ...).
#define CROSSENC_VK_GLOBAL_FUNCTIONS(X) \
  X(vkCreateInstance)                   \
  X(vkEnumerateInstanceVersion)         \
  X(vkEnumerateInstanceLayerProperties) \
  X(vkEnumerateInstanceExtensionProperties)

// Entry points resolved through vkGetInstanceProcAddr(instance, ...).
#define CROSSENC_VK_INSTANCE_FUNCTIONS(X)     \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkGetPhysicalDeviceFeatures2)             \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkEnumerateDeviceExtensionProperties)     \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

// Optional instance entry points (VK_EXT_debug_utils, only with validation).
#define CROSSENC_VK_DEBUG_FUNCTIONS(X) \
  X(vkCreateDebugUtilsMessengerEXT)    \
  X(vkDestroyDebugUtilsMessengerEXT)

// Entry points resolved through vkGetDeviceProcAddr(device, ...): no loader trampoline.
#define CROSSENC_VK_DEVICE_FUNCTIONS(X) \
  X(vkDestroyDevice)                    \
  X(vkGetDeviceQueue)                   \
  X(vkDeviceWaitIdle)                   \
  X(vkCreateBuffer)                     \
  X(vkDestroyBuffer)                    \
  X(vkGetBufferMemoryRequirements)      \
  X(vkAllocateMemory)                   \
  X(vkFreeMemory)                       \
  X(vkBindBufferMemory)                 \
  X(vkMapMemory)                        \
  X(vkUnmapMemory)                      \
  X(vkCreateShaderModule)               \
  X(vkDestroyShaderModule)              \
  X(vkCreateDescriptorSetLayout)        \
  X(vkDestroyDescriptorSetLayout)       \
  X(vkCreatePipelineLayout)             \
  X(vkDestroyPipelineLayout)            \
  X(vkCreateComputePipelines)           \
  X(vkDestroyPipeline)                  \
  X(vkCreateDescriptorPool)             \
  X(vkDestroyDescriptorPool)            \
  X(vkResetDescriptorPool)              \
  X(vkAllocateDescriptorSets)           \
  X(vkUpdateDescriptorSets)             \
  X(vkCreateCommandPool)                \
  X(vkDestroyCommandPool)               \
  X(vkAllocateCommandBuffers)           \
  X(vkResetCommandBuffer)               \
  X(vkBeginCommandBuffer)               \
  X(vkEndCommandBuffer)                 \
  X(vkCmdBindPipeline)                  \
  X(vkCmdBindDescriptorSets)            \
  X(vkCmdPushConstants)                 \
  X(vkCmdDispatch)                      \
  X(vkCmdPipelineBarrier)               \
  X(vkCmdCopyBuffer)                    \
  X(vkCmdWriteTimestamp)                \
  X(vkCmdResetQueryPool)                \
  X(vkCreateQueryPool)                  \
  X(vkDestroyQueryPool)                 \
  X(vkGetQueryPoolResults)              \
  X(vkCreateFence)                      \
  X(vkDestroyFence)                     \
  X(vkResetFences)                      \
  X(vkWaitForFences)                    \
  X(vkQueueSubmit)

// A zeroed Vulkan info struct with its sType set (aggregate init would trip
// -Wmissing-field-initializers).
template <typename T>
T vk_struct(VkStructureType type) {
  T t{};
  t.sType = type;
  return t;
}

// One table per instance/device (device-level pointers are device specific).
struct Api {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
#define CROSSENC_VK_DECLARE(name) PFN_##name name = nullptr;
  CROSSENC_VK_GLOBAL_FUNCTIONS(CROSSENC_VK_DECLARE)
  CROSSENC_VK_INSTANCE_FUNCTIONS(CROSSENC_VK_DECLARE)
  CROSSENC_VK_DEBUG_FUNCTIONS(CROSSENC_VK_DECLARE)
  CROSSENC_VK_DEVICE_FUNCTIONS(CROSSENC_VK_DECLARE)
#undef CROSSENC_VK_DECLARE
};

// Opens the loader once per process (never closed: drivers dislike being unloaded) and fills
// the global entry points. Returns false, with the reason in *error, when there is none.
bool load_global(Api& api, std::string* error);
// Fills instance-level entry points; throws Error if a required one is missing.
void load_instance(Api& api, VkInstance instance);
// Fills device-level entry points; throws Error if a required one is missing.
void load_device(Api& api, VkDevice device);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
const char* result_name(VkResult r);
// Throws Error("<what>: <result name>") unless r is VK_SUCCESS.
void check(VkResult r, const char* what);

}  // namespace crossenc::vk
