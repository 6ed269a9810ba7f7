/* backends/cpu/cpu_backend.c — the float32 CPU backend: the device, the dispatch, and the
 * d x d products (gram: ssyrk; ranktail, leverage: sgemm), on OpenBLAS with its own
 * threads; the monotonic clock for timing. It gives every results table a CPU row. The
 * energy field is cpu_energy.c and cpu_masked.c, the single passes cpu_pass.c. No OpenMP:
 * its spinning threads fought OpenBLAS's for the cores (8-28 ms stalls on a 2-core machine
 * where the work takes 0.1 ms); the backend's own loops fork and join (cpu_thread.c).
 */
#include <cblas.h>
#include <math.h>
#include <openblas_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_blas.h"
#include "backends/host_peak.h"
#include "cpu_internal.h"

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
    const char *blas = host_blas_note();
    snprintf(info->notes, sizeof info->notes, "float32, %d threads (%s)%s%s", host_cpu_count(),
             openblas_get_config(), *blas ? "; " : "", blas);
    return EF_OK;
}

static int cpu_device_open(int index, ef_device **dev, ef_error *err)
{
    if (index != 0) return ef_fail(err, EF_ERROR, "cpu has one device (0), not %d", index);
    *dev = calloc(1, sizeof **dev);
    return *dev ? EF_OK : ef_fail(err, EF_NOMEM, "out of memory");
}

static void cpu_device_close(ef_device *dev)
{
    if (!dev) return;
    for (int i = 0; i < CPU_SCRATCH_COUNT; i++) free(dev->scratch[i]);
    free(dev);
}

static void sym_fill(int d, float *G)
{
    for (int r = 0; r < d; r++)
        for (int c = 0; c < r; c++) G[(size_t)r * d + c] = G[(size_t)c * d + r];
}

static int cpu_gram(ef_device *dev, const ef_op *op, ef_error *err)
{
    int d = op->d, rc;
    cpu_inputs in;
    if ((rc = cpu_inputs_get(dev, op, 1, &in, err))) return rc;
    float *G = (float *)op->out->data;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, op->n, 1.0f, in.q, d, 0.0f, G, d);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, op->n, 1.0f, in.kc, d, 0.0f,
                G + (size_t)d * d, d);
    sym_fill(d, G);
    sym_fill(d, G + (size_t)d * d);
    return EF_OK;
}

/* A row block of ranktail (rows < n): P_blk = U_blk^T E_blk by sgemm, and ||E_blk||^2 as
 * each row's ||E_r||^2 by sdot (workload.c's layout). */
static int cpu_ranktail_block(const ef_op *op)
{
    int n = op->n, d = op->d, rows = op->rows;
    const float *E = (const float *)op->e->data, *U = (const float *)op->aux->data;
    float *out = (float *)op->out->data;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, rows, 1.0f, U + (size_t)op->row0 * d,
                d, E, n, 0.0f, out, n);
    for (int r = 0; r < rows; r++)
        out[(size_t)d * n + r] = cblas_sdot(n, E + (size_t)r * n, 1, E + (size_t)r * n, 1);
    return EF_OK;
}

enum { RESIDUAL_ROWS = 64 }; /* rows of the residual held at once: 64 n floats, not n^2 */

static int cpu_ranktail(ef_device *dev, const ef_op *op, ef_error *err)
{
    (void)dev;
    if (op->rows < op->n) return cpu_ranktail_block(op);
    int n = op->n, d = op->d; /* the whole field */
    const float *E = (const float *)op->e->data, *U = (const float *)op->aux->data;
    float *P = malloc(sizeof(float) * d * n), *R = malloc(sizeof(float) * RESIDUAL_ROWS * n);
    if (!P || !R) {
        free(P);
        free(R);
        return ef_fail(err, EF_NOMEM, "ranktail n = %d: out of memory", n);
    }
    /* P = U^T E over the whole field, then the residual R = E - U P a row block at a time
     * (the direct form, bound O(u)); row partials in float, rows added in double so the
     * total's rounding stays below the row sums' */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, n, 1.0f, U, d, E, n, 0.0f, P, n);
    double tail = 0, total = 0;
    for (int r0 = 0; r0 < n; r0 += RESIDUAL_ROWS) {
        int rows = n - r0 < RESIDUAL_ROWS ? n - r0 : RESIDUAL_ROWS;
        const float *Eb = E + (size_t)r0 * n;
        memcpy(R, Eb, sizeof(float) * rows * n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, d, -1.0f,
                    U + (size_t)r0 * d, d, P, n, 1.0f, R, n);
        for (int i = 0; i < rows; i++) {
            float t = 0, s = 0;
            for (int j = 0; j < n; j++) {
                t += R[(size_t)i * n + j] * R[(size_t)i * n + j];
                s += Eb[(size_t)i * n + j] * Eb[(size_t)i * n + j];
            }
            tail += t;
            total += s;
        }
    }
    float *out = (float *)op->out->data;
    out[0] = (float)tail;
    out[1] = (float)total;
    free(P);
    free(R);
    return EF_OK;
}

static int cpu_leverage(ef_device *dev, const ef_op *op, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    cpu_inputs in;
    if ((rc = cpu_inputs_get(dev, op, 1, &in, err))) return rc;
    float *Y = cpu_scratch(dev, CPU_SCRATCH_Y, sizeof(float) * n * d, err);
    if (!Y) return EF_NOMEM;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0f, in.kc, d,
                (const float *)op->aux->data, d, 0.0f, Y, d);
    float *out = (float *)op->out->data;
    for (int j = 0; j < n; j++) {
        float s = 0;
        for (int c = 0; c < d; c++) s += Y[(size_t)j * d + c] * Y[(size_t)j * d + c];
        out[j] = s;
    }
    return EF_OK;
}

static int cpu_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    static int (*const fn[EF_WL_COUNT])(ef_device *, const ef_op *, ef_error *) = {
        [EF_WL_ROWSUM] = cpu_rowsum,     [EF_WL_COLENERGY] = cpu_colenergy, [EF_WL_GRAM] = cpu_gram,
        [EF_WL_RANKTAIL] = cpu_ranktail, [EF_WL_LEVERAGE] = cpu_leverage,
    };
    static const char *const path[EF_WL_COUNT] = {
        [EF_WL_ROWSUM] = "rows-vec16",
        [EF_WL_COLENERGY] = "columns-vec16",
        [EF_WL_GRAM] = "ssyrk",
        [EF_WL_RANKTAIL] = "sgemm-project",
        [EF_WL_LEVERAGE] = "sgemm-rownorm",
    };
    if (op->variant && *op->variant)
        return ef_fail(err, EF_UNSUPPORTED, "cpu has no variant '%s'", op->variant);
    if (op->fault != EF_FAULT_NONE && op->workload != EF_WL_ENERGY)
        return ef_fail(err, EF_UNSUPPORTED, "faults are injected into energy only");
    double t0 = host_clock_ms();
    int rc = op->workload == EF_WL_ENERGY ? cpu_energy(dev, op, res->path, sizeof res->path, err)
                                          : fn[op->workload](dev, op, err);
    res->time_ms = host_clock_ms() - t0;
    if (op->workload != EF_WL_ENERGY)
        snprintf(res->path, sizeof res->path, "%s", path[op->workload]);
    return rc;
}

/* The backend's achievable fp32 peak is the sgemm it runs on (backends/host_peak.c). */
static int cpu_measure_peak(ef_device *dev, ef_peak *out, ef_error *err)
{
    (void)dev;
    return host_peak_measure(HOST_PEAK_SGEMM, out, err);
}

/* The inputs as float (q, k), leverage's Y, the passes' partial sums, the masked path's
 * tiles, and ranktail's U^T E and residual rows (cpu_scratch, cpu_ranktail). */
static double cpu_scratch_bytes(ef_device *dev, int n, int d)
{
    (void)dev;
    return 4.0 * (3.0 * n * d + 2.0 * n) + cpu_masked_scratch_bytes(n, d) +
           4.0 * ((double)d * n + (double)RESIDUAL_ROWS * n);
}

const ef_backend ef_backend_cpu = {
    .name = "cpu",
    .description =
        "float32 CPU (multithreaded OpenBLAS sgemm, vectorised reductions on every core)",
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
    .scratch_bytes = cpu_scratch_bytes,
};
