/* backends/vulkan/vk_device.c — opening a Vulkan device for compute: logical device and
 * queue, command buffer, fence, timestamp queries, descriptor pool and pipeline layout;
 * closing it in reverse order. Also the ef_backend table the registry lists.
 * The harness calls through the table; the other vk_*.c files fill its slots.
 */
#include "vk_internal.h"

#include <stdlib.h>
#include <string.h>

#define VK_MAX_PHYSICAL 16

static int vk_queue_family_find(VkPhysicalDevice phys, uint32_t *family, uint32_t *ts_bits,
                                ef_error *err)
{
    VkQueueFamilyProperties fam[16];
    uint32_t count = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(phys, &count, fam);
    /* Prefer a compute queue with timestamps; a graphics+compute one is fine. */
    int best = -1;
    for (uint32_t i = 0; i < count; i++) {
        if (!(fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        if (best < 0 || (fam[best].timestampValidBits == 0 && fam[i].timestampValidBits > 0))
            best = (int)i;
    }
    if (best < 0) return ef_fail(err, EF_UNSUPPORTED, "vulkan: the device has no compute queue");
    *family = (uint32_t)best;
    *ts_bits = fam[best].timestampValidBits;
    return EF_OK;
}

static int vk_logical_create(ef_device *dev, ef_error *err)
{
    uint32_t ts_bits = 0;
    int rc = vk_queue_family_find(dev->phys, &dev->queue_family, &ts_bits, err);
    if (rc != EF_OK) return rc;
    dev->ts_mask = ts_bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << ts_bits) - 1;
    if (ts_bits == 0)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: the compute queue has no timestamps");
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo queue_info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = dev->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    /* The cooperative-matrix variant (vk_coopmat.c) needs its features enabled: the
     * matrices, the Vulkan memory model its module declares, and the input type; nothing
     * else needs any feature. dev->coop says what vk_coop_query found usable. */
    int f16 = dev->coop.nshapes[EF_PREC_FP16] > 0, bf16 = dev->coop.nshapes[EF_PREC_BF16] > 0;
    VkPhysicalDeviceShaderBfloat16FeaturesKHR bf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_BFLOAT16_FEATURES_KHR,
        .shaderBFloat16Type = VK_TRUE,
        .shaderBFloat16CooperativeMatrix = VK_TRUE,
    };
    VkPhysicalDeviceShaderFloat16Int8Features half = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
        .pNext = bf16 ? &bf : NULL,
        .shaderFloat16 = f16 ? VK_TRUE : VK_FALSE,
    };
    VkPhysicalDeviceVulkanMemoryModelFeatures mm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
        .pNext = &half,
        .vulkanMemoryModel = VK_TRUE,
    };
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR coop = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
        .pNext = &mm,
        .cooperativeMatrix = VK_TRUE,
    };
    VkPhysicalDeviceFeatures2 features = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &coop,
    };
    const char *exts[4];
    uint32_t next = 0;
    if (f16 || bf16) {
        exts[next++] = VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME;
        /* promoted to Vulkan 1.2; named where the device lists them */
        if (vk_extension_present(dev->phys, VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME))
            exts[next++] = VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME;
        if (vk_extension_present(dev->phys, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME))
            exts[next++] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
        if (bf16) exts[next++] = VK_KHR_SHADER_BFLOAT16_EXTENSION_NAME;
    }
    const VkDeviceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = next ? &features : NULL,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue_info,
        .enabledExtensionCount = next,
        .ppEnabledExtensionNames = next ? exts : NULL,
    };
    VK_CHECK(err, vkCreateDevice(dev->phys, &info, NULL, &dev->dev));
    vkGetDeviceQueue(dev->dev, dev->queue_family, 0, &dev->queue);
    return EF_OK;
}

static int vk_commands_create(ef_device *dev, ef_error *err)
{
    const VkCommandPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = dev->queue_family,
    };
    VK_CHECK(err, vkCreateCommandPool(dev->dev, &pool_info, NULL, &dev->cmd_pool));
    const VkCommandBufferAllocateInfo cmd_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = dev->cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VK_CHECK(err, vkAllocateCommandBuffers(dev->dev, &cmd_info, &dev->cmd));
    const VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(err, vkCreateFence(dev->dev, &fence_info, NULL, &dev->fence));
    const VkQueryPoolCreateInfo query_info = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = 2,
    };
    VK_CHECK(err, vkCreateQueryPool(dev->dev, &query_info, NULL, &dev->queries));
    const VkDescriptorPoolSize sizes[2] = {
        {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .descriptorCount = VK_SETS_PER_RUN * VK_STORAGE_BINDINGS},
        {.type = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER,
         .descriptorCount = VK_SETS_PER_RUN * (VK_BINDINGS - VK_STORAGE_BINDINGS)},
    };
    const VkDescriptorPoolCreateInfo desc_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = VK_SETS_PER_RUN,
        .poolSizeCount = 2,
        .pPoolSizes = sizes,
    };
    VK_CHECK(err, vkCreateDescriptorPool(dev->dev, &desc_info, NULL, &dev->desc_pool));
    return EF_OK;
}

int vk_device_open(int index, ef_device **out, ef_error *err)
{
    *out = NULL;
    ef_device *dev = calloc(1, sizeof *dev);
    if (!dev) return ef_fail(err, EF_NOMEM, "vulkan: %zu bytes for the device", sizeof *dev);
    int rc = vk_instance_acquire(&dev->instance, err);
    if (rc != EF_OK) goto fail_instance;
    VkPhysicalDevice phys[VK_MAX_PHYSICAL];
    uint32_t count = 0;
    rc = vk_physical_list(dev->instance, phys, VK_MAX_PHYSICAL, &count, err);
    if (rc != EF_OK) goto fail_device;
    if (index < 0 || (uint32_t)index >= count) {
        rc = ef_fail(err, EF_ERROR, "vulkan: no device %d (%u found)", index, count);
        goto fail_device;
    }
    dev->phys = phys[index];
    VkPhysicalDeviceSubgroupProperties sub = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 p2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &sub,
    };
    vkGetPhysicalDeviceProperties2(dev->phys, &p2);
    dev->props = p2.properties;
    dev->subgroup_size = sub.subgroupSize ? sub.subgroupSize : 32;
    vkGetPhysicalDeviceMemoryProperties(dev->phys, &dev->mem_props);
    dev->max_buffer_bytes = vk_physical_max_buffer(dev->phys);
    vk_coop_query(dev->instance, dev->phys, &dev->coop);
    if ((rc = vk_logical_create(dev, err)) != EF_OK) goto fail_device;
    if ((rc = vk_commands_create(dev, err)) != EF_OK) goto fail_device;
    if ((rc = vk_layout_create(dev, err)) != EF_OK) goto fail_device;
    if ((rc = vk_buffer_alloc(dev, 16, &dev->dummy, err)) != EF_OK) goto fail_device;
    vk_tile_load(dev);
    *out = dev;
    return EF_OK;

fail_device:
    vk_device_close(dev); /* undoes whatever was created, then releases the instance */
    return rc;
fail_instance:
    free(dev);
    return rc;
}

void vk_device_close(ef_device *dev)
{
    if (!dev) return;
    if (dev->dev) {
        vkDeviceWaitIdle(dev->dev);
        vk_buffer_free(dev, dev->staging);
        vk_buffer_free(dev, dev->scratch);
        vk_buffer_free(dev, dev->dummy);
        vk_layout_destroy(dev);
        if (dev->desc_pool) vkDestroyDescriptorPool(dev->dev, dev->desc_pool, NULL);
        if (dev->queries) vkDestroyQueryPool(dev->dev, dev->queries, NULL);
        if (dev->fence) vkDestroyFence(dev->dev, dev->fence, NULL);
        if (dev->cmd_pool) vkDestroyCommandPool(dev->dev, dev->cmd_pool, NULL);
        vkDestroyDevice(dev->dev, NULL);
    }
    vk_instance_release();
    free(dev);
}

static const char *vk_variant_name(ef_device *dev, const ef_op *op, int i)
{
    /* the cooperative-matrix energy, for the input types the device multiplies */
    return op->workload == EF_WL_ENERGY && op->precision != EF_PREC_FP32 && dev &&
                   dev->coop.nshapes[op->precision] > 0 && i == 0
               ? VK_VARIANT_COOPMAT_KHR
               : NULL;
}

const ef_backend ef_backend_vulkan = {
    .name = "vulkan",
    .description = "Vulkan compute: GLSL shaders embedded as SPIR-V, fp32 accumulation",
    .device_count = vk_device_count,
    .device_info = vk_device_info,
    .device_open = vk_device_open,
    .device_close = vk_device_close,
    .buffer_alloc = vk_buffer_alloc,
    .buffer_free = vk_buffer_free,
    .buffer_upload = vk_buffer_upload,
    .buffer_download = vk_buffer_download,
    .run = vk_run,
    .variant_name = vk_variant_name,
    .tune = vk_tune,
    .measure_peak = vk_peak_measure,
    .scratch_bytes = vk_scratch_bytes,
};
