/* backends/ref/ref_backend.c — the float64 reference as a backend: one "device" (the
 * host), buffers in host memory, every workload through ref_math (OpenBLAS + LAPACKE).
 * It gives results tables a float64 row; the verifier uses ref_math directly.
 */
#include <cblas.h>
#include <math.h>
#include <openblas_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_peak.h"
#include "backends/hostmem.h"
#include "core/ref_math.h"

struct ef_device {
    int unused;
};

static int ref_device_count(ef_error *err)
{
    (void)err;
    return 1;
}

static int ref_device_info(int index, ef_device_info *info, ef_error *err)
{
    if (index != 0) return ef_fail(err, EF_ERROR, "ref has one device (0), not %d", index);
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "float64 reference");
    host_cpu_model(info->vendor, sizeof info->vendor);
    snprintf(info->driver_version, sizeof info->driver_version, "%s", host_blas_version());
    snprintf(info->api_version, sizeof info->api_version, "CBLAS/LAPACKE");
    snprintf(info->type, sizeof info->type, "cpu");
    info->memory_bytes = host_memory_bytes();
    info->max_buffer_bytes = info->memory_bytes / 4;
    info->precisions = 1u << EF_PREC_FP32 | 1u << EF_PREC_FP16 | 1u << EF_PREC_BF16;
    info->out_dtype = EF_F64;
    snprintf(info->notes, sizeof info->notes, "float64 ground truth, %d threads", host_cpu_count());
    return EF_OK;
}

static int ref_device_open(int index, ef_device **dev, ef_error *err)
{
    if (index != 0) return ef_fail(err, EF_ERROR, "ref has one device (0), not %d", index);
    *dev = calloc(1, sizeof **dev);
    return *dev ? EF_OK : ef_fail(err, EF_NOMEM, "out of memory");
}

static void ref_device_close(ef_device *dev) { free(dev); }

/* Q and K decoded to double, K centered when `center` (Kc) and the means M. */
typedef struct inputs {
    double *Q, *K, *Kc, *M;
} inputs;

static void inputs_free(inputs *in)
{
    free(in->Q);
    free(in->K);
    free(in->Kc);
    free(in->M);
}

static int inputs_load(const ef_op *op, int want_q, inputs *in, ef_error *err)
{
    size_t nd = (size_t)op->n * op->d;
    int rc;
    memset(in, 0, sizeof *in);
    in->K = malloc(nd * sizeof(double));
    in->Kc = malloc(nd * sizeof(double));
    in->M = malloc(nd * sizeof(double));
    if (want_q) in->Q = malloc(nd * sizeof(double));
    if (!in->K || !in->Kc || !in->M || (want_q && !in->Q)) {
        inputs_free(in);
        return ef_fail(err, EF_NOMEM, "inputs n = %d, d = %d: out of memory", op->n, op->d);
    }
    if (want_q) hostmem_decode_f64(op->precision, op->q->data, nd, in->Q);
    hostmem_decode_f64(op->precision, op->k->data, nd, in->K);
    rc = ref_key_means(op->mask, op->n, op->d, in->K, 0, in->M, err);
    if (rc == EF_OK) {
        double kbar[op->d];
        ref_key_mean(op->n, op->d, in->K, kbar);
        ref_keys_center(op->n, op->d, in->K, kbar, in->Kc);
    }
    if (rc != EF_OK) inputs_free(in);
    return rc;
}

static int ref_energy(const ef_op *op, ef_error *err)
{
    inputs in;
    int rc = inputs_load(op, 1, &in, err);
    if (rc) return rc;
    ref_energy_block(op->mask, op->n, op->d, op->scale, in.Q, in.K, in.Kc, in.M, op->row0, op->rows,
                     (double *)op->e->data);
    inputs_free(&in);
    return EF_OK;
}

static int ref_rowsum(const ef_op *op, ef_error *err)
{
    (void)err;
    const double *E = (const double *)op->e->data;
    double *out = (double *)op->out->data;
    for (int r = 0; r < op->rows; r++) {
        double s = 0, t = 0;
        for (int j = 0; j < op->n; j++) {
            s += E[(size_t)r * op->n + j];
            t += fabs(E[(size_t)r * op->n + j]);
        }
        out[r] = s;
        out[op->rows + r] = t;
    }
    return EF_OK;
}

static int ref_colenergy(const ef_op *op, ef_error *err)
{
    (void)err;
    const double *E = (const double *)op->e->data;
    double *out = (double *)op->out->data;
    memset(out, 0, sizeof(double) * op->n);
    for (int r = 0; r < op->rows; r++)
        for (int j = 0; j < op->n; j++)
            out[j] += E[(size_t)r * op->n + j] * E[(size_t)r * op->n + j];
    return EF_OK;
}

static int ref_gram_op(const ef_op *op, ef_error *err)
{
    inputs in;
    int rc = inputs_load(op, 1, &in, err);
    if (rc) return rc;
    double *out = (double *)op->out->data;
    ref_gram(op->n, op->d, in.Q, out);
    ref_gram(op->n, op->d, in.Kc, out + (size_t)op->d * op->d);
    inputs_free(&in);
    return EF_OK;
}

static int ref_ranktail(const ef_op *op, ef_error *err)
{
    int n = op->n, d = op->d, rows = op->rows;
    const double *E = (const double *)op->e->data, *U = (const double *)op->aux->data;
    double *out = (double *)op->out->data;
    if (rows == n) /* the whole field: the residual itself */
        return ref_rank_tail(n, d, E, U, &out[0], &out[1], err);
    /* a row block: P_blk = U_blk^T E_blk and each row's ||E_r||^2 (workload.c's layout) */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, rows, 1.0, U + (size_t)op->row0 * d,
                d, E, n, 0.0, out, n);
    for (int r = 0; r < rows; r++)
        out[(size_t)d * n + r] = cblas_ddot(n, E + (size_t)r * n, 1, E + (size_t)r * n, 1);
    return EF_OK;
}

static int ref_leverage_op(const ef_op *op, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    inputs in;
    if ((rc = inputs_load(op, 0, &in, err))) return rc;
    double *Y = malloc(sizeof(double) * n * d);
    if (!Y) {
        inputs_free(&in);
        return ef_fail(err, EF_NOMEM, "leverage n = %d: out of memory", n);
    }
    /* Y = Kc T^T: row j is T kc_j */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, in.Kc, d,
                (const double *)op->aux->data, d, 0.0, Y, d);
    double *out = (double *)op->out->data;
    for (int j = 0; j < n; j++) out[j] = cblas_ddot(d, Y + (size_t)j * d, 1, Y + (size_t)j * d, 1);
    free(Y);
    inputs_free(&in);
    return EF_OK;
}

static int ref_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    (void)dev;
    static int (*const fn[EF_WL_COUNT])(const ef_op *, ef_error *) = {
        [EF_WL_ENERGY] = ref_energy,       [EF_WL_ROWSUM] = ref_rowsum,
        [EF_WL_COLENERGY] = ref_colenergy, [EF_WL_GRAM] = ref_gram_op,
        [EF_WL_RANKTAIL] = ref_ranktail,   [EF_WL_LEVERAGE] = ref_leverage_op,
    };
    if (op->fault != EF_FAULT_NONE)
        return ef_fail(err, EF_UNSUPPORTED, "the float64 reference does not inject faults");
    if (op->variant && *op->variant)
        return ef_fail(err, EF_UNSUPPORTED, "ref has no variant '%s'", op->variant);
    double t0 = host_clock_ms();
    int rc = fn[op->workload](op, err);
    res->time_ms = host_clock_ms() - t0;
    snprintf(res->path, sizeof res->path, "float64-blas");
    return rc;
}

/* The reference's peak is its dgemm (fp64, its accumulation; backends/host_peak.c). */
static int ref_measure_peak(ef_device *dev, ef_peak *out, ef_error *err)
{
    (void)dev;
    return host_peak_measure(HOST_PEAK_DGEMM, out, err);
}

const ef_backend ef_backend_ref = {
    .name = "ref",
    .description = "float64 CPU reference (OpenBLAS dgemm/dsyrk, LAPACKE QR/SVD/eigen)",
    .device_count = ref_device_count,
    .device_info = ref_device_info,
    .device_open = ref_device_open,
    .device_close = ref_device_close,
    .buffer_alloc = hostmem_alloc,
    .buffer_free = hostmem_free,
    .buffer_upload = hostmem_upload,
    .buffer_download = hostmem_download,
    .run = ref_run,
    .measure_peak = ref_measure_peak,
};
