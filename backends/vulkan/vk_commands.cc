// Command recording, barriers, descriptor-set pools, submission and timestamp profiling.
#include "vk_commands.h"

#include <algorithm>
#include <cstdio>

#include "crossenc/error.h"

namespace crossenc::vk {
namespace {
constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kBuffersPerSet = 8;  // the most bindings any shader has (embed: 7)
constexpr uint32_t kMaxQueries = 2048;  // timestamps per submission; more are not timed
}  // namespace

Recorder::Recorder(const Context& ctx, bool profile) : ctx_(ctx), api_(ctx.api) {
  VkDevice dev = ctx.device;
  const Api& api = api_;
  auto pci = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = ctx.caps.queue_family;
  VkCommandPool pool = VK_NULL_HANDLE;
  check(api.vkCreateCommandPool(dev, &pci, nullptr, &pool), "vkCreateCommandPool");
  pool_ = Unique<VkCommandPool>(
      pool, [&api, dev](VkCommandPool h) { api.vkDestroyCommandPool(dev, h, nullptr); });

  auto ai = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  ai.commandPool = pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  check(api.vkAllocateCommandBuffers(dev, &ai, &cmd_), "vkAllocateCommandBuffers");

  auto fci = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
  VkFence fence = VK_NULL_HANDLE;
  check(api.vkCreateFence(dev, &fci, nullptr, &fence), "vkCreateFence");
  fence_ = Unique<VkFence>(fence, [&api, dev](VkFence h) { api.vkDestroyFence(dev, h, nullptr); });

  profile_ = profile && ctx.caps.timestamp_bits > 0;
  if (profile && !profile_)
    std::fprintf(stderr, "crossenc: %s has no compute timestamps; profiling disabled\n",
                 ctx.info.name.c_str());
  if (profile_) {
    auto qci = vk_struct<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
    qci.queryType = VK_QUERY_TYPE_TIMESTAMP;
    qci.queryCount = kMaxQueries;
    VkQueryPool qp = VK_NULL_HANDLE;
    check(api.vkCreateQueryPool(dev, &qci, nullptr, &qp), "vkCreateQueryPool");
    queries_ = Unique<VkQueryPool>(
        qp, [&api, dev](VkQueryPool h) { api.vkDestroyQueryPool(dev, h, nullptr); });
  }
}

Recorder::~Recorder() {
  // Pending work must finish before its descriptor sets and buffers go away.
  if (recording_) {
    try {
      submit_and_wait();
    } catch (const Error&) {
    }
  }
}

void Recorder::begin() {
  if (recording_) return;
  auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(api_.vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  check(api_.vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
  recording_ = true;
  if (profile_) {
    api_.vkCmdResetQueryPool(cmd_, queries_.get(), 0, kMaxQueries);
    query_count_ = 0;
    query_labels_.clear();
    api_.vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_.get(),
                             query_count_++);
    query_labels_.emplace_back();
  }
}

void Recorder::barrier() {
  // Everything written by a dispatch or copy is visible to the next dispatch or copy. The
  // encoder's ops are a chain (each reads the last one's output), so a full barrier loses little.
  auto mb = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  constexpr VkPipelineStageFlags kStages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  api_.vkCmdPipelineBarrier(cmd_, kStages, kStages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void Recorder::timestamp(const char* label) {
  if (!profile_) return;
  if (query_count_ >= kMaxQueries) {
    truncated_ = true;
    return;
  }
  api_.vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_.get(),
                           query_count_++);
  query_labels_.emplace_back(label);
}

VkDescriptorSet Recorder::allocate_set(VkDescriptorSetLayout layout) {
  for (;;) {
    if (current_pool_ == descriptor_pools_.size()) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kBuffersPerSet};
      auto ci =
          vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
      ci.maxSets = kSetsPerPool;
      ci.poolSizeCount = 1;
      ci.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      check(api_.vkCreateDescriptorPool(ctx_.device, &ci, nullptr, &pool),
            "vkCreateDescriptorPool");
      const Api& api = api_;
      VkDevice dev = ctx_.device;
      descriptor_pools_.emplace_back(
          pool, [&api, dev](VkDescriptorPool h) { api.vkDestroyDescriptorPool(dev, h, nullptr); });
    }
    auto ai =
        vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
    ai.descriptorPool = descriptor_pools_[current_pool_].get();
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    VkResult r = api_.vkAllocateDescriptorSets(ctx_.device, &ai, &set);
    if (r == VK_SUCCESS) return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
      check(r, "vkAllocateDescriptorSets");
    ++current_pool_;  // this pool is full until the next submission: use (or make) the next
  }
}

void Recorder::dispatch(const Pipeline& pipeline, std::span<const BufferBinding> bindings,
                        const void* push, uint32_t gx, uint32_t gy, uint32_t gz,
                        const char* label) {
  if (bindings.size() != pipeline.num_buffers())
    throw Error("Vulkan: " + pipeline.name() + " expects " +
                std::to_string(pipeline.num_buffers()) + " buffers, got " +
                std::to_string(bindings.size()));
  if (bindings.size() > kBuffersPerSet)
    throw Error("Vulkan: " + pipeline.name() + " has more bindings than descriptor pools hold");
  if (gx == 0 || gy == 0 || gz == 0) return;  // nothing to do (empty tensor)
  const auto& limits = ctx_.caps.props.limits;
  if (gx > limits.maxComputeWorkGroupCount[0] || gy > limits.maxComputeWorkGroupCount[1] ||
      gz > limits.maxComputeWorkGroupCount[2])
    throw Error("Vulkan: " + pipeline.name() + " dispatch of " + std::to_string(gx) + "x" +
                std::to_string(gy) + "x" + std::to_string(gz) +
                " workgroups exceeds the device limit");
  begin();
  VkDescriptorSet set = allocate_set(pipeline.set_layout());
  VkDescriptorBufferInfo infos[kBuffersPerSet];
  VkWriteDescriptorSet writes[kBuffersPerSet];
  for (size_t i = 0; i < bindings.size(); ++i) {
    infos[i] = {bindings[i].buffer, bindings[i].offset, bindings[i].range};
    writes[i] = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  api_.vkUpdateDescriptorSets(ctx_.device, static_cast<uint32_t>(bindings.size()), writes, 0,
                              nullptr);
  api_.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  api_.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set,
                               0, nullptr);
  if (pipeline.push_constant_bytes())
    api_.vkCmdPushConstants(cmd_, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                            pipeline.push_constant_bytes(), push);
  api_.vkCmdDispatch(cmd_, gx, gy, gz);
  timestamp(label);
  barrier();
}

void Recorder::copy(VkBuffer src, uint64_t src_offset, VkBuffer dst, uint64_t dst_offset,
                    uint64_t size, const char* label) {
  if (size == 0) return;
  begin();
  VkBufferCopy region{src_offset, dst_offset, size};
  api_.vkCmdCopyBuffer(cmd_, src, dst, 1, &region);
  timestamp(label);
  barrier();
}

void Recorder::submit_and_wait() {
  if (!recording_) return;
  recording_ = false;
  // Make transfer/shader writes visible to host reads after the fence.
  auto mb = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  api_.vkCmdPipelineBarrier(cmd_,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  check(api_.vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  auto si = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  VkFence fence = fence_.get();
  check(api_.vkQueueSubmit(ctx_.queue, 1, &si, fence), "vkQueueSubmit");
  VkResult r = api_.vkWaitForFences(ctx_.device, 1, &fence, VK_TRUE, UINT64_MAX);
  if (r == VK_ERROR_DEVICE_LOST) throw Error("Vulkan device lost on " + ctx_.info.name);
  check(r, "vkWaitForFences");
  check(api_.vkResetFences(ctx_.device, 1, &fence), "vkResetFences");
  ++submissions_;
  for (auto& pool : descriptor_pools_) api_.vkResetDescriptorPool(ctx_.device, pool.get(), 0);
  current_pool_ = 0;

  if (profile_ && query_count_ > 1) {
    std::vector<uint64_t> ticks(query_count_);
    check(api_.vkGetQueryPoolResults(
              ctx_.device, queries_.get(), 0, query_count_, ticks.size() * sizeof(uint64_t),
              ticks.data(), sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "vkGetQueryPoolResults");
    uint32_t bits = ctx_.caps.timestamp_bits;
    uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    double period_ns = ctx_.caps.props.limits.timestampPeriod;
    for (uint32_t i = 1; i < query_count_; ++i) {
      double ms = static_cast<double>((ticks[i] - ticks[i - 1]) & mask) * period_ns * 1e-6;
      const std::string& label = query_labels_[i];
      auto it = std::find_if(op_times_.begin(), op_times_.end(),
                             [&](const OpTime& t) { return t.label == label; });
      if (it == op_times_.end()) it = op_times_.insert(op_times_.end(), OpTime{label});
      it->total_ms += ms;
      it->count += 1;
    }
  }
}

std::string Recorder::profile_report() const {
  if (!profile_) return {};
  double total = 0;
  for (const OpTime& t : op_times_) total += t.total_ms;
  std::string out = "vulkan GPU time per op since the backend was created (" + ctx_.info.name + ")\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-22s %8s %12s %12s %7s\n", "op", "calls", "total ms",
                "avg us", "share");
  out += line;
  for (const OpTime& t : op_times_) {
    std::snprintf(line, sizeof line, "  %-22s %8llu %12.3f %12.1f %6.1f%%\n", t.label.c_str(),
                  static_cast<unsigned long long>(t.count), t.total_ms,
                  t.count ? t.total_ms * 1e3 / static_cast<double>(t.count) : 0.0,
                  total > 0 ? 100.0 * t.total_ms / total : 0.0);
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-22s %8s %12.3f\n", "total", "", total);
  out += line;
  if (truncated_) out += "  (more than 2048 ops in one submission: the rest were not timed)\n";
  return out;
}

}  // namespace crossenc::vk
