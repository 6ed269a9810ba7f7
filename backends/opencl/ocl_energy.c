/* backends/opencl/ocl_energy.c — the energy field E = center_rows(a Q K^T) on OpenCL:
 * a pairwise key-sum tree (keys.cl, field.cl), the centered keys kc = K - kbar, for the
 * masked fields the per-row shift a q_i . (m_i - kbar) from prefix / window means, then
 * ONE fused GEMM kernel per mask (energy.cl) writing the op's row block. Called by
 * ocl_workloads.c (dispatch) and reused for Gram and leverage (ocl_keys_prepare).
 */
#include <stdio.h>

#include "ocl_internal.h"

int ocl_tree_levels(int n)
{
    int L = 0;
    while ((1 << L) < n) L++;
    return L;
}

/* Rows (of d floats) the tree holds over all levels. */
static size_t ocl_tree_rows_total(int n)
{
    size_t total = 0;
    for (int b = 0; b <= ocl_tree_levels(n); b++) total += (size_t)((n + (1 << b) - 1) >> b);
    return total;
}

int ocl_keys_prepare(ef_device *dev, const ef_op *op, int center, ocl_timer *t, ef_error *err)
{
    int n = op->n, d = op->d, L = ocl_tree_levels(op->n), rc;
    cl_mem tree, kc;
    if ((rc = ocl_scratch_get(dev, OCLS_TREE, ocl_tree_rows_total(n) * d * sizeof(float), &tree, err)))
        return rc;
    size_t local[2] = {4, 64};               /* TREE_COLS, TREE_ROWS of common.cl */
    size_t global[2] = {ocl_round_up(d, 4), ocl_round_up(n, 64)};
    ocl_arg a[] = {OCLA(op->k->mem), OCLA(n), OCLA(d), OCLA(L), OCLA(tree)};
    rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TREE_FIRST, op->precision), a, OCL_COUNT(a),
                       2, global, local, t, err);
    for (int b0 = 6; rc == EF_OK && b0 < L; b0 += 6) {
        global[1] = ocl_round_up((size_t)((n + (1 << b0) - 1) >> b0), 64);
        ocl_arg an[] = {OCLA(tree), OCLA(n), OCLA(d), OCLA(b0), OCLA(L)};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TREE_NEXT, 0), an, OCL_COUNT(an), 2,
                           global, local, t, err);
    }
    if (rc != EF_OK || !center) return rc;
    if ((rc = ocl_scratch_get(dev, OCLS_KC, (size_t)n * d * sizeof(float), &kc, err))) return rc;
    size_t l1 = 64, g1 = ocl_round_up((size_t)n * d, 64);
    ocl_arg ac[] = {OCLA(op->k->mem), OCLA(n), OCLA(d), OCLA(L), OCLA(tree), OCLA(kc)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_CENTER, op->precision), ac, OCL_COUNT(ac),
                         1, &g1, &l1, t, err);
}

int ocl_row_shift(ef_device *dev, const ef_op *op, int center, cl_mem *shift, ocl_timer *t,
                  ef_error *err)
{
    int n = op->n, d = op->d, L = ocl_tree_levels(n), rc;
    int kind = (int)op->mask.kind, window = op->mask.window, row0 = op->row0, rows = op->rows;
    float scale = (float)op->scale;
    if ((rc = ocl_scratch_get(dev, OCLS_SHIFT, (size_t)rows * sizeof(float), shift, err)))
        return rc;
    size_t l1 = 64, g1 = (size_t)rows * 64;   /* one group per row */
    ocl_arg a[] = {OCLA(op->q->mem), OCLA(n), OCLA(d), OCLA(L), OCLA(dev->scratch[OCLS_TREE]),
                   OCLA(kind), OCLA(window), OCLA(center), OCLA(row0), OCLA(rows),
                   OCLA(scale), OCLA(*shift)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROW_SHIFT, op->precision), a,
                          OCL_COUNT(a), 1, &g1, &l1, t, err);
}

int ocl_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const int n = op->n, d = op->d, rows = op->rows, row0 = op->row0;
    int rc;
    if (op->precision != EF_PREC_FP32) {
        if (ocl_mma_use(dev)) return ocl_mma_energy(dev, op, res, err);
        if (dev->mma_require)
            return ef_fail(err, EF_UNSUPPORTED, "EF_OPENCL_MMA=require: %s", dev->mma_note);
    }
    if ((rc = ocl_tiles_ready(dev, err)) != EF_OK) return rc;

    ocl_timer t = {0};
    cl_mem shift = NULL;
    int has_shift = op->mask.kind != EF_MASK_FULL;
    int kind = (int)op->mask.kind, window = op->mask.window;
    int extra = op->fault == EF_FAULT_MASK_OFF_BY_ONE && has_shift;
    float scale = (float)op->scale;
    if ((rc = ocl_keys_prepare(dev, op, 1, &t, err)) != EF_OK) goto done;
    if (has_shift) rc = ocl_row_shift(dev, op, 1, &shift, &t, err);
    else rc = ocl_scratch_get(dev, OCLS_SHIFT, (size_t)rows * sizeof(float), &shift, err);
    if (rc != EF_OK) goto done;
    const ocl_tiles tl = dev->tiles;
    size_t local[2] = {(size_t)(tl.bn / tl.tn), (size_t)(tl.bm / tl.tm)};
    size_t global[2] = {ocl_round_up(n, tl.bn) / tl.tn, ocl_round_up(rows, tl.bm) / tl.tm};
    ocl_arg a[] = {OCLA(op->q->mem), OCLA(dev->scratch[OCLS_KC]), OCLA(shift), OCLA(has_shift),
                   OCLA(op->e->mem), OCLA(n), OCLA(d), OCLA(row0), OCLA(rows), OCLA(scale),
                   OCLA(kind), OCLA(window), OCLA(extra)};
    rc = ocl_kernel_run(dev, dev->energy_k[op->precision], a, OCL_COUNT(a), 2, global, local,
                        &t, err);
    if (rc != EF_OK) goto done;
    rc = ocl_timer_finish(dev, &t, &res->time_ms, err);
    if (rc == EF_OK)
        snprintf(res->path, sizeof res->path, "fused-%s%s%dx%dx%d-%dx%d%s%s",
                 kind == EF_MASK_FULL ? "" : "shift-", tl.vec ? "v4-" : "", tl.bm, tl.bn,
                 tl.bk, tl.tm, tl.tn, extra ? "-fault" : "",
                 dev->is_nvidia && op->precision != EF_PREC_FP32 ? "-mma-off" : "");
done:
    ocl_timer_release(&t);
    return rc;
}
