/* harness/reference.c — builds the float64 reference of one case group: the checked rows
 * of the field (dgemm), the row and column statistics the verifier's bounds need by d x d
 * Grams (ref_columns.c) instead of a pass over all n^2 entries, then the d x d quantities of
 * the full field. O(rows n d + n d^2). See reference.h.
 */
#include "reference.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/ref_math.h"
#include "harness/workload.h"

enum { BLOCK_ROWS = 128 };

void reference_encode(ef_precision p, const float *x, size_t count, void *dst)
{
    if (p == EF_PREC_FP32) {
        memcpy(dst, x, count * sizeof(float));
        return;
    }
    uint16_t *h = dst;
    for (size_t i = 0; i < count; i++)
        h[i] = p == EF_PREC_FP16 ? ef_f32_to_f16(x[i]) : ef_f32_to_bf16(x[i]);
}

static void round_inputs(ef_precision p, const float *x, size_t count, float *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = p == EF_PREC_FP32   ? x[i]
                 : p == EF_PREC_FP16 ? ef_f16_to_f32(ef_f32_to_f16(x[i]))
                                     : ef_bf16_to_f32(ef_f32_to_bf16(x[i]));
}

void reference_free(ef_reference *r)
{
    void *all[] = {r->q_in,   r->k_in,   r->Q,       r->K,        r->Kc,        r->Mabs, r->rows,
                   r->E_rows, r->B_rows, r->row_sum, r->row_abs,  r->row_bound, r->col,  r->col_eb,
                   r->col_bb, r->GQ,     r->GK,      r->GQ_bound, r->GK_bound,  r->sv,   r->U,
                   r->lev,    r->T,      r->lev_yb,  r->lev_bb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    for (int w = 0; w < EF_WL_COUNT; w++) free(r->own[w]);
    memset(r, 0, sizeof *r);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* All rows when n is small, else a seeded sample that always holds the first and last. */
static int choose_rows(ef_reference *r, const ef_reference_opts *o)
{
    int n = r->n, want = n <= o->full_check_max ? n : (o->check_rows < n ? o->check_rows : n);
    r->rows = malloc(sizeof(int) * want);
    if (!r->rows) return EF_NOMEM;
    if (want == n) {
        for (int i = 0; i < n; i++) r->rows[i] = i;
    } else {
        char *taken = calloc(n, 1);
        if (!taken) return EF_NOMEM;
        uint64_t x = o->seed ^ (uint64_t)n * 0x9e3779b97f4a7c15ull;
        int got = 0;
        r->rows[got++] = 0;
        r->rows[got++] = n - 1;
        taken[0] = taken[n - 1] = 1;
        while (got < want) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
            int i = (int)(x % (uint64_t)n);
            if (!taken[i]) taken[i] = 1, r->rows[got++] = i;
        }
        free(taken);
        qsort(r->rows, want, sizeof(int), cmp_int);
    }
    r->check_count = want;
    return EF_OK;
}

/* E(rounded) against E(unrounded inputs) on the checked rows. */
static int input_error(ef_reference *r, const ef_head *h, ef_error *err)
{
    int n = r->n, d = r->d, rc = EF_OK;
    size_t nd = (size_t)n * d;
    if (r->precision == EF_PREC_FP32) {
        r->input_rel_err = 0;
        return EF_OK;
    }
    double *Q = malloc(nd * 8), *K = malloc(nd * 8), *Kc = malloc(nd * 8), *M = malloc(nd * 8);
    double *row = malloc((size_t)n * 8), kbar[d];
    if (!Q || !K || !Kc || !M || !row) {
        rc = ef_fail(err, EF_NOMEM, "input error n = %d: out of memory", n);
        goto out;
    }
    for (size_t i = 0; i < nd; i++) Q[i] = h->q[i], K[i] = h->k[i];
    ref_key_mean(n, d, K, kbar);
    ref_keys_center(n, d, K, kbar, Kc);
    if ((rc = ref_key_means(r->mask, n, d, K, 0, M, err))) goto out;
    double diff = 0, norm = 0;
    for (int c = 0; c < r->check_count; c++) {
        ref_energy_block(r->mask, n, d, r->a, Q, K, Kc, M, r->rows[c], 1, row);
        for (int j = 0; j < n; j++) {
            double e = r->E_rows[(size_t)c * n + j] - row[j];
            diff += e * e;
            norm += row[j] * row[j];
        }
    }
    r->input_rel_err = norm > 0 ? sqrt(diff / norm) : 0;
out:
    free(Q);
    free(K);
    free(Kc);
    free(M);
    free(row);
    return rc;
}

/* The checked rows of E and of its bound base B, a run of consecutive rows at a time (one
 * GEMM each: the runs are contiguous in E_rows), with their row sums. When every row is
 * checked, the column sums sum_i |E_ij| B_ij too. O(rows n d). */
static void checked_rows_pass(ef_reference *r, const double *Qa, const double *Ka, const double *M)
{
    int n = r->n, d = r->d, all = r->check_count == n;
    for (int c0 = 0, c1; c0 < r->check_count; c0 = c1) {
        c1 = c0 + 1; /* a run: consecutive rows, BLOCK_ROWS at most */
        while (c1 < r->check_count && c1 - c0 < BLOCK_ROWS && r->rows[c1] == r->rows[c1 - 1] + 1)
            c1++;
        int r0 = r->rows[c0], rows = c1 - c0;
        double *E = r->E_rows + (size_t)c0 * n, *B = r->B_rows + (size_t)c0 * n;
        ref_energy_block(r->mask, n, d, r->a, r->Q, r->K, r->Kc, M, r0, rows, E);
        /* B_ij = a |q_i|.|k_j| + a |q_i|.mabs_i on visible entries */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, d, r->a, Qa + (size_t)r0 * d,
                    d, Ka, d, 0.0, B, n);
        for (int k = 0; k < rows; k++) {
            int i = r0 + k;
            double shift = r->a * cblas_ddot(d, Qa + (size_t)i * d, 1, r->Mabs + (size_t)i * d, 1);
            double sum = 0, abs_sum = 0, *e = E + (size_t)k * n, *b = B + (size_t)k * n;
            for (int j = 0; j < n; j++) {
                b[j] = ef_mask_visible(r->mask, i, j) ? b[j] + shift : 0.0;
                sum += e[j];
                abs_sum += fabs(e[j]);
                if (all) r->col_eb[j] += fabs(e[j]) * b[j];
            }
            r->row_sum[c0 + k] = sum;
            r->row_abs[c0 + k] = abs_sum;
        }
    }
}

/* The row and column statistics of the whole field without forming it (ref_columns.c):
 *   sum_j B_ij = 2 a n_i |q_i|.mabs_i (mabs_i is the mean of the n_i visible |k_j|);
 *   c_j = a^2 sum_i (q_i.k_j - q_i.m_i)^2 and sum_i B_ij^2 = a^2 sum_i (|q_i|.|k_j| +
 *   |q_i|.mabs_i)^2 over the rows that see key j, by d x d Grams;
 *   sum_i |E_ij| B_ij, exact when every row is checked, else its Cauchy-Schwarz bound
 *   sqrt(c_j sum_i B_ij^2) (verify.c's colenergy bound uses it as an upper bound). */
static int column_stats(ef_reference *r, const double *Qa, const double *Ka, const double *M,
                        ef_error *err)
{
    int n = r->n, d = r->d, full = r->mask.kind == EF_MASK_FULL, rc;
    double a2 = r->a * r->a, *t = malloc(sizeof(double) * n), *tb = malloc(sizeof(double) * n);
    if (!t || !tb) {
        rc = ef_fail(err, EF_NOMEM, "reference columns n = %d: out of memory", n);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const double *qa = Qa + (size_t)i * d, *ma = r->Mabs + (size_t)i * d;
        int seen = ef_mask_last(r->mask, i, n) - ef_mask_first(r->mask, i) + 1;
        t[i] = cblas_ddot(d, r->Q + (size_t)i * d, 1, M + (size_t)i * d, 1);
        tb[i] = -cblas_ddot(d, qa, 1, ma, 1);
        r->row_bound[i] = -2 * r->a * seen * tb[i];
    }
    /* the full mask's centering is the same for every row: the centered keys, no shift */
    if ((rc = ref_visible_col_squares(r->mask, n, d, r->Q, full ? r->Kc : r->K, full ? NULL : t,
                                      r->col, err)))
        goto out;
    if ((rc = ref_visible_col_squares(r->mask, n, d, Qa, Ka, tb, r->col_bb, err))) goto out;
    for (int j = 0; j < n; j++) {
        r->col[j] *= a2;
        r->col_bb[j] *= a2;
        if (r->check_count < n) r->col_eb[j] = sqrt(r->col[j] * r->col_bb[j]);
        r->fro2 += r->col[j];
        r->bound_fro2 += r->col_bb[j];
    }
out:
    free(t);
    free(tb);
    return rc;
}

/* The checked rows, then the column statistics: no pass over the whole field. */
static int field_stats(ef_reference *r, ef_error *err)
{
    int n = r->n, d = r->d, rc;
    size_t nd = (size_t)n * d;
    double *Qa = malloc(nd * 8), *Ka = malloc(nd * 8), *M = malloc(nd * 8);
    if (!Qa || !Ka || !M) {
        rc = ef_fail(err, EF_NOMEM, "reference n = %d: out of memory", n);
        goto out;
    }
    for (size_t i = 0; i < nd; i++) Qa[i] = fabs(r->Q[i]), Ka[i] = fabs(r->K[i]);
    if ((rc = ref_key_means(r->mask, n, d, r->K, 0, M, err))) goto out;
    checked_rows_pass(r, Qa, Ka, M);
    rc = column_stats(r, Qa, Ka, M, err);
out:
    free(Qa);
    free(Ka);
    free(M);
    return rc;
}

/* The two sums of the leverage bound that do not depend on u (verify.c): with y = T kc_j
 * and beta = |T| (|k_j| + mabs_j) over the rank_k kept directions, sum_t |y_t| beta_t and
 * sum_t beta_t^2 per key. Two GEMMs instead of an O(n d r) loop per check. */
static int leverage_bound_sums(ef_reference *r, const double *Ka, ef_error *err)
{
    int n = r->n, d = r->d, rk = r->rank_k, rc = EF_OK;
    r->lev_yb = calloc(n, 8), r->lev_bb = calloc(n, 8);
    double *Y = malloc(sizeof(double) * n * (rk ? rk : 1)),
           *B = malloc(sizeof(double) * n * (rk ? rk : 1));
    double *Tabs = malloc(sizeof(double) * d * (rk ? rk : 1));
    if (!r->lev_yb || !r->lev_bb || !Y || !B || !Tabs) {
        rc = ef_fail(err, EF_NOMEM, "reference leverage bound n = %d: out of memory", n);
        goto out;
    }
    if (rk == 0) goto out;
    for (size_t i = 0; i < (size_t)rk * d; i++) Tabs[i] = fabs(r->T[i]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rk, d, 1.0, r->Kc, d, r->T, d, 0.0, Y,
                rk);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rk, d, 1.0, Ka, d, Tabs, d, 0.0, B, rk);
    for (int j = 0; j < n; j++) {
        double yb = 0, bb = 0;
        for (int t = 0; t < rk; t++) {
            double y = Y[(size_t)j * rk + t], b = B[(size_t)j * rk + t];
            yb += fabs(y) * b;
            bb += b * b;
        }
        r->lev_yb[j] = yb, r->lev_bb[j] = bb;
    }
out:
    free(Y);
    free(B);
    free(Tabs);
    return rc;
}

/* Grams, their bound bases, singular values, U_Q, leverage: the full field's d x d side. */
static int full_extras(ef_reference *r, ef_error *err)
{
    int n = r->n, d = r->d, k = n < d ? n : d, rc;
    size_t dd = (size_t)d * d, nd = (size_t)n * d;
    double *Ka = malloc(nd * 8), *Qa = malloc(nd * 8), *svk = malloc(sizeof(double) * k);
    r->GQ = malloc(dd * 8), r->GK = malloc(dd * 8), r->GQ_bound = malloc(dd * 8),
    r->GK_bound = malloc(dd * 8);
    r->sv = malloc(sizeof(double) * k), r->U = malloc(nd * 8), r->lev = malloc((size_t)n * 8),
    r->T = malloc(dd * 8);
    if (!Ka || !Qa || !svk || !r->GQ || !r->GK || !r->GQ_bound || !r->GK_bound || !r->sv || !r->U ||
        !r->lev || !r->T) {
        rc = ef_fail(err, EF_NOMEM, "reference d x d side n = %d: out of memory", n);
        goto out;
    }
    r->sv_count = k;
    for (size_t i = 0; i < nd; i++) Qa[i] = fabs(r->Q[i]), Ka[i] = fabs(r->K[i]) + r->Mabs[i];
    ref_gram(n, d, r->Q, r->GQ);
    ref_gram(n, d, r->Kc, r->GK);
    ref_gram(n, d, Qa, r->GQ_bound);
    ref_gram(n, d, Ka, r->GK_bound);
    if ((rc = ref_energy_svals_qr(n, d, r->a, r->Q, r->Kc, r->sv, err))) goto out;
    if ((rc = ref_orth_basis(n, d, r->Q, r->U, err))) goto out;
    /* keys known to precision u_in carry no information below max(n, d) u_in s_1 */
    r->rank_tol = (n > d ? n : d) * (r->precision == EF_PREC_FP32   ? 0x1p-24
                                     : r->precision == EF_PREC_FP16 ? 0x1p-11
                                                                    : 0x1p-8);
    if (r->rank_tol > 0.5) r->rank_tol = 0.5;
    if ((rc = ref_leverage(n, d, r->Kc, r->rank_tol, r->lev, r->T, svk, &r->rank_k, err))) goto out;
    r->sv_k1 = svk[0];
    r->sv_kr = r->rank_k > 0 ? svk[r->rank_k - 1] : 0;
    rc = leverage_bound_sums(r, Ka, err);
out:
    free(Ka);
    free(Qa);
    free(svk);
    return rc;
}

/* r->inv: the invariants of the float64 reference itself, judged by the verifier's own
 * checks at u = 2^-53. */
static void reference_invariants(ef_reference *r)
{
    ef_verdict v;
    double u = 0x1p-53;
    ref_colenergy_stats(r->n, r->col, &r->inv.pr_over_n, &r->inv.v_max);
    verdict_init(&v, u); /* the zero sum of the reference's own rows, judged at u = 2^-53 */
    verify_rowsum_rows(r, u, r->rows, r->check_count, r->row_sum, r->row_abs, &v);
    r->inv.rowsum_rel = v.inv.rowsum_rel;
    r->inv.rowsum_bound = v.inv.rowsum_bound;
    if (r->mask.kind != EF_MASK_FULL) return;
    verdict_init(&v, u);
    double sv[r->d];
    verify_gram(r, u, r->GQ, r->GK, sv, &v); /* Gram route against the QR route */
    r->inv.sv_rel_err = v.inv.sv_rel_err;
    r->inv.sv_rel_bound = v.inv.sv_rel_bound;
    verify_leverage(r, u, r->lev, &v);
    r->inv.mu_k = v.inv.mu_k;
    r->inv.rank_k = v.inv.rank_k;
    verify_link(r, u, r->col, r->lev, r->sv[0], &v);
    r->inv.bound_ok = v.inv.bound_ok;
    r->inv.bound_slack = v.inv.bound_slack;
    r->inv.srank = v.inv.srank;
    if (r->check_count == r->n) { /* the whole field is at hand: its rank tail */
        double t, total;
        if (ref_rank_tail(r->n, r->d, r->E_rows, r->U, &t, &total, NULL) == EF_OK) {
            r->inv.rank_tail = sqrt(t / r->fro2);
            r->inv.rank_tail_bound =
                VERIFY_C * sqrt(r->d) * (ef_gamma(r->n, u) + ef_gamma(r->d, u) + 2 * u);
        }
    }
}

double reference_bytes(int n, int d, int checked)
{
    /* the n x d arrays (inputs, their copies, means, U, the leverage's), the checked rows
     * of E and B, input_error's row, the dozen n-vectors */
    return 14.0 * n * d * 8 + 2.0 * checked * n * 8 + 16.0 * n * 8;
}

int reference_build(const ef_head *h, ef_mask mask, ef_precision precision,
                    const ef_reference_opts *opts, ef_reference *r, ef_error *err)
{
    int n = h->n, d = h->d, rc;
    size_t nd = (size_t)n * d;
    memset(r, 0, sizeof *r);
    ef_invariants_clear(&r->inv);
    r->n = n, r->d = d, r->mask = mask, r->precision = precision, r->a = h->scale;
    r->q_in = malloc(nd * 4), r->k_in = malloc(nd * 4);
    r->Q = malloc(nd * 8), r->K = malloc(nd * 8), r->Kc = malloc(nd * 8), r->Mabs = malloc(nd * 8);
    r->row_sum = calloc(n, 8), r->row_abs = calloc(n, 8), r->row_bound = calloc(n, 8),
    r->col = calloc(n, 8);
    r->col_eb = calloc(n, 8), r->col_bb = calloc(n, 8);
    if (!r->q_in || !r->k_in || !r->Q || !r->K || !r->Kc || !r->Mabs || !r->row_sum ||
        !r->row_abs || !r->row_bound || !r->col || !r->col_eb || !r->col_bb ||
        choose_rows(r, opts) != EF_OK) {
        rc = ef_fail(err, EF_NOMEM, "reference n = %d, d = %d: out of memory", n, d);
        goto fail;
    }
    for (int w = 0; w < EF_WL_COUNT; w++) {
        const ef_workload_desc *wd = &ef_workloads[w];
        if (!wd->reference_size || !workload_applies((ef_workload)w, mask)) continue;
        if (!(r->own[w] = calloc(wd->reference_size(n, d), sizeof(double)))) {
            rc = ef_fail(err, EF_NOMEM, "reference of %s, n = %d: out of memory",
                         ef_workload_name((ef_workload)w), n);
            goto fail;
        }
    }
    r->E_rows = malloc(sizeof(double) * r->check_count * n);
    r->B_rows = malloc(sizeof(double) * r->check_count * n);
    if (!r->E_rows || !r->B_rows) {
        rc = ef_fail(err, EF_NOMEM, "reference rows n = %d: out of memory", n);
        goto fail;
    }
    round_inputs(precision, h->q, nd, r->q_in);
    round_inputs(precision, h->k, nd, r->k_in);
    for (size_t i = 0; i < nd; i++) {
        r->Q[i] = r->q_in[i], r->K[i] = r->k_in[i];
        if (!isfinite(r->Q[i]) || !isfinite(r->K[i])) {
            rc = ef_fail(err, EF_UNSUPPORTED, "inputs overflow %s (|x| beyond its range)",
                         ef_precision_name(precision));
            goto fail;
        }
    }
    {
        double kbar[d];
        ref_key_mean(n, d, r->K, kbar);
        ref_keys_center(n, d, r->K, kbar, r->Kc);
    }
    if ((rc = ref_key_means(mask, n, d, r->K, 1, r->Mabs, err))) goto fail;
    if ((rc = field_stats(r, err))) goto fail;
    if ((rc = input_error(r, h, err))) goto fail;
    if (mask.kind == EF_MASK_FULL && (rc = full_extras(r, err))) goto fail;
    /* the workloads' own quantities, last: they may use any of the above */
    for (int w = 0; w < EF_WL_COUNT; w++)
        if (r->own[w] && (rc = ef_workloads[w].reference_own(r, r->own[w], err))) goto fail;
    reference_invariants(r);
    return EF_OK;
fail:
    reference_free(r);
    return rc;
}
