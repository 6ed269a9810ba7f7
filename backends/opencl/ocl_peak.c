/* backends/opencl/ocl_peak.c — the backend's measure_peak: fp32 FMA throughput (peak_fma
 * of shaders/opencl/peak.cl: independent chains on registers) and memory bandwidth
 * (peak_copy, float4, over buffers larger than the device's cache), each the median of a
 * few launches timed with profiling events. Sizes and repetitions adapt to the device so
 * that it takes a few tenths of a second even on PoCL. Called through the backend table
 * (ocl_device.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ocl_internal.h"
#include "core/sort.h"

#define OCL_PEAK_REPS 5     /* timed launches at most; the median is kept */
#define OCL_PEAK_FMA_MS 8.0 /* grow the chains until one launch takes this long */
#define OCL_PEAK_MAX_ITERS (1 << 22)
#define OCL_PEAK_MIB ((size_t)1 << 20)

/* Timed repetitions for a launch whose first timed run took `ms`: 5, fewer for a slow
 * one, so a slow device still answers in a few tenths of a second. Odd, for the median. */
static int ocl_peak_reps(double ms) { return ms <= 20.0 ? OCL_PEAK_REPS : ms <= 60.0 ? 3 : 1; }

/* One launch of k over `global` items, to completion; *ms from its profiling event. */
static int ocl_peak_launch(ef_device *dev, cl_kernel k, const ocl_arg *args, int nargs,
                           size_t global, double *ms, ef_error *err)
{
    ocl_timer t = {0};
    size_t local = 256;
    int rc = ocl_kernel_run(dev, k, args, nargs, 1, &global, &local, &t, err);
    if (rc == EF_OK) rc = ocl_timer_finish(dev, &t, ms, err);
    ocl_timer_release(&t);
    return rc;
}

/* GFLOP/s of peak_fma: enough items to fill every compute unit, chains lengthened until a
 * launch takes OCL_PEAK_FMA_MS, then the median of OCL_PEAK_REPS launches. */
static int ocl_peak_fma(ef_device *dev, cl_kernel k, int chains, double *gflops, int *iters_out,
                        size_t *items_out, ef_error *err)
{
    cl_uint cus = 1;
    clGetDeviceInfo(dev->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
    size_t items = ocl_round_up((size_t)(cus ? cus : 1) * (dev->is_cpu ? 512 : 2048), 256);
    ef_buffer *out = NULL;
    int rc = ocl_buffer_alloc(dev, items * sizeof(float), &out, err);
    if (rc != EF_OK) return rc;
    float b = 0.999f, c = 0.001f;
    int iters = 64;
    double ms = 0, t[OCL_PEAK_REPS];
    ocl_arg a[] = {OCLA(out->mem), OCLA(b), OCLA(c), OCLA(iters)};
    /* a first launch (a CPU driver compiles the work-group function), then lengthen */
    if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &ms, err))) goto cleanup;
    for (;;) {
        if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &ms, err))) goto cleanup;
        if (ms >= OCL_PEAK_FMA_MS || iters >= OCL_PEAK_MAX_ITERS) break;
        int grow = ms > 0 ? (int)(OCL_PEAK_FMA_MS * 1.5 / ms) + 1 : 16;
        iters *= grow < 2 ? 2 : grow > 16 ? 16 : grow;
        if (iters > OCL_PEAK_MAX_ITERS) iters = OCL_PEAK_MAX_ITERS;
    }
    for (int r = 0; r < OCL_PEAK_REPS; r++)
        if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &t[r], err))) goto cleanup;
    ms = ef_median_sort(t, OCL_PEAK_REPS);
    if (ms <= 0) {
        rc = ef_fail(err, EF_ERROR, "%s: the FMA launches report no elapsed time", dev->info.name);
        goto cleanup;
    }
    *gflops = 2.0 * chains * (double)iters * (double)items / (ms * 1e6);
    *iters_out = iters;
    *items_out = items;
cleanup:
    ocl_buffer_free(dev, out);
    return rc;
}

/* Bytes of each copy buffer: 256 MiB on a GPU; on a CPU its cache size within 64 .. 256
 * MiB (a copy streams through twice that, which a cache keeps none of from one pass to
 * the next, so it measures memory); never more than the largest allocation or a quarter
 * of the memory. A multiple of 256 float4. */
static size_t ocl_peak_copy_bytes(const ef_device *dev)
{
    size_t bytes = 256 * OCL_PEAK_MIB;
    if (dev->is_cpu) {
        cl_ulong cache = 0;
        clGetDeviceInfo(dev->id, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache, &cache, NULL);
        bytes = cache < 64 * OCL_PEAK_MIB ? 64 * OCL_PEAK_MIB : (size_t)cache;
        if (bytes > 256 * OCL_PEAK_MIB) bytes = 256 * OCL_PEAK_MIB;
    }
    if (bytes > dev->info.max_buffer_bytes) bytes = (size_t)dev->info.max_buffer_bytes;
    if (bytes > dev->info.memory_bytes / 4) bytes = (size_t)(dev->info.memory_bytes / 4);
    return bytes / 4096 * 4096;
}

/* GB/s of peak_copy (bytes read + written): one launch to touch the pages, then the
 * median of ocl_peak_reps (by the first timed launch). */
static int ocl_peak_copy(ef_device *dev, cl_kernel k, double *gbps, size_t *bytes_out,
                         int *reps_out, ef_error *err)
{
    size_t bytes = ocl_peak_copy_bytes(dev);
    if (bytes == 0)
        return ef_fail(err, EF_UNSUPPORTED, "%s: too little memory for a copy buffer",
                       dev->info.name);
    ef_buffer *src = NULL, *dst = NULL;
    double t[OCL_PEAK_REPS], ms;
    int rc = ocl_buffer_alloc(dev, bytes, &src, err);
    if (rc == EF_OK) rc = ocl_buffer_alloc(dev, bytes, &dst, err);
    if (rc != EF_OK) goto cleanup;
    ocl_arg a[] = {OCLA(src->mem), OCLA(dst->mem)};
    size_t items = bytes / 16;
    if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &ms, err))) goto cleanup;
    if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &t[0], err))) goto cleanup;
    int reps = ocl_peak_reps(t[0]);
    for (int r = 1; r < reps; r++)
        if ((rc = ocl_peak_launch(dev, k, a, OCL_COUNT(a), items, &t[r], err))) goto cleanup;
    ms = ef_median_sort(t, reps);
    if (ms <= 0) {
        rc = ef_fail(err, EF_ERROR, "%s: the copy launches report no elapsed time", dev->info.name);
        goto cleanup;
    }
    *gbps = 2.0 * (double)bytes / (ms * 1e6);
    *bytes_out = bytes;
    *reps_out = reps;
cleanup:
    ocl_buffer_free(dev, dst);
    ocl_buffer_free(dev, src);
    return rc;
}

int ocl_peak_measure(ef_device *dev, ef_peak *out, ef_error *err)
{
    cl_program prog = NULL;
    cl_kernel fma = NULL, copy = NULL;
    cl_int e;
    /* accumulator lanes: 16 on a CPU driver (the item's own SIMD), 4 on a GPU */
    int width = dev->is_cpu ? 16 : 4, iters = 0, reps = 0;
    int rc = ocl_program_peak_build(dev, width, &prog, err);
    size_t items = 0, bytes = 0;
    if (rc != EF_OK) return rc;
    fma = clCreateKernel(prog, "peak_fma", &e);
    if (e != CL_SUCCESS) {
        rc = ocl_fail(err, e, "creating OpenCL kernel peak_fma");
        goto release_program;
    }
    copy = clCreateKernel(prog, "peak_copy", &e);
    if (e != CL_SUCCESS) {
        rc = ocl_fail(err, e, "creating OpenCL kernel peak_copy");
        goto release_fma;
    }
    if ((rc = ocl_peak_fma(dev, fma, 8 * width, &out->gflops, &iters, &items, err)))
        goto release_copy;
    if ((rc = ocl_peak_copy(dev, copy, &out->gbps, &bytes, &reps, err))) goto release_copy;
    snprintf(out->method, sizeof out->method,
             "fma %d chains x %d steps x %zu items, copy %zu "
             "MiB float4; medians of %d, %d",
             8 * width, iters, items, bytes / OCL_PEAK_MIB, OCL_PEAK_REPS, reps);
release_copy:
    clReleaseKernel(copy);
release_fma:
    clReleaseKernel(fma);
release_program:
    clReleaseProgram(prog);
    return rc;
}
