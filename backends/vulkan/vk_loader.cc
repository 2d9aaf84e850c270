// Run-time loading of libvulkan: dlopen, vkGetInstanceProcAddr, entry-point tables.
#include "vk_loader.h"

#include <dlfcn.h>

#include <mutex>

#include "crossenc/error.h"

namespace crossenc::vk {
namespace {

struct Library {
  void* handle = nullptr;
  PFN_vkGetInstanceProcAddr get_instance_proc = nullptr;
  std::string error;
};

const Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    // libvulkan.so.1 is the loader's ABI name; plain libvulkan.so exists only with -dev files.
    for (const char* name : {"libvulkan.so.1", "libvulkan.so"}) {
      lib.handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib.handle) break;
    }
    if (!lib.handle) {
      const char* why = dlerror();
      lib.error = std::string("no Vulkan loader (libvulkan.so.1 not found: ") +
                  (why ? why : "dlopen failed") + "); install the Vulkan loader and a driver";
      return;
    }
    lib.get_instance_proc =
        reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib.handle, "vkGetInstanceProcAddr"));
    if (!lib.get_instance_proc) lib.error = "no Vulkan loader (vkGetInstanceProcAddr missing)";
  });
  return lib;
}

}  // namespace

bool load_global(Api& api, std::string* error) {
  const Library& lib = library();
  if (!lib.get_instance_proc) {
    if (error) *error = lib.error;
    return false;
  }
  api.vkGetInstanceProcAddr = lib.get_instance_proc;
#define CROSSENC_VK_LOAD(name) \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetInstanceProcAddr(nullptr, #name));
  CROSSENC_VK_GLOBAL_FUNCTIONS(CROSSENC_VK_LOAD)
#undef CROSSENC_VK_LOAD
  if (!api.vkCreateInstance) {
    if (error) *error = "no Vulkan loader (vkCreateInstance missing)";
    return false;
  }
  return true;
}

void load_instance(Api& api, VkInstance instance) {
#define CROSSENC_VK_LOAD(name)                                                         \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetInstanceProcAddr(instance, #name)); \
  if (!api.name) throw Error("Vulkan loader lacks " #name);
  CROSSENC_VK_INSTANCE_FUNCTIONS(CROSSENC_VK_LOAD)
#undef CROSSENC_VK_LOAD
#define CROSSENC_VK_LOAD_OPTIONAL(name) \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetInstanceProcAddr(instance, #name));
  CROSSENC_VK_DEBUG_FUNCTIONS(CROSSENC_VK_LOAD_OPTIONAL)
#undef CROSSENC_VK_LOAD_OPTIONAL
}

void load_device(Api& api, VkDevice device) {
#define CROSSENC_VK_LOAD(name)                                                     \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetDeviceProcAddr(device, #name)); \
  if (!api.name) throw Error("Vulkan driver lacks " #name);
  CROSSENC_VK_DEVICE_FUNCTIONS(CROSSENC_VK_LOAD)
#undef CROSSENC_VK_LOAD
}

const char* result_name(VkResult r) {
  switch (r) {
#define CROSSENC_VK_CASE(x) \
  case x: return #x;
    CROSSENC_VK_CASE(VK_SUCCESS)
    CROSSENC_VK_CASE(VK_NOT_READY)
    CROSSENC_VK_CASE(VK_TIMEOUT)
    CROSSENC_VK_CASE(VK_INCOMPLETE)
    CROSSENC_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    CROSSENC_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    CROSSENC_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    CROSSENC_VK_CASE(VK_ERROR_DEVICE_LOST)
    CROSSENC_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    CROSSENC_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    CROSSENC_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    CROSSENC_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    CROSSENC_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    CROSSENC_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    CROSSENC_VK_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    CROSSENC_VK_CASE(VK_ERROR_FRAGMENTED_POOL)
    CROSSENC_VK_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    CROSSENC_VK_CASE(VK_ERROR_INVALID_SHADER_NV)
    CROSSENC_VK_CASE(VK_ERROR_UNKNOWN)
#undef CROSSENC_VK_CASE
    default: return "VkResult(unknown)";
  }
}

void check(VkResult r, const char* what) {
  if (r != VK_SUCCESS) throw Error(std::string("Vulkan: ") + what + " failed: " + result_name(r));
}

}  // namespace crossenc::vk
