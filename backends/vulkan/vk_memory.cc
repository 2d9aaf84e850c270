// Buffer creation and memory-type choice for each use.
#include "vk_memory.h"

#include "crossenc/error.h"

namespace crossenc::vk {
namespace {

// Index of the first memory type allowed by `bits` with all of `want`, or -1.
int find_type(const VkPhysicalDeviceMemoryProperties& mem, uint32_t bits,
              VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid = 0) {
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = mem.memoryTypes[i].propertyFlags;
    if ((bits & (1u << i)) && (f & want) == want && (f & avoid) == 0) return static_cast<int>(i);
  }
  return -1;
}

int choose_type(const VkPhysicalDeviceMemoryProperties& mem, uint32_t bits, MemoryUse use) {
  constexpr VkMemoryPropertyFlags kHost =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int t = -1;
  switch (use) {
    case MemoryUse::DeviceLocal:
      t = find_type(mem, bits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
      if (t < 0) t = find_type(mem, bits, 0);
      break;
    case MemoryUse::Upload:
      // System memory first: device-local host-visible memory (BAR) is small on discrete GPUs.
      t = find_type(mem, bits, kHost, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
      if (t < 0) t = find_type(mem, bits, kHost);
      break;
    case MemoryUse::Readback:
      t = find_type(mem, bits, kHost | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
      if (t < 0) t = find_type(mem, bits, kHost);
      break;
  }
  return t;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

Buffer::Buffer(const Context& ctx, uint64_t size, MemoryUse use, const std::string& what)
    : size_(size) {
  const Api& api = ctx.api;
  VkDevice dev = ctx.device;
  if (size == 0) throw Error("Vulkan: zero-sized buffer for " + what);
  auto bci = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
              VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer b = VK_NULL_HANDLE;
  check(api.vkCreateBuffer(dev, &bci, nullptr, &b), ("vkCreateBuffer for " + what).c_str());
  buffer_ = Unique<VkBuffer>(b, [&api, dev](VkBuffer h) { api.vkDestroyBuffer(dev, h, nullptr); });

  VkMemoryRequirements req{};
  api.vkGetBufferMemoryRequirements(dev, b, &req);
  int type = choose_type(ctx.caps.memory, req.memoryTypeBits, use);
  if (type < 0) throw Error("Vulkan: no suitable memory type for " + what);
  auto ai = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = static_cast<uint32_t>(type);
  VkDeviceMemory m = VK_NULL_HANDLE;
  VkResult r = api.vkAllocateMemory(dev, &ai, nullptr, &m);
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
    throw Error("Vulkan: out of " +
                std::string(r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? "device" : "host") +
                " memory allocating " + mib(size) + " for " + what + " on " + ctx.info.name);
  check(r, ("vkAllocateMemory for " + what).c_str());
  memory_ = Unique<VkDeviceMemory>(
      m, [&api, dev](VkDeviceMemory h) { api.vkFreeMemory(dev, h, nullptr); });
  check(api.vkBindBufferMemory(dev, b, m, 0), "vkBindBufferMemory");

  VkMemoryPropertyFlags flags = ctx.caps.memory.memoryTypes[type].propertyFlags;
  if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
    check(api.vkMapMemory(dev, m, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
}

}  // namespace crossenc::vk
