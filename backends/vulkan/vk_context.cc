// Vulkan instance/device creation, feature probing, device choice and the validation counter.
#include "vk_context.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crossenc/error.h"

namespace crossenc::vk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
std::atomic<uint64_t> g_validation_errors{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void*) {
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    g_validation_errors.fetch_add(1);
    std::fprintf(stderr, "[vulkan validation] %s\n", data && data->pMessage ? data->pMessage : "");
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    std::fprintf(stderr, "[vulkan validation warning] %s\n",
                 data && data->pMessage ? data->pMessage : "");
  }
  return VK_FALSE;
}

bool has_layer(const Api& api, const char* name) {
  uint32_t n = 0;
  if (api.vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(n);
  if (api.vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
  return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& l) {
    return std::strcmp(l.layerName, name) == 0;
  });
}

bool has_instance_extension(const Api& api, const char* name) {
  uint32_t n = 0;
  if (api.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr) != VK_SUCCESS) return false;
  std::vector<VkExtensionProperties> ext(n);
  if (api.vkEnumerateInstanceExtensionProperties(nullptr, &n, ext.data()) != VK_SUCCESS)
    return false;
  return std::any_of(ext.begin(), ext.end(), [&](const VkExtensionProperties& e) {
    return std::strcmp(e.extensionName, name) == 0;
  });
}

std::string version_string(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) +
         "." + std::to_string(VK_API_VERSION_PATCH(v));
}

const char* type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

std::string vendor_name(uint32_t id) {
  switch (id) {
    case 0x10DE: return "NVIDIA";
    case 0x1002: return "AMD";
    case 0x8086: return "Intel";
    case 0x13B5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x106B: return "Apple";
    case 0x10005: return "Mesa";  // VK_VENDOR_ID_MESA: software rasterizers (lavapipe)
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%04x", id);
      return buf;
    }
  }
}

// Higher is better: discrete, integrated, virtual, CPU.
int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
  }
}

}  // namespace

bool validation_requested() {
  const char* env = std::getenv("CROSSENC_VULKAN_VALIDATION");
  return env && std::string(env) == "1";
}

Instance::Instance(bool want_validation) {
  std::string why;
  if (!load_global(api, &why)) throw Error(why);
  uint32_t loader_version = VK_API_VERSION_1_0;
  if (api.vkEnumerateInstanceVersion) api.vkEnumerateInstanceVersion(&loader_version);
  if (loader_version < VK_API_VERSION_1_2)
    throw Error("Vulkan loader is version " + version_string(loader_version) +
                "; the Vulkan backend needs 1.2");

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  if (want_validation) {
    if (has_layer(api, kValidationLayer) &&
        has_instance_extension(api, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
      layers.push_back(kValidationLayer);
      extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      validation = true;
    } else {
      std::fprintf(stderr, "crossenc: Vulkan validation requested but %s is not installed\n",
                   kValidationLayer);
    }
  }

  auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
  app.pApplicationName = "crossenc";
  app.pEngineName = "crossenc";
  app.apiVersion = VK_API_VERSION_1_2;
  auto ci = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
  ci.pApplicationInfo = &app;
  ci.enabledLayerCount = static_cast<uint32_t>(layers.size());
  ci.ppEnabledLayerNames = layers.data();
  ci.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  ci.ppEnabledExtensionNames = extensions.data();
  auto dbg = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
  dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                        VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  dbg.pfnUserCallback = on_debug_message;
  if (validation) ci.pNext = &dbg;  // also catches errors in vkCreate/DestroyInstance

  VkResult r = api.vkCreateInstance(&ci, nullptr, &handle);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) throw Error("no Vulkan device (no compatible driver)");
  check(r, "vkCreateInstance");
  try {
    load_instance(api, handle);
    if (validation) {
      if (!api.vkCreateDebugUtilsMessengerEXT) throw Error("Vulkan: debug utils unavailable");
      check(api.vkCreateDebugUtilsMessengerEXT(handle, &dbg, nullptr, &messenger_),
            "vkCreateDebugUtilsMessengerEXT");
    }
  } catch (...) {
    if (api.vkDestroyInstance) api.vkDestroyInstance(handle, nullptr);
    throw;
  }
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE)
    api.vkDestroyDebugUtilsMessengerEXT(handle, messenger_, nullptr);
  if (handle != VK_NULL_HANDLE) api.vkDestroyInstance(handle, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  uint32_t n = 0;
  check(api.vkEnumeratePhysicalDevices(handle, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> devices(n);
  if (n)
    check(api.vkEnumeratePhysicalDevices(handle, &n, devices.data()), "vkEnumeratePhysicalDevices");
  devices.resize(n);
  return devices;
}

DeviceCaps Instance::probe(VkPhysicalDevice device) const {
  DeviceCaps caps;
  api.vkGetPhysicalDeviceProperties(device, &caps.props);
  api.vkGetPhysicalDeviceMemoryProperties(device, &caps.memory);
  caps.max_allocation = 1ull << 30;  // the spec's guaranteed minimum until we know better
  if (caps.props.apiVersion >= VK_API_VERSION_1_2) {
    // Vulkan11/12 feature and property structs are only valid to query on 1.2 devices.
    auto f12 = vk_struct<VkPhysicalDeviceVulkan12Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    auto f11 = vk_struct<VkPhysicalDeviceVulkan11Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    f11.pNext = &f12;
    auto f2 = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    f2.pNext = &f11;
    api.vkGetPhysicalDeviceFeatures2(device, &f2);
    caps.storage_16bit = f11.storageBuffer16BitAccess == VK_TRUE;
    caps.float16 = f12.shaderFloat16 == VK_TRUE;
    auto p11 = vk_struct<VkPhysicalDeviceVulkan11Properties>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES);
    auto p2 =
        vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
    p2.pNext = &p11;
    api.vkGetPhysicalDeviceProperties2(device, &p2);
    caps.subgroup_size = p11.subgroupSize;
    caps.max_allocation = p11.maxMemoryAllocationSize;
  }
  uint32_t nq = 0;
  api.vkGetPhysicalDeviceQueueFamilyProperties(device, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> families(nq);
  api.vkGetPhysicalDeviceQueueFamilyProperties(device, &nq, families.data());
  for (uint32_t i = 0; i < nq; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      caps.queue_family = i;
      caps.timestamp_bits = families[i].timestampValidBits;
      break;
    }
  }
  return caps;
}

VulkanDeviceInfo describe(int index, const DeviceCaps& caps) {
  VulkanDeviceInfo info;
  info.index = index;
  info.name = caps.props.deviceName;
  info.type = type_name(caps.props.deviceType);
  info.vendor_id = caps.props.vendorID;
  info.device_id = caps.props.deviceID;
  info.vendor = vendor_name(caps.props.vendorID);
  info.api_version = version_string(caps.props.apiVersion);
  for (uint32_t i = 0; i < caps.memory.memoryHeapCount; ++i)
    if (caps.memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info.memory_bytes = std::max<uint64_t>(info.memory_bytes, caps.memory.memoryHeaps[i].size);
  info.fp16_arithmetic = caps.float16;
  info.storage_16bit = caps.storage_16bit;
  info.subgroup_size = caps.subgroup_size;
  if (caps.props.apiVersion < VK_API_VERSION_1_2) {
    info.unusable_reason = "Vulkan " + info.api_version + " < 1.2";
  } else if (caps.queue_family == UINT32_MAX) {
    info.unusable_reason = "no compute queue";
  } else {
    info.usable = true;
  }
  return info;
}

Context::Context(int device_index, bool validation)
    : instance(std::make_unique<Instance>(validation)) {
  api = instance->api;
  std::vector<VkPhysicalDevice> devices = instance->physical_devices();
  if (devices.empty()) throw Error("no Vulkan device (the loader found no driver/device)");
  std::vector<DeviceCaps> all;
  std::string listing;
  for (size_t i = 0; i < devices.size(); ++i) {
    all.push_back(instance->probe(devices[i]));
    listing += (i ? ", " : "") + std::to_string(i) + ": " + all.back().props.deviceName;
  }
  int chosen = -1;
  if (device_index >= 0) {
    if (device_index >= static_cast<int>(devices.size()))
      throw Error("Vulkan device index " + std::to_string(device_index) + " out of range (" +
                  std::to_string(devices.size()) + " device(s): " + listing + ")");
    VulkanDeviceInfo d = describe(device_index, all[device_index]);
    if (!d.usable)
      throw Error("Vulkan device " + std::to_string(device_index) + " (" + d.name +
                  ") is not usable: " + d.unusable_reason);
    chosen = device_index;
  } else {
    int best_rank = -1;
    for (size_t i = 0; i < all.size(); ++i) {
      if (!describe(static_cast<int>(i), all[i]).usable) continue;
      int rank = type_rank(all[i].props.deviceType);
      if (rank > best_rank) best_rank = rank, chosen = static_cast<int>(i);
    }
    if (chosen < 0) throw Error("no Vulkan device supports Vulkan 1.2 compute (" + listing + ")");
  }
  physical = devices[chosen];
  caps = all[chosen];
  info = describe(chosen, caps);

  float priority = 1.0f;
  auto qci = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  qci.queueFamilyIndex = caps.queue_family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  // Only what the shaders need: 16-bit storage for F16 weights when the device has it.
  auto f11 = vk_struct<VkPhysicalDeviceVulkan11Features>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
  f11.storageBuffer16BitAccess = caps.storage_16bit ? VK_TRUE : VK_FALSE;
  auto f2 = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  f2.pNext = &f11;
  auto dci = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  dci.pNext = &f2;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  check(api.vkCreateDevice(physical, &dci, nullptr, &device), "vkCreateDevice");
  f16_enabled = caps.storage_16bit;
  try {
    load_device(api, device);
  } catch (...) {
    auto destroy =
        reinterpret_cast<PFN_vkDestroyDevice>(api.vkGetDeviceProcAddr(device, "vkDestroyDevice"));
    if (destroy) destroy(device, nullptr);
    throw;
  }
  api.vkGetDeviceQueue(device, caps.queue_family, 0, &queue);
}

Context::~Context() {
  if (device != VK_NULL_HANDLE) {
    api.vkDeviceWaitIdle(device);
    api.vkDestroyDevice(device, nullptr);
  }
}

}  // namespace crossenc::vk

namespace crossenc {

std::vector<VulkanDeviceInfo> list_vulkan_devices() {
  std::vector<VulkanDeviceInfo> out;
  try {
    vk::Instance instance(false);
    std::vector<VkPhysicalDevice> devices = instance.physical_devices();
    for (size_t i = 0; i < devices.size(); ++i)
      out.push_back(vk::describe(static_cast<int>(i), instance.probe(devices[i])));
  } catch (const Error&) {
    out.clear();  // no loader / no driver: an empty list, as documented
  }
  return out;
}

std::string describe_vulkan_device(const VulkanDeviceInfo& d) {
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", static_cast<double>(d.memory_bytes) / (1ull << 30));
  std::string s = std::to_string(d.index) + ": " + d.name + " (" + d.type + ", " + d.vendor + ", " +
                  mem + ", Vulkan " + d.api_version;
  if (d.fp16_arithmetic) s += ", fp16";
  if (d.storage_16bit) s += ", 16-bit storage";
  if (d.subgroup_size) s += ", subgroup " + std::to_string(d.subgroup_size);
  s += ")";
  if (!d.usable) s += " [unusable: " + d.unusable_reason + "]";
  return s;
}

bool vulkan_has_real_gpu() {
  for (const VulkanDeviceInfo& d : list_vulkan_devices())
    if (d.usable && d.type != "cpu") return true;
  return false;
}

bool vulkan_validation_available() {
  vk::Api api;
  return vk::load_global(api, nullptr) && vk::has_layer(api, vk::kValidationLayer);
}

uint64_t vulkan_validation_error_count() { return vk::g_validation_errors.load(); }

}  // namespace crossenc
