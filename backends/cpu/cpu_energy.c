/* backends/cpu/cpu_energy.c — the float32 energy field on the CPU through OpenBLAS sgemm.
 * Full mask: keys centered once, then one GEMM. Causal and window masks: blocked row
 * panels, each one sgemm over only the key columns some row of the panel sees. Before it,
 * a prologue writes each row's shift -c_i (c_i = a q_i.m_i, m_i the mean of the keys row i
 * sees, from prefix sums in double) where the GEMM will add a q_i.k_j, and zeros
 * everywhere else, without computing them; the GEMM then runs with beta = 1, so OpenBLAS
 * makes no zeroing pass of its own; an epilogue zeroes the few entries inside the panel's
 * columns that its row does not see. Also the scratch buffers and the inputs of the
 * backend's other products. Called by cpu_backend.c.
 */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

/* Rows per panel. Causal: the panels compute n (n + P) / 2 entries, P/n more than the
 * triangle (6% at n = 2048); window w: P + w - 1 columns a row for w visible. Smaller
 * panels waste less but make more, smaller sgemm calls, each with its own packing and
 * thread hand-off; 64 was the fastest of 32, 64, 128, 256 for both masks at n = 2048,
 * d = 128 on a 2-core AVX-512 Xeon (OpenBLAS 0.3.21 SkylakeX kernels). */
enum { PANEL_ROWS = 64 };

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

/* The last key row i sees; the deliberate defect adds key i + 1. */
static int visible_last(const ef_op *op, int i)
{
    int last = ef_mask_last(op->mask, i, op->n);
    return op->fault == EF_FAULT_MASK_OFF_BY_ONE && last + 1 < op->n ? last + 1 : last;
}

/* shift[r] = a q_i.m_i for the rows of the op, m_i the mean of keys first(i) .. i from
 * prefix sums P ((n + 1) x d, double). Eight partial sums per dot product, added
 * pairwise: a fixed order, and no chain of d dependent additions. */
static void row_shifts(const ef_op *op, const float *q, const double *P, float *shift)
{
    int d = op->d;
    for (int r = 0; r < op->rows; r++) {
        int i = op->row0 + r, lo = ef_mask_first(op->mask, i), hi = ef_mask_last(op->mask, i, op->n);
        const float *qi = q + (size_t)i * d;
        const double *P1 = P + (size_t)(hi + 1) * d, *P0 = P + (size_t)lo * d;
        double acc[8] = {0};
        int c = 0;
        for (; c + 8 <= d; c += 8)
            for (int t = 0; t < 8; t++) acc[t] += (double)qi[c + t] * (P1[c + t] - P0[c + t]);
        for (; c < d; c++) acc[c % 8] += (double)qi[c] * (P1[c] - P0[c]);
        double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        shift[r] = (float)(op->scale * s / (hi - lo + 1));
    }
}

static void fill(float *x, int count, float v)
{
    for (int j = 0; j < count; j++) x[j] = v;
}

/* One panel of rows r0 .. r0+rows-1 (of the op's block), key columns jlo .. jhi. */
static void energy_panel(const ef_op *op, const float *q, const float *k, const float *shift,
                         int r0, int rows, float *E)
{
    int n = op->n, d = op->d, i0 = op->row0 + r0;
    int jlo = ef_mask_first(op->mask, i0), jhi = visible_last(op, i0 + rows - 1);
    for (int r = r0; r < r0 + rows; r++) { /* prologue: -c_i where the GEMM adds, 0 elsewhere */
        float *row = E + (size_t)r * n;
        memset(row, 0, sizeof(float) * jlo);
        fill(row + jlo, jhi - jlo + 1, -shift[r]);
        memset(row + jhi + 1, 0, sizeof(float) * (n - 1 - jhi));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, jhi - jlo + 1, d, (float)op->scale,
                q + (size_t)i0 * d, d, k + (size_t)jlo * d, d, 1.0f, E + (size_t)r0 * n + jlo, n);
    for (int r = r0; r < r0 + rows; r++) { /* epilogue: the panel's columns row i does not see */
        int i = op->row0 + r, first = ef_mask_first(op->mask, i), last = visible_last(op, i);
        float *row = E + (size_t)r * n;
        if (first > jlo) memset(row + jlo, 0, sizeof(float) * (first - jlo));
        if (last < jhi) memset(row + last + 1, 0, sizeof(float) * (jhi - last));
    }
}

/* The panels of one masked dispatch, taken from a shared counter by the workers: each
 * panel is computed whole by one single-threaded sgemm, so which worker takes it changes
 * nothing in the result. Causal panels are taken largest (last) first, which balances the
 * workers' shares. */
typedef struct panel_queue {
    const ef_op *op;
    cpu_inputs in;
    const float *shift;
    float *E;
    int panels;
    atomic_int next;
} panel_queue;

static void panel_worker(void *ctx, int worker)
{
    (void)worker;
    panel_queue *pq = ctx;
    const ef_op *op = pq->op;
    for (int p; (p = atomic_fetch_add(&pq->next, 1)) < pq->panels;) {
        int b = op->mask.kind == EF_MASK_CAUSAL ? pq->panels - 1 - p : p, r0 = b * PANEL_ROWS;
        int rows = op->rows - r0 < PANEL_ROWS ? op->rows - r0 : PANEL_ROWS;
        energy_panel(op, pq->in.q, pq->in.k, pq->shift, r0, rows, pq->E);
    }
}

static int energy_masked(ef_device *dev, const ef_op *op, float *E, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    panel_queue pq = {.op = op, .E = E, .panels = (op->rows + PANEL_ROWS - 1) / PANEL_ROWS};
    if ((rc = cpu_inputs_get(dev, op, 0, &pq.in, err))) return rc;
    double *P = cpu_scratch(dev, CPU_SCRATCH_PREFIX, (size_t)(n + 1) * d * sizeof(double), err);
    float *shift = cpu_scratch(dev, CPU_SCRATCH_SHIFT, sizeof(float) * op->rows, err);
    if (!P || !shift) return EF_NOMEM;
    /* prefix sums of the keys this block's rows see, in double */
    int hi = op->row0 + op->rows; /* P rows 0 .. hi */
    for (int c = 0; c < d; c++) P[c] = 0;
    for (int j = 0; j < hi; j++)
        for (int c = 0; c < d; c++) P[(size_t)(j + 1) * d + c] = P[(size_t)j * d + c] + pq.in.k[(size_t)j * d + c];
    row_shifts(op, pq.in.q, P, shift);
    pq.shift = shift;
    atomic_init(&pq.next, 0);
    /* Our workers, one sgemm each at a time: a panel's sgemm is too small for OpenBLAS's
     * own threads to pay their hand-off, and the prologue and epilogue run on every core. */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    cpu_parallel(cpu_workers(), panel_worker, &pq);
    openblas_set_num_threads(blas_threads);
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
    snprintf(path, path_len, "sgemm-panels%d", PANEL_ROWS);
    return energy_masked(dev, op, (float *)op->e->data, err);
}
