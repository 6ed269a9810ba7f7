/* backends/cpu/cpu_backend.c — the float32 CPU backend: OpenBLAS sgemm/ssyrk (its own
 * threads) for the products, plain loops for the O(n^2) reductions, the monotonic clock
 * for timing. It gives every results table a CPU row. The energy kernel is in
 * cpu_energy.c. No OpenMP: its spinning threads fought OpenBLAS's for the cores (8-28 ms
 * stalls on a 2-core machine where the work takes 0.1 ms).
 */
#include <cblas.h>
#include <math.h>
#include <openblas_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_peak.h"
#include "cpu_internal.h"

struct ef_device {
    int unused;
};

static int cpu_device_count(ef_error *err)
{
    (void)err;
    return 1;
}

static int cpu_device_info(int index, ef_device_info *info, ef_error *err)
{
    if (index != 0) return ef_fail(err, EF_ERROR, "cpu has one device (0), not %d", index);
    memset(info, 0, sizeof *info);
    host_cpu_model(info->name, sizeof info->name);
    snprintf(info->vendor, sizeof info->vendor, "host CPU");
    snprintf(info->driver_version, sizeof info->driver_version, "%s", host_blas_version());
    snprintf(info->api_version, sizeof info->api_version, "CBLAS");
    snprintf(info->type, sizeof info->type, "cpu");
    info->memory_bytes = host_memory_bytes();
    info->max_buffer_bytes = info->memory_bytes / 4;
    info->precisions = 1u << EF_PREC_FP32 | 1u << EF_PREC_FP16 | 1u << EF_PREC_BF16;
    info->out_dtype = EF_F32;
    snprintf(info->notes, sizeof info->notes, "float32, %d threads (%s)", host_cpu_count(), openblas_get_config());
    return EF_OK;
}

static int cpu_device_open(int index, ef_device **dev, ef_error *err)
{
    if (index != 0) return ef_fail(err, EF_ERROR, "cpu has one device (0), not %d", index);
    *dev = calloc(1, sizeof **dev);
    return *dev ? EF_OK : ef_fail(err, EF_NOMEM, "out of memory");
}

static void cpu_device_close(ef_device *dev) { free(dev); }

static int cpu_rowsum(const ef_op *op, ef_error *err)
{
    (void)err;
    int n = op->n, rows = op->rows;
    const float *E = (const float *)op->e->data;
    float *out = (float *)op->out->data;
    for (int r = 0; r < rows; r++) {
        float s = 0, t = 0;
        for (int j = 0; j < n; j++) {
            s += E[(size_t)r * n + j];
            t += fabsf(E[(size_t)r * n + j]);
        }
        out[r] = s;
        out[rows + r] = t;
    }
    return EF_OK;
}

static int cpu_colenergy(const ef_op *op, ef_error *err)
{
    (void)err;
    int n = op->n, rows = op->rows;
    const float *E = (const float *)op->e->data;
    float *out = (float *)op->out->data;
    enum { COLS = 256 };
    for (int j0 = 0; j0 < n; j0 += COLS) {
        int j1 = j0 + COLS < n ? j0 + COLS : n;
        for (int j = j0; j < j1; j++) out[j] = 0;
        for (int r = 0; r < rows; r++)
            for (int j = j0; j < j1; j++) out[j] += E[(size_t)r * n + j] * E[(size_t)r * n + j];
    }
    return EF_OK;
}

static void sym_fill(int d, float *G)
{
    for (int r = 0; r < d; r++)
        for (int c = 0; c < r; c++) G[(size_t)r * d + c] = G[(size_t)c * d + r];
}

static int cpu_gram(const ef_op *op, ef_error *err)
{
    int d = op->d, rc;
    float *Q, *Kc;
    if ((rc = cpu_inputs_centered(op, &Q, &Kc, err))) return rc;
    float *G = (float *)op->out->data;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, op->n, 1.0f, Q, d, 0.0f, G, d);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, op->n, 1.0f, Kc, d, 0.0f, G + (size_t)d * d, d);
    sym_fill(d, G);
    sym_fill(d, G + (size_t)d * d);
    free(Q);
    free(Kc);
    return EF_OK;
}

static int cpu_ranktail(const ef_op *op, ef_error *err)
{
    int n = op->n, d = op->d; /* the whole field: the harness checked rows == n */
    const float *E = (const float *)op->e->data, *U = (const float *)op->aux->data;
    float *P = malloc(sizeof(float) * d * n), *R = malloc(sizeof(float) * n * n);
    if (!P || !R) {
        free(P);
        free(R);
        return ef_fail(err, EF_NOMEM, "ranktail n = %d: out of memory", n);
    }
    /* R = E - U (U^T E), then both squared norms; row partials in float, rows added in
     * double so the total's rounding stays below the row sums' */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, n, 1.0f, U, d, E, n, 0.0f, P, n);
    memcpy(R, E, sizeof(float) * n * n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, d, -1.0f, U, d, P, n, 1.0f, R, n);
    double tail = 0, total = 0;
    for (int i = 0; i < n; i++) {
        float t = 0, s = 0;
        for (int j = 0; j < n; j++) {
            t += R[(size_t)i * n + j] * R[(size_t)i * n + j];
            s += E[(size_t)i * n + j] * E[(size_t)i * n + j];
        }
        tail += t;
        total += s;
    }
    float *out = (float *)op->out->data;
    out[0] = (float)tail;
    out[1] = (float)total;
    free(P);
    free(R);
    return EF_OK;
}

static int cpu_leverage(const ef_op *op, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    float *Kc;
    if ((rc = cpu_inputs_centered(op, NULL, &Kc, err))) return rc;
    float *Y = malloc(sizeof(float) * n * d);
    if (!Y) {
        free(Kc);
        return ef_fail(err, EF_NOMEM, "leverage n = %d: out of memory", n);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0f, Kc, d,
                (const float *)op->aux->data, d, 0.0f, Y, d);
    float *out = (float *)op->out->data;
    for (int j = 0; j < n; j++) {
        float s = 0;
        for (int c = 0; c < d; c++) s += Y[(size_t)j * d + c] * Y[(size_t)j * d + c];
        out[j] = s;
    }
    free(Y);
    free(Kc);
    return EF_OK;
}

static int cpu_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    (void)dev;
    static int (*const fn[EF_WL_COUNT])(const ef_op *, ef_error *) = {
        [EF_WL_ENERGY] = cpu_energy,       [EF_WL_ROWSUM] = cpu_rowsum,
        [EF_WL_COLENERGY] = cpu_colenergy, [EF_WL_GRAM] = cpu_gram,
        [EF_WL_RANKTAIL] = cpu_ranktail,   [EF_WL_LEVERAGE] = cpu_leverage,
    };
    static const char *const path[EF_WL_COUNT] = {
        [EF_WL_ENERGY] = "sgemm-centered", [EF_WL_ROWSUM] = "rows",
        [EF_WL_COLENERGY] = "columns", [EF_WL_GRAM] = "ssyrk",
        [EF_WL_RANKTAIL] = "sgemm-project", [EF_WL_LEVERAGE] = "sgemm-rownorm",
    };
    if (op->variant && *op->variant)
        return ef_fail(err, EF_UNSUPPORTED, "cpu has no variant '%s'", op->variant);
    if (op->fault != EF_FAULT_NONE && op->workload != EF_WL_ENERGY)
        return ef_fail(err, EF_UNSUPPORTED, "faults are injected into energy only");
    double t0 = host_clock_ms();
    int rc = fn[op->workload](op, err);
    res->time_ms = host_clock_ms() - t0;
    snprintf(res->path, sizeof res->path, "%s%s", path[op->workload],
             op->workload == EF_WL_ENERGY && op->mask.kind != EF_MASK_FULL ? "-banded" : "");
    return rc;
}

/* The backend's achievable fp32 peak is the sgemm it runs on (backends/host_peak.c). */
static int cpu_measure_peak(ef_device *dev, ef_peak *out, ef_error *err)
{
    (void)dev;
    return host_peak_measure(HOST_PEAK_SGEMM, out, err);
}

const ef_backend ef_backend_cpu = {
    .name = "cpu",
    .description = "float32 CPU (multithreaded OpenBLAS sgemm, single-threaded reductions)",
    .device_count = cpu_device_count,
    .device_info = cpu_device_info,
    .device_open = cpu_device_open,
    .device_close = cpu_device_close,
    .buffer_alloc = hostmem_alloc,
    .buffer_free = hostmem_free,
    .buffer_upload = hostmem_upload,
    .buffer_download = hostmem_download,
    .run = cpu_run,
    .measure_peak = cpu_measure_peak,
};
