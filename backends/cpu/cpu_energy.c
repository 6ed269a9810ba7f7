/* backends/cpu/cpu_energy.c — the float32 energy field on the CPU through OpenBLAS sgemm:
 * the full mask as keys centered once, then one multithreaded GEMM; the masks go to
 * cpu_masked.c. Also the scratch buffers and the inputs (decoded, centered) that every
 * product of the backend reads. Called by cpu_backend.c.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

int cpu_need(const ef_buffer *b, size_t bytes, const char *what, ef_error *err)
{
    if (!b) return ef_fail(err, EF_ERROR, "%s buffer missing", what);
    if (b->bytes < bytes)
        return ef_fail(err, EF_ERROR, "%s buffer holds %zu bytes, the op needs %zu", what, b->bytes, bytes);
    return EF_OK;
}

void *cpu_scratch(ef_device *dev, int slot, size_t bytes, ef_error *err)
{
    if (dev->scratch_bytes[slot] >= bytes) return dev->scratch[slot];
    free(dev->scratch[slot]);
    dev->scratch[slot] = malloc(bytes ? bytes : 1);
    dev->scratch_bytes[slot] = dev->scratch[slot] ? bytes : 0;
    if (!dev->scratch[slot]) ef_fail(err, EF_NOMEM, "cpu scratch of %zu bytes: out of memory", bytes);
    return dev->scratch[slot];
}

/* Sum of the n rows of X (n x d) into s[d], in double: one rounding per addend at
 * u = 2^-53, far inside the log2(n) + 2 float roundings backend.h allows a key mean. */
static void column_sums(const float *X, int n, int d, double *s)
{
    for (int c = 0; c < d; c++) s[c] = 0;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) s[c] += X[(size_t)j * d + c];
}

int cpu_inputs_get(ef_device *dev, const ef_op *op, int want_kc, cpu_inputs *in, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    size_t nd = (size_t)n * d, es = ef_precision_size(op->precision);
    if ((rc = cpu_need(op->q, nd * es, "q", err)) || (rc = cpu_need(op->k, nd * es, "k", err)))
        return rc;
    *in = (cpu_inputs){.q = (const float *)op->q->data, .k = (const float *)op->k->data};
    if (op->precision != EF_PREC_FP32) {
        float *q = cpu_scratch(dev, CPU_SCRATCH_Q, nd * sizeof(float), err);
        if (!q) return EF_NOMEM;
        hostmem_decode_f32(op->precision, op->q->data, nd, q);
        in->q = q;
    }
    if (!want_kc && op->precision == EF_PREC_FP32) return EF_OK;
    float *k = cpu_scratch(dev, CPU_SCRATCH_K, nd * sizeof(float), err);
    double *kbar = cpu_scratch(dev, CPU_SCRATCH_PREFIX, (size_t)d * sizeof(double), err);
    if (!k || !kbar) return EF_NOMEM;
    if (op->precision == EF_PREC_FP32) memcpy(k, op->k->data, nd * sizeof(float));
    else hostmem_decode_f32(op->precision, op->k->data, nd, k);
    in->k = k;
    if (!want_kc) return EF_OK;
    column_sums(k, n, d, kbar);
    float *mean = cpu_scratch(dev, CPU_SCRATCH_SHIFT, (size_t)d * sizeof(float), err);
    if (!mean) return EF_NOMEM;
    for (int c = 0; c < d; c++) mean[c] = (float)(kbar[c] / n); /* one rounding */
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) k[(size_t)j * d + c] -= mean[c];
    in->kc = k;
    return EF_OK;
}

static int energy_full(ef_device *dev, const ef_op *op, float *E, ef_error *err)
{
    cpu_inputs in;
    int rc = cpu_inputs_get(dev, op, 1, &in, err);
    if (rc) return rc;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, op->rows, op->n, op->d, (float)op->scale,
                in.q + (size_t)op->row0 * op->d, op->d, in.kc, op->d, 0.0f, E, op->n);
    return EF_OK;
}

int cpu_energy(ef_device *dev, const ef_op *op, char *path, size_t path_len, ef_error *err)
{
    int rc = cpu_need(op->e, (size_t)op->rows * op->n * sizeof(float), "e", err);
    if (rc) return rc;
    if (op->mask.kind == EF_MASK_FULL) {
        if (op->fault != EF_FAULT_NONE)
            return ef_fail(err, EF_UNSUPPORTED, "the mask fault needs a causal or window mask");
        snprintf(path, path_len, "sgemm-centered");
        return energy_full(dev, op, (float *)op->e->data, err);
    }
    return cpu_energy_masked(dev, op, (float *)op->e->data, path, path_len, err);
}
