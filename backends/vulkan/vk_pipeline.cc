// Building compute pipelines from the embedded SPIR-V table.
#include "vk_pipeline.h"

#include "crossenc/error.h"
#include "crossenc_shaders.h"

namespace crossenc::vk {

Pipeline::Pipeline(const Context& ctx, const std::string& shader, uint32_t num_buffers,
                   uint32_t push_constant_bytes, const std::vector<uint32_t>& spec_constants)
    : name_(shader), num_buffers_(num_buffers), push_bytes_(push_constant_bytes) {
  const Api& api = ctx.api;
  VkDevice dev = ctx.device;
  const shaders::Blob* blob = shaders::find(shader);
  if (!blob) throw Error("Vulkan: shader variant '" + shader + "' is not embedded in this build");
  if (push_constant_bytes > ctx.caps.props.limits.maxPushConstantsSize)
    throw Error("Vulkan: shader " + shader + " needs " + std::to_string(push_constant_bytes) +
                " bytes of push constants; device allows " +
                std::to_string(ctx.caps.props.limits.maxPushConstantsSize));

  std::vector<VkDescriptorSetLayoutBinding> bindings(num_buffers);
  for (uint32_t i = 0; i < num_buffers; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  auto dl = vk_struct<VkDescriptorSetLayoutCreateInfo>(
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
  dl.bindingCount = num_buffers;
  dl.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  check(api.vkCreateDescriptorSetLayout(dev, &dl, nullptr, &set_layout),
        "vkCreateDescriptorSetLayout");
  set_layout_ = Unique<VkDescriptorSetLayout>(set_layout, [&api, dev](VkDescriptorSetLayout h) {
    api.vkDestroyDescriptorSetLayout(dev, h, nullptr);
  });

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_bytes};
  auto pl = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  pl.setLayoutCount = 1;
  pl.pSetLayouts = &set_layout;
  pl.pushConstantRangeCount = push_constant_bytes ? 1 : 0;
  pl.pPushConstantRanges = &range;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  check(api.vkCreatePipelineLayout(dev, &pl, nullptr, &layout), "vkCreatePipelineLayout");
  layout_ = Unique<VkPipelineLayout>(
      layout, [&api, dev](VkPipelineLayout h) { api.vkDestroyPipelineLayout(dev, h, nullptr); });

  auto sm = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
  sm.codeSize = blob->size_bytes;
  sm.pCode = blob->words;
  VkShaderModule module = VK_NULL_HANDLE;
  check(api.vkCreateShaderModule(dev, &sm, nullptr, &module),
        ("vkCreateShaderModule " + shader).c_str());
  Unique<VkShaderModule> module_owner(
      module, [&api, dev](VkShaderModule h) { api.vkDestroyShaderModule(dev, h, nullptr); });

  std::vector<VkSpecializationMapEntry> entries(spec_constants.size());
  for (uint32_t i = 0; i < entries.size(); ++i)
    entries[i] = {i, static_cast<uint32_t>(i * sizeof(uint32_t)), sizeof(uint32_t)};
  VkSpecializationInfo spec{};
  spec.mapEntryCount = static_cast<uint32_t>(entries.size());
  spec.pMapEntries = entries.data();
  spec.dataSize = spec_constants.size() * sizeof(uint32_t);
  spec.pData = spec_constants.data();

  auto ci = vk_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
  ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  ci.stage.module = module;
  ci.stage.pName = "main";
  ci.stage.pSpecializationInfo = spec_constants.empty() ? nullptr : &spec;
  ci.layout = layout;
  VkPipeline pipeline = VK_NULL_HANDLE;
  check(api.vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &ci, nullptr, &pipeline),
        ("vkCreateComputePipelines " + shader).c_str());
  pipeline_ = Unique<VkPipeline>(
      pipeline, [&api, dev](VkPipeline h) { api.vkDestroyPipeline(dev, h, nullptr); });
}

}  // namespace crossenc::vk
