/* harness/workload.c — the rows of the workload table (see workload.h): cost models from
 * energy-field.md's workload table, the buffer layouts every backend implements (the
 * comment above each `layout` function is that workload's contract), and per workload how
 * its output is read back and which verifier judges it. Also the one layout check every
 * op passes before a backend runs it, and the run order.
 *
 * Adding a workload: its id and name in core/types.h (EF_WORKLOAD_LIST), a row here with
 * its layout, cost, read-back and verifier (a verifier of its own can live here, built on
 * verify.h's helpers, and a reference quantity of its own is a `reference_own`), and one
 * kernel per backend: backends/ref (float64), backends/cpu, OpenCL `wl_<name>` in
 * shaders/opencl/workloads.cl and Vulkan shaders/vulkan/wl_<name>.comp (the generic
 * launch of backends/backend.h).
 */
#include "workload.h"

#include <stdlib.h>
#include <string.h>

double workload_visible_pairs(int n, ef_mask m)
{
    double nn = n;
    switch (m.kind) {
        case EF_MASK_CAUSAL: return nn * (nn + 1) / 2;
        case EF_MASK_WINDOW: {
            double w = m.window < n ? m.window : n;
            return w * (w + 1) / 2 + (nn - w) * w; /* rows below w see i+1 keys, the rest w */
        }
        default: return nn * nn;
    }
}

/* Download `count` elements of buf, from element `offset`, as double into dst. */
static int download_doubles(ef_group *g, ef_buffer *buf, size_t offset, size_t count, double *dst,
                            ef_error *err)
{
    size_t es = ef_dtype_size(g->info->out_dtype);
    int rc = g->backend->buffer_download(g->dev, buf, offset * es, g->raw, count * es, err);
    if (rc) return rc;
    if (g->info->out_dtype == EF_F64) memcpy(dst, g->raw, count * sizeof(double));
    else
        for (size_t i = 0; i < count; i++) dst[i] = ((const float *)g->raw)[i];
    return EF_OK;
}

/* ---- energy: E on the checked rows ----
 * Reads q, k (n x d); writes e (rows x n): E_ij = a q_i . (k_j - m_i) for visible j, 0
 * otherwise, i = row0 + r. m_i is the mean of the keys visible from row i (full: all n
 * keys). Any algebraically equal form is fine (pre-centered keys, raw keys minus the shift
 * a q_i.m_i for tensor cores): the verifier's bound grows with |k_j| + mean|k|, which
 * covers each of them. */
static ef_layout energy_layout(int n, int d, int rows)
{
    return (ef_layout){.q = (size_t)n * d, .k = (size_t)n * d, .e = (size_t)rows * n};
}
static double energy_flops(int n, int d, ef_mask m)
{
    return 2.0 * workload_visible_pairs(n, m) * d;
}
static double energy_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m; /* masked entries are written as zeros: the whole n x n is stored */
    return (double)n * n * out + 2.0 * n * d * in;
}
static size_t energy_collected(const ef_reference *r) { return (size_t)r->check_count * r->n; }
static int energy_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    const ef_reference *r = g->ref;
    for (int i = 0; i < r->check_count; i++) {
        int row = r->rows[i];
        if (row < row0 || row >= row0 + rows) continue;
        int rc = download_doubles(g, g->e, (size_t)(row - row0) * r->n, r->n,
                                  got + (size_t)i * r->n, err);
        if (rc) return rc;
    }
    return EF_OK;
}
static void energy_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                          ef_verdict *v)
{
    (void)sh;
    verify_energy(r, u, got, v);
}

/* ---- the single passes over the field: rowsum (sums, then absolute sums), colenergy ---- */
static double pass_flops(int n, int d, ef_mask m)
{
    (void)d, (void)m;
    return 2.0 * n * n;
}
static double pass_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)d, (void)m, (void)in;
    return (double)n * n * out;
}
/* rowsum reads e (the device's own field block); writes out[2 rows]: out[r] = sum_j E_ij,
 * out[rows + r] = sum_j |E_ij|. */
static ef_layout rowsum_layout(int n, int d, int rows)
{
    (void)d;
    return (ef_layout){.e = (size_t)rows * n, .out = 2 * (size_t)rows};
}
static size_t rowsum_collected(const ef_reference *r) { return 2 * (size_t)r->n; }
static int rowsum_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    int rc = download_doubles(g, g->out, 0, 2 * (size_t)rows, g->host, err);
    if (rc) return rc;
    memcpy(got + row0, g->host, sizeof(double) * rows);
    memcpy(got + g->ref->n + row0, g->host + rows, sizeof(double) * rows);
    return EF_OK;
}
static void rowsum_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                          ef_verdict *v)
{
    (void)sh;
    verify_rowsum(r, u, got, got + r->n, v);
}

/* colenergy reads e; writes out[n]: out[j] = sum over the block's rows of E_ij^2 (the
 * harness adds the blocks). */
static ef_layout colenergy_layout(int n, int d, int rows)
{
    (void)d;
    return (ef_layout){.e = (size_t)rows * n, .out = (size_t)n};
}
static size_t colenergy_collected(const ef_reference *r) { return (size_t)r->n; }
static int colenergy_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    (void)row0, (void)rows;
    int n = g->ref->n, rc = download_doubles(g, g->out, 0, n, g->host, err);
    if (rc) return rc;
    for (int j = 0; j < n; j++) got[j] += g->host[j]; /* the blocks' partial sums add up */
    return EF_OK;
}
static void colenergy_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                             ef_verdict *v)
{
    verify_colenergy(r, u, got, v);
    memcpy(sh->columns, got, sizeof(double) * r->n);
    sh->have |= EF_SHARE_COLUMNS;
}

/* ---- gram: Q^T Q, then Kc^T Kc ----
 * Reads q, k; writes out[2 d d]: Q^T Q, then Kc^T Kc with Kc = K - 1 kbar^T (both
 * triangles filled). Ignores rows, row0 and the mask. */
static ef_layout gram_layout(int n, int d, int rows)
{
    (void)rows;
    return (ef_layout){.q = (size_t)n * d, .k = (size_t)n * d, .out = 2 * (size_t)d * d};
}
static double gram_flops(int n, int d, ef_mask m)
{
    (void)m;
    return 4.0 * n * d * d;
}
static double gram_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m;
    return 2.0 * n * d * in + 2.0 * d * d * out;
}
static size_t gram_collected(const ef_reference *r) { return 2 * (size_t)r->d * r->d; }
static int gram_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    (void)row0, (void)rows;
    return download_doubles(g, g->out, 0, 2 * (size_t)g->ref->d * g->ref->d, got, err);
}
static void gram_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                        ef_verdict *v)
{
    int d = r->d;
    double sv[d];
    sv[0] = 0;
    verify_gram(r, u, got, got + (size_t)d * d, sv, v);
    if (sv[0] > 0) sh->sigma1 = sv[0], sh->have |= EF_SHARE_SIGMA1;
}

/* ---- ranktail: ||E - U_Q U_Q^T E||^2 and ||E||^2 ----
 * Reads e and aux = U_Q (n x d, an orthonormal basis of col(Q) from the reference, the
 * whole basis whatever the block). Two forms, by op.rows:
 * - rows == n (the whole full field in one buffer): writes out[2]: ||E - U_Q (U_Q^T E)||_F^2
 *   and ||E||_F^2.
 * - rows < n (row block row0 .. row0+rows-1 of the field): writes out[d n + 1]:
 *   out[0 .. d n) = P_blk = U_blk^T E_blk (d x n, row-major), U_blk = rows row0 ..
 *   row0+rows-1 of U_Q, and out[d n + r] = ||E_r||^2, the squares of the block's row r (per
 *   row, as rowsum: one element is one row's n terms, never the block's rows x n).
 *   The harness adds the blocks in double: P = U_Q^T E, and the tail by subtraction,
 *   ||(I - U U^T) E||^2 = ||E||^2 - ||P||_F^2 (verify.c states its weaker bound).
 * The read-back `got`: got[0], got[1] = the direct form's two outputs, or 0 and the summed
 * ||E||^2 in the blocked form; got[2] = the number of blocks added (0: direct form); got[3
 * ..] = P (d x n) summed over the blocks. */
static ef_layout ranktail_layout(int n, int d, int rows)
{
    return (ef_layout){
        .e = (size_t)rows * n, .aux = (size_t)n * d, .out = rows < n ? (size_t)d * n + rows : 2};
}
static double ranktail_flops(int n, int d, ef_mask m)
{
    (void)m;
    return 4.0 * n * n * d;
}
static double ranktail_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m, (void)in;
    return 2.0 * n * n * out + 2.0 * n * d * out;
}
static const double *ranktail_aux(const ef_reference *r) { return r->U; }
static size_t ranktail_collected(const ef_reference *r) { return 3 + (size_t)r->d * r->n; }
static int ranktail_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    (void)row0;
    int n = g->ref->n, rc;
    if (rows == n) return download_doubles(g, g->out, 0, 2, got, err);
    size_t dn = (size_t)g->ref->d * n;
    if ((rc = download_doubles(g, g->out, 0, dn + rows, g->host, err))) return rc;
    for (size_t i = 0; i < dn; i++) got[3 + i] += g->host[i]; /* the blocks' partials add up */
    for (int r = 0; r < rows; r++) got[1] += g->host[dn + r]; /* and the rows' energies */
    got[2] += 1;
    return EF_OK;
}
static void ranktail_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                            ef_verdict *v)
{
    (void)sh;
    if (got[2] > 0) verify_ranktail_blocked(r, u, got + 3, got[1], v);
    else verify_ranktail(r, u, got[0], got[1], v);
}

/* ---- leverage: l_j = ||T kc_j||^2, and the link with the column energies ----
 * Reads k and aux = T (d x d; T = Sigma_r^-1 V_r^T of the centered keys, rows past the
 * rank are zero); writes out[n]: l_j = ||T (k_j - kbar)||^2. */
static ef_layout leverage_layout(int n, int d, int rows)
{
    (void)rows;
    return (ef_layout){.k = (size_t)n * d, .aux = (size_t)d * d, .out = (size_t)n};
}
static double leverage_flops(int n, int d, ef_mask m)
{
    (void)m;
    return 2.0 * n * d * d;
}
static double leverage_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m;
    return (double)n * d * in + (double)d * d * out + (double)n * out;
}
static const double *leverage_aux(const ef_reference *r) { return r->T; }
static size_t leverage_collected(const ef_reference *r) { return (size_t)r->n; }
static int leverage_collect(ef_group *g, int row0, int rows, double *got, ef_error *err)
{
    (void)row0, (void)rows;
    return download_doubles(g, g->out, 0, g->ref->n, got, err);
}
static void leverage_verify(const ef_reference *r, double u, const double *got, ef_shared *sh,
                            ef_verdict *v)
{
    verify_leverage(r, u, got, v);
    /* the link, on the device's own column energies and sigma_1 where it produced them */
    verify_link(r, u, sh->have & EF_SHARE_COLUMNS ? sh->columns : r->col, got,
                sh->have & EF_SHARE_SIGMA1 ? sh->sigma1 : r->sv[0], v);
}

const ef_workload_desc ef_workloads[EF_WL_COUNT] = {
    [EF_WL_ENERGY] = {.id = EF_WL_ENERGY,
                      .masks = EF_MASKS_ALL,
                      .field = EF_FIELD_WRITES,
                      .layout = energy_layout,
                      .flops = energy_flops,
                      .bytes = energy_bytes,
                      .collected = energy_collected,
                      .collect = energy_collect,
                      .verify = energy_verify},
    [EF_WL_ROWSUM] = {.id = EF_WL_ROWSUM,
                      .masks = EF_MASKS_ALL,
                      .field = EF_FIELD_READS,
                      .layout = rowsum_layout,
                      .flops = pass_flops,
                      .bytes = pass_bytes,
                      .collected = rowsum_collected,
                      .collect = rowsum_collect,
                      .verify = rowsum_verify},
    [EF_WL_COLENERGY] = {.id = EF_WL_COLENERGY,
                         .masks = EF_MASKS_ALL,
                         .field = EF_FIELD_READS,
                         .layout = colenergy_layout,
                         .flops = pass_flops,
                         .bytes = pass_bytes,
                         .collected = colenergy_collected,
                         .collect = colenergy_collect,
                         .verify = colenergy_verify,
                         .provides = EF_SHARE_COLUMNS},
    [EF_WL_GRAM] = {.id = EF_WL_GRAM,
                    .masks = EF_MASKS_FULL_ONLY,
                    .field = EF_FIELD_NONE,
                    .layout = gram_layout,
                    .flops = gram_flops,
                    .bytes = gram_bytes,
                    .collected = gram_collected,
                    .collect = gram_collect,
                    .verify = gram_verify,
                    .provides = EF_SHARE_SIGMA1},
    [EF_WL_RANKTAIL] = {.id = EF_WL_RANKTAIL,
                        .masks = EF_MASKS_FULL_ONLY,
                        .field = EF_FIELD_READS,
                        .layout = ranktail_layout,
                        .flops = ranktail_flops,
                        .bytes = ranktail_bytes,
                        .reference_aux = ranktail_aux,
                        .collected = ranktail_collected,
                        .collect = ranktail_collect,
                        .verify = ranktail_verify},
    [EF_WL_LEVERAGE] = {.id = EF_WL_LEVERAGE,
                        .masks = EF_MASKS_FULL_ONLY,
                        .field = EF_FIELD_NONE,
                        .layout = leverage_layout,
                        .flops = leverage_flops,
                        .bytes = leverage_bytes,
                        .reference_aux = leverage_aux,
                        .collected = leverage_collected,
                        .collect = leverage_collect,
                        .verify = leverage_verify,
                        .uses = EF_SHARE_COLUMNS | EF_SHARE_SIGMA1},
};

int workload_applies(ef_workload w, ef_mask m)
{
    return (unsigned)w < EF_WL_COUNT && (unsigned)m.kind < EF_MASK_COUNT &&
           (ef_workloads[w].masks >> m.kind & 1u);
}

int workload_order(const ef_workload *wanted, int count, ef_workload *out)
{
    int done[EF_WL_COUNT] = {0}, placed = 0;
    while (placed < count) {
        int pick = -1;
        for (int w = 0; w < EF_WL_COUNT && pick < 0; w++) { /* table order */
            int listed = 0;
            unsigned pending = 0; /* what the other unplaced wanted workloads provide */
            for (int i = 0; i < count; i++) {
                if (wanted[i] == (ef_workload)w) listed = 1;
                else if (!done[wanted[i]]) pending |= ef_workloads[wanted[i]].provides;
            }
            if (listed && !done[w] && !(ef_workloads[w].uses & pending)) pick = w;
        }
        if (pick < 0) /* a cycle in provides/uses: a bug in the table */
            for (int i = 0; i < count && pick < 0; i++)
                if (!done[wanted[i]]) pick = wanted[i];
        done[pick] = 1;
        out[placed++] = (ef_workload)pick;
    }
    return count;
}

/* One buffer of the op against what the layout needs. */
static int buffer_check(const ef_buffer *b, size_t have, size_t need, const char *name,
                        ef_error *err)
{
    if (!need) return EF_OK;
    if (!b) return ef_fail(err, EF_ERROR, "the op has no %s buffer", name);
    if (have < need)
        return ef_fail(err, EF_ERROR, "buffer %s holds %zu bytes, the op needs %zu", name, have,
                       need);
    return EF_OK;
}

int workload_op_check(const ef_op *op, ef_dtype out_dtype, const ef_buffer_bytes *have,
                      ef_error *err)
{
    if ((unsigned)op->workload >= EF_WL_COUNT || (unsigned)op->precision >= EF_PREC_COUNT ||
        (unsigned)op->mask.kind >= EF_MASK_COUNT)
        return ef_fail(err, EF_ERROR, "invalid op (workload %d, precision %d, mask %d)",
                       (int)op->workload, (int)op->precision, (int)op->mask.kind);
    if (op->n < 1 || op->d < 1 || op->row0 < 0 || op->rows < 1 || op->row0 + op->rows > op->n)
        return ef_fail(err, EF_ERROR, "invalid op shape: n %d, d %d, rows %d..%d", op->n, op->d,
                       op->row0, op->row0 + op->rows - 1);
    if (op->mask.kind == EF_MASK_WINDOW && op->mask.window < 1)
        return ef_fail(err, EF_ERROR, "window %d must be at least 1", op->mask.window);
    const ef_workload_desc *w = &ef_workloads[op->workload];
    const char *name = ef_workload_name(op->workload);
    if (!workload_applies(op->workload, op->mask))
        return ef_fail(err, EF_UNSUPPORTED, "%s is defined on the full field only", name);
    if (w->whole_field && (op->row0 != 0 || op->rows != op->n))
        return ef_fail(err, EF_UNSUPPORTED,
                       "%s needs the whole n x n field in one buffer (rows %d..%d of %d given)",
                       name, op->row0, op->row0 + op->rows - 1, op->n);
    ef_layout need = w->layout(op->n, op->d, op->rows);
    size_t in = ef_precision_size(op->precision), os = ef_dtype_size(out_dtype);
    int rc;
    if ((rc = buffer_check(op->q, have->q, need.q * in, "q", err)) ||
        (rc = buffer_check(op->k, have->k, need.k * in, "k", err)) ||
        (rc = buffer_check(op->e, have->e, need.e * os, "e", err)) ||
        (rc = buffer_check(op->aux, have->aux, need.aux * os, "aux", err)))
        return rc;
    return buffer_check(op->out, have->out, need.out * os, "out", err);
}

int workload_run(const ef_backend *be, ef_device *dev, ef_dtype out_dtype, const ef_op *op,
                 const ef_buffer_bytes *have, ef_run_result *res, ef_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = workload_op_check(op, out_dtype, have, err);
    return rc ? rc : be->run(dev, op, res, err);
}
