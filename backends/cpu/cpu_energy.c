/* backends/cpu/cpu_energy.c — the float32 energy field on the CPU through OpenBLAS sgemm.
 * Full mask: keys centered once, then one GEMM. Causal and window masks: one GEMM per
 * 64-row tile over only the visible key columns, then the epilogue E_ij = S_ij - c_i with
 * c_i = a q_i.m_i from prefix means of the keys (accumulated in double).
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

enum { ROW_TILE = 64 };

int cpu_inputs_centered(const ef_op *op, float **Q, float **Kc, ef_error *err)
{
    int n = op->n, d = op->d;
    size_t nd = (size_t)n * d;
    float *k = malloc(nd * sizeof(float)), *q = Q ? malloc(nd * sizeof(float)) : NULL;
    double *kbar = calloc(d, sizeof(double));
    if (!k || !kbar || (Q && !q)) {
        free(k);
        free(q);
        free(kbar);
        return ef_fail(err, EF_NOMEM, "inputs n = %d, d = %d: out of memory", n, d);
    }
    hostmem_decode_f32(op->precision, op->k->data, nd, k);
    if (Q) hostmem_decode_f32(op->precision, op->q->data, nd, q);
    /* the mean in double: one rounding when it is stored, as backend.h asks */
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) kbar[c] += k[(size_t)j * d + c];
    for (size_t i = 0; i < nd; i++) k[i] -= (float)(kbar[i % d] / n);
    free(kbar);
    *Kc = k;
    if (Q) *Q = q;
    return EF_OK;
}

static int energy_full(const ef_op *op, float *E, ef_error *err)
{
    float *Q, *Kc;
    int rc = cpu_inputs_centered(op, &Q, &Kc, err);
    if (rc) return rc;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, op->rows, op->n, op->d, (float)op->scale,
                Q + (size_t)op->row0 * op->d, op->d, Kc, op->d, 0.0f, E, op->n);
    free(Q);
    free(Kc);
    return EF_OK;
}

/* Is key j visible from row i, with the deliberate defect when asked? */
static int visible(const ef_op *op, int i, int j)
{
    if (op->fault == EF_FAULT_MASK_OFF_BY_ONE && j == i + 1) return 1;
    return ef_mask_visible(op->mask, i, j);
}

static int energy_masked(const ef_op *op, float *E, ef_error *err)
{
    int n = op->n, d = op->d, rc = EF_OK;
    size_t nd = (size_t)n * d;
    float *q = malloc(nd * sizeof(float)), *k = malloc(nd * sizeof(float));
    float *shift = malloc(sizeof(float) * op->rows);
    double *P = calloc((size_t)(n + 1) * d, sizeof(double));
    if (!q || !k || !shift || !P) { rc = ef_fail(err, EF_NOMEM, "energy n = %d: out of memory", n); goto out; }
    hostmem_decode_f32(op->precision, op->q->data, nd, q);
    hostmem_decode_f32(op->precision, op->k->data, nd, k);
    for (int j = 0; j < n; j++) /* prefix sums of keys in double */
        for (int c = 0; c < d; c++) P[(size_t)(j + 1) * d + c] = P[(size_t)j * d + c] + k[(size_t)j * d + c];
    for (int r = 0; r < op->rows; r++) {
        int i = op->row0 + r, lo = ef_mask_first(op->mask, i), hi = i;
        double c = 0;
        for (int e = 0; e < d; e++)
            c += (double)q[(size_t)i * d + e] * (P[(size_t)(hi + 1) * d + e] - P[(size_t)lo * d + e]);
        shift[r] = (float)(op->scale * c / (hi - lo + 1));
    }
    /* S over the visible band of each row tile (one column more when a fault widens it) */
    for (int r0 = 0; r0 < op->rows; r0 += ROW_TILE) {
        int rows = op->rows - r0 < ROW_TILE ? op->rows - r0 : ROW_TILE;
        int i0 = op->row0 + r0, i1 = i0 + rows - 1;
        int jlo = ef_mask_first(op->mask, i0), jhi = i1 + (op->fault != EF_FAULT_NONE);
        if (jhi > n - 1) jhi = n - 1;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, jhi - jlo + 1, d, (float)op->scale,
                    q + (size_t)i0 * d, d, k + (size_t)jlo * d, d, 0.0f, E + (size_t)r0 * n + jlo, n);
        for (int r = r0; r < r0 + rows; r++) {
            int i = op->row0 + r;
            float *row = E + (size_t)r * n;
            for (int j = 0; j < n; j++)
                row[j] = j >= jlo && j <= jhi && visible(op, i, j) ? row[j] - shift[r] : 0.0f;
        }
    }
out:
    free(q);
    free(k);
    free(shift);
    free(P);
    return rc;
}

int cpu_energy(const ef_op *op, ef_error *err)
{
    if (op->mask.kind == EF_MASK_FULL) {
        if (op->fault != EF_FAULT_NONE)
            return ef_fail(err, EF_UNSUPPORTED, "the mask fault needs a causal or window mask");
        return energy_full(op, (float *)op->e->data, err);
    }
    return energy_masked(op, (float *)op->e->data, err);
}
