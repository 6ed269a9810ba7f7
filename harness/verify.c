/* harness/verify.c — judges one device result against the float64 reference.
 *
 * Every bound is c times a rounding bound derived from the unit roundoff u of the
 * device's accumulation (energy-field.md, "Accuracy"); c = VERIFY_C is stated in every
 * record. With gamma_k = k u / (1 - k u) and s = ceil(log2 n) + 2 roundings for a key mean:
 *   energy    |E_dev - E_ref|_ij <= c gamma_{d+s+2} B_ij, B_ij = a |q_i|.(|k_j| + mabs_i):
 *             a dot product of length d (gamma_d |q||k|), the mean m_i (gamma_s mabs_i),
 *             the shift, the scale and the store (2 more roundings). |kc| <= |k| + mabs
 *             makes the same bound hold for the pre-centered full field.
 *   rowsum    |s_i| <= c (gamma_e sum_j B_ij + gamma_n t_i): the exact row sum is zero.
 *   colenergy |c_dev - c_ref|_j <= c (2 g sum_i |E|B + g^2 sum_i B^2 + gamma_{n+1}(...)).
 *   gram      gamma_n |Q|^T|Q| and gamma_{n+s+2} (|K|+mabs)^T(|K|+mabs), componentwise;
 *             singular values through Weyl on the symmetric d x d product:
 *             |s_dev - s_ref| <= sqrt(a^2 (||G_K|| dQ + (||G_Q|| + dQ) dK)).
 *   ranktail  ||(I - U U^T) E_dev||_F <= ||E_dev - E_ref||_F + rounding of the projection:
 *             gamma_e ||B||_F / ||E||_F + sqrt(d) (gamma_n + gamma_d + 2u).
 *             In row blocks (the field split by --max-memory) the tail is streamed by
 *             subtraction, tail^2 = T - ||P||_F^2 with T = ||E||_F^2 and P = U^T E = sum of
 *             the blocks' U_blk^T E_blk, added in double by the harness (verify_ranktail_blocked).
 *             Exactly, T(E_dev) - ||U^T E_dev||^2 = ||(I - U U^T) E_dev||^2 <= (gamma_e ||B||)^2
 *             (E_ref lies in col(Q)). Rounding of each term:
 *               T: each row's n squares in precision u, the n rows added in double by the
 *                  harness: |dT| <= (gamma_n + gamma_n(2^-53)) T.
 *               P: a dot of length rows <= n per block entry against U stored in float (one
 *                  rounding) and stored (one more): |dP| <= gamma_{n+2} |U|^T |E| entrywise,
 *                  so ||dP||_F <= gamma_{n+2} || |U| ||_2 ||E||_F <= sqrt(d) gamma_{n+2} ||E||_F
 *                  (|| |U| ||_2 <= ||U||_F = sqrt(d)) and, with ||P|| <= ||E||,
 *                  | ||P + dP||^2 - ||P||^2 | <= (2 sqrt(d) g + d g^2) ||E||^2, g = gamma_{n+2}.
 *               ||P||^2 and the difference in double: gamma_{dn+1}(2^-53) ||E||^2.
 *             Divided by T: rank_tail^2 <= (gamma_e ||B||_F / ||E||_F)^2 + gamma_n + gamma_n(2^-53)
 *             + 2 sqrt(d) g + d g^2 + gamma_{dn+1}(2^-53); c = VERIFY_C takes the square root
 *             and covers the 1 + O(gamma) between T, T(E_dev) and ||E_ref||^2. The bound is
 *             O(sqrt(u)), not O(u) as the direct form's: the subtraction cancels. The
 *             accuracy side compares ||E_dev|| (as the direct form: gamma_n) and ||P||
 *             with the reference's ||U^T E_ref|| = ||E_ref|| (its tail is zero):
 *             | ||P_dev|| - ||E_ref|| | <= gamma_e ||B||_F + sqrt(d) g ||E||_F.
 *   leverage  per component of y = T kc_j: beta = gamma_{d+s+2} |T| (|k_j| + mabs);
 *             |l_dev - l_ref| <= c (sum 2|y| beta + beta^2 + gamma_d l + the float64 SVD's
 *             subspace error gamma_{nd}(u64) s_1 / s_r).
 * Called by the runner once per case; fills an ef_verdict, never prints.
 */
#include "verify.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ref_math.h"
#include "reference.h"

void ef_accuracy_clear(ef_accuracy *a)
{
    *a = (ef_accuracy){.rel_fro_err = NAN,
                       .max_abs_err = NAN,
                       .bound_violations = 0,
                       .rows_checked = -1,
                       .input_rel_err = NAN,
                       .bound_c = VERIFY_C,
                       .unit_roundoff = NAN};
}

void ef_invariants_clear(ef_invariants *v)
{
    *v = (ef_invariants){.rowsum_rel = NAN,
                         .rowsum_bound = NAN,
                         .rank_tail = NAN,
                         .rank_tail_bound = NAN,
                         .sv_rel_err = NAN,
                         .sv_rel_bound = NAN,
                         .pr_over_n = NAN,
                         .v_max = NAN,
                         .mu_k = NAN,
                         .rank_k = -1,
                         .srank = NAN,
                         .bound_ok = -1,
                         .bound_slack = NAN};
}

void verdict_init(ef_verdict *v, double u)
{
    memset(v, 0, sizeof *v);
    ef_accuracy_clear(&v->acc);
    ef_invariants_clear(&v->inv);
    v->acc.unit_roundoff = u;
}

void verdict_fail(ef_verdict *v, const char *fmt, ...)
{
    size_t len = strlen(v->reasons);
    if (len && len + 2 < sizeof v->reasons) strcat(v->reasons, "; "), len += 2;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reasons + len, sizeof v->reasons - len, fmt, ap);
    va_end(ap);
    v->failed = 1;
}

static double gamma_energy(const ef_reference *r, double u)
{
    return ef_gamma(r->d + ef_mean_roundings(r->n) + 2, u);
}
double verify_gamma_energy(const ef_reference *r, double u) { return gamma_energy(r, u); }

static int all_finite(const double *x, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

void verify_energy(const ef_reference *r, double u, const double *E, ef_verdict *v)
{
    int n = r->n;
    double g = gamma_energy(r, u), diff2 = 0, ref2 = 0, worst = 0;
    long bad = 0;
    for (int c = 0; c < r->check_count; c++)
        for (int j = 0; j < n; j++) {
            size_t at = (size_t)c * n + j;
            double e = fabs(E[at] - r->E_rows[at]);
            if (!(e <= VERIFY_C * g * r->B_rows[at])) bad++; /* NaN counts as a violation */
            if (!(e <= worst)) worst = e;
            diff2 += e * e;
            ref2 += r->E_rows[at] * r->E_rows[at];
        }
    /* relative to the field, or to its rounding floor when the field is zero up to
     * rounding (a one-key window): a device's exact zeros are then no error */
    double floor2 = 0;
    for (int c = 0; c < r->check_count; c++)
        for (int j = 0; j < n; j++) floor2 += pow(g * r->B_rows[(size_t)c * n + j], 2);
    v->acc.rel_fro_err = sqrt(diff2 / fmax(fmax(ref2, floor2), 1e-300));
    v->acc.max_abs_err = worst;
    v->acc.bound_violations = bad;
    v->acc.rows_checked = r->check_count;
    v->acc.input_rel_err = r->input_rel_err;
    if (bad)
        verdict_fail(
            v,
            "energy: %ld of %ld entries exceed %g*gamma_{d+s+2}*a|q|(|k|+mean|k|) (max |err| %.3g)",
            bad, (long)r->check_count * n, VERIFY_C, worst);
}

void verify_rowsum_rows(const ef_reference *r, double u, const int *rows, int count,
                        const double *s, const double *t, ef_verdict *v)
{
    double g = gamma_energy(r, u), gn = ef_gamma(r->n, u), worst = -1, worst_bound = NAN,
           max_abs = 0;
    long bad = 0;
    for (int c = 0; c < count; c++) {
        int i = rows ? rows[c] : c;
        double bound = VERIFY_C * (g * r->row_bound[i] + gn * fabs(t[c]));
        /* a row whose every entry is zero up to rounding (row 0 of a causal field: one
         * key, minus its own mean) counts as an all-zero row: rowsum_rel 0 */
        int zero_row = fabs(t[c]) <= VERIFY_C * g * r->row_bound[i];
        double rel = zero_row ? 0 : t[c] > 0 ? fabs(s[c]) / t[c] : (s[c] == 0 ? 0 : INFINITY);
        if (!(fabs(s[c]) <= bound)) bad++;
        if (!(rel <= worst)) worst = rel, worst_bound = t[c] > 0 ? bound / t[c] : 0;
        if (!(fabs(s[c]) <= max_abs)) max_abs = fabs(s[c]);
    }
    v->inv.rowsum_rel = worst;
    v->inv.rowsum_bound = worst_bound;
    v->acc.max_abs_err = max_abs;
    v->acc.bound_violations = bad;
    v->acc.rows_checked = count;
    v->acc.input_rel_err = r->input_rel_err;
    if (bad)
        verdict_fail(
            v,
            "rowsum: %ld of %d rows do not sum to zero within %g*(gamma_e*sum_j B_ij + gamma_n*sum_j|E_ij|) (worst rowsum_rel %.3g, bound %.3g)",
            bad, count, VERIFY_C, worst, worst_bound);
}

void verify_rowsum(const ef_reference *r, double u, const double *s, const double *t, ef_verdict *v)
{
    verify_rowsum_rows(r, u, NULL, r->n, s, t, v);
}

/* Bound on |c_dev_j - c_ref_j| (also used by the link check): the device's field error
 * through the square (col_eb is sum_i |E_ij| B_ij, or its Cauchy-Schwarz bound when not
 * every row is checked: reference.c), its sum of n squares, and the reference's own
 * rounding. The reference sums a^2 (x_i.y_j - t_i)^2 by d x d Grams (ref_columns.c); each
 * term's error is within gamma_{n+2d+4}(2^-53) of sum_i (|x_i|.|y_j| + |t_i|)^2, which
 * col_bb bounds (|t_i| = |q_i.m_i| <= |q_i|.mabs_i, |k_j - kbar| <= |k_j| + mabs). */
static double colenergy_bound(const ef_reference *r, double u, int j)
{
    double g = gamma_energy(r, u);
    double field = 2 * g * r->col_eb[j] + g * g * r->col_bb[j];
    double host = ef_gamma(r->n + 2.0 * r->d + 4, 0x1p-53) * r->col_bb[j];
    return VERIFY_C * (field + ef_gamma(r->n + 1, u) * (r->col[j] + field) + host);
}

long verify_entries(const ef_reference *r, double u, const double *got, const double *want,
                    int count, double (*bound)(const ef_reference *r, double u, int j),
                    ef_verdict *v)
{
    double diff2 = 0, ref2 = 0, worst = 0;
    long bad = 0;
    for (int j = 0; j < count; j++) {
        double e = fabs(got[j] - want[j]);
        if (!(e <= bound(r, u, j))) bad++;
        if (!(e <= worst)) worst = e;
        diff2 += e * e;
        ref2 += want[j] * want[j];
    }
    v->acc.rel_fro_err = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    v->acc.max_abs_err = worst;
    v->acc.bound_violations = bad;
    v->acc.rows_checked = count;
    v->acc.input_rel_err = r->input_rel_err;
    return bad;
}

void verify_colenergy(const ef_reference *r, double u, const double *c, ef_verdict *v)
{
    long bad = verify_entries(r, u, c, r->col, r->n, colenergy_bound, v);
    ref_colenergy_stats(r->n, c, &v->inv.pr_over_n, &v->inv.v_max);
    if (bad)
        verdict_fail(v, "colenergy: %ld of %d column energies outside the bound (max |err| %.3g)",
                     bad, r->n, v->acc.max_abs_err);
}

/* trace(A B) for d x d A, B */
static double trace_product(int d, const double *A, const double *B)
{
    double t = 0;
    for (int i = 0; i < d; i++) t += cblas_ddot(d, A + (size_t)i * d, 1, B + i, d);
    return t;
}

static double fro(int d, const double *A)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)d * d; i++) s += A[i] * A[i];
    return sqrt(s);
}

/* The bound on |sigma_dev^2 - sigma_ref^2| from componentwise Gram bounds. */
static double sv_sq_bound(const ef_reference *r, double u)
{
    int d = r->d;
    double dQ = VERIFY_C * ef_gamma(r->n, u) * fro(d, r->GQ_bound);
    double dK = VERIFY_C * ef_gamma(r->n + ef_mean_roundings(r->n) + 2, u) * fro(d, r->GK_bound);
    double nQ = fro(d, r->GQ), nK = fro(d, r->GK);
    /* the float64 eigen-solve on the host adds its own backward error */
    double host = ef_gamma(4.0 * d, 0x1p-53) * nQ * nK;
    return r->a * r->a * (nK * dQ + (nQ + dQ) * dK + host);
}

void verify_gram(const ef_reference *r, double u, const double *GQ, const double *GK, double *sv,
                 ef_verdict *v)
{
    int d = r->d;
    double gq = VERIFY_C * ef_gamma(r->n, u);
    double gk = VERIFY_C * ef_gamma(r->n + ef_mean_roundings(r->n) + 2, u);
    double diff2 = 0, ref2 = 0, worst = 0;
    long bad = 0;
    for (size_t i = 0; i < (size_t)d * d; i++) {
        double eq = fabs(GQ[i] - r->GQ[i]), ek = fabs(GK[i] - r->GK[i]);
        bad += !(eq <= gq * r->GQ_bound[i]) + !(ek <= gk * r->GK_bound[i]);
        worst = fmax(worst, fmax(eq, ek));
        diff2 += eq * eq + ek * ek;
        ref2 += r->GQ[i] * r->GQ[i] + r->GK[i] * r->GK[i];
    }
    v->acc.rel_fro_err = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    v->acc.max_abs_err = worst;
    v->acc.bound_violations = bad;
    v->acc.rows_checked = 2L * d; /* rows of the two d x d Grams */
    v->acc.input_rel_err = r->input_rel_err;
    if (bad)
        verdict_fail(v, "gram: %ld of %d Gram entries outside gamma_n*|X|^T|X|", bad, 2 * d * d);
    if (!all_finite(GQ, (size_t)d * d) || !all_finite(GK, (size_t)d * d)) {
        verdict_fail(v, "gram: non-finite entries");
        return;
    }
    ef_error err;
    double dev[d];
    if (ref_energy_svals_gram(d, r->a, GQ, GK, dev, &err) != EF_OK) {
        verdict_fail(v, "gram: %s", err.msg);
        return;
    }
    double s1 = r->sv[0], e = 0;
    for (int k = 0; k < d; k++) e = fmax(e, fabs(dev[k] - (k < r->sv_count ? r->sv[k] : 0)));
    v->inv.sv_rel_err = s1 > 0 ? e / s1 : e;
    v->inv.sv_rel_bound = s1 > 0 ? sqrt(sv_sq_bound(r, u)) / s1 : INFINITY;
    v->inv.srank = s1 > 0 ? r->a * r->a * trace_product(d, GQ, GK) / (dev[0] * dev[0]) : NAN;
    if (!(v->inv.sv_rel_err <= v->inv.sv_rel_bound))
        verdict_fail(v, "gram: singular values off by %.3g of sigma_1 (bound %.3g)",
                     v->inv.sv_rel_err, v->inv.sv_rel_bound);
    if (sv) memcpy(sv, dev, sizeof(double) * d);
}

void verify_ranktail(const ef_reference *r, double u, double tail2, double total2, ef_verdict *v)
{
    double g = gamma_energy(r, u);
    v->inv.rank_tail = total2 > 0 ? sqrt(fmax(tail2, 0) / total2) : NAN;
    v->inv.rank_tail_bound =
        VERIFY_C * (g * sqrt(r->bound_fro2 / r->fro2) +
                    sqrt(r->d) * (ef_gamma(r->n, u) + ef_gamma(r->d, u) + 2 * u));
    v->acc.rel_fro_err = r->fro2 > 0 ? fabs(sqrt(total2) - sqrt(r->fro2)) / sqrt(r->fro2) : NAN;
    v->acc.input_rel_err = r->input_rel_err;
    v->acc.rows_checked = r->n;
    if (!(v->inv.rank_tail <= v->inv.rank_tail_bound))
        verdict_fail(v, "ranktail: ||(I-UU^T)E||/||E|| = %.3g exceeds the bound %.3g",
                     v->inv.rank_tail, v->inv.rank_tail_bound);
    /* the device's ||E||_F must match too: the projection of a wrong field can be small */
    double fro_bound = VERIFY_C * (g * sqrt(r->bound_fro2 / r->fro2) + ef_gamma(r->n, u));
    if (!(v->acc.rel_fro_err <= fro_bound))
        verdict_fail(v, "ranktail: ||E||_F off by %.3g relative (bound %.3g)", v->acc.rel_fro_err,
                     fro_bound);
}

/* The streamed (row-block) form: P = U^T E (d x n) and total2 = ||E||_F^2 summed over the
 * blocks; the bound of the header's ranktail entry. */
void verify_ranktail_blocked(const ef_reference *r, double u, const double *P, double total2,
                             ef_verdict *v)
{
    int n = r->n, d = r->d;
    double ge = gamma_energy(r, u), g = ef_gamma(n + 2, u),
           gt = ef_gamma(n, u) + ef_gamma(n, 0x1p-53);
    double p2 = 0;
    for (size_t i = 0; i < (size_t)d * n; i++) p2 += P[i] * P[i];
    double tail2 = total2 - p2, field = r->fro2 > 0 ? ge * sqrt(r->bound_fro2 / r->fro2) : 0;
    v->inv.rank_tail = total2 > 0 ? sqrt(fmax(tail2, 0) / total2) : NAN;
    v->inv.rank_tail_bound = VERIFY_C * sqrt(field * field + gt + 2 * sqrt(d) * g + d * g * g +
                                             ef_gamma((double)d * n + 1, 0x1p-53));
    v->acc.rel_fro_err = r->fro2 > 0 ? fabs(sqrt(total2) - sqrt(r->fro2)) / sqrt(r->fro2) : NAN;
    v->acc.input_rel_err = r->input_rel_err;
    v->acc.rows_checked = n;
    if (!(v->inv.rank_tail <= v->inv.rank_tail_bound))
        verdict_fail(
            v,
            "ranktail (row blocks): sqrt(||E||^2 - ||U^T E||^2)/||E|| = %.3g exceeds the bound %.3g",
            v->inv.rank_tail, v->inv.rank_tail_bound);
    double fro_bound = VERIFY_C * (field + gt);
    if (!(v->acc.rel_fro_err <= fro_bound))
        verdict_fail(v, "ranktail (row blocks): ||E||_F off by %.3g relative (bound %.3g)",
                     v->acc.rel_fro_err, fro_bound);
    /* the projection itself: U^T E_ref has the norm of E_ref (the reference's tail is 0) */
    double p_err = r->fro2 > 0 ? fabs(sqrt(p2) - sqrt(r->fro2)) / sqrt(r->fro2) : NAN;
    double p_bound = VERIFY_C * (field + sqrt(d) * g);
    v->acc.max_abs_err = fabs(sqrt(fmax(tail2, 0)) -
                              (isnan(r->inv.rank_tail) ? 0 : r->inv.rank_tail * sqrt(r->fro2)));
    if (!(p_err <= p_bound))
        verdict_fail(
            v,
            "ranktail (row blocks): ||U^T E||_F off by %.3g relative to ||E_ref||_F (bound %.3g)",
            p_err, p_bound);
}

/* Bound on |l_dev_j - l_ref_j|: sum_t 2|y_t| g beta_t + (g beta_t)^2, the two sums
 * precomputed by the reference (lev_yb, lev_bb), g = gamma_{d+s+2}. */
static double leverage_bound(const ef_reference *r, double u, int j)
{
    int d = r->d;
    double g = ef_gamma(d + ef_mean_roundings(r->n) + 2, u);
    double sum = 2 * g * r->lev_yb[j] + g * g * r->lev_bb[j];
    /* the reference's own leverage comes from a float64 SVD whose singular subspace is
     * accurate to about n d u64 s_1 / s_r (backward stability over the gap to the
     * dropped directions); l_j <= 1 */
    double svd = r->sv_kr > 0 ? ef_gamma((double)r->n * d, 0x1p-53) * r->sv_k1 / r->sv_kr : 0;
    return VERIFY_C * (sum + ef_gamma(d, u) * r->lev[j] + svd);
}

void verify_leverage(const ef_reference *r, double u, const double *lev, ef_verdict *v)
{
    double diff2 = 0, ref2 = 0, worst = 0, lmax = 0;
    long bad = 0;
    for (int j = 0; j < r->n; j++) {
        double e = fabs(lev[j] - r->lev[j]);
        if (!(e <= leverage_bound(r, u, j))) bad++;
        if (!(e <= worst)) worst = e;
        diff2 += e * e;
        ref2 += r->lev[j] * r->lev[j];
        if (!(lev[j] <= lmax)) lmax = lev[j];
    }
    v->acc.rel_fro_err = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    v->acc.max_abs_err = worst;
    v->acc.bound_violations = bad;
    v->acc.rows_checked = r->n;
    v->acc.input_rel_err = r->input_rel_err;
    v->inv.rank_k = r->rank_k;
    v->inv.mu_k = r->rank_k > 0 ? (double)r->n / r->rank_k * lmax : NAN;
    if (bad)
        verdict_fail(v, "leverage: %ld of %d leverage scores outside the bound (max |err| %.3g)",
                     bad, r->n, worst);
}

void verify_link(const ef_reference *r, double u, const double *c, const double *lev, double sv1,
                 ef_verdict *v)
{
    /* ||E e_j||^2 <= sigma_1^2 l_j (energy-field.md, 6), each side within its bound */
    double s1sq = sv1 * sv1, dsq = sv_sq_bound(r, u), total = 0;
    double trunc = r->a * r->a * fro(r->d, r->GQ) * pow(r->rank_tol * r->sv_k1, 2);
    for (int j = 0; j < r->n; j++) total += c[j];
    double srank = total / s1sq, slack = INFINITY;
    long bad = 0;
    for (int j = 0; j < r->n; j++) {
        double tol =
            colenergy_bound(r, u, j) + s1sq * leverage_bound(r, u, j) + r->lev[j] * dsq + trunc;
        if (!(c[j] <= s1sq * lev[j] + tol)) bad++;
        slack = fmin(slack, lev[j] / srank - c[j] / total);
    }
    v->inv.bound_ok = bad == 0;
    v->inv.bound_slack = slack;
    v->inv.srank = srank;
    if (bad) verdict_fail(v, "link: v_j <= l_j/srank fails on %ld of %d columns", bad, r->n);
}
