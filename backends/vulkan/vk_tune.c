/* backends/vulkan/vk_tune.c — tile sizes of the energy GEMM: a default per device type,
 * a small autotune (`tune` slot) that times a few tiles on the full fp32 field, and its
 * cache, one line per device + driver under $XDG_CACHE_HOME/efbench/vulkan/ (else
 * ~/.cache/efbench/vulkan/). Called by vk_device.c (load) and the harness (tune).
 */
#include "vk_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Candidates, largest first. tm, tn, bk: multiples of 4 (energy.comp works in vec4).
 * Shared memory: 4 bk (tm wgy + tn wgx) bytes. */
static const vk_tile vk_tile_candidates[] = {
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 8, .tn = 8, .bk = 8},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 8, .tn = 8, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 4, .tn = 8, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 4, .tn = 4, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 8, .tm = 4, .tn = 4, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 8, .wgy = 8, .tm = 4, .tn = 4, .bk = 16},
};
#define VK_TILE_CANDIDATES (int)(sizeof vk_tile_candidates / sizeof vk_tile_candidates[0])

int vk_tile_check(const ef_device *dev, vk_tile t)
{
    const VkPhysicalDeviceLimits *l = &dev->props.limits;
    if (t.shape == VK_SHAPE_REG)
        return t.wgx >= 1 && t.wgx % dev->subgroup_size == 0 && t.wgy == 1 &&
               t.bk >= 4 && t.bk <= 64 && t.bk % 4 == 0 &&
               t.tm >= 1 && t.tm <= 8 && t.tm <= dev->subgroup_size && (t.tn == 4 || t.tn == 8) &&
               t.wgx <= l->maxComputeWorkGroupInvocations && t.wgx <= l->maxComputeWorkGroupSize[0];
    if (t.shape != VK_SHAPE_SHARED) return 0;
    uint64_t shared = 4ull * t.bk * (t.tm * t.wgy + t.tn * t.wgx);
    return t.wgx >= 1 && t.wgy >= 1 && t.tm % 4 == 0 && t.tn % 4 == 0 && t.bk % 4 == 0 &&
           t.tm >= 4 && t.tn >= 4 && t.bk >= 4 && t.tm <= 16 && t.tn <= 16 && t.wgx * t.wgy <= l->maxComputeWorkGroupInvocations &&
           t.wgx <= l->maxComputeWorkGroupSize[0] && t.wgy <= l->maxComputeWorkGroupSize[1] &&
           shared <= l->maxComputeSharedMemorySize;
}

void vk_tile_default(ef_device *dev)
{
    /* GPUs: 128 x 128 blocks of 8 x 8 per thread; CPUs (lavapipe): 64 x 64, 4 x 4. */
    int first = dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? 3 : 0;
    for (int i = first; i < VK_TILE_CANDIDATES; i++)
        if (vk_tile_check(dev, vk_tile_candidates[i])) {
            dev->tile = vk_tile_candidates[i];
            break;
        }
    snprintf(dev->tile_source, sizeof dev->tile_source, "default");
    vk_tile t;
    const char *env = getenv("EF_VK_TILE"); /* "shape wgx wgy tm tn bk": experiments */
    if (env && sscanf(env, "%u %u %u %u %u %u", &t.shape, &t.wgx, &t.wgy, &t.tm, &t.tn, &t.bk) == 6 &&
        vk_tile_check(dev, t)) {
        dev->tile = t;
        snprintf(dev->tile_source, sizeof dev->tile_source, "env");
    }
}

/* <cache dir>/<device name>-<vendor>-<device id>-<driver>.tile, unsafe characters as '_'. */
static int vk_cache_path(const ef_device *dev, char *path, size_t len, int make_dirs)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[512];
    if (xdg && xdg[0]) snprintf(dir, sizeof dir, "%s/efbench/vulkan", xdg);
    else if (home && home[0]) snprintf(dir, sizeof dir, "%s/.cache/efbench/vulkan", home);
    else return -1;
    if (make_dirs) {
        for (char *p = dir + 1; *p; p++)
            if (*p == '/') {
                *p = '\0';
                if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
                *p = '/';
            }
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
    }
    char driver[128], name[200];
    vk_driver_describe(dev->phys, driver, sizeof driver);
    snprintf(name, sizeof name, "%.80s-%04x-%04x-%08x-%.80s", dev->props.deviceName,
             dev->props.vendorID, dev->props.deviceID, dev->props.driverVersion, driver);
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            *p = '_';
    int w = snprintf(path, len, "%s/%s.tile", dir, name);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

void vk_tile_load(ef_device *dev)
{
    vk_tile_default(dev);
    char path[768];
    if (vk_cache_path(dev, path, sizeof path, 0) != 0) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    vk_tile t;
    if (fscanf(f, "%u %u %u %u %u %u", &t.shape, &t.wgx, &t.wgy, &t.tm, &t.tn, &t.bk) == 6 &&
        vk_tile_check(dev, t)) {
        dev->tile = t;
        snprintf(dev->tile_source, sizeof dev->tile_source, "cache");
    }
    fclose(f);
}

/* Median of three timed runs of the full fp32 field with tile t; +inf if it fails. */
static double vk_tile_time(ef_device *dev, vk_tile t, const ef_op *op, ef_error *err)
{
    vk_tile saved = dev->tile;
    dev->tile = t;
    double ms[3];
    ef_run_result res;
    int rc = vk_run(dev, op, &res, err); /* warm-up, builds the pipeline */
    for (int i = 0; i < 3 && rc == EF_OK; i++) {
        rc = vk_run(dev, op, &res, err);
        ms[i] = res.time_ms;
    }
    dev->tile = saved;
    if (rc != EF_OK) return 1.0 / 0.0;
    double a = ms[0] < ms[1] ? ms[0] : ms[1], b = ms[0] < ms[1] ? ms[1] : ms[0];
    return ms[2] < a ? a : ms[2] > b ? b : ms[2];
}

int vk_tune(ef_device *dev, ef_error *err)
{
    /* A CPU device gets a small problem so tuning stays quick in CI. */
    int cpu = dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    int n = cpu ? 256 : 4096, d = 64;
    size_t in = (size_t)n * d * 4, out = (size_t)n * n * 4;
    float *host = malloc(in);
    if (!host) return ef_fail(err, EF_NOMEM, "vulkan: %zu bytes for tuning inputs", in);
    uint32_t x = 12345u;
    for (size_t i = 0; i < (size_t)n * d; i++) {
        x = x * 1664525u + 1013904223u;
        host[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
    }
    ef_buffer *q = NULL, *k = NULL, *e = NULL;
    int rc = vk_buffer_alloc(dev, in, &q, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, in, &k, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, out, &e, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, q, 0, host, in, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, k, 0, host, in, err);
    if (rc != EF_OK) goto cleanup;
    const ef_op op = {
        .workload = EF_WL_ENERGY, .mask = {EF_MASK_FULL, 0}, .precision = EF_PREC_FP32,
        .n = n, .d = d, .row0 = 0, .rows = n, .scale = 0.125, .q = q, .k = k, .e = e,
    };
    double best = 1.0 / 0.0;
    vk_tile chosen = dev->tile;
    for (int i = 0; i < VK_TILE_CANDIDATES; i++) {
        if (!vk_tile_check(dev, vk_tile_candidates[i])) continue;
        ef_error ignored;
        double ms = vk_tile_time(dev, vk_tile_candidates[i], &op, &ignored);
        if (ms < best) {
            best = ms;
            chosen = vk_tile_candidates[i];
        }
    }
    if (best == 1.0 / 0.0) {
        rc = ef_fail(err, EF_ERROR, "vulkan: no tile candidate ran on this device");
        goto cleanup;
    }
    dev->tile = chosen;
    snprintf(dev->tile_source, sizeof dev->tile_source, "tuned");
    char path[768];
    if (vk_cache_path(dev, path, sizeof path, 1) == 0) {
        FILE *f = fopen(path, "w");
        if (f) { /* a cache that cannot be written only costs the next run a tune */
            fprintf(f, "%u %u %u %u %u %u\n", chosen.shape, chosen.wgx, chosen.wgy, chosen.tm,
                    chosen.tn, chosen.bk);
            fclose(f);
        }
    }
cleanup:
    vk_buffer_free(dev, e);
    vk_buffer_free(dev, k);
    vk_buffer_free(dev, q);
    free(host);
    return rc;
}
