/* backends/vulkan/vk_memory.c — buffers: allocation (device-local first, host-visible as
 * the fallback), upload and download (mapped memcpy where the memory is host-visible and
 * coherent, else through a staging buffer and a copy command), and the device's scratch.
 * Called through the ef_backend table and by vk_workloads.c.
 */
#include "vk_internal.h"

#include <stdlib.h>
#include <string.h>

#define VK_STAGING_BYTES ((size_t)64 << 20)

static int vk_memory_type_find(const ef_device *dev, uint32_t type_bits, VkMemoryPropertyFlags want,
                               VkMemoryPropertyFlags avoid)
{
    for (uint32_t i = 0; i < dev->mem_props.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = dev->mem_props.memoryTypes[i].propertyFlags;
        if ((type_bits & (1u << i)) && (f & want) == want && !(f & avoid)) return (int)i;
    }
    return -1;
}

/* Allocate with the first memory class that has a type and room. `host` asks for
 * host-visible memory first (staging). */
static int vk_buffer_memory(ef_device *dev, ef_buffer *b, int host, ef_error *err)
{
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev->dev, b->buf, &req);
    const VkMemoryPropertyFlags hv =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    struct vk_memory_class {
        VkMemoryPropertyFlags want, avoid;
    } order[3] = {
        {dl, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT},
        {dl | hv, 0},
        {hv, 0},
    };
    if (host) order[0] = (struct vk_memory_class){hv | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0};
    VkResult last = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    for (int k = 0; k < 3; k++) {
        int type = vk_memory_type_find(dev, req.memoryTypeBits, order[k].want, order[k].avoid);
        if (type < 0) continue;
        const VkMemoryAllocateInfo info = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
            .allocationSize = req.size,
            .memoryTypeIndex = (uint32_t)type,
        };
        last = vkAllocateMemory(dev->dev, &info, NULL, &b->mem);
        if (last == VK_SUCCESS) {
            VkMemoryPropertyFlags f = dev->mem_props.memoryTypes[type].propertyFlags;
            VK_CHECK(err, vkBindBufferMemory(dev->dev, b->buf, b->mem, 0));
            if ((f & hv) == hv)
                VK_CHECK(err, vkMapMemory(dev->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map));
            return EF_OK;
        }
        if (last != VK_ERROR_OUT_OF_DEVICE_MEMORY && last != VK_ERROR_OUT_OF_HOST_MEMORY) break;
    }
    if (last == VK_ERROR_OUT_OF_DEVICE_MEMORY || last == VK_ERROR_OUT_OF_HOST_MEMORY)
        return ef_fail(err, EF_NOMEM, "vulkan: no memory for a buffer of %zu bytes (%s)",
                       (size_t)b->size, vk_result_name(last));
    return vk_result_fail(err, last, "vkAllocateMemory");
}

static int vk_buffer_make(ef_device *dev, size_t bytes, int host, ef_buffer **out, ef_error *err)
{
    *out = NULL;
    if (dev->lost) return ef_fail(err, EF_ERROR, "vulkan: the device was lost earlier");
    size_t size = (bytes + 15) & ~(size_t)15;
    if (size == 0) size = 16;
    if (size > dev->max_buffer_bytes)
        return ef_fail(err, EF_NOMEM,
                       "vulkan: a buffer of %zu bytes exceeds the device's "
                       "largest storage buffer (%llu bytes)",
                       bytes, (unsigned long long)dev->max_buffer_bytes);
    ef_buffer *b = calloc(1, sizeof *b);
    if (!b) return ef_fail(err, EF_NOMEM, "vulkan: %zu bytes of host memory", sizeof *b);
    b->size = size;
    const VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = vkCreateBuffer(dev->dev, &info, NULL, &b->buf);
    int rc = r == VK_SUCCESS ? EF_OK : vk_result_fail(err, r, "vkCreateBuffer");
    if (rc != EF_OK) goto fail_buffer;
    if ((rc = vk_buffer_memory(dev, b, host, err)) != EF_OK) goto fail_memory;
    *out = b;
    return EF_OK;

fail_memory:
    if (b->mem) vkFreeMemory(dev->dev, b->mem, NULL);
    vkDestroyBuffer(dev->dev, b->buf, NULL);
fail_buffer:
    free(b);
    return rc;
}

int vk_buffer_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err)
{
    return vk_buffer_make(dev, bytes, 0, buf, err);
}

int vk_buffer_view(ef_device *dev, ef_buffer *buf, int view, VkBufferView *out, ef_error *err)
{
    static const VkFormat format[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R16G16B16A16_SFLOAT,
                                       VK_FORMAT_R16G16B16A16_UINT};
    const VkDeviceSize texel = view == VK_VIEW_RGBA32F ? 16 : 8;
    if (!buf->view[view]) {
        VkDeviceSize range = (VkDeviceSize)dev->props.limits.maxTexelBufferElements * texel;
        if (range > buf->size) range = buf->size;
        const VkBufferViewCreateInfo info = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
            .buffer = buf->buf,
            .format = format[view],
            .offset = 0,
            .range = range / texel * texel,
        };
        VK_CHECK(err, vkCreateBufferView(dev->dev, &info, NULL, &buf->view[view]));
    }
    *out = buf->view[view];
    return EF_OK;
}

void vk_buffer_free(ef_device *dev, ef_buffer *buf)
{
    if (!buf) return;
    for (int v = 0; v < 3; v++)
        if (buf->view[v]) vkDestroyBufferView(dev->dev, buf->view[v], NULL);
    if (buf->map) vkUnmapMemory(dev->dev, buf->mem);
    vkDestroyBuffer(dev->dev, buf->buf, NULL);
    vkFreeMemory(dev->dev, buf->mem, NULL);
    free(buf);
}

static int vk_range_check(const ef_buffer *buf, size_t offset, size_t bytes, ef_error *err)
{
    if (offset > buf->size || bytes > buf->size - offset)
        return ef_fail(err, EF_ERROR,
                       "vulkan: transfer of %zu bytes at offset %zu outside a "
                       "buffer of %zu bytes",
                       bytes, offset, (size_t)buf->size);
    return EF_OK;
}

static int vk_staging_get(ef_device *dev, ef_error *err)
{
    if (dev->staging) return EF_OK;
    return vk_buffer_make(dev, VK_STAGING_BYTES, 1, &dev->staging, err);
}

int vk_buffer_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                     ef_error *err)
{
    int rc = vk_range_check(buf, offset, bytes, err);
    if (rc != EF_OK) return rc;
    if (buf->map) {
        memcpy((char *)buf->map + offset, src, bytes);
        return EF_OK;
    }
    if ((rc = vk_staging_get(dev, err)) != EF_OK) return rc;
    for (size_t done = 0; done < bytes;) {
        size_t chunk = bytes - done < VK_STAGING_BYTES ? bytes - done : VK_STAGING_BYTES;
        memcpy(dev->staging->map, (const char *)src + done, chunk);
        if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
        if ((rc = vk_cmd_copy(dev, dev->staging, 0, buf, offset + done, chunk, err)) != EF_OK)
            return rc;
        if ((rc = vk_cmd_submit(dev, NULL, err)) != EF_OK) return rc;
        done += chunk;
    }
    return EF_OK;
}

int vk_buffer_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                       ef_error *err)
{
    int rc = vk_range_check(buf, offset, bytes, err);
    if (rc != EF_OK) return rc;
    if (buf->map) {
        memcpy(dst, (const char *)buf->map + offset, bytes);
        return EF_OK;
    }
    if ((rc = vk_staging_get(dev, err)) != EF_OK) return rc;
    for (size_t done = 0; done < bytes;) {
        size_t chunk = bytes - done < VK_STAGING_BYTES ? bytes - done : VK_STAGING_BYTES;
        if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
        if ((rc = vk_cmd_copy(dev, buf, offset + done, dev->staging, 0, chunk, err)) != EF_OK)
            return rc;
        if ((rc = vk_cmd_submit(dev, NULL, err)) != EF_OK) return rc;
        memcpy((char *)dst + done, dev->staging->map, chunk);
        done += chunk;
    }
    return EF_OK;
}

/* The largest reservation is about 3 n d floats (a key-sum tree and a row block's shifts;
 * ranktail's U^T E; leverage's tree), and a reservation grows by half again. */
double vk_scratch_bytes(ef_device *dev, int n, int d)
{
    (void)dev;
    return 1.5 * 4.0 * (3.0 * n * d + 2.0 * n);
}

int vk_scratch_reserve(ef_device *dev, size_t bytes, ef_error *err)
{
    if (dev->scratch && dev->scratch->size >= bytes) return EF_OK;
    vk_buffer_free(dev, dev->scratch);
    dev->scratch = NULL;
    /* grow by half again to avoid reallocating for every slightly larger case */
    size_t want = bytes + bytes / 2;
    if (want > dev->max_buffer_bytes) want = bytes;
    return vk_buffer_alloc(dev, want, &dev->scratch, err);
}
