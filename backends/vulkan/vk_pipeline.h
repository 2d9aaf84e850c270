// Compute pipelines built once from embedded SPIR-V: descriptor-set layout (N storage
// buffers), push-constant range, specialization constants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vk_context.h"
#include "vk_handle.h"

namespace crossenc::vk {

class Pipeline {
 public:
  // `shader` names an embedded variant (see shaders/CMakeLists.txt); spec constant i gets
  // constant_id i. Throws Error if the variant is missing or the driver rejects it.
  Pipeline(const Context& ctx, const std::string& shader, uint32_t num_buffers,
           uint32_t push_constant_bytes, const std::vector<uint32_t>& spec_constants = {});

  const std::string& name() const { return name_; }
  VkPipeline handle() const { return pipeline_.get(); }
  VkPipelineLayout layout() const { return layout_.get(); }
  VkDescriptorSetLayout set_layout() const { return set_layout_.get(); }
  uint32_t num_buffers() const { return num_buffers_; }
  uint32_t push_constant_bytes() const { return push_bytes_; }

 private:
  std::string name_;
  uint32_t num_buffers_ = 0;
  uint32_t push_bytes_ = 0;
  Unique<VkDescriptorSetLayout> set_layout_;
  Unique<VkPipelineLayout> layout_;
  Unique<VkPipeline> pipeline_;
};

}  // namespace crossenc::vk
