/* core/ref_math.h — the float64 ground truth of energy-field.md, on OpenBLAS and LAPACKE
 * (no hand-written linear algebra). Used by the `ref` backend, the harness's reference and
 * verifier, and the monitor library. All matrices are row-major double; n tokens, d head
 * dimension.
 */
#ifndef EF_REF_MATH_H
#define EF_REF_MATH_H

#include "core/error.h"
#include "core/types.h"

/* kbar = mean over the n rows of K (n x d) -> (d). */
void ref_key_mean(int n, int d, const double *K, double *kbar);
/* Kc = K - 1 kbar^T (n x d). */
void ref_keys_center(int n, int d, const double *K, const double *kbar, double *Kc);
/* M (n x d): row i is the mean of the keys visible from query i under mask m. With
 * `absolute` set, the mean of |k_j| instead (used by the rounding bound). */
int ref_key_means(ef_mask m, int n, int d, const double *K, int absolute, double *M, ef_error *err);

/* Rows r0 .. r0+rows-1 of the energy field (rows x n) under mask m:
 * E_ij = a q_i.(k_j - m_i) for visible j, else 0. The full field is one GEMM on the
 * centered keys Kc; masks use S = a Q K^T minus c_i = a q_i.m_i with M from
 * ref_key_means (not absolute). Kc is read only for the full mask, K and M otherwise. */
void ref_energy_block(ef_mask m, int n, int d, double a, const double *Q, const double *K,
                      const double *Kc, const double *M, int r0, int rows, double *E);

/* c_j = sum over the rows i that see key j under mask m of (x_i.y_j - t_i)^2, j < n, for
 * X, Y (n x d) and t (n, or NULL for 0), without forming the n x n product: by d x d Grams
 * for the full and causal masks (O(n d^2)), directly over the band for a window
 * (O(n w d)). ref_columns.c. EF_NOMEM with err. */
int ref_visible_col_squares(ef_mask m, int n, int d, const double *X, const double *Y,
                            const double *t, double *c, ef_error *err);

/* G = X^T X (d x d, both triangles) with dsyrk. */
void ref_gram(int n, int d, const double *X, double *G);

/* Singular values of E = a Q Kc^T by the d x d route: thin QR of Q and Kc, then the SVD
 * of R_Q R_K^T (descending, min(n, d) values into sv). EF_OK or EF_ERROR. */
int ref_energy_svals_qr(int n, int d, double a, const double *Q, const double *Kc, double *sv,
                        ef_error *err);
/* The same from Gram matrices only: eig(G_Q^1/2 G_K G_Q^1/2), sqrt, times a (d values). */
int ref_energy_svals_gram(int d, double a, const double *GQ, const double *GK, double *sv,
                          ef_error *err);
/* Singular values of an explicit m x n matrix (direct SVD; small sizes only). */
int ref_svals(int m, int n, const double *A, double *sv, ef_error *err);

/* U (n x d): orthonormal basis of col(Q) by QR; columns past min(n, d) are zero. */
int ref_orth_basis(int n, int d, const double *Q, double *U, ef_error *err);

/* Leverage of the centered keys from their thin SVD. rank r counts singular values above
 * tol_rel * s_1. lev (n) = row norms^2 of U_r; T (d x d) = Sigma_r^-1 V_r^T with zero rows
 * past r (so lev_j = ||T kc_j||^2); sv (min(n, d)) the singular values of Kc. */
int ref_leverage(int n, int d, const double *Kc, double tol_rel, double *lev, double *T, double *sv,
                 int *rank, ef_error *err);

/* The rank tail of an explicit n x n field E against the basis U (n x d, orthonormal
 * columns): tail2 = ||E - U (U^T E)||_F^2 and total2 = ||E||_F^2, summed in index order.
 * EF_NOMEM (with err) when the n x n residual does not fit. */
int ref_rank_tail(int n, int d, const double *E, const double *U, double *tail2, double *total2,
                  ef_error *err);

/* Column-energy statistics from c_j = ||E e_j||^2: PR/n and v_max. */
void ref_colenergy_stats(int n, const double *c, double *pr_over_n, double *v_max);

#endif
