/* tests/verify_test.c — the verifier can fail, and fails for the right reason: results
 * within rounding pass; a result perturbed beyond its bound fails with a reason naming the
 * workload. Device outputs are simulated from the float64 reference. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/reference.h"
#include "harness/verify.h"
#include "test_util.h"

static const double U32 = 0x1p-24;
static ef_reference ref;

static void setup(void)
{
    ef_head h;
    ef_error err = {{0}};
    ef_test_head("gaussian", 96, 16, ef_test_seed(), &h);
    ef_reference_opts o = {.check_rows = 96, .full_check_max = 96, .seed = 1};
    cr_assert_eq(reference_build(&h, (ef_mask){EF_MASK_FULL, 0}, EF_PREC_FP32, &o, &ref, &err),
                 EF_OK, "%s", err.msg);
    ef_head_free(&h);
}
static void teardown(void) { reference_free(&ref); }

/* A copy of x rounded to float, as an fp32 device would store it. */
static double *as_float(const double *x, size_t count)
{
    double *y = malloc(sizeof(double) * count);
    for (size_t i = 0; i < count; i++) y[i] = (float)x[i];
    return y;
}

TestSuite(verify, .init = setup, .fini = teardown);

Test(verify, energy_rounded_passes_perturbed_fails)
{
    size_t count = (size_t)ref.check_count * ref.n;
    double *E = as_float(ref.E_rows, count);
    ef_verdict v;
    verdict_init(&v, U32);
    verify_energy(&ref, U32, E, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    cr_assert_leq(v.acc.rel_fro_err, U32);
    /* one entry off by 1e-3 of its row's scale: far beyond gamma_{d+s+2} */
    E[5 * ref.n + 7] += 1e-3 * sqrt(ref.fro2 / count) + 1e-3;
    verdict_init(&v, U32);
    verify_energy(&ref, U32, E, &v);
    cr_assert(v.failed);
    cr_assert_eq(v.acc.bound_violations, 1);
    cr_assert(strstr(v.reasons, "energy:"), "%s", v.reasons);
    /* a NaN is a violation, never a pass */
    E[0] = NAN;
    verdict_init(&v, U32);
    verify_energy(&ref, U32, E, &v);
    cr_assert_eq(v.acc.bound_violations, 2);
    free(E);
}

Test(verify, rowsum_nonzero_fails)
{
    double *s = calloc(ref.n, sizeof(double)), *t = as_float(ref.row_abs, ref.n);
    ef_verdict v;
    verdict_init(&v, U32);
    verify_rowsum(&ref, U32, s, t, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    s[3] = 1e-2 * t[3];
    verdict_init(&v, U32);
    verify_rowsum(&ref, U32, s, t, &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "rowsum:"), "%s", v.reasons);
    cr_assert_float_eq(v.inv.rowsum_rel, 1e-2, 1e-9);
    free(s);
    free(t);
}

Test(verify, colenergy_perturbed_fails)
{
    double *c = as_float(ref.col, ref.n);
    ef_verdict v;
    verdict_init(&v, U32);
    verify_colenergy(&ref, U32, c, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    cr_assert_float_eq(v.inv.pr_over_n, ref.inv.pr_over_n, 1e-5);
    c[10] *= 1.001;
    verdict_init(&v, U32);
    verify_colenergy(&ref, U32, c, &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "colenergy:"), "%s", v.reasons);
    free(c);
}

Test(verify, gram_perturbed_fails)
{
    int d = ref.d;
    double *G = malloc(sizeof(double) * 2 * d * d);
    for (int i = 0; i < d * d; i++) G[i] = (float)ref.GQ[i], G[d * d + i] = (float)ref.GK[i];
    ef_verdict v;
    verdict_init(&v, U32);
    verify_gram(&ref, U32, G, G + d * d, NULL, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    cr_assert_leq(v.inv.sv_rel_err, v.inv.sv_rel_bound);
    G[d * d + 1] += 1e-3 * fabs(ref.GK[0]);
    verdict_init(&v, U32);
    verify_gram(&ref, U32, G, G + d * d, NULL, &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "gram:"), "%s", v.reasons);
    free(G);
}

Test(verify, ranktail_large_fails)
{
    ef_verdict v;
    verdict_init(&v, U32);
    verify_ranktail(&ref, U32, ref.fro2 * 1e-14, ref.fro2, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    verdict_init(&v, U32);
    verify_ranktail(&ref, U32, ref.fro2 * 1e-4, ref.fro2, &v); /* rank_tail 1e-2 */
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "ranktail:"), "%s", v.reasons);
    verdict_init(&v, U32);
    verify_ranktail(&ref, U32, 0, ref.fro2 * 1.1, &v); /* a wrong field with no tail */
    cr_assert(v.failed, "a wrong ||E|| must fail even with a zero tail");
}

/* The streamed form: P = U^T E and ||E||^2 from the reference's own whole field (96 rows,
 * all checked) in two blocks of 48 rows, rounded to float as a device stores them, pass;
 * one block's partial dropped, or all of it, fails. */
Test(verify, ranktail_blocked_dropped_block_fails)
{
    int n = ref.n, d = ref.d, half = n / 2;
    cr_assert_eq(ref.check_count, n);
    double *P[2], total[2] = {0, 0};
    for (int b = 0; b < 2; b++) {
        double *Pb = calloc((size_t)d * n, sizeof(double));
        const double *E = ref.E_rows + (size_t)b * half * n, *U = ref.U + (size_t)b * half * d;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, half, 1.0, U, d, E, n, 0.0, Pb,
                    n);
        for (size_t i = 0; i < (size_t)d * n; i++) Pb[i] = (float)Pb[i];
        for (int r = 0; r < half; r++)
            total[b] += (float)cblas_ddot(n, E + (size_t)r * n, 1, E + (size_t)r * n, 1);
        P[b] = Pb;
    }
    double *sum = malloc(sizeof(double) * d * n);
    for (size_t i = 0; i < (size_t)d * n; i++) sum[i] = P[0][i] + P[1][i];
    ef_verdict v;
    verdict_init(&v, U32);
    verify_ranktail_blocked(&ref, U32, sum, total[0] + total[1], &v);
    cr_assert(!v.failed, "%s", v.reasons);
    cr_assert_leq(v.inv.rank_tail, v.inv.rank_tail_bound);
    /* the second block's projection lost, its ||E_blk||^2 kept: a large tail */
    verdict_init(&v, U32);
    verify_ranktail_blocked(&ref, U32, P[0], total[0] + total[1], &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "ranktail (row blocks):"), "%s", v.reasons);
    cr_assert_gt(v.inv.rank_tail, v.inv.rank_tail_bound);
    /* the whole second block dropped: ||E|| and ||U^T E|| both short of the reference */
    verdict_init(&v, U32);
    verify_ranktail_blocked(&ref, U32, P[0], total[0], &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "||E||_F off"), "%s", v.reasons);
    free(sum);
    free(P[0]);
    free(P[1]);
}

Test(verify, leverage_and_link)
{
    double *lev = as_float(ref.lev, ref.n);
    ef_verdict v;
    verdict_init(&v, U32);
    verify_leverage(&ref, U32, lev, &v);
    cr_assert(!v.failed, "%s", v.reasons);
    verify_link(&ref, U32, ref.col, lev, ref.sv[0], &v);
    cr_assert_eq(v.inv.bound_ok, 1, "%s", v.reasons);
    /* column 4 with almost no leverage but its energy kept: the link must break */
    lev[4] = 1e-6 * lev[4];
    verdict_init(&v, U32);
    verify_leverage(&ref, U32, lev, &v);
    cr_assert(v.failed);
    cr_assert(strstr(v.reasons, "leverage:"), "%s", v.reasons);
    verify_link(&ref, U32, ref.col, lev, ref.sv[0], &v);
    cr_assert_eq(v.inv.bound_ok, 0);
    cr_assert(strstr(v.reasons, "link:"), "%s", v.reasons);
    free(lev);
}
