/* backends/vulkan/vk_dispatch.c — recording and running one command buffer: timestamp,
 * dispatches (each with its own descriptor set, push constants and a compute barrier),
 * copies, timestamp; submit, wait on the fence, read the GPU time. A lost device is
 * remembered so every later call fails with the reason instead of hanging.
 * Called by vk_workloads.c and vk_memory.c.
 */
#include "vk_internal.h"

#include <string.h>

/* A command buffer running longer than this is treated as hung: a minute on a GPU, ten
 * on a CPU driver (lavapipe runs a large ranktail for tens of seconds). */
#define VK_WAIT_GPU_NS 60000000000ull
#define VK_WAIT_CPU_NS 600000000000ull

static int vk_lost_check(ef_device *dev, VkResult r, const char *what, ef_error *err)
{
    if (r == VK_ERROR_DEVICE_LOST) dev->lost = 1;
    return vk_result_fail(err, r, what);
}

int vk_cmd_begin(ef_device *dev, ef_error *err)
{
    if (dev->lost) return ef_fail(err, EF_ERROR, "vulkan: the device was lost earlier");
    vk_pipeline_trim(dev, VK_PIPELINE_CACHE_MAX - 16);
    VK_CHECK(err, vkResetDescriptorPool(dev->dev, dev->desc_pool, 0));
    dev->sets_used = 0;
    VK_CHECK(err, vkResetCommandBuffer(dev->cmd, 0));
    const VkCommandBufferBeginInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    VK_CHECK(err, vkBeginCommandBuffer(dev->cmd, &info));
    vkCmdResetQueryPool(dev->cmd, dev->queries, 0, 2);
    vkCmdWriteTimestamp(dev->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, dev->queries, 0);
    return EF_OK;
}

static void vk_cmd_barrier(ef_device *dev)
{
    const VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    vkCmdPipelineBarrier(dev->cmd,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                         1, &barrier, 0, NULL, 0, NULL);
}

int vk_cmd_dispatch(ef_device *dev, vk_shader_id sh, const vk_spec *spec,
                    ef_buffer *const bufs[VK_BINDINGS], const vk_push *pc, uint32_t gx, uint32_t gy,
                    uint32_t gz, ef_error *err)
{
    const uint32_t *maxg = dev->props.limits.maxComputeWorkGroupCount;
    if (gx > maxg[0] || gy > maxg[1] || gz > maxg[2])
        return ef_fail(err, EF_UNSUPPORTED,
                       "vulkan: shader %s needs %u x %u x %u workgroups, "
                       "the device allows %u x %u x %u",
                       vk_shaders[sh].name, gx, gy, gz, maxg[0], maxg[1], maxg[2]);
    if (gx == 0 || gy == 0 || gz == 0) return EF_OK;
    if (dev->sets_used >= VK_SETS_PER_RUN)
        return ef_fail(err, EF_ERROR, "vulkan: more than %d dispatches in one run",
                       VK_SETS_PER_RUN);
    VkPipeline pipe;
    int rc = vk_pipeline_get(dev, sh, spec, &pipe, err);
    if (rc != EF_OK) return rc;
    const VkDescriptorSetAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = dev->desc_pool,
        .descriptorSetCount = 1,
        .pSetLayouts = &dev->set_layout,
    };
    VkDescriptorSet set;
    VK_CHECK(err, vkAllocateDescriptorSets(dev->dev, &alloc, &set));
    dev->sets_used++;
    VkDescriptorBufferInfo infos[VK_BINDINGS];
    VkBufferView views[VK_BINDINGS];
    VkWriteDescriptorSet writes[VK_BINDINGS];
    for (uint32_t i = 0; i < VK_BINDINGS; i++) {
        ef_buffer *b = bufs[i] ? bufs[i] : dev->dummy;
        int texel = i >= VK_STORAGE_BINDINGS;
        infos[i] = (VkDescriptorBufferInfo){.buffer = b->buf, .offset = 0, .range = VK_WHOLE_SIZE};
        if (texel && (rc = vk_buffer_view(dev, b, vk_binding_view(i), &views[i], err)) != EF_OK)
            return rc;
        writes[i] = (VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = set,
            .dstBinding = i,
            .descriptorCount = 1,
            .descriptorType =
                texel ? VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .pBufferInfo = texel ? NULL : &infos[i],
            .pTexelBufferView = texel ? &views[i] : NULL,
        };
    }
    vkUpdateDescriptorSets(dev->dev, VK_BINDINGS, writes, 0, NULL);
    vkCmdBindPipeline(dev->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    vkCmdBindDescriptorSets(dev->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, dev->layout, 0, 1, &set, 0,
                            NULL);
    vkCmdPushConstants(dev->cmd, dev->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof *pc, pc);
    vkCmdDispatch(dev->cmd, gx, gy, gz);
    vk_cmd_barrier(dev);
    return EF_OK;
}

int vk_cmd_dispatch_linear(ef_device *dev, vk_shader_id sh, const vk_spec *spec,
                           ef_buffer *const bufs[VK_BINDINGS], const vk_push *pc, uint64_t groups,
                           ef_error *err)
{
    uint64_t gx = groups, limit = dev->props.limits.maxComputeWorkGroupCount[0];
    if (gx > limit) gx = limit;
    uint64_t gy = gx ? (groups + gx - 1) / gx : 0;
    if (gy > UINT32_MAX) gy = UINT32_MAX; /* refused by vk_cmd_dispatch with the sizes */
    vk_push folded = *pc;
    folded.fold = (int32_t)gx;
    return vk_cmd_dispatch(dev, sh, spec, bufs, &folded, (uint32_t)gx, (uint32_t)gy, 1, err);
}

void vk_cmd_fill(ef_device *dev, ef_buffer *dst, size_t off, size_t bytes, uint32_t word)
{
    vkCmdFillBuffer(dev->cmd, dst->buf, off, bytes, word);
    vk_cmd_barrier(dev);
}

int vk_cmd_copy(ef_device *dev, ef_buffer *src, size_t src_off, ef_buffer *dst, size_t dst_off,
                size_t bytes, ef_error *err)
{
    (void)err;
    const VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = bytes};
    vkCmdCopyBuffer(dev->cmd, src->buf, dst->buf, 1, &region);
    vk_cmd_barrier(dev);
    return EF_OK;
}

int vk_cmd_submit(ef_device *dev, double *ms, ef_error *err)
{
    vkCmdWriteTimestamp(dev->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, dev->queries, 1);
    VK_CHECK(err, vkEndCommandBuffer(dev->cmd));
    VK_CHECK(err, vkResetFences(dev->dev, 1, &dev->fence));
    const VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &dev->cmd,
    };
    VkResult r = vkQueueSubmit(dev->queue, 1, &submit, dev->fence);
    if (r != VK_SUCCESS) return vk_lost_check(dev, r, "vkQueueSubmit", err);
    uint64_t wait =
        dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? VK_WAIT_CPU_NS : VK_WAIT_GPU_NS;
    r = vkWaitForFences(dev->dev, 1, &dev->fence, VK_TRUE, wait);
    if (r == VK_TIMEOUT) {
        dev->lost = 1;
        return ef_fail(err, EF_ERROR,
                       "vulkan: a command buffer ran longer than %llu s; the "
                       "device is treated as hung",
                       (unsigned long long)(wait / 1000000000ull));
    }
    if (r != VK_SUCCESS) return vk_lost_check(dev, r, "vkWaitForFences", err);
    if (ms) {
        uint64_t ts[2];
        r = vkGetQueryPoolResults(dev->dev, dev->queries, 0, 2, sizeof ts, ts, sizeof ts[0],
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        if (r != VK_SUCCESS) return vk_lost_check(dev, r, "vkGetQueryPoolResults", err);
        uint64_t ticks = ((ts[1] & dev->ts_mask) - (ts[0] & dev->ts_mask)) & dev->ts_mask;
        *ms = (double)ticks * (double)dev->props.limits.timestampPeriod * 1e-6;
    }
    return EF_OK;
}
