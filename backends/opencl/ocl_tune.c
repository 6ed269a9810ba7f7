/* backends/opencl/ocl_tune.c — tile shapes of the energy kernel per device: a default for
 * the device type, a small autotune over a handful of shapes (the `tune` slot, and on
 * first use on GPUs), and the chosen shape cached per device + driver next to the program
 * binaries. Callers: ocl_device.c (init, tune slot), ocl_energy.c (ready).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocl_internal.h"

/* Candidates, the first of each list being the default. CPU devices (PoCL) get small
 * blocks: their local memory is ordinary cache and their workgroups are loops. */
static const ocl_tiles gpu_tiles[] = {
    {64, 64, 16, 4, 4, 0}, {128, 128, 8, 8, 8, 0}, {128, 128, 8, 8, 8, 1},
    {128, 128, 16, 8, 8, 1}, {64, 64, 16, 4, 4, 1}, {128, 64, 8, 8, 4, 1},
    {64, 128, 16, 4, 8, 0},
};
static const ocl_tiles cpu_tiles[] = {
    {32, 32, 16, 4, 4, 0}, {64, 64, 16, 8, 8, 0}, {64, 64, 16, 8, 8, 1},
};

int ocl_tiles_valid(const ef_device *dev, ocl_tiles t)
{
    if (t.bm <= 0 || t.bn <= 0 || t.bk <= 0 || t.tm <= 0 || t.tn <= 0) return 0;
    if (t.bm % t.tm || t.bn % t.tn || t.bm > 256 || t.bn > 256 || t.bk > 64) return 0;
    if (t.vec && (t.tm % 2 || t.tn % 2 || t.bk % 4 || t.vec != 1)) return 0;
    size_t wg = (size_t)(t.bm / t.tm) * (size_t)(t.bn / t.tn);
    size_t local = (size_t)(t.bm + t.bn + 8) * (size_t)t.bk * sizeof(float);
    return wg <= dev->max_wg && local <= dev->local_mem;
}

/* File holding the tuned shape for this device and driver. */
static void ocl_tiles_path(const ef_device *dev, char *buf, size_t len)
{
    char dir[600], stem[64];
    ocl_cache_dir(dir, sizeof dir);
    if (!dir[0]) { buf[0] = '\0'; return; }
    ocl_cache_stem(dev, stem, sizeof stem);
    unsigned long long h = ocl_hash(0, dev->platform_name);
    h = ocl_hash(h, dev->info.name);
    h = ocl_hash(h, dev->info.driver_version);
    snprintf(buf, len, "%s/%s-%016llx.tiles", dir, stem, h);
}

void ocl_tiles_init(ef_device *dev)
{
    dev->tiles = dev->is_cpu ? cpu_tiles[0] : gpu_tiles[0];
    dev->tiles_from = 0;
    if (!ocl_tiles_valid(dev, dev->tiles)) dev->tiles = (ocl_tiles){16, 16, 16, 2, 2, 0};
    ocl_tiles t;
    const char *env = getenv("EF_OPENCL_TILES");    /* "bm bn bk tm tn vec": experiments */
    if (env && sscanf(env, "%d %d %d %d %d %d", &t.bm, &t.bn, &t.bk, &t.tm, &t.tn, &t.vec) == 6 &&
        ocl_tiles_valid(dev, t)) {
        dev->tiles = t;
        dev->tiles_from = 3;
        return;
    }
    char path[1024];
    ocl_tiles_path(dev, path, sizeof path);
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (!f) return;
    if (fscanf(f, "%d %d %d %d %d %d", &t.bm, &t.bn, &t.bk, &t.tm, &t.tn, &t.vec) == 6 &&
        ocl_tiles_valid(dev, t)) {
        dev->tiles = t;
        dev->tiles_from = 1;
    }
    fclose(f);
}

static void ocl_tiles_save(const ef_device *dev)
{
    char path[1024], tmp[1100];
    ocl_tiles_path(dev, path, sizeof path);
    if (!path[0]) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    const ocl_tiles t = dev->tiles;
    int ok = fprintf(f, "%d %d %d %d %d %d\n", t.bm, t.bn, t.bk, t.tm, t.tn, t.vec) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

/* Install program + kernels as the device's energy kernels, releasing the old ones. */
static void ocl_tiles_install(ef_device *dev, ocl_tiles t, cl_program prog, cl_kernel *k)
{
    for (int p = 0; p < EF_PREC_COUNT; p++) {
        if (dev->energy_k[p]) clReleaseKernel(dev->energy_k[p]);
        dev->energy_k[p] = k[p];
    }
    if (dev->energy) clReleaseProgram(dev->energy);
    dev->energy = prog;
    dev->tiles = t;
}

/* Median-free best of 3: min device time of the energy kernel alone, fp32, full mask. */
static int ocl_tiles_time(ef_device *dev, cl_kernel k, ocl_tiles t, cl_mem q, cl_mem kc,
                         int n, int d, double *best, ef_error *err)
{
    float scale = 1.0f;
    int has_shift = 0, zero = 0, kind = 0;
    cl_mem e = NULL, shift = kc;
    int rc = ocl_scratch_get(dev, OCLS_PART, (size_t)n * n * sizeof(float), &e, err);
    if (rc != EF_OK) return rc;
    ocl_arg a[] = {OCLA(q), OCLA(kc), OCLA(shift), OCLA(has_shift), OCLA(e), OCLA(n), OCLA(d),
                  OCLA(zero), OCLA(n), OCLA(scale), OCLA(kind), OCLA(zero), OCLA(zero)};
    size_t local[2] = {(size_t)(t.bn / t.tn), (size_t)(t.bm / t.tm)};
    size_t global[2] = {ocl_round_up(n, t.bn) / t.tn, ocl_round_up(n, t.bm) / t.tm};
    *best = 1e30;
    for (int rep = 0; rep < 4 && rc == EF_OK; rep++) {
        ocl_timer tm = {0};
        double ms;
        rc = ocl_kernel_run(dev, k, a, OCL_COUNT(a), 2, global, local, &tm, err);
        if (rc == EF_OK) rc = ocl_timer_finish(dev, &tm, &ms, err);
        ocl_timer_release(&tm);
        if (rc == EF_OK && rep > 0 && ms < *best) *best = ms;   /* rep 0 warms up */
    }
    return rc;
}

int ocl_tiles_tune(ef_device *dev, ef_error *err)
{
    const ocl_tiles *cand = dev->is_cpu ? cpu_tiles : gpu_tiles;
    int ncand = dev->is_cpu ? OCL_COUNT(cpu_tiles) : OCL_COUNT(gpu_tiles);
    const int n = dev->is_cpu ? 256 : 4096, d = dev->is_cpu ? 64 : 128;
    cl_mem q = NULL, kc = NULL;
    int rc;
    if ((rc = ocl_scratch_get(dev, OCLS_QF, (size_t)n * d * sizeof(float), &q, err)) ||
        (rc = ocl_scratch_get(dev, OCLS_KC, (size_t)n * d * sizeof(float), &kc, err)))
        return rc;
    float *host = malloc((size_t)n * d * sizeof(float));
    if (!host) return ef_fail(err, EF_NOMEM, "out of host memory for tuning inputs");
    for (size_t i = 0; i < (size_t)n * d; i++) host[i] = (float)((i * 2654435761u) % 1000) / 1000 - 0.5f;
    cl_int e = clEnqueueWriteBuffer(dev->queue, q, CL_TRUE, 0, (size_t)n * d * 4, host, 0, NULL, NULL);
    if (e == CL_SUCCESS)
        e = clEnqueueWriteBuffer(dev->queue, kc, CL_TRUE, 0, (size_t)n * d * 4, host, 0, NULL, NULL);
    free(host);
    if (e != CL_SUCCESS) return ocl_fail(err, e, "uploading tuning inputs");

    double best_ms = 1e30;
    int best = -1;
    char last_err[sizeof(ef_error)] = "";
    for (int c = 0; c < ncand; c++) {
        if (!ocl_tiles_valid(dev, cand[c])) continue;
        cl_program prog;
        cl_kernel k[EF_PREC_COUNT];
        ef_error cerr;
        double ms;
        if (ocl_program_energy_build(dev, cand[c], &prog, k, &cerr) != EF_OK) {
            snprintf(last_err, sizeof last_err, "%s", cerr.msg);
            continue;
        }
        rc = ocl_tiles_time(dev, k[EF_PREC_FP32], cand[c], q, kc, n, d, &ms, &cerr);
        if (rc == EF_OK && ms < best_ms) {
            best_ms = ms;
            best = c;
            ocl_tiles_install(dev, cand[c], prog, k);
        } else {
            if (rc != EF_OK) snprintf(last_err, sizeof last_err, "%s", cerr.msg);
            for (int p = 0; p < EF_PREC_COUNT; p++) clReleaseKernel(k[p]);
            clReleaseProgram(prog);
        }
    }
    if (best < 0)
        return ef_fail(err, EF_ERROR, "tuning %s: no tile shape built and ran (last: %s)",
                       dev->info.name, last_err);
    dev->tiles_from = 2;
    ocl_tiles_save(dev);
    return EF_OK;
}

int ocl_tiles_ready(ef_device *dev, ef_error *err)
{
    if (dev->energy) return EF_OK;
    /* On a GPU without a cached choice tuning costs a few builds and milliseconds of
     * runs: do it now. CPU devices keep the default (CI time); `efbench tune` still works. */
    const char *env = getenv("EF_OPENCL_TUNE");
    int want = env ? strcmp(env, "0") != 0 : !dev->is_cpu;
    if (dev->tiles_from == 0 && want) {
        ef_error terr;
        if (ocl_tiles_tune(dev, &terr) == EF_OK) return EF_OK;
        /* tuning failed: fall through to the default shape, whose build reports errors */
    }
    cl_program prog;
    cl_kernel k[EF_PREC_COUNT];
    int rc = ocl_program_energy_build(dev, dev->tiles, &prog, k, err);
    if (rc != EF_OK) return rc;
    ocl_tiles_install(dev, dev->tiles, prog, k);
    return EF_OK;
}
