/* backends/vulkan/vk_pipeline.c — the one descriptor-set layout (VK_BINDINGS storage
 * buffers) and pipeline layout (the vk_push block) every shader shares, and compute
 * pipelines built on first use per (shader, specialization constants) and kept until the
 * device closes. Called by vk_dispatch.c and vk_device.c.
 */
#include "vk_internal.h"

#include <string.h>

int vk_layout_create(ef_device *dev, ef_error *err)
{
    VkDescriptorSetLayoutBinding bindings[VK_BINDINGS];
    for (uint32_t i = 0; i < VK_BINDINGS; i++)
        bindings[i] = (VkDescriptorSetLayoutBinding){
            .binding = i,
            .descriptorType = i < VK_STORAGE_BINDINGS ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                                      : VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    const VkDescriptorSetLayoutCreateInfo set_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = VK_BINDINGS,
        .pBindings = bindings,
    };
    VK_CHECK(err, vkCreateDescriptorSetLayout(dev->dev, &set_info, NULL, &dev->set_layout));
    const VkPushConstantRange push = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .offset = 0,
        .size = sizeof(vk_push),
    };
    const VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &dev->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &push,
    };
    VK_CHECK(err, vkCreatePipelineLayout(dev->dev, &layout_info, NULL, &dev->layout));
    return EF_OK;
}

void vk_pipeline_trim(ef_device *dev, int keep)
{
    if (dev->pipe_count <= keep) return;
    for (int i = 0; i < dev->pipe_count; i++) vkDestroyPipeline(dev->dev, dev->pipes[i].pipe, NULL);
    dev->pipe_count = 0;
}

void vk_layout_destroy(ef_device *dev)
{
    vk_pipeline_trim(dev, 0);
    if (dev->layout) vkDestroyPipelineLayout(dev->dev, dev->layout, NULL);
    if (dev->set_layout) vkDestroyDescriptorSetLayout(dev->dev, dev->set_layout, NULL);
    dev->layout = VK_NULL_HANDLE;
    dev->set_layout = VK_NULL_HANDLE;
}

vk_spec vk_spec_1d(ef_precision prec)
{
    return (vk_spec){.v = {
                         [VK_SPEC_PREC] = (uint32_t)prec,
                         [VK_SPEC_WGX] = 256,
                         [VK_SPEC_WGY] = 1,
                         [VK_SPEC_TM] = 1,
                         [VK_SPEC_TN] = 1,
                         [VK_SPEC_BK] = 1,
                         [VK_SPEC_MASKED] = 0,
                         [VK_SPEC_SG] = 1,
                         [VK_SPEC_LEVELS] = 1,
                     }};
}

static int vk_pipeline_build(ef_device *dev, vk_shader_id sh, const vk_spec *spec, VkPipeline *out,
                             ef_error *err)
{
    const vk_shader_code *code = &vk_shaders[sh];
    if (!code->words)
        return ef_fail(err, EF_UNSUPPORTED,
                       "vulkan: shader %s was not built (glslc could not "
                       "compile it at configure time)",
                       code->name);
    const VkShaderModuleCreateInfo module_info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = code->bytes,
        .pCode = code->words,
    };
    VkShaderModule module;
    VkResult r = vkCreateShaderModule(dev->dev, &module_info, NULL, &module);
    if (r != VK_SUCCESS) {
        vk_result_fail(err, r, "vkCreateShaderModule");
        return ef_fail(err,
                       r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY
                           ? EF_NOMEM
                           : EF_ERROR,
                       "vulkan: shader %s: %s", code->name, vk_result_name(r));
    }
    VkSpecializationMapEntry entries[VK_SPEC_COUNT];
    for (uint32_t i = 0; i < VK_SPEC_COUNT; i++)
        entries[i] = (VkSpecializationMapEntry){
            .constantID = i,
            .offset = i * sizeof(uint32_t),
            .size = sizeof(uint32_t),
        };
    const VkSpecializationInfo spec_info = {
        .mapEntryCount = VK_SPEC_COUNT,
        .pMapEntries = entries,
        .dataSize = sizeof spec->v,
        .pData = spec->v,
    };
    const VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage =
            {
                .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module,
                .pName = "main",
                .pSpecializationInfo = &spec_info,
            },
        .layout = dev->layout,
    };
    r = vkCreateComputePipelines(dev->dev, VK_NULL_HANDLE, 1, &info, NULL, out);
    vkDestroyShaderModule(dev->dev, module, NULL);
    if (r != VK_SUCCESS)
        return ef_fail(err,
                       r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY
                           ? EF_NOMEM
                           : EF_ERROR,
                       "vulkan: pipeline for shader %s (tile %ux%u x %ux%u, bk %u) could not "
                       "be created: %s",
                       code->name, spec->v[VK_SPEC_WGX], spec->v[VK_SPEC_WGY], spec->v[VK_SPEC_TM],
                       spec->v[VK_SPEC_TN], spec->v[VK_SPEC_BK], vk_result_name(r));
    return EF_OK;
}

int vk_pipeline_get(ef_device *dev, vk_shader_id sh, const vk_spec *spec, VkPipeline *out,
                    ef_error *err)
{
    for (int i = 0; i < dev->pipe_count; i++)
        if (dev->pipes[i].shader == sh && memcmp(&dev->pipes[i].spec, spec, sizeof *spec) == 0) {
            *out = dev->pipes[i].pipe;
            return EF_OK;
        }
    int rc = vk_pipeline_build(dev, sh, spec, out, err);
    if (rc != EF_OK) return rc;
    if (dev->pipe_count == VK_PIPELINE_CACHE_MAX) {
        vkDestroyPipeline(dev->dev, *out, NULL);
        return ef_fail(err, EF_ERROR, "vulkan: more than %d pipelines in one command buffer",
                       VK_PIPELINE_CACHE_MAX);
    }
    dev->pipes[dev->pipe_count++] = (vk_pipeline_entry){.shader = sh, .spec = *spec, .pipe = *out};
    return EF_OK;
}
