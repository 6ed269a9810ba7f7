/* backends/vulkan/vk_tune.c — the shape of the energy GEMM per device and driver: the
 * candidates (GPU-shaped tiles through shared memory, energy.comp; CPU-shaped register
 * tiles, energy_reg.comp), the autotune that times every valid candidate on the full
 * fp32 field and keeps the fastest whose output checks out, then the form of the other
 * passes (vk_tune_passes.c) and the cooperative-matrix tiles for fp16 / bf16 inputs
 * (vk_tune_coopmat.c), and the cache of all three, one line per device + driver under
 * $XDG_CACHE_HOME/efbench/vulkan/ (else ~/.cache/efbench/vulkan/):
 * "shape wgx wgy tm tn bk passes best16 use16 bestbf usebf" (best: the tile index, -1
 * none; use: 1 when the default energy of that precision runs it).
 * The choice is always measured: a device without a cached choice is tuned on its first
 * run (EF_VK_TUNE=0 keeps the first valid candidate instead, unmeasured, e.g. to
 * save CI time; EF_VK_TILE="shape wgx wgy tm tn bk [passes [best16 use16 bestbf usebf]]"
 * forces a shape, form and cooperative-matrix choice for experiments and tests).
 * Called by vk_device.c (load), vk_workloads.c (ready) and the harness (`tune` slot).
 */
#include "vk_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* GPU shape: workgroup wgx x wgy threads, tm x tn results each (multiples of 4, as
 * energy.comp works in vec4), bk-slices in shared memory of 4 bk (tm wgy + tn wgx) bytes. */
static const vk_tile vk_shared_candidates[] = {
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 8, .tn = 8, .bk = 8},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 8, .tn = 8, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 4, .tn = 8, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 16, .tm = 4, .tn = 4, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 16, .wgy = 8, .tm = 4, .tn = 4, .bk = 16},
    {.shape = VK_SHAPE_SHARED, .wgx = 8, .wgy = 8, .tm = 4, .tn = 4, .bk = 16},
};
/* CPU shape: wgx = `groups` subgroups of invocations sharing tm rows, each holding tm x tn
 * results (tm x tn / 4 vec4 registers: at most 8 of 32 on an AVX-512 llvmpipe), d in
 * unrolled chunks of bk. */
static const struct {
    uint32_t groups, tm, tn, bk;
} vk_reg_candidates[] = {
    {1, 8, 4, 16}, {1, 8, 4, 32}, {2, 8, 4, 16}, {1, 6, 4, 16}, {1, 4, 8, 16}, {1, 4, 4, 16},
};
#define VK_COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))
#define VK_CANDIDATES (VK_COUNT(vk_shared_candidates) + VK_COUNT(vk_reg_candidates))

/* The i-th candidate for this device (REG workgroups are whole subgroups). */
static vk_tile vk_candidate(const ef_device *dev, int i)
{
    if (i < VK_COUNT(vk_shared_candidates)) return vk_shared_candidates[i];
    i -= VK_COUNT(vk_shared_candidates);
    return (vk_tile){.shape = VK_SHAPE_REG,
                     .wgx = vk_reg_candidates[i].groups * dev->subgroup_size,
                     .wgy = 1,
                     .tm = vk_reg_candidates[i].tm,
                     .tn = vk_reg_candidates[i].tn,
                     .bk = vk_reg_candidates[i].bk};
}

int vk_tile_check(const ef_device *dev, vk_tile t)
{
    const VkPhysicalDeviceLimits *l = &dev->props.limits;
    if (t.shape == VK_SHAPE_REG) /* energy_reg.comp: tm rows of one subgroup's loads */
        return t.wgx >= 1 && t.wgx % dev->subgroup_size == 0 && t.wgy == 1 && t.bk >= 4 &&
               t.bk <= 64 && t.bk % 4 == 0 && t.tm >= 1 && t.tm <= 8 &&
               t.tm <= dev->subgroup_size && (t.tn == 4 || t.tn == 8) &&
               t.wgx <= l->maxComputeWorkGroupInvocations && t.wgx <= l->maxComputeWorkGroupSize[0];
    if (t.shape != VK_SHAPE_SHARED) return 0;
    uint64_t shared = 4ull * t.bk * (t.tm * t.wgy + t.tn * t.wgx);
    return t.wgx >= 1 && t.wgy >= 1 && t.tm % 4 == 0 && t.tn % 4 == 0 && t.bk % 4 == 0 &&
           t.tm >= 4 && t.tn >= 4 && t.bk >= 4 && t.tm <= 16 && t.tn <= 16 &&
           t.wgx * t.wgy <= l->maxComputeWorkGroupInvocations &&
           t.wgx <= l->maxComputeWorkGroupSize[0] && t.wgy <= l->maxComputeWorkGroupSize[1] &&
           shared <= l->maxComputeSharedMemorySize;
}

void vk_tile_default(ef_device *dev)
{
    vk_coop_default(dev);
    for (int i = 0; i < VK_CANDIDATES; i++)
        if (vk_tile_check(dev, vk_candidate(dev, i))) {
            dev->tile = vk_candidate(dev, i);
            break;
        }
    snprintf(dev->tile_source, sizeof dev->tile_source, "default");
}

/* A fingerprint of what a cached choice was measured on: the SPIR-V of every embedded
 * shader and the version of the file's fields (bump it when the candidate list or the line
 * format changes). A choice from another build of the shaders is stale: a cache written
 * before the CPU-shaped passes kept picking the old tree passes, 30x slower on lavapipe. */
static uint64_t vk_cache_fingerprint(void)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const char *tag = "tile v3";
    for (const char *c = tag; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    for (int i = 0; i < VK_SH_COUNT; i++) {
        const unsigned char *b = (const unsigned char *)vk_shaders[i].words;
        for (size_t j = 0; b && j < vk_shaders[i].bytes; j++) h = (h ^ b[j]) * 1099511628211ull;
    }
    return h;
}

/* <cache dir>/<device name>-<vendor>-<device id>-<driver>-<fingerprint>.tile, unsafe
 * characters as '_'. */
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
    int w = snprintf(path, len, "%s/%s-%016llx.tile", dir, name,
                     (unsigned long long)vk_cache_fingerprint());
    return w > 0 && (size_t)w < len ? 0 : -1;
}

/* "shape wgx wgy tm tn bk passes best16 use16 bestbf usebf" from s into *t, *passes and
 * dev's cooperative-matrix choice, if the device accepts them. passes is optional (the
 * GPU form), and so are the cooperative-matrix fields where need_coop is 0; a device with
 * cooperative matrices needs them from a cache, which otherwise predates them. */
static int vk_tile_parse(ef_device *dev, const char *s, vk_tile *t, uint32_t *passes, int need_coop)
{
    *passes = VK_PASSES_TREE;
    int best[2] = {-1, -1}, use[2] = {0, 0};
    int got = sscanf(s, "%u %u %u %u %u %u %u %d %d %d %d", &t->shape, &t->wgx, &t->wgy, &t->tm,
                     &t->tn, &t->bk, passes, &best[0], &use[0], &best[1], &use[1]);
    int coop = dev->coop.nshapes[EF_PREC_FP16] + dev->coop.nshapes[EF_PREC_BF16] > 0;
    if (got < 6 || *passes > VK_PASSES_REG || !vk_tile_check(dev, *t) ||
        (need_coop && coop && got < 11))
        return 0;
    vk_coop_default(dev);
    for (int i = 0; i < 2 && got >= 9 + 2 * i; i++) {
        ef_precision p = i ? EF_PREC_BF16 : EF_PREC_FP16;
        vk_coop_tile ct;
        if (best[i] >= 0 && vk_coop_candidate(dev, p, best[i], &ct) &&
            vk_coop_tile_check(dev, &ct)) {
            dev->coop_best[p] = best[i];
            dev->coop_use[p] = use[i] != 0;
        }
    }
    return 1;
}

void vk_tile_load(ef_device *dev)
{
    vk_tile_default(dev);
    vk_tile t;
    uint32_t passes;
    const char *env = getenv("EF_VK_TILE"); /* experiments: overrides the cache and tuning */
    if (env && vk_tile_parse(dev, env, &t, &passes, 0)) {
        dev->tile = t;
        dev->passes = passes;
        snprintf(dev->tile_source, sizeof dev->tile_source, "env");
        return;
    }
    snprintf(dev->tile_source, sizeof dev->tile_source, "untuned");
    char path[768], line[128];
    if (vk_cache_path(dev, path, sizeof path, 0) != 0) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(line, sizeof line, f) && vk_tile_parse(dev, line, &t, &passes, 1)) {
        dev->tile = t;
        dev->passes = passes;
        snprintf(dev->tile_source, sizeof dev->tile_source, "cache");
    }
    fclose(f);
}

/* The tuning problem: random Q and K (n x d fp32), sampled rows of the float64 field to
 * check each candidate's output against. */
typedef struct vk_tune_problem {
    int n, d;
    ef_buffer *q, *k, *e;
    float *host_q, *host_k; /* n x d each */
    double *ref;            /* VK_TUNE_ROWS x n */
    double *row_tol;        /* VK_TUNE_ROWS */
    float *got;             /* one downloaded row */
} vk_tune_problem;
#define VK_TUNE_ROWS 4
#define VK_TUNE_SCALE 0.125
#define VK_TUNE_ROUNDS 12 /* timed rounds of the finalists */
#define VK_TUNE_NEAR 2.0  /* finalists: within this factor of the fastest first time */

static int vk_tune_row(const vk_tune_problem *p, int s)
{
    return s * (p->n - 1) / (VK_TUNE_ROWS - 1);
}

static void vk_tune_problem_free(ef_device *dev, vk_tune_problem *p)
{
    vk_buffer_free(dev, p->e);
    vk_buffer_free(dev, p->k);
    vk_buffer_free(dev, p->q);
    free(p->host_q);
    free(p->host_k);
    free(p->ref);
    free(p->row_tol);
    free(p->got);
    memset(p, 0, sizeof *p);
}

/* Inputs, device buffers and the float64 reference rows E_ij = a q_i . (k_j - kbar). The
 * tolerance per row is 64 d u a |q_i| max_j |k_j - kbar|: far above the rounding of any
 * correct shape, far below the error of a wrong one. */
static int vk_tune_problem_make(ef_device *dev, int n, int d, vk_tune_problem *p, ef_error *err)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->d = d;
    size_t in = (size_t)n * d;
    p->host_q = malloc(in * sizeof(float));
    p->host_k = malloc(in * sizeof(float));
    p->ref = malloc((size_t)VK_TUNE_ROWS * n * sizeof(double));
    p->row_tol = malloc(VK_TUNE_ROWS * sizeof(double));
    p->got = malloc((size_t)n * sizeof(float));
    double *kbar = calloc((size_t)d, sizeof(double));
    if (!p->host_q || !p->host_k || !p->ref || !p->row_tol || !p->got || !kbar) {
        free(kbar);
        vk_tune_problem_free(dev, p);
        return ef_fail(err, EF_NOMEM, "vulkan: host memory for tuning n = %d, d = %d", n, d);
    }
    uint32_t x = 12345u;
    for (size_t i = 0; i < in; i++) {
        x = x * 1664525u + 1013904223u;
        p->host_q[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
        x = x * 1664525u + 1013904223u;
        p->host_k[i] = (float)(x >> 8) / 16777216.0f - 0.25f; /* an offset, as real keys have */
    }
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) kbar[c] += p->host_k[(size_t)j * d + c] / n;
    double kmax = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int c = 0; c < d; c++) s += pow(p->host_k[(size_t)j * d + c] - kbar[c], 2);
        kmax = fmax(kmax, sqrt(s));
    }
    for (int s = 0; s < VK_TUNE_ROWS; s++) {
        const float *qi = p->host_q + (size_t)vk_tune_row(p, s) * d;
        double qn = 0;
        for (int c = 0; c < d; c++) qn += (double)qi[c] * qi[c];
        p->row_tol[s] = 64.0 * d * 0x1p-24 * VK_TUNE_SCALE * sqrt(qn) * kmax;
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int c = 0; c < d; c++)
                acc += (double)qi[c] * (p->host_k[(size_t)j * d + c] - kbar[c]);
            p->ref[(size_t)s * n + j] = VK_TUNE_SCALE * acc;
        }
    }
    free(kbar);
    int rc = vk_buffer_alloc(dev, in * 4, &p->q, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, in * 4, &p->k, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, (size_t)n * n * 4, &p->e, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, p->q, 0, p->host_q, in * 4, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, p->k, 0, p->host_k, in * 4, err);
    if (rc != EF_OK) vk_tune_problem_free(dev, p);
    return rc;
}

/* 1 if the sampled rows of the last run match the reference. */
static int vk_tune_output_ok(ef_device *dev, vk_tune_problem *p)
{
    for (int s = 0; s < VK_TUNE_ROWS; s++) {
        ef_error ignored;
        size_t row = (size_t)vk_tune_row(p, s);
        if (vk_buffer_download(dev, p->e, row * p->n * 4, p->got, (size_t)p->n * 4, &ignored) !=
            EF_OK)
            return 0;
        for (int j = 0; j < p->n; j++)
            if (!(fabs(p->got[j] - p->ref[(size_t)s * p->n + j]) <= p->row_tol[s])) return 0;
    }
    return 1;
}

/* The cost of a run in ms: the device's timestamps, except on a CPU device, where the
 * process's CPU time of the run is the device's work itself and, unlike the time between
 * timestamps, stays put when other programs share the cores. */
double vk_tune_clock(const ef_device *dev)
{
    if (dev->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU) return 0;
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

double vk_tune_cost(const ef_device *dev, double c0, const ef_run_result *res)
{
    return dev->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? vk_tune_clock(dev) - c0
                                                                : res->time_ms;
}

/* One run of the full fp32 field with tile t, its cost in ms; +inf if it fails, or
 * (check) if its sampled rows are wrong. */
static double vk_tile_run(ef_device *dev, vk_tile t, vk_tune_problem *p, int check)
{
    vk_tile saved = dev->tile;
    dev->tile = t;
    double c0 = vk_tune_clock(dev);
    const ef_op op = {
        .workload = EF_WL_ENERGY,
        .mask = {EF_MASK_FULL, 0},
        .precision = EF_PREC_FP32,
        .n = p->n,
        .d = p->d,
        .row0 = 0,
        .rows = p->n,
        .scale = VK_TUNE_SCALE,
        .q = p->q,
        .k = p->k,
        .e = p->e,
    };
    ef_run_result res;
    ef_error ignored;
    int ok = vk_run(dev, &op, &res, &ignored) == EF_OK;
    double ms = vk_tune_cost(dev, c0, &res);
    ok = ok && (!check || vk_tune_output_ok(dev, p));
    dev->tile = saved;
    return ok ? ms : 1.0 / 0.0;
}

/* A candidate's first time: a checked run that builds its pipelines, then a timed one. */
static double vk_tile_try(ef_device *dev, vk_tile t, vk_tune_problem *p)
{
    return vk_tile_run(dev, t, p, 1) < 1.0 / 0.0 ? vk_tile_run(dev, t, p, 0) : 1.0 / 0.0;
}

/* Atomically (temporary name, then rename): a cache that cannot be written only costs the
 * next run a tune. */
static void vk_tile_save(const ef_device *dev)
{
    char path[768], tmp[800];
    if (vk_cache_path(dev, path, sizeof path, 1) != 0) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    const vk_tile t = dev->tile;
    int ok = fprintf(f, "%u %u %u %u %u %u %u %d %d %d %d\n", t.shape, t.wgx, t.wgy, t.tm, t.tn,
                     t.bk, dev->passes, dev->coop_best[EF_PREC_FP16], dev->coop_use[EF_PREC_FP16],
                     dev->coop_best[EF_PREC_BF16], dev->coop_use[EF_PREC_BF16]) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

int vk_tune(ef_device *dev, ef_error *err)
{
    /* The size grows until the first candidate takes a few milliseconds, so the timings
     * mean something on a fast GPU and tuning stays short on a CPU driver. */
    const int d = 128;
    vk_tune_problem p;
    int n = 512, rc;
    char was[sizeof dev->tile_source];
    snprintf(was, sizeof was, "%s", dev->tile_source);
    snprintf(dev->tile_source, sizeof dev->tile_source, "tuning"); /* no nested tune */
    for (;;) {
        if ((rc = vk_tune_problem_make(dev, n, d, &p, err)) != EF_OK) goto restore;
        double ms = vk_tile_try(dev, dev->tile, &p);
        if (n >= 4096 || !(ms < 2.0)) break;
        vk_tune_problem_free(dev, &p);
        n *= 4;
    }
    /* every valid candidate once; then the few fastest in rounds, one run each per round,
     * so a busy moment of a shared machine slows them all alike; the minimum of each */
    double ms[VK_CANDIDATES], best = 1.0 / 0.0;
    for (int i = 0; i < VK_CANDIDATES; i++) {
        vk_tile t = vk_candidate(dev, i);
        ms[i] = vk_tile_check(dev, t) ? vk_tile_try(dev, t, &p) : 1.0 / 0.0;
        best = ms[i] < best ? ms[i] : best;
    }
    for (int round = 0; round < VK_TUNE_ROUNDS && best < 1.0 / 0.0; round++)
        for (int i = 0; i < VK_CANDIDATES; i++) {
            if (!(ms[i] <= VK_TUNE_NEAR * best)) continue; /* slow, invalid or failed */
            double again = vk_tile_run(dev, vk_candidate(dev, i), &p, 0);
            ms[i] = again < ms[i] ? again : ms[i];
        }
    int pick = -1;
    for (int i = 0; i < VK_CANDIDATES; i++)
        if (ms[i] < 1.0 / 0.0 && (pick < 0 || ms[i] < ms[pick])) pick = i;
    vk_tile chosen = pick >= 0 ? vk_candidate(dev, pick) : dev->tile;
    best = pick >= 0 ? ms[pick] : 1.0 / 0.0;
    if (best == 1.0 / 0.0) {
        vk_tune_problem_free(dev, &p);
        rc = ef_fail(err, EF_ERROR,
                     "vulkan: no tile candidate ran and computed the field "
                     "correctly on this device");
        goto restore;
    }
    dev->tile = chosen;
    /* the other passes, on the field the chosen shape computes */
    const ef_op op = {
        .workload = EF_WL_ENERGY,
        .mask = {EF_MASK_FULL, 0},
        .precision = EF_PREC_FP32,
        .n = p.n,
        .d = p.d,
        .row0 = 0,
        .rows = p.n,
        .scale = VK_TUNE_SCALE,
        .q = p.q,
        .k = p.k,
        .e = p.e,
    };
    ef_run_result res;
    const vk_tune_inputs in = {
        .n = p.n, .d = p.d, .q = p.q, .k = p.k, .e = p.e, .hq = p.host_q, .hk = p.host_k};
    ef_error ignored;
    dev->passes = VK_PASSES_TREE; /* where neither form checks out, the GPU form's errors show */
    if (vk_run(dev, &op, &res, &ignored) == EF_OK) vk_tune_passes(dev, &in, &dev->passes, &ignored);
    /* fp16 / bf16 inputs: cooperative-matrix tiles against the chosen shape */
    vk_tune_coopmat(dev, &in, VK_TUNE_SCALE, &ignored);
    vk_tune_problem_free(dev, &p);
    snprintf(dev->tile_source, sizeof dev->tile_source, "tuned");
    vk_tile_save(dev);
    return EF_OK;
restore:
    snprintf(dev->tile_source, sizeof dev->tile_source, "%s", was);
    return rc;
}

int vk_tile_ready(ef_device *dev, ef_error *err)
{
    (void)err;
    if (strcmp(dev->tile_source, "untuned") != 0) return EF_OK;
    const char *env = getenv("EF_VK_TUNE");
    ef_error ignored;
    if ((env && strcmp(env, "0") == 0) || vk_tune(dev, &ignored) != EF_OK)
        snprintf(dev->tile_source, sizeof dev->tile_source, "default"); /* unmeasured */
    return EF_OK;
}
