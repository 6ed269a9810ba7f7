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

/* Element offset of the root (the key sums, d floats; the last row of the tree). The
 * kernels take the mean key as root / n from there. */
cl_long ocl_tree_root(int n, int d) { return (cl_long)(ocl_tree_rows_total(n) - 1) * d; }

int ocl_keys_prepare(ef_device *dev, const ef_op *op, int center, ocl_timer *t, ef_error *err)
{
    int n = op->n, d = op->d, L = ocl_tree_levels(op->n), rc;
    cl_mem tree, kc;
    if ((rc = ocl_scratch_get(dev, OCLS_TREE, ocl_tree_rows_total(n) * d * sizeof(float), &tree,
                              err)))
        return rc;
    const cl_long root = ocl_tree_root(n, d);
    /* an item: 16 columns x TREE_ROWS keys; a group: all columns of TREE_ROWS keys */
    size_t global[2] = {(size_t)(d + 15) / 16, (size_t)(n + 63) / 64};
    size_t local[2] = {global[0] <= 256 ? global[0] : 1, 1};
    ocl_arg a[] = {OCLA(op->k->mem), OCLA(n), OCLA(d), OCLA(L), OCLA(tree)};
    rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TREE_FIRST, op->precision), a, OCL_COUNT(a),
                        2, global, local, t, err);
    for (int b0 = 6; rc == EF_OK && b0 < L; b0 += 6) {
        global[1] = (size_t)(((n + (1 << b0) - 1) >> b0) + 63) / 64;
        ocl_arg an[] = {OCLA(tree), OCLA(n), OCLA(d), OCLA(b0), OCLA(L)};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TREE_NEXT, 0), an, OCL_COUNT(an), 2,
                            global, local, t, err);
    }
    if (rc != EF_OK || center == OCL_KEYS_TREE) return rc;
    if (center == OCL_KEYS_KT) {
        int ldk = ocl_kt_ld(n);
        if ((rc = ocl_scratch_get(dev, OCLS_KT, (size_t)ldk * d * sizeof(float), &kc, err)))
            return rc;
        size_t l2[2] = {1, 1}, g2[2] = {(size_t)ldk / 16, (size_t)(d + 15) / 16}; /* 16 x 16 */
        ocl_arg at[] = {OCLA(op->k->mem), OCLA(n),   OCLA(d), OCLA(tree),
                        OCLA(root),       OCLA(ldk), OCLA(kc)};
        return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_CENTER_T, op->precision), at,
                              OCL_COUNT(at), 2, g2, l2, t, err);
    }
    if ((rc = ocl_scratch_get(dev, OCLS_KC, (size_t)n * d * sizeof(float), &kc, err))) return rc;
    /* 16 x 16 items a group: a CPU driver pays per group, a GPU is as well served */
    size_t l2[2] = {16, 16}, g2[2] = {ocl_round_up(d, 16), ocl_round_up(n, 16)};
    ocl_arg ac[] = {OCLA(op->k->mem), OCLA(n), OCLA(d), OCLA(tree), OCLA(root), OCLA(kc)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_CENTER, op->precision), ac, OCL_COUNT(ac),
                          2, g2, l2, t, err);
}

int ocl_row_shift(ef_device *dev, const ef_op *op, int center, cl_mem *shift, ocl_timer *t,
                  ef_error *err)
{
    int n = op->n, d = op->d, rc;
    int kind = (int)op->mask.kind, window = op->mask.window, row0 = op->row0, rows = op->rows;
    float scale = (float)op->scale;
    const cl_long root = ocl_tree_root(n, d);
    if ((rc = ocl_scratch_get(dev, OCLS_SHIFT, (size_t)rows * sizeof(float), shift, err)))
        return rc;
    size_t l1 = 16, g1 = ocl_round_up(rows, 16); /* one item per row */
    ocl_arg a[] = {OCLA(op->q->mem), OCLA(n),    OCLA(d),      OCLA(dev->scratch[OCLS_TREE]),
                   OCLA(root),       OCLA(kind), OCLA(window), OCLA(center),
                   OCLA(row0),       OCLA(rows), OCLA(scale),  OCLA(*shift)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROW_SHIFT, op->precision), a, OCL_COUNT(a),
                          1, &g1, &l1, t, err);
}

int ocl_energy_launch(ef_device *dev, cl_kernel k, ocl_tiles tl, const ocl_energy_args *x,
                      ocl_timer *t, ef_error *err)
{
    if (tl.vec == OCL_FORM_CPU) {
        int ldk = ocl_kt_ld(x->n);
        size_t gi = (size_t)(tl.bm / tl.tm);
        size_t local[2] = {gi, 1};
        size_t global[2] = {ocl_round_up((size_t)(x->rows + tl.tm - 1) / tl.tm, gi),
                            (size_t)(x->n + tl.bn - 1) / tl.bn};
        ocl_arg a[] = {OCLA(x->q),         OCLA(x->keys), OCLA(ldk),      OCLA(x->shift),
                       OCLA(x->has_shift), OCLA(x->e),    OCLA(x->n),     OCLA(x->d),
                       OCLA(x->row0),      OCLA(x->rows), OCLA(x->scale), OCLA(x->kind),
                       OCLA(x->window),    OCLA(x->extra)};
        return ocl_kernel_run(dev, k, a, OCL_COUNT(a), 2, global, local, t, err);
    }
    size_t local[2] = {(size_t)(tl.bn / tl.tn), (size_t)(tl.bm / tl.tm)};
    size_t global[2] = {ocl_round_up(x->n, tl.bn) / tl.tn, ocl_round_up(x->rows, tl.bm) / tl.tm};
    ocl_arg a[] = {OCLA(x->q),    OCLA(x->keys),  OCLA(x->shift), OCLA(x->has_shift),
                   OCLA(x->e),    OCLA(x->n),     OCLA(x->d),     OCLA(x->row0),
                   OCLA(x->rows), OCLA(x->scale), OCLA(x->kind),  OCLA(x->window),
                   OCLA(x->extra)};
    return ocl_kernel_run(dev, k, a, OCL_COUNT(a), 2, global, local, t, err);
}

void ocl_tiles_name(ocl_tiles tl, char *buf, size_t len)
{
    if (tl.vec == OCL_FORM_CPU)
        snprintf(buf, len, "cpu-%dx%d-v%d-g%d", tl.tm, tl.bn, tl.tn, tl.bm / tl.tm);
    else
        snprintf(buf, len, "%s%dx%dx%d-%dx%d", tl.vec ? "v4-" : "", tl.bm, tl.bn, tl.bk, tl.tm,
                 tl.tn);
}

int ocl_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const int n = op->n, d = op->d, rows = op->rows;
    int rc;
    if (op->precision != EF_PREC_FP32) {
        if (ocl_mma_use(dev)) return ocl_mma_energy(dev, op, res, err);
        if (dev->mma_require)
            return ef_fail(err, EF_UNSUPPORTED, "EF_OPENCL_MMA=require: %s", dev->mma_note);
    }
    if ((rc = ocl_tiles_ready(dev, op->precision, err)) != EF_OK) return rc;

    ocl_timer t = {0};
    const ocl_tiles tl = dev->tiles;
    const int cpu = tl.vec == OCL_FORM_CPU;
    ocl_energy_args x = {.q = op->q->mem,
                         .e = op->e->mem,
                         .n = n,
                         .d = d,
                         .row0 = op->row0,
                         .rows = rows,
                         .scale = (float)op->scale,
                         .kind = (int)op->mask.kind,
                         .window = op->mask.window};
    x.has_shift = op->mask.kind != EF_MASK_FULL;
    x.extra = op->fault == EF_FAULT_MASK_OFF_BY_ONE && x.has_shift;
    if ((rc = ocl_keys_prepare(dev, op, cpu ? OCL_KEYS_KT : OCL_KEYS_KC, &t, err)) != EF_OK)
        goto done;
    if (x.has_shift) rc = ocl_row_shift(dev, op, 1, &x.shift, &t, err);
    else rc = ocl_scratch_get(dev, OCLS_SHIFT, (size_t)rows * sizeof(float), &x.shift, err);
    if (rc != EF_OK) goto done;
    x.keys = dev->scratch[cpu ? OCLS_KT : OCLS_KC];
    rc = ocl_energy_launch(dev, dev->energy_k[op->precision], tl, &x, &t, err);
    if (rc != EF_OK) goto done;
    rc = ocl_timer_finish(dev, &t, &res->time_ms, err);
    if (rc == EF_OK) {
        char shape[32];
        ocl_tiles_name(tl, shape, sizeof shape);
        snprintf(res->path, sizeof res->path, "fused-%s%s%s%s",
                 x.kind == EF_MASK_FULL ? "" : "shift-", shape, x.extra ? "-fault" : "",
                 dev->is_nvidia && op->precision != EF_PREC_FP32 ? "-mma-off" : "");
    }
done:
    ocl_timer_release(&t);
    return rc;
}
