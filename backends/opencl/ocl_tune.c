/* backends/opencl/ocl_tune.c — the measured choices of the OpenCL backend, per device:
 * the energy kernel's shape among GPU-shaped candidates (local-memory blocks, energy.cl /
 * energy_vec.cl) and CPU-shaped ones (register tiles on transposed keys, energy_cpu.cl),
 * and the form (group or item) of rowsum, colenergy, gram and leverage. Nothing is chosen
 * by device type: every device runs the same timed search, on first use or through
 * `efbench tune`, and the choices are cached per device + driver next to the program
 * binaries. Callers: ocl_device.c (init, the `tune` slot), ocl_energy.c and
 * ocl_workloads.c (first use).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/trace.h"
#include "ocl_internal.h"

/* Candidates of both classes; the first of each class is its representative, the first
 * of the list the default when tuning is off (EF_OPENCL_TUNE=0) or fails. */
static const ocl_tiles cand_tiles[] = {
    /* GPU-shaped: local-memory blocks, many items (energy.cl, energy_vec.cl) */
    {64, 64, 16, 4, 4, 0},
    {128, 128, 8, 8, 8, 0},
    {128, 128, 8, 8, 8, 1},
    {128, 128, 16, 8, 8, 1},
    {64, 64, 16, 4, 4, 1},
    {128, 64, 8, 8, 4, 1},
    {64, 128, 16, 4, 8, 0},
    /* CPU-shaped: register tiles of float16 / float8, transposed keys (energy_cpu.cl) */
    {48, 32, 1, 6, 16, 2},
    {32, 64, 1, 4, 16, 2},
    {64, 32, 1, 8, 16, 2},
    {48, 16, 1, 6, 8, 2},
};

static int ocl_tiles_class(ocl_tiles t) { return t.vec == OCL_FORM_CPU; }

int ocl_tiles_valid(const ef_device *dev, ocl_tiles t)
{
    if (t.bm <= 0 || t.bn <= 0 || t.bk <= 0 || t.tm <= 0 || t.tn <= 0) return 0;
    if (t.bm % t.tm || t.bn % t.tn) return 0;
    if (t.vec == OCL_FORM_CPU) {
        /* bn <= 64: ocl_kt_ld leaves 64 keys of room past n */
        return (t.tn == 8 || t.tn == 16) && t.bn <= 64 && t.bn / t.tn <= 4 && t.tm <= 16 &&
               t.bk == 1 && (size_t)(t.bm / t.tm) <= dev->max_wg;
    }
    if (t.bm > 256 || t.bn > 256 || t.bk > 64) return 0;
    if (t.vec && (t.tm % 2 || t.tn % 2 || t.bk % 4 || t.vec != OCL_FORM_VEC)) return 0;
    size_t wg = (size_t)(t.bm / t.tm) * (size_t)(t.bn / t.tn);
    size_t local = (size_t)(t.bm + t.bn + 8) * (size_t)t.bk * sizeof(float);
    return wg <= dev->max_wg && local <= dev->local_mem;
}

static double ocl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* File holding the tuned shape for this device, driver and build of the kernels. */
static void ocl_tiles_path(const ef_device *dev, char *buf, size_t len)
{
    char dir[600], stem[64];
    ocl_cache_dir(dir, sizeof dir);
    if (!dir[0]) {
        buf[0] = '\0';
        return;
    }
    ocl_cache_stem(dev, stem, sizeof stem);
    unsigned long long h = ocl_hash(0, dev->platform_name);
    h = ocl_hash(h, dev->info.name);
    h = ocl_hash(h, dev->info.driver_version);
    h = ocl_hash(h, "tiles v2"); /* v2: the form field may name the CPU shape */
    /* a choice measured on other kernels is stale: retune when any kernel changed */
    h ^= ocl_sources_hash();
    snprintf(buf, len, "%s/%s-%016llx.tiles", dir, stem, h);
}

static const char *const pass_names[OCL_PASS_COUNT] = {"rowsum", "colenergy", "gram", "leverage",
                                                       "ranktail"};

/* The cache file: lines "energy BM BN BK TM TN FORM" and "<pass> FORM"; any may be absent. */
typedef struct ocl_tune_file {
    int has_tiles;
    ocl_tiles tiles;
    int pass[OCL_PASS_COUNT]; /* -1 absent */
} ocl_tune_file;

static void ocl_tune_file_read(const ef_device *dev, ocl_tune_file *tf)
{
    char path[1024], line[160], key[32];
    memset(tf, 0, sizeof *tf);
    for (int p = 0; p < OCL_PASS_COUNT; p++) tf->pass[p] = -1;
    ocl_tiles_path(dev, path, sizeof path);
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        ocl_tiles t;
        int form;
        if (sscanf(line, "energy %d %d %d %d %d %d", &t.bm, &t.bn, &t.bk, &t.tm, &t.tn, &t.vec) ==
                6 &&
            ocl_tiles_valid(dev, t)) {
            tf->has_tiles = 1;
            tf->tiles = t;
        } else if (sscanf(line, "%31s %d", key, &form) == 2 && (form == 0 || form == 1)) {
            for (int p = 0; p < OCL_PASS_COUNT; p++)
                if (strcmp(key, pass_names[p]) == 0) tf->pass[p] = form;
        }
    }
    fclose(f);
}

/* Write what this process tuned over what the file holds (a forced choice is not saved). */
static void ocl_tune_save(const ef_device *dev)
{
    char path[1024], tmp[1100];
    ocl_tune_file tf;
    ocl_tune_file_read(dev, &tf);
    if (dev->tiles_from == 2) {
        tf.has_tiles = 1;
        tf.tiles = dev->tiles;
    }
    for (int p = 0; p < OCL_PASS_COUNT; p++)
        if (dev->pass_from[p] == 2) tf.pass[p] = dev->pass_form[p];
    ocl_tiles_path(dev, path, sizeof path);
    if (!path[0]) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    const ocl_tiles t = tf.tiles;
    int ok = 1;
    if (tf.has_tiles)
        ok = fprintf(f, "energy %d %d %d %d %d %d\n", t.bm, t.bn, t.bk, t.tm, t.tn, t.vec) > 0;
    for (int p = 0; p < OCL_PASS_COUNT; p++)
        if (tf.pass[p] >= 0) ok = fprintf(f, "%s %d\n", pass_names[p], tf.pass[p]) > 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

void ocl_tiles_init(ef_device *dev)
{
    ocl_tune_file tf;
    ocl_tune_file_read(dev, &tf);
    dev->tiles = cand_tiles[0];
    dev->tiles_from = 0;
    if (!ocl_tiles_valid(dev, dev->tiles)) dev->tiles = (ocl_tiles){16, 16, 16, 2, 2, 0};
    ocl_tiles t;
    const char *env = getenv("EF_OPENCL_TILES"); /* "bm bn bk tm tn vec": experiments */
    if (env && sscanf(env, "%d %d %d %d %d %d", &t.bm, &t.bn, &t.bk, &t.tm, &t.tn, &t.vec) == 6 &&
        ocl_tiles_valid(dev, t)) {
        dev->tiles = t;
        dev->tiles_from = 3;
    } else if (tf.has_tiles) {
        dev->tiles = tf.tiles;
        dev->tiles_from = 1;
    }
    /* EF_OPENCL_PASSES="R C G L T": forms of rowsum, colenergy, gram, leverage, ranktail
     * (0 group, 1 item, - or absent: not forced) */
    const char *penv = getenv("EF_OPENCL_PASSES");
    char forced[OCL_PASS_COUNT][4] = {"-", "-", "-", "-", "-"};
    if (penv)
        sscanf(penv, "%3s %3s %3s %3s %3s", forced[0], forced[1], forced[2], forced[3], forced[4]);
    for (int p = 0; p < OCL_PASS_COUNT; p++) {
        dev->pass_form[p] = -1;
        dev->pass_from[p] = 0;
        if (strcmp(forced[p], "0") == 0 || strcmp(forced[p], "1") == 0) {
            dev->pass_form[p] = forced[p][0] - '0';
            dev->pass_from[p] = 3;
        } else if (tf.pass[p] >= 0) {
            dev->pass_form[p] = tf.pass[p];
            dev->pass_from[p] = 1;
        }
    }
}

/* Install the fp32 program + kernel of shape t as the device's energy kernels, releasing
 * every old one (the other precisions are built for t when first used). */
static void ocl_tiles_install(ef_device *dev, ocl_tiles t, cl_program prog, cl_kernel k)
{
    for (int p = 0; p < EF_PREC_COUNT; p++) {
        if (dev->energy_k[p]) clReleaseKernel(dev->energy_k[p]);
        if (dev->energy[p]) clReleaseProgram(dev->energy[p]);
        dev->energy_k[p] = NULL;
        dev->energy[p] = NULL;
    }
    dev->energy[EF_PREC_FP32] = prog;
    dev->energy_k[EF_PREC_FP32] = k;
    dev->tiles = t;
}

/* Device time of one launch of energy kernel k (shape t), fp32, full mask, on the tuning
 * inputs; the field goes to the partials scratch. */
static int ocl_tiles_once(ef_device *dev, cl_kernel k, ocl_tiles t, cl_mem q, cl_mem kc, cl_mem kt,
                          int n, int d, double *ms, ef_error *err)
{
    ocl_energy_args x = {.q = q,
                         .keys = t.vec == OCL_FORM_CPU ? kt : kc,
                         .shift = kc,
                         .n = n,
                         .d = d,
                         .rows = n,
                         .scale = 1.0f};
    int rc = ocl_scratch_get(dev, OCLS_PART, (size_t)n * n * sizeof(float), &x.e, err);
    ocl_timer tm = {0};
    if (rc == EF_OK) rc = ocl_energy_launch(dev, k, t, &x, &tm, err);
    if (rc == EF_OK) rc = ocl_timer_finish(dev, &tm, ms, err);
    ocl_timer_release(&tm);
    return rc;
}

/* Tuning inputs: q (n x d), kc (n x d) and kt (d x ocl_kt_ld(n)), pseudo-random in
 * [-0.5, 0.5), in the scratch. */
static int ocl_tiles_inputs(ef_device *dev, int n, int d, cl_mem *q, cl_mem *kc, cl_mem *kt,
                            ef_error *err)
{
    size_t nkt = (size_t)ocl_kt_ld(n) * d, nq = (size_t)n * d;
    int rc;
    if ((rc = ocl_scratch_get(dev, OCLS_QF, nq * sizeof(float), q, err)) ||
        (rc = ocl_scratch_get(dev, OCLS_KC, nq * sizeof(float), kc, err)) ||
        (rc = ocl_scratch_get(dev, OCLS_KT, nkt * sizeof(float), kt, err)))
        return rc;
    float *host = malloc(nkt * sizeof(float));
    if (!host) return ef_fail(err, EF_NOMEM, "out of host memory for tuning inputs");
    for (size_t i = 0; i < nkt; i++) host[i] = (float)((i * 2654435761u) % 1000) / 1000 - 0.5f;
    cl_int e = clEnqueueWriteBuffer(dev->queue, *q, CL_TRUE, 0, nq * 4, host, 0, NULL, NULL);
    if (e == CL_SUCCESS)
        e = clEnqueueWriteBuffer(dev->queue, *kc, CL_TRUE, 0, nq * 4, host, 0, NULL, NULL);
    if (e == CL_SUCCESS)
        e = clEnqueueWriteBuffer(dev->queue, *kt, CL_TRUE, 0, nkt * 4, host, 0, NULL, NULL);
    free(host);
    return e == CL_SUCCESS ? EF_OK : ocl_fail(err, e, "uploading tuning inputs");
}

/* The tuning size: d = 128, n from 1024 doubling (at most 16384, within the device's
 * allocations) until a launch of the first candidate takes OCL_TUNE_MS, so that launch
 * overhead is small against the work on any device. */
#define OCL_TUNE_MS 4.0
#define OCL_TUNE_SLOW                                              \
    3.0 /* a candidate this many times slower than the best so far \
           at its first timed launch is not timed again */

typedef struct ocl_tune_state {
    int n, d, sized;
    cl_mem q, kc, kt;
    double best_ms;
    int best;
    char last_err[sizeof(ef_error)];
} ocl_tune_state;

/* Build and time candidate c; the fastest so far is installed. Returns its time (1e30 when
 * it did not build or run). */
static double ocl_tune_one(ef_device *dev, ocl_tune_state *st, int c)
{
    const ocl_tiles tc = cand_tiles[c];
    cl_program prog;
    cl_kernel k;
    ef_error cerr;
    double ms = 1e30, first = 0, w0 = ocl_wall_ms();
    if (ocl_program_energy_build(dev, tc, EF_PREC_FP32, &prog, &k, &cerr) != EF_OK) {
        snprintf(st->last_err, sizeof st->last_err, "%s", cerr.msg);
        return ms;
    }
    double w1 = ocl_wall_ms();
    int rc = EF_OK;
    for (;;) {
        if (!st->q && (rc = ocl_tiles_inputs(dev, st->n, st->d, &st->q, &st->kc, &st->kt, &cerr)))
            break;
        /* the first launch builds the work-group function on a CPU driver: not counted */
        if ((rc = ocl_tiles_once(dev, k, tc, st->q, st->kc, st->kt, st->n, st->d, &first, &cerr)) ||
            (rc = ocl_tiles_once(dev, k, tc, st->q, st->kc, st->kt, st->n, st->d, &first, &cerr)))
            break;
        size_t next = (size_t)2 * st->n;
        if (st->sized || first >= OCL_TUNE_MS || next > 16384 ||
            next * next * sizeof(float) > dev->info.max_buffer_bytes ||
            next * next * sizeof(float) > dev->info.memory_bytes / 4)
            break;
        st->n = (int)next; /* a larger problem: inputs are made again */
        st->q = NULL;
    }
    if (rc == EF_OK) {
        st->sized = 1;
        ms = first;
    }
    /* best of 3 timed launches, unless clearly slower than the best so far */
    for (int rep = 0; rc == EF_OK && rep < 2 && first < OCL_TUNE_SLOW * st->best_ms; rep++) {
        double m2;
        rc = ocl_tiles_once(dev, k, tc, st->q, st->kc, st->kt, st->n, st->d, &m2, &cerr);
        if (rc == EF_OK && m2 < ms) ms = m2;
    }
    if (rc != EF_OK) ms = 1e30;
    if (ocl_trace_on()) {
        char shape[32];
        ocl_tiles_name(tc, shape, sizeof shape);
        ef_trace("efbench opencl: tune n %d d %d: %-20s %9.3f ms%s (build %.0f ms, then "
                 "%.0f ms)",
                 st->n, st->d, shape, ms < 1e30 ? ms : -1.0, rc ? " (failed)" : "", w1 - w0,
                 ocl_wall_ms() - w1);
    }
    if (ms < st->best_ms) {
        st->best_ms = ms;
        st->best = c;
        ocl_tiles_install(dev, tc, prog, k);
    } else {
        if (rc != EF_OK) snprintf(st->last_err, sizeof st->last_err, "%s", cerr.msg);
        clReleaseKernel(k);
        clReleaseProgram(prog);
    }
    return ms;
}

int ocl_tiles_tune(ef_device *dev, ef_error *err)
{
    const int ncand = OCL_COUNT(cand_tiles);
    ocl_tune_state st = {.n = 1024, .d = 128, .best_ms = 1e30, .best = -1};
    const char *env = getenv("EF_OPENCL_TUNE");
    const int full = env && strcmp(env, "full") == 0;
    double rep_ms[2] = {1e30, 1e30};
    int tried[OCL_COUNT(cand_tiles)] = {0};
    /* one representative per class (the first valid one), then the winning class */
    for (int cls = 0; cls < 2; cls++)
        for (int c = 0; c < ncand; c++) {
            if (ocl_tiles_class(cand_tiles[c]) != cls || !ocl_tiles_valid(dev, cand_tiles[c]))
                continue;
            tried[c] = 1;
            rep_ms[cls] = ocl_tune_one(dev, &st, c);
            break;
        }
    const int win = rep_ms[1] < rep_ms[0];
    for (int c = 0; c < ncand; c++)
        if (!tried[c] && ocl_tiles_valid(dev, cand_tiles[c]) &&
            (full || ocl_tiles_class(cand_tiles[c]) == win))
            ocl_tune_one(dev, &st, c);
    ocl_scratch_free_all(dev); /* the tuning inputs (up to n = 16384 fields) */
    if (st.best < 0)
        return ef_fail(err, EF_ERROR, "tuning %s: no tile shape built and ran (last: %s)",
                       dev->info.name, st.last_err);
    dev->tiles_from = 2;
    ocl_tune_save(dev);
    return EF_OK;
}

int ocl_tiles_ready(ef_device *dev, ef_precision p, ef_error *err)
{
    if (dev->energy_k[p]) return EF_OK;
    /* Without a cached or forced choice, tune now, on every kind of device: the shape is
     * measured, never assumed from the device type. EF_OPENCL_TUNE=0 keeps the default. */
    const char *env = getenv("EF_OPENCL_TUNE");
    int want = !env || strcmp(env, "0") != 0;
    if (dev->tiles_from == 0 && want) {
        ef_error terr;
        int rc = ocl_tiles_tune(dev, &terr);
        if (rc == EF_OK && dev->energy_k[p]) return EF_OK;
        if (rc != EF_OK) dev->tiles_from = 4; /* the default, not tuned again */
    }
    return ocl_program_energy_build(dev, dev->tiles, p, &dev->energy[p], &dev->energy_k[p], err);
}

/* ---- the passes: both forms timed on the device, the faster kept ---------------------- */

/* Best of 3 launches of pass `pass` in `form` on op (after one untimed launch). */
static int ocl_pass_time(ef_device *dev, const ef_op *op, int pass, int form, double *best,
                         ef_error *err)
{
    int rc = EF_OK;
    *best = 1e30;
    for (int rep = 0; rep < 4 && rc == EF_OK; rep++) {
        ocl_timer t = {0};
        double ms;
        rc = ocl_pass_launch(dev, op, pass, form, &t, err);
        if (rc == EF_OK) rc = ocl_timer_finish(dev, &t, &ms, err);
        ocl_timer_release(&t);
        if (rc == EF_OK && rep > 0 && ms < *best) *best = ms;
    }
    return rc;
}

/* Scratch `id` of `bytes`, filled with `value`, as an op buffer. */
static int ocl_pass_input(ef_device *dev, ocl_scratch_id id, size_t bytes, float value,
                          ef_buffer *buf, ef_error *err)
{
    int rc = ocl_scratch_get(dev, id, bytes, &buf->mem, err);
    if (rc != EF_OK) return rc;
    buf->bytes = bytes;
    cl_int e =
        clEnqueueFillBuffer(dev->queue, buf->mem, &value, sizeof value, 0, bytes, 0, NULL, NULL);
    return e == CL_SUCCESS ? EF_OK : ocl_fail(err, e, "filling a tuning input");
}

#define OCL_PASS_TUNE_MS 1.0

/* The tuning inputs of each pass: a field (rowsum, colenergy), keys (gram, leverage, with
 * T in aux), or both (ranktail: the field and U in aux; not in the scratch it uses itself). */
int ocl_pass_tune(ef_device *dev, int pass, ef_error *err)
{
    const int tail = pass == OCL_PASS_RANKTAIL;
    const int field = pass == OCL_PASS_ROWSUM || pass == OCL_PASS_COLENERGY || tail;
    const int d = 128, nmax = field ? 8192 : 65536;
    int n = field ? 1024 : 4096, rc;
    double ms[2] = {1e30, 1e30};
    if ((rc = ocl_program_aux_build(dev, err)) != EF_OK) return rc;
    for (;;) {
        ef_buffer e = {0}, x = {0}, tmat = {0}, out = {0};
        size_t fbytes = field ? (size_t)n * n * sizeof(float) : (size_t)n * d * sizeof(float);
        if (fbytes > dev->info.max_buffer_bytes) break;
        if ((rc = ocl_pass_input(dev,
                                 tail    ? OCLS_KT
                                 : field ? OCLS_W
                                         : OCLS_QF,
                                 fbytes, 0.5f, field ? &e : &x, err)) ||
            (rc = ocl_pass_input(dev, OCLS_SHIFT, (size_t)2 * (field ? n : d * d + n) * 4, 0.0f,
                                 &out, err)) ||
            (!field && (rc = ocl_pass_input(dev, OCLS_W, (size_t)d * d * 4, 0.01f, &tmat, err))) ||
            (tail && (rc = ocl_pass_input(dev, OCLS_TT, (size_t)n * d * 4, 0.01f, &tmat, err))))
            return rc;
        ef_op op = {.workload = tail    ? EF_WL_RANKTAIL
                                : field ? EF_WL_ROWSUM
                                        : EF_WL_GRAM,
                    .precision = EF_PREC_FP32,
                    .n = n,
                    .d = d,
                    .rows = n,
                    .scale = 1.0,
                    .mask = {EF_MASK_FULL, 0},
                    .q = &x,
                    .k = &x,
                    .e = &e,
                    .aux = &tmat,
                    .out = &out};
        for (int form = 0; form < 2; form++) {
            ef_error ferr;
            if (ocl_pass_time(dev, &op, pass, form, &ms[form], &ferr) != EF_OK) ms[form] = 1e30;
        }
        if (ocl_trace_on())
            ef_trace("efbench opencl: tune %s n %d: group %.3f ms, item %.3f ms", pass_names[pass],
                     n, ms[0], ms[1]);
        if ((ms[0] >= OCL_PASS_TUNE_MS && ms[0] < 1e30) || 2 * n > nmax ||
            (field && (size_t)4 * n * n * sizeof(float) > dev->info.memory_bytes / 4))
            break;
        n *= 2;
    }
    ocl_scratch_free_all(dev); /* the tuning inputs */
    if (ms[0] >= 1e30 && ms[1] >= 1e30)
        return ef_fail(err, EF_ERROR, "tuning %s on %s: neither form ran", pass_names[pass],
                       dev->info.name);
    dev->pass_form[pass] = ms[1] < ms[0] ? OCL_PASS_ITEM : OCL_PASS_GROUP;
    dev->pass_from[pass] = 2;
    ocl_tune_save(dev);
    return EF_OK;
}

int ocl_pass_form(ef_device *dev, int pass)
{
    if (dev->pass_form[pass] >= 0) return dev->pass_form[pass];
    const char *env = getenv("EF_OPENCL_TUNE");
    ef_error err;
    if ((env && strcmp(env, "0") == 0) || ocl_pass_tune(dev, pass, &err) != EF_OK) {
        dev->pass_form[pass] = OCL_PASS_GROUP; /* not tuned again in this process */
        dev->pass_from[pass] = 4;
    }
    return dev->pass_form[pass];
}

int ocl_tune_all(ef_device *dev, ef_error *err)
{
    int rc = ocl_tiles_tune(dev, err);
    for (int p = 0; p < OCL_PASS_COUNT && rc == EF_OK; p++) rc = ocl_pass_tune(dev, p, err);
    return rc;
}
