// The command recorder: every op of a batch goes into ONE command buffer (a barrier after
// each dispatch), submitted once when the host needs results; optional per-op timestamps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vk_context.h"
#include "vk_handle.h"
#include "vk_pipeline.h"

namespace crossenc::vk {

// One storage-buffer descriptor: offset must be a multiple of minStorageBufferOffsetAlignment.
struct BufferBinding {
  VkBuffer buffer = VK_NULL_HANDLE;
  uint64_t offset = 0;
  uint64_t range = 0;
};

class Recorder {
 public:
  Recorder(const Context& ctx, bool profile);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Records a dispatch of `pipeline` with one descriptor set holding `bindings` (in binding
  // order), `push` (pipeline.push_constant_bytes() bytes), followed by a memory barrier.
  void dispatch(const Pipeline& pipeline, std::span<const BufferBinding> bindings, const void* push,
                uint32_t groups_x, uint32_t groups_y, uint32_t groups_z, const char* label);
  // Records a buffer-to-buffer copy, followed by a barrier.
  void copy(VkBuffer src, uint64_t src_offset, VkBuffer dst, uint64_t dst_offset, uint64_t size,
            const char* label);
  // Submits what was recorded (nothing if empty), waits, then recycles descriptor sets and
  // collects timestamps. Throws Error on device loss.
  void submit_and_wait();
  bool empty() const { return !recording_; }
  // Number of completed submissions (staging memory of older ones is free again).
  uint64_t submissions() const { return submissions_; }

  // Per-label GPU time since the last reset (profile mode only).
  std::string profile_report() const;

 private:
  void begin();
  void barrier();
  void timestamp(const char* label);
  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout);

  const Context& ctx_;
  const Api& api_;
  Unique<VkCommandPool> pool_;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  Unique<VkFence> fence_;
  std::vector<Unique<VkDescriptorPool>> descriptor_pools_;
  size_t current_pool_ = 0;
  bool recording_ = false;
  uint64_t submissions_ = 0;

  bool profile_ = false;
  Unique<VkQueryPool> queries_;
  uint32_t query_count_ = 0;
  std::vector<std::string> query_labels_;  // label of the interval ending at query i
  struct OpTime {
    std::string label;
    double total_ms = 0;
    uint64_t count = 0;
  };
  std::vector<OpTime> op_times_;
  bool truncated_ = false;
};

}  // namespace crossenc::vk
