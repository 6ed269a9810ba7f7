/* core/ref_math.c — float64 implementations of the energy-field math
 * (energy-field.md) on cblas and LAPACKE. The ground truth every device is judged by.
 */
#include "core/ref_math.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ref_key_mean(int n, int d, const double *K, double *kbar)
{
    memset(kbar, 0, sizeof(double) * d);
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) kbar[c] += K[(size_t)j * d + c];
    for (int c = 0; c < d; c++) kbar[c] /= n;
}

void ref_keys_center(int n, int d, const double *K, const double *kbar, double *Kc)
{
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) Kc[(size_t)j * d + c] = K[(size_t)j * d + c] - kbar[c];
}

/* Prefix sums of the keys (or their absolute values) give every visible-window mean in
 * O(n d): sum over [lo, hi] = P[hi + 1] - P[lo]. */
int ref_key_means(ef_mask m, int n, int d, const double *K, int absolute, double *M, ef_error *err)
{
    double *P = calloc((size_t)(n + 1) * d, sizeof *P);
    if (!P) return ef_fail(err, EF_NOMEM, "key means for n = %d, d = %d: out of memory", n, d);
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) {
            double v = K[(size_t)j * d + c];
            P[(size_t)(j + 1) * d + c] = P[(size_t)j * d + c] + (absolute ? fabs(v) : v);
        }
    for (int i = 0; i < n; i++) {
        int lo = ef_mask_first(m, i), hi = ef_mask_last(m, i, n);
        double inv = 1.0 / (hi - lo + 1);
        for (int c = 0; c < d; c++)
            M[(size_t)i * d + c] = (P[(size_t)(hi + 1) * d + c] - P[(size_t)lo * d + c]) * inv;
    }
    free(P);
    return EF_OK;
}

void ref_energy_block(ef_mask m, int n, int d, double a, const double *Q, const double *K,
                      const double *Kc, const double *M, int r0, int rows, double *E)
{
    const double *Qb = Q + (size_t)r0 * d;
    if (m.kind == EF_MASK_FULL) { /* E = a Q Kc^T: one GEMM on the centered keys */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, d, a, Qb, d, Kc, d, 0.0, E,
                    n);
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, d, a, Qb, d, K, d, 0.0, E, n);
    for (int r = 0; r < rows; r++) {
        int i = r0 + r;
        double c = a * cblas_ddot(d, Qb + (size_t)r * d, 1, M + (size_t)i * d, 1);
        double *row = E + (size_t)r * n;
        for (int j = 0; j < n; j++) row[j] = ef_mask_visible(m, i, j) ? row[j] - c : 0.0;
    }
}

void ref_gram(int n, int d, const double *X, double *G)
{
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0, X, d, 0.0, G, d);
    for (int r = 0; r < d; r++)
        for (int c = 0; c < r; c++) G[(size_t)r * d + c] = G[(size_t)c * d + r];
}

/* R factor (k x d, upper triangular, k = min(n, d)) of the thin QR of X (n x d). */
static int qr_r_factor(int n, int d, const double *X, double *R, ef_error *err)
{
    int k = n < d ? n : d, rc = EF_OK;
    double *A = malloc(sizeof(double) * n * d), *tau = malloc(sizeof(double) * k);
    if (!A || !tau) {
        rc = ef_fail(err, EF_NOMEM, "QR of a %d x %d matrix: out of memory", n, d);
        goto out;
    }
    memcpy(A, X, sizeof(double) * n * d);
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, d, A, d, tau);
    if (info != 0) {
        rc = ef_fail(err, EF_ERROR, "LAPACKE_dgeqrf failed (info %d)", (int)info);
        goto out;
    }
    for (int r = 0; r < k; r++)
        for (int c = 0; c < d; c++) R[(size_t)r * d + c] = c >= r ? A[(size_t)r * d + c] : 0.0;
out:
    free(A);
    free(tau);
    return rc;
}

int ref_svals(int m, int n, const double *A, double *sv, ef_error *err)
{
    int rc = EF_OK;
    double *W = malloc(sizeof(double) * m * n);
    if (!W) return ef_fail(err, EF_NOMEM, "SVD of a %d x %d matrix: out of memory", m, n);
    memcpy(W, A, sizeof(double) * m * n);
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', m, n, W, n, sv, NULL, m, NULL, n);
    if (info != 0) rc = ef_fail(err, EF_ERROR, "LAPACKE_dgesdd failed (info %d)", (int)info);
    free(W);
    return rc;
}

int ref_energy_svals_qr(int n, int d, double a, const double *Q, const double *Kc, double *sv,
                        ef_error *err)
{
    int k = n < d ? n : d, rc;
    double *RQ = malloc(sizeof(double) * k * d), *RK = malloc(sizeof(double) * k * d);
    double *P = malloc(sizeof(double) * k * k);
    if (!RQ || !RK || !P) {
        rc = ef_fail(err, EF_NOMEM, "singular values: out of memory");
        goto out;
    }
    if ((rc = qr_r_factor(n, d, Q, RQ, err)) != EF_OK) goto out;
    if ((rc = qr_r_factor(n, d, Kc, RK, err)) != EF_OK) goto out;
    /* E = a U_Q (R_Q R_K^T) U_K^T: the singular values are those of the k x k core */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, k, d, a, RQ, d, RK, d, 0.0, P, k);
    rc = ref_svals(k, k, P, sv, err);
out:
    free(RQ);
    free(RK);
    free(P);
    return rc;
}

int ref_energy_svals_gram(int d, double a, const double *GQ, const double *GK, double *sv,
                          ef_error *err)
{
    int rc = EF_OK;
    double *V = malloc(sizeof(double) * d * d), *w = malloc(sizeof(double) * d);
    double *S = malloc(sizeof(double) * d * d), *T = malloc(sizeof(double) * d * d);
    if (!V || !w || !S || !T) {
        rc = ef_fail(err, EF_NOMEM, "Gram route: out of memory");
        goto out;
    }
    /* G_Q^1/2 = V diag(sqrt(max(w, 0))) V^T */
    memcpy(V, GQ, sizeof(double) * d * d);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', d, V, d, w);
    if (info != 0) {
        rc = ef_fail(err, EF_ERROR, "LAPACKE_dsyevd failed (info %d)", (int)info);
        goto out;
    }
    for (int r = 0; r < d; r++)
        for (int c = 0; c < d; c++)
            T[(size_t)r * d + c] = V[(size_t)r * d + c] * sqrt(fmax(w[c], 0.0));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, T, d, V, d, 0.0, S, d);
    /* M = S G_K S, symmetric PSD; its eigenvalues are sigma^2 / a^2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, S, d, GK, d, 0.0, T, d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, T, d, S, d, 0.0, V, d);
    for (int r = 0; r < d; r++)
        for (int c = 0; c < r; c++) V[(size_t)r * d + c] = V[(size_t)c * d + r];
    info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', d, V, d, w);
    if (info != 0) {
        rc = ef_fail(err, EF_ERROR, "LAPACKE_dsyevd failed (info %d)", (int)info);
        goto out;
    }
    for (int k = 0; k < d; k++) sv[k] = a * sqrt(fmax(w[d - 1 - k], 0.0)); /* descending */
out:
    free(V);
    free(w);
    free(S);
    free(T);
    return rc;
}

int ref_orth_basis(int n, int d, const double *Q, double *U, ef_error *err)
{
    int k = n < d ? n : d, rc = EF_OK;
    double *A = malloc(sizeof(double) * n * k), *tau = malloc(sizeof(double) * k);
    if (!A || !tau) {
        rc = ef_fail(err, EF_NOMEM, "orthonormal basis: out of memory");
        goto out;
    }
    /* the first k columns span col(Q) only when Q has full column rank; QR of all d
     * columns is what spans it in general, so factor Q itself (n x d) */
    double *F = malloc(sizeof(double) * n * d);
    if (!F) {
        rc = ef_fail(err, EF_NOMEM, "orthonormal basis: out of memory");
        goto out;
    }
    memcpy(F, Q, sizeof(double) * n * d);
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, d, F, d, tau);
    if (info == 0) {
        for (int r = 0; r < n; r++)
            memcpy(A + (size_t)r * k, F + (size_t)r * d, sizeof(double) * k);
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, k, k, A, k, tau);
    }
    free(F);
    if (info != 0) {
        rc = ef_fail(err, EF_ERROR, "QR of Q failed (LAPACK info %d)", (int)info);
        goto out;
    }
    for (int r = 0; r < n; r++)
        for (int c = 0; c < d; c++) U[(size_t)r * d + c] = c < k ? A[(size_t)r * k + c] : 0.0;
out:
    free(A);
    free(tau);
    return rc;
}

int ref_leverage(int n, int d, const double *Kc, double tol_rel, double *lev, double *T, double *sv,
                 int *rank, ef_error *err)
{
    int k = n < d ? n : d, rc = EF_OK;
    double *A = malloc(sizeof(double) * n * d), *U = malloc(sizeof(double) * n * k);
    double *VT = malloc(sizeof(double) * k * d);
    if (!A || !U || !VT) {
        rc = ef_fail(err, EF_NOMEM, "leverage: out of memory");
        goto out;
    }
    memcpy(A, Kc, sizeof(double) * n * d);
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', n, d, A, d, sv, U, k, VT, d);
    if (info != 0) {
        rc = ef_fail(err, EF_ERROR, "LAPACKE_dgesdd failed (info %d)", (int)info);
        goto out;
    }
    int r = 0;
    while (r < k && sv[r] > tol_rel * sv[0]) r++;
    *rank = r;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int c = 0; c < r; c++) s += U[(size_t)j * k + c] * U[(size_t)j * k + c];
        lev[j] = s;
    }
    memset(T, 0, sizeof(double) * d * d);
    for (int c = 0; c < r; c++)
        for (int e = 0; e < d; e++) T[(size_t)c * d + e] = VT[(size_t)c * d + e] / sv[c];
out:
    free(A);
    free(U);
    free(VT);
    return rc;
}

void ref_colenergy_stats(int n, const double *c, double *pr_over_n, double *v_max)
{
    double total = 0, sq = 0, mx = 0;
    for (int j = 0; j < n; j++) total += c[j];
    for (int j = 0; j < n; j++) {
        double v = total > 0 ? c[j] / total : 0;
        sq += v * v;
        if (v > mx) mx = v;
    }
    *pr_over_n = sq > 0 ? 1.0 / sq / n : NAN;
    *v_max = total > 0 ? mx : NAN;
}

int ref_rank_tail(int n, int d, const double *E, const double *U, double *tail2, double *total2,
                  ef_error *err)
{
    double *P = malloc(sizeof(double) * d * n), *R = malloc(sizeof(double) * n * n);
    if (!P || !R) {
        free(P);
        free(R);
        return ef_fail(err, EF_NOMEM, "rank tail n = %d: out of memory", n);
    }
    /* R = E - U (U^T E) */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, n, n, 1.0, U, d, E, n, 0.0, P, n);
    memcpy(R, E, sizeof(double) * n * n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, d, -1.0, U, d, P, n, 1.0, R, n);
    double tail = 0, total = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) {
        tail += R[i] * R[i];
        total += E[i] * E[i];
    }
    *tail2 = tail;
    *total2 = total;
    free(P);
    free(R);
    return EF_OK;
}
