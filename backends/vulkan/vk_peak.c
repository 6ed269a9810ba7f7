/* backends/vulkan/vk_peak.c — the backend's measure_peak: fp32 multiply-add throughput
 * (shaders/vulkan/peak_fma.comp: independent chains on registers) and memory bandwidth
 * (peak_copy.comp, uvec4, over buffers larger than a cache), each the median of a few
 * dispatches timed with the backend's timestamp queries. Sizes and repetitions adapt to
 * the device so that it takes a few tenths of a second even on lavapipe.
 * Called through the backend table (vk_device.c).
 */
#include "vk_internal.h"
#include "core/sort.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define VK_PEAK_CHAINS 24  /* multiply-adds per invocation and step in peak_fma */
#define VK_PEAK_UNROLL 16  /* steps per loop iteration (pc.count) of peak_fma */
#define VK_PEAK_REPS 5     /* timed dispatches at most; the median is kept */
#define VK_PEAK_FMA_MS 8.0 /* lengthen the chains until one dispatch takes this long */
#define VK_PEAK_MAX_ITERS (1 << 22)
#define VK_PEAK_MIB ((size_t)1 << 20)
#define VK_PEAK_WG 256 /* vk_spec_1d's workgroup */

/* Timed repetitions for a dispatch whose first timed run took `ms`: 5, fewer for a slow
 * one, so a slow device still answers in a few tenths of a second. Odd, for the median. */
static int vk_peak_reps(double ms) { return ms <= 20.0 ? VK_PEAK_REPS : ms <= 60.0 ? 3 : 1; }

/* One command buffer holding one dispatch of `sh` over `items` invocations; *ms between
 * its timestamps. */
static int vk_peak_dispatch(ef_device *dev, vk_shader_id sh, ef_buffer *const bufs[VK_BINDINGS],
                            const vk_push *pc, uint64_t items, double *ms, ef_error *err)
{
    const vk_spec spec = vk_spec_1d(EF_PREC_FP32);
    int rc = vk_cmd_begin(dev, err);
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, sh, &spec, bufs, pc, (items + VK_PEAK_WG - 1) / VK_PEAK_WG,
                                    err);
    if (rc == EF_OK) rc = vk_cmd_submit(dev, ms, err);
    return rc;
}

/* GFLOP/s of peak_fma: enough invocations to fill a GPU (fewer on a CPU driver), chains
 * lengthened until a dispatch takes VK_PEAK_FMA_MS, then the median of VK_PEAK_REPS. */
static int vk_peak_fma(ef_device *dev, double *gflops, int *iters_out, uint64_t *items_out,
                       ef_error *err)
{
    int cpu = dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    uint64_t items = cpu ? 64 * VK_PEAK_WG : 4096 * VK_PEAK_WG;
    ef_buffer *out = NULL;
    int rc = vk_buffer_alloc(dev, items * sizeof(float), &out, err);
    if (rc != EF_OK) return rc;
    ef_buffer *bufs[VK_BINDINGS] = {out};
    vk_push pc = {.count = 4, .len = (int32_t)items, .aux0 = 1, .scale = 0.999f};
    double ms = 0, t[VK_PEAK_REPS];
    /* a first dispatch (a CPU driver's first run is slower), then lengthen the chains */
    if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_FMA, bufs, &pc, items, &ms, err))) goto cleanup;
    for (;;) {
        if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_FMA, bufs, &pc, items, &ms, err))) goto cleanup;
        if (ms >= VK_PEAK_FMA_MS || pc.count >= VK_PEAK_MAX_ITERS) break;
        int grow = ms > 0 ? (int)(VK_PEAK_FMA_MS * 1.5 / ms) + 1 : 16;
        pc.count *= grow < 2 ? 2 : grow > 16 ? 16 : grow;
        if (pc.count > VK_PEAK_MAX_ITERS) pc.count = VK_PEAK_MAX_ITERS;
    }
    for (int r = 0; r < VK_PEAK_REPS; r++)
        if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_FMA, bufs, &pc, items, &t[r], err)))
            goto cleanup;
    ms = ef_median_sort(t, VK_PEAK_REPS);
    if (ms <= 0) {
        rc = ef_fail(err, EF_ERROR, "vulkan: the FMA dispatches report no elapsed time");
        goto cleanup;
    }
    *gflops = 2.0 * VK_PEAK_CHAINS * VK_PEAK_UNROLL * (double)pc.count * (double)items / (ms * 1e6);
    *iters_out = pc.count * VK_PEAK_UNROLL;
    *items_out = items;
cleanup:
    vk_buffer_free(dev, out);
    return rc;
}

/* Bytes of each copy buffer: 256 MiB on a GPU; on a CPU driver the host's last-level
 * cache size within 64 .. 256 MiB (a copy streams through twice that, which the cache
 * keeps none of from one pass to the next, so it measures memory); never more than the
 * largest storage buffer or a quarter of the largest heap. A multiple of 4 KiB. */
static size_t vk_peak_copy_bytes(const ef_device *dev)
{
    size_t bytes = 256 * VK_PEAK_MIB;
    if (dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
        long cache = sysconf(_SC_LEVEL3_CACHE_SIZE);
        bytes = cache > 0 && (size_t)cache > 64 * VK_PEAK_MIB ? (size_t)cache : 64 * VK_PEAK_MIB;
        if (bytes > 256 * VK_PEAK_MIB) bytes = 256 * VK_PEAK_MIB;
    }
    VkDeviceSize heap = 0;
    for (uint32_t i = 0; i < dev->mem_props.memoryHeapCount; i++)
        if (dev->mem_props.memoryHeaps[i].size > heap) heap = dev->mem_props.memoryHeaps[i].size;
    if (bytes > dev->max_buffer_bytes) bytes = (size_t)dev->max_buffer_bytes;
    if (bytes > heap / 4) bytes = (size_t)(heap / 4);
    return bytes / 4096 * 4096;
}

/* GB/s of peak_copy (bytes read + written): one dispatch to touch the pages, then the
 * median of vk_peak_reps (by the first timed dispatch). Each invocation copies `per` uvec4: 1 on a
 * GPU; 8 on a CPU driver, whose cost is per invocation (lavapipe: twice the rate of 1 per
 * invocation). */
static int vk_peak_copy(ef_device *dev, double *gbps, size_t *bytes_out, int *per_out,
                        int *reps_out, ef_error *err)
{
    size_t bytes = vk_peak_copy_bytes(dev);
    if (bytes == 0)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: too little memory for a copy buffer");
    ef_buffer *src = NULL, *dst = NULL;
    double t[VK_PEAK_REPS], ms;
    int rc = vk_buffer_alloc(dev, bytes, &src, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, bytes, &dst, err);
    if (rc != EF_OK) goto cleanup;
    ef_buffer *bufs[VK_BINDINGS] = {src, dst};
    int per = dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? 8 : 1;
    uint64_t vec4s = bytes / 16; /* a multiple of 256 per */
    const vk_push pc = {.len = (int32_t)vec4s, .count = per};
    if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_COPY, bufs, &pc, vec4s / per, &ms, err)))
        goto cleanup;
    if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_COPY, bufs, &pc, vec4s / per, &t[0], err)))
        goto cleanup;
    int reps = vk_peak_reps(t[0]);
    for (int r = 1; r < reps; r++)
        if ((rc = vk_peak_dispatch(dev, VK_SH_PEAK_COPY, bufs, &pc, vec4s / per, &t[r], err)))
            goto cleanup;
    ms = ef_median_sort(t, reps);
    if (ms <= 0) {
        rc = ef_fail(err, EF_ERROR, "vulkan: the copy dispatches report no elapsed time");
        goto cleanup;
    }
    *gbps = 2.0 * (double)bytes / (ms * 1e6);
    *bytes_out = bytes;
    *per_out = per;
    *reps_out = reps;
cleanup:
    vk_buffer_free(dev, dst);
    vk_buffer_free(dev, src);
    return rc;
}

int vk_peak_measure(ef_device *dev, ef_peak *out, ef_error *err)
{
    int iters = 0, per = 0, reps = 0, rc;
    uint64_t items = 0;
    size_t bytes = 0;
    if ((rc = vk_peak_fma(dev, &out->gflops, &iters, &items, err))) return rc;
    if ((rc = vk_peak_copy(dev, &out->gbps, &bytes, &per, &reps, err))) return rc;
    snprintf(out->method, sizeof out->method,
             "fma %d chains x %d steps x %llu inv., copy %zu "
             "MiB uvec4 x%d; medians of %d, %d",
             VK_PEAK_CHAINS, iters, (unsigned long long)items, bytes / VK_PEAK_MIB, per,
             VK_PEAK_REPS, reps);
    return EF_OK;
}
