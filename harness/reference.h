/* harness/reference.h — everything the verifier needs about one case group (one head,
 * one mask, one input precision), computed once in float64 from the rounded inputs:
 * the checked rows of E, the rounding-bound bases, row and column statistics, Grams,
 * singular values, the basis U_Q and the key leverage. Built by the runner in
 * O(rows n d + n d^2) time and memory: the n x n field is never formed.
 */
#ifndef EF_REFERENCE_H
#define EF_REFERENCE_H

#include "core/error.h"
#include "core/types.h"
#include "harness/source.h"
#include "harness/verify.h"

typedef struct ef_reference {
    int n, d;
    ef_mask mask;
    ef_precision precision;
    double a;           /* logit scale */
    float *q_in, *k_in; /* the inputs rounded to `precision`, as float (n x d) */
    double *Q, *K;      /* the same in double */
    double *Kc;         /* keys centered over all n (n x d) */
    double *Mabs;       /* row i: mean of |k_j| over the keys visible from i (n x d) */

    int *rows; /* the checked rows, ascending (check_count) */
    int check_count;
    double *E_rows;       /* check_count x n: reference field on the checked rows */
    double *B_rows;       /* check_count x n: bound base a |q_i|.(|k_j| + mabs_i), 0 if masked */
    double input_rel_err; /* rounding of the inputs alone, on the checked rows */

    double *row_sum;         /* (check_count) sum_j E_ij on the checked rows */
    double *row_abs;         /* (check_count) sum_j |E_ij| on the checked rows */
    double *row_bound;       /* (n) sum_j B_ij */
    double *col;             /* (n) c_j = sum_i E_ij^2 */
    double *col_eb;          /* (n) sum_i |E_ij| B_ij when every row is checked, else its
                              * Cauchy-Schwarz bound sqrt(c_j col_bb_j) */
    double *col_bb;          /* (n) sum_i B_ij^2 */
    double fro2, bound_fro2; /* ||E||_F^2, ||B||_F^2 */

    /* full mask only (NULL otherwise) */
    double *GQ, *GK;             /* Q^T Q, Kc^T Kc (d x d) */
    double *GQ_bound, *GK_bound; /* |Q|^T |Q|, (|K| + mabs)^T (|K| + mabs) */
    double *sv;                  /* singular values of E, QR route (min(n, d)) */
    int sv_count;
    double *U;               /* orthonormal basis of col(Q) (n x d) */
    double *lev;             /* leverage of the centered keys (n) */
    double *T;               /* Sigma_r^-1 V_r^T (d x d) */
    double *lev_yb, *lev_bb; /* (n) sum_t |y_tj| beta_tj and sum_t beta_tj^2 of the leverage bound,
                              * y = T kc_j, beta = |T| (|k_j| + mabs_j) (verify.c) */
    double sv_k1, sv_kr;     /* largest and smallest kept singular value of Kc */
    double rank_tol;         /* relative threshold that decided rank_k */
    int rank_k;

    ef_invariants inv;        /* the invariants of the reference itself */
    double *own[EF_WL_COUNT]; /* each workload's own quantities: its reference_own
                               * (harness/workload.h); NULL for most */
} ef_reference;

typedef struct ef_reference_opts {
    int check_rows;     /* rows sampled when n > full_check_max */
    int full_check_max; /* every row checked up to this n */
    uint64_t seed;      /* for the row sample */
} ef_reference_opts;

/* Build the reference of `head` under `mask` with inputs rounded to `precision`. */
int reference_build(const ef_head *head, ef_mask mask, ef_precision precision,
                    const ef_reference_opts *opts, ef_reference *ref, ef_error *err);
void reference_free(ef_reference *ref);

/* Host bytes a reference of n x d with `checked` checked rows holds at its peak (the dozen
 * n x d arrays, the checked rows of E and of its bound): what the
 * runner refuses up front and what --max-memory leaves the field. */
double reference_bytes(int n, int d, int checked);

/* Inputs rounded to `p` and encoded for upload (fp32 floats or 16-bit patterns). */
void reference_encode(ef_precision p, const float *x, size_t count, void *dst);

#endif
