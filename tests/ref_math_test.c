/* tests/ref_math_test.c — every identity of energy-field.md, in float64, on seeded
 * synthetic heads: zero row sums, the rank bound, Gram route = QR route = direct SVD, the
 * Frobenius identity, leverage summing to the rank, the link v_j <= l_j / srank, and the
 * sink's signature. Bounds are float64 rounding bounds (u = 2^-53), each derived below.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "core/half.h"
#include "core/ref_math.h"
#include "harness/reference.h"
#include "test_util.h"

static const double U64 = 0x1p-53;

static ef_reference build(const char *kind, int n, int d, ef_mask m)
{
    ef_head h;
    ef_reference r;
    ef_error err = {{0}};
    ef_test_head(kind, n, d, ef_test_seed(), &h);
    ef_reference_opts o = {.check_rows = n, .full_check_max = n, .seed = 1};
    cr_assert_eq(reference_build(&h, m, EF_PREC_FP32, &o, &r, &err), EF_OK, "%s", err.msg);
    ef_head_free(&h);
    return r;
}

static const ef_mask FULL = {EF_MASK_FULL, 0}, CAUSAL = {EF_MASK_CAUSAL, 0},
                     WINDOW = {EF_MASK_WINDOW, 24};

/* Row sums of the explicit field vanish: |sum_j E_ij| <= gamma_{n + d + s}(u64) * sum_j B_ij,
 * the float64 rounding of the field's entries plus the sum itself. */
static void check_zero_sum(ef_mask m)
{
    int n = 160, d = 32;
    ef_reference r = build("gaussian", n, d, m);
    double g = ef_gamma(n + d + ef_mean_roundings(n) + 2, U64);
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < n; j++) s += r.E_rows[(size_t)i * n + j];
        cr_assert_leq(fabs(s), g * r.row_bound[i], "row %d sums to %g (bound %g)", i, s,
                      g * r.row_bound[i]);
        for (int j = 0; j < n; j++)
            if (!ef_mask_visible(m, i, j)) cr_assert_eq(r.E_rows[(size_t)i * n + j], 0.0);
    }
    reference_free(&r);
}

Test(identities, zero_sum_full) { check_zero_sum(FULL); }
Test(identities, zero_sum_causal) { check_zero_sum(CAUSAL); }
Test(identities, zero_sum_window) { check_zero_sum(WINDOW); }

/* rank(E) <= d: sigma_{d+1} <= ||dE||_2 <= ||dE||_F <= gamma ||B||_F (Weyl). */
Test(identities, rank_bound_and_gram_route)
{
    int n = 128, d = 16;
    ef_reference r = build("gaussian", n, d, FULL);
    ef_error err;
    double sv[n], gram[d];
    cr_assert_eq(ref_svals(n, n, r.E_rows, sv, &err), EF_OK, "%s", err.msg);
    double g = ef_gamma(d + ef_mean_roundings(n) + 2, U64), dE = g * sqrt(r.bound_fro2);
    cr_assert_leq(sv[d], dE, "sigma_{d+1} = %g exceeds %g", sv[d], dE);
    cr_assert_gt(sv[d - 1], 1e3 * dE, "the field should have full rank d");
    /* QR route against the direct SVD: both within ||dE||_2 plus the SVDs' own backward
     * error (gamma_{n}(u64) ||E||_F) */
    double tol = dE + ef_gamma(n, U64) * sqrt(r.fro2) * 4;
    for (int k = 0; k < d; k++)
        cr_assert_leq(fabs(sv[k] - r.sv[k]), tol, "sigma_%d: %g vs %g", k, sv[k], r.sv[k]);
    /* the Gram route squares the condition: |s^2 - s'^2| <= a^2 gamma ||G_Q|| ||G_K||, so
     * |s - s'| <= sqrt of that */
    cr_assert_eq(ref_energy_svals_gram(d, r.a, r.GQ, r.GK, gram, &err), EF_OK, "%s", err.msg);
    double nq = 0, nk = 0;
    for (int i = 0; i < d * d; i++) nq += r.GQ[i] * r.GQ[i], nk += r.GK[i] * r.GK[i];
    double gt = sqrt(r.a * r.a * ef_gamma(4.0 * n + 4.0 * d, U64) * sqrt(nq) * sqrt(nk));
    for (int k = 0; k < d; k++)
        cr_assert_leq(fabs(gram[k] - r.sv[k]), gt, "Gram sigma_%d: %g vs %g", k, gram[k], r.sv[k]);
    reference_free(&r);
}

/* ||E||_F^2 = a^2 trace((Q^T Q)(Kc^T Kc)) */
Test(identities, frobenius)
{
    int n = 150, d = 24;
    ef_reference r = build("rope", n, d, FULL);
    double t = 0;
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++) t += r.GQ[i * d + k] * r.GK[k * d + i];
    t *= r.a * r.a;
    /* both sides are sums of n^2 (resp. n d^2) rounded terms of the same magnitude */
    cr_assert_leq(fabs(t - r.fro2), ef_gamma(2.0 * n + 2.0 * d, U64) * 4 * (r.bound_fro2 + fabs(t)),
                  "%g vs %g", t, r.fro2);
    reference_free(&r);
}

/* Leverage of the centered keys sums to their rank; low-rank keys have rank d/8. */
static void check_leverage(const char *kind, int want_rank)
{
    int n = 200, d = 32;
    ef_reference r = build(kind, n, d, FULL);
    double s = 0;
    for (int j = 0; j < n; j++) {
        cr_assert_geq(r.lev[j], 0.0);
        cr_assert_leq(r.lev[j], 1.0 + 1e-12);
        s += r.lev[j];
    }
    cr_assert_eq(r.rank_k, want_rank, "%s: rank %d, expected %d", kind, r.rank_k, want_rank);
    cr_assert_leq(fabs(s - r.rank_k), ef_gamma(n * d, U64) * r.rank_k * 8,
                  "sum of leverage %g, rank %d", s, r.rank_k);
    reference_free(&r);
}

Test(identities, leverage_sums_to_rank) { check_leverage("gaussian", 32); }
Test(identities, leverage_lowrank) { check_leverage("lowrank", 4); }

/* v_j <= l_j / srank on every column (energy-field.md 6), checked by the verifier's link
 * on the reference's own values, for plain, sink and low-rank keys. */
Test(identities, link_inequality)
{
    const char *kinds[] = {"gaussian", "sink", "lowrank", "duplicate", "outlier"};
    for (int i = 0; i < 5; i++) {
        ef_reference r = build(kinds[i], 180, 32, FULL);
        cr_assert_eq(r.inv.bound_ok, 1, "%s: the link fails", kinds[i]);
        cr_assert_geq(r.inv.bound_slack, -1e-12, "%s: slack %g", kinds[i], r.inv.bound_slack);
        /* and column by column, directly */
        double total = 0;
        for (int j = 0; j < r.n; j++) total += r.col[j];
        double srank = total / (r.sv[0] * r.sv[0]);
        for (int j = 0; j < r.n; j++)
            cr_assert_leq(r.col[j] / total, r.lev[j] / srank * (1 + 1e-10) + 1e-15, "%s column %d",
                          kinds[i], j);
        reference_free(&r);
    }
}

/* An attention sink concentrates the column energy and raises the key coherence. */
Test(identities, sink_signature)
{
    ef_reference g = build("gaussian", 256, 64, FULL), s = build("sink", 256, 64, FULL);
    cr_assert_gt(g.inv.pr_over_n, 0.8, "gaussian PR/n %g", g.inv.pr_over_n);
    cr_assert_lt(s.inv.pr_over_n, 0.1 * g.inv.pr_over_n, "sink PR/n %g vs %g", s.inv.pr_over_n,
                 g.inv.pr_over_n);
    cr_assert_gt(s.inv.v_max, 0.3, "sink v_max %g", s.inv.v_max);
    cr_assert_gt(s.inv.mu_k, 1.5 * g.inv.mu_k, "sink mu_K %g vs %g", s.inv.mu_k, g.inv.mu_k);
    reference_free(&g);
    reference_free(&s);
}

/* The causal field is generally full rank: the mask lifts the rank bound (say so, do not
 * test a bound that does not hold). */
Test(identities, causal_lifts_rank)
{
    int n = 96, d = 8;
    ef_reference r = build("gaussian", n, d, CAUSAL);
    double sv[n];
    ef_error err;
    cr_assert_eq(ref_svals(n, n, r.E_rows, sv, &err), EF_OK, "%s", err.msg);
    cr_assert_gt(sv[2 * d] / sv[0], 1e-8, "a causal field of rank <= 2d would be unexpected");
    reference_free(&r);
}

/* The reference's row and column statistics come from d x d Grams (ref_columns.c), not
 * from the field: they must equal the sums over the explicit field (every row checked)
 * within float64 rounding. Keys with a large common offset make the expanded Gram form
 * cancel, as real models' keys do. Bounds: both sides carry gamma_{n+2d+4}(u64) of
 * sum_i B_ij^2 (verify.c's colenergy bound); row sums gamma_{n+d+4}(u64) of sum_j B_ij. The
 * sampled reference (a few rows checked) has the same columns and bounds sum_i |E_ij| B_ij
 * by Cauchy-Schwarz. Windows narrower and wider than the key block of ref_columns.c. */
static void check_columns(const char *kind, ef_mask m, float offset)
{
    int n = 300, d = 16;
    ef_head h;
    ef_reference r, s;
    ef_error err = {{0}};
    ef_test_head(kind, n, d, ef_test_seed(), &h);
    for (int i = 0; i < n * d; i++) h.k[i] += offset;
    ef_reference_opts all = {.check_rows = n, .full_check_max = n, .seed = 1};
    ef_reference_opts few = {.check_rows = 7, .full_check_max = 2, .seed = 1};
    cr_assert_eq(reference_build(&h, m, EF_PREC_FP32, &all, &r, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(reference_build(&h, m, EF_PREC_FP32, &few, &s, &err), EF_OK, "%s", err.msg);
    double gc = 2 * ef_gamma(n + 2 * d + 4, U64), gr = ef_gamma(n + d + 4, U64), fro2 = 0;
    for (int j = 0; j < n; j++) {
        double c = 0, bb = 0, eb = 0;
        for (int i = 0; i < n; i++) {
            double e = r.E_rows[(size_t)i * n + j], b = r.B_rows[(size_t)i * n + j];
            c += e * e, bb += b * b, eb += fabs(e) * b;
        }
        fro2 += c;
        cr_assert_leq(fabs(r.col[j] - c), gc * bb, "%s column %d: %.17g by Grams, %.17g direct",
                      kind, j, r.col[j], c);
        cr_assert_leq(fabs(r.col_bb[j] - bb), gc * bb, "column %d bound base", j);
        cr_assert_leq(fabs(r.col_eb[j] - eb), gc * bb, "column %d: exact when all rows checked", j);
        cr_assert_eq(s.col[j], r.col[j], "column %d: the same route for any row sample", j);
        cr_assert_geq(s.col_eb[j], eb * (1 - gc), "column %d: Cauchy-Schwarz bounds the sum", j);
    }
    cr_assert_leq(fabs(r.fro2 - fro2), gc * r.bound_fro2);
    for (int i = 0; i < n; i++) {
        double b = 0;
        for (int j = 0; j < n; j++) b += r.B_rows[(size_t)i * n + j];
        cr_assert_leq(fabs(r.row_bound[i] - b), gr * b, "row %d: %.17g, direct %.17g", i,
                      r.row_bound[i], b);
    }
    reference_free(&r);
    reference_free(&s);
    ef_head_free(&h);
}

Test(identities, columns_by_gram_full) { check_columns("gaussian", FULL, 0); }
Test(identities, columns_by_gram_full_offset) { check_columns("sink", FULL, 40); }
Test(identities, columns_by_gram_causal) { check_columns("gaussian", CAUSAL, 0); }
Test(identities, columns_by_gram_causal_offset) { check_columns("outlier", CAUSAL, 40); }
Test(identities, columns_by_gram_window) { check_columns("gaussian", WINDOW, 40); }
Test(identities, columns_by_gram_wide_window)
{
    check_columns("sink", (ef_mask){EF_MASK_WINDOW, 200}, 40);
}

/* Input rounding: fp16 / bf16 nearest-even on values with known encodings. */
Test(half, known_values)
{
    cr_assert_eq(ef_f32_to_f16(1.0f), 0x3c00);
    cr_assert_eq(ef_f32_to_f16(-2.0f), 0xc000);
    cr_assert_eq(ef_f32_to_f16(65504.0f), 0x7bff);
    cr_assert_eq(ef_f32_to_f16(65520.0f), 0x7c00);        /* rounds to inf */
    cr_assert_eq(ef_f32_to_f16(0x1p-24f), 0x0001);        /* smallest subnormal */
    cr_assert_eq(ef_f32_to_f16(1.0f + 0x1p-11f), 0x3c00); /* tie to even */
    cr_assert_eq(ef_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
    cr_assert_eq(ef_f32_to_bf16(1.0f), 0x3f80);
    cr_assert_eq(ef_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80); /* tie to even */
    cr_assert_eq(ef_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);
    for (int i = -20; i <= 15; i++) { /* below 2^16: fp16 overflows to inf above 65504 */
        float x = ldexpf(1.2345f, i);
        cr_assert_leq(fabsf(ef_f16_to_f32(ef_f32_to_f16(x)) - x), fabsf(x) * 0x1p-11f + 0x1p-25f);
        cr_assert_leq(fabsf(ef_bf16_to_f32(ef_f32_to_bf16(x)) - x), fabsf(x) * 0x1p-8f);
    }
}
