// Vulkan buffers with their own memory: device-local (weights, activations), host-visible
// upload staging, and host-cached readback.
#pragma once

#include <cstdint>
#include <string>

#include "vk_context.h"
#include "vk_handle.h"

namespace crossenc::vk {

enum class MemoryUse {
  DeviceLocal,  // weights, arena: fastest for shaders
  Upload,       // host writes, device reads (staging, batch inputs): host-visible, coherent
  Readback,     // device writes, host reads: host-visible, preferably cached
};

class Buffer {
 public:
  Buffer() = default;
  // Throws Error naming `what` and the size when memory runs out.
  Buffer(const Context& ctx, uint64_t size, MemoryUse use, const std::string& what);

  VkBuffer handle() const { return buffer_.get(); }
  uint64_t size() const { return size_; }
  void* mapped() const { return mapped_; }  // non-null for Upload/Readback (and UMA memory)

 private:
  Unique<VkBuffer> buffer_;
  Unique<VkDeviceMemory> memory_;
  uint64_t size_ = 0;
  void* mapped_ = nullptr;
};

}  // namespace crossenc::vk
