/* monitor/monitor.c — the efbench-monitor library (include/efbench/monitor.h): key
 * leverage, mu_K and the column-energy spread of one head, in float64 on the reference
 * math of core/ref_math (OpenBLAS, LAPACKE). No printing; errors go to err.
 */
#include "efbench/monitor.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ref_math.h"

static int efm_fail(char *err, size_t err_len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int efm_fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* An ef_error from ref_math as an efm code and message. */
static int efm_from_ref(int rc, const ef_error *e, char *err, size_t err_len)
{
    if (rc == EF_OK) return EFM_OK;
    return efm_fail(err, err_len, rc == EF_NOMEM ? EFM_ENOMEM : EFM_ENUMERIC, "%s", e->msg);
}

double efm_rank_tol(int n, int d)
{
    double tol = (n > d ? n : d) * 0x1p-24;
    return tol > 0.5 ? 0.5 : tol;
}

double efm_mu_change(double mu_old, double mu_new)
{
    if (isnan(mu_old) || isnan(mu_new) || mu_old == 0) return NAN;
    return (mu_new - mu_old) / mu_old;
}

/* Sizes, pointers and finiteness of an n x d float matrix `what`. */
static int efm_check(int n, int d, const float *x, const char *what, char *err, size_t err_len)
{
    if (d < 1)
        return efm_fail(err, err_len, EFM_EINVAL, "head dimension d = %d: must be at least 1", d);
    if (n < d + 2)
        return efm_fail(err, err_len, EFM_EINVAL,
                        "n = %d positions for head dimension d = %d: "
                        "the centered keys span at most n - 1 directions, so with n <= d + 1 every "
                        "key holds the same leverage (mu_K = 1); mu_K needs n >= d + 2",
                        n, d);
    if (!x) return efm_fail(err, err_len, EFM_EINVAL, "%s is NULL", what);
    for (size_t i = 0; i < (size_t)n * d; i++)
        if (!isfinite(x[i]))
            return efm_fail(err, err_len, EFM_EINVAL, "%s[%zu][%zu] is not finite", what,
                            i / (size_t)d, i % (size_t)d);
    return EFM_OK;
}

/* X (n x d float) as double, and its rows centered over the n positions when kc. */
static double *efm_to_double(int n, int d, const float *x, int center)
{
    size_t nd = (size_t)n * d;
    double *X = malloc(nd * sizeof *X), *mean = malloc((size_t)d * sizeof *mean);
    if (!X || !mean) {
        free(X);
        free(mean);
        return NULL;
    }
    for (size_t i = 0; i < nd; i++) X[i] = x[i];
    if (center) { /* in place: row j minus the mean key, as ref_keys_center does */
        ref_key_mean(n, d, X, mean);
        ref_keys_center(n, d, X, mean, X);
    }
    free(mean);
    return X;
}

/* Leverage of Kc (n x d, centered) by the reference's thin SVD and rank rule. */
static int efm_leverage_kc(int n, int d, const double *Kc, double *lev, double *mu_k, int *rank,
                           int *argmax, char *err, size_t err_len)
{
    int k = n < d ? n : d, rc;
    ef_error e = {{0}};
    double *T = malloc((size_t)d * d * sizeof *T), *sv = malloc((size_t)k * sizeof *sv);
    if (!T || !sv) {
        rc = efm_fail(err, err_len, EFM_ENOMEM, "leverage of %d x %d keys: out of memory", n, d);
        goto free_work;
    }
    rc = efm_from_ref(ref_leverage(n, d, Kc, efm_rank_tol(n, d), lev, T, sv, rank, &e), &e, err,
                      err_len);
    if (rc) goto free_work;
    double lmax = -1;
    *argmax = 0;
    for (int j = 0; j < n; j++)
        if (lev[j] > lmax) lmax = lev[j], *argmax = j;
    *mu_k = *rank > 0 ? (double)n / *rank * lmax : NAN;
free_work:
    free(T);
    free(sv);
    return rc;
}

/* c_j = a^2 kc_j^T (Q^T Q) kc_j: the Gram of Q (dsyrk), W = Kc G_Q (dsymm), row dots. */
static int efm_colenergy_kc(int n, int d, const float *q, const double *Kc, double a, double *col,
                            char *err, size_t err_len)
{
    int rc = EFM_OK;
    double *Q = efm_to_double(n, d, q, 0), *G = malloc((size_t)d * d * sizeof *G);
    double *W = malloc((size_t)n * d * sizeof *W);
    if (!Q || !G || !W) {
        rc = efm_fail(err, err_len, EFM_ENOMEM, "column energies of %d x %d Q/K: out of memory", n,
                      d);
        goto free_work;
    }
    ref_gram(n, d, Q, G);
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, n, d, 1.0, G, d, Kc, d, 0.0, W, d);
    for (int j = 0; j < n; j++) {
        double c = a * a * cblas_ddot(d, W + (size_t)j * d, 1, Kc + (size_t)j * d, 1);
        /* c_j >= 0 exactly; a negative value is rounding of a column that is ~0 */
        col[j] = c > 0 ? c : 0;
    }
free_work:
    free(Q);
    free(G);
    free(W);
    return rc;
}

int efm_key_leverage(int n, int d, const float *k, double *leverage, double *mu_k, int *rank,
                     char *err, size_t err_len)
{
    int rc, argmax;
    if (!mu_k || !rank) return efm_fail(err, err_len, EFM_EINVAL, "mu_k or rank is NULL");
    if ((rc = efm_check(n, d, k, "k", err, err_len))) return rc;
    double *Kc = efm_to_double(n, d, k, 1);
    double *lev = leverage ? leverage : malloc((size_t)n * sizeof *lev);
    if (!Kc || !lev) {
        rc = efm_fail(err, err_len, EFM_ENOMEM, "leverage of %d x %d keys: out of memory", n, d);
        goto free_work;
    }
    rc = efm_leverage_kc(n, d, Kc, lev, mu_k, rank, &argmax, err, err_len);
free_work:
    free(Kc);
    if (lev != leverage) free(lev);
    return rc;
}

int efm_column_energy_pr(int n, int d, const float *q, const float *k, double scale, double *col,
                         double *pr_over_n, double *v_max, char *err, size_t err_len)
{
    int rc;
    if (!pr_over_n || !v_max)
        return efm_fail(err, err_len, EFM_EINVAL, "pr_over_n or v_max is NULL");
    if (!isfinite(scale) || scale == 0)
        return efm_fail(err, err_len, EFM_EINVAL, "scale %g: must be finite and nonzero", scale);
    if ((rc = efm_check(n, d, q, "q", err, err_len)) ||
        (rc = efm_check(n, d, k, "k", err, err_len)))
        return rc;
    double *Kc = efm_to_double(n, d, k, 1);
    double *c = col ? col : malloc((size_t)n * sizeof *c);
    if (!Kc || !c) {
        rc = efm_fail(err, err_len, EFM_ENOMEM, "column energies of %d x %d Q/K: out of memory", n,
                      d);
        goto free_work;
    }
    if ((rc = efm_colenergy_kc(n, d, q, Kc, scale, c, err, err_len))) goto free_work;
    ref_colenergy_stats(n, c, pr_over_n, v_max);
free_work:
    free(Kc);
    if (c != col) free(c);
    return rc;
}

int efm_head_analyze(int n, int d, const float *q, const float *k, double scale,
                     efm_head_stats *out, char *err, size_t err_len)
{
    int rc;
    if (!out) return efm_fail(err, err_len, EFM_EINVAL, "out is NULL");
    if (!isfinite(scale) || scale == 0)
        return efm_fail(err, err_len, EFM_EINVAL, "scale %g: must be finite and nonzero", scale);
    if ((rc = efm_check(n, d, q, "q", err, err_len)) ||
        (rc = efm_check(n, d, k, "k", err, err_len)))
        return rc;
    double *Kc = efm_to_double(n, d, k, 1), *buf = malloc((size_t)n * sizeof *buf);
    if (!Kc || !buf) {
        rc = efm_fail(err, err_len, EFM_ENOMEM, "head of %d x %d Q/K: out of memory", n, d);
        goto free_work;
    }
    if ((rc = efm_leverage_kc(n, d, Kc, buf, &out->mu_k, &out->rank_k, &out->lev_argmax, err,
                              err_len)))
        goto free_work;
    out->lev_max = buf[out->lev_argmax];
    if ((rc = efm_colenergy_kc(n, d, q, Kc, scale, buf, err, err_len))) goto free_work;
    ref_colenergy_stats(n, buf, &out->pr_over_n, &out->v_max);
free_work:
    free(Kc);
    free(buf);
    return rc;
}
