/* include/efbench/monitor.h — efbench's per-head key-incoherence monitor as a C API: the
 * leverage scores and coherence mu_K of one head's centered keys, and the spread (PR/n) of
 * its full energy field's column energies, in float64 on OpenBLAS/LAPACKE. Self-contained
 * (no efbench headers); link with efbench-monitor. `efbench monitor` calls these functions.
 * The math: energy-field.md, sections 4-6 (efbench's docs).
 */
#ifndef EFBENCH_MONITOR_H
#define EFBENCH_MONITOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. On any code but EFM_OK, err (if err_len > 0) holds one line naming the
 * input and what is wrong with it; the outputs are then unspecified. */
enum {
    EFM_OK = 0,
    EFM_EINVAL = 1,   /* bad arguments: sizes, NULL pointers, non-finite inputs        */
    EFM_ENOMEM = 2,   /* an allocation failed                                          */
    EFM_ENUMERIC = 3, /* LAPACK did not converge                                       */
};

/* A fixed flag threshold of mu_K for n/r = 2 (Gemma 3 270M, d = 256, at n = 512): 1.9 flags a
 * key of leverage above 0.95, one that all but owns a direction of the key space (a key x 30:
 * mu_K 1.99; Gaussian keys 1.22; real heads 1.33 - 2.42, median 1.62). mu_K <= n/r, so a
 * fixed value does not carry to other n/r: efbench monitor's default is the scale-free rule
 * mu_K > 1 + 0.85 (n/r - 1) (harness/monitor_run.h), and --max-mu takes a fixed value.
 * efbench's README ("Monitor") has the data. */
#define EFM_DEFAULT_MAX_MU 1.9
/* Default flag threshold of the relative change of mu_K between two checkpoints
 * (efbench monitor --max-change): |mu_new - mu_old| / mu_old. Swapping one natural text
 * for another moves a Gemma 3 270M head's mu_K by 5% (median), 13% (90th percentile) and
 * more than 25% in 1% of cases; at n/r = 2, +25% is the step from a typical head (1.6) to a
 * sink (2.0). */
#define EFM_DEFAULT_MAX_CHANGE 0.25

/* Relative rank threshold for float32 keys: singular values of the centered keys at or
 * below max(n, d) * 2^-24 * s_1 are dropped (keys known to single precision carry no
 * information below that), capped at 0.5 — the rule of efbench's float64 reference. */
double efm_rank_tol(int n, int d);

/* Leverage of the centered keys of one head: with K~ = K - 1 kbar^T (kbar the mean key),
 * l_j = k~_j^T (K~^T K~)^+ k~_j (they sum to r = rank(K~)), and
 * mu_K = (n / r) max_j l_j, between 1 (every key holds the even share r/n) and n / r.
 * k: n x d row-major float32 (the keys as they enter the logits). leverage: n doubles out,
 * or NULL. rank: r out. mu_k: NAN when r = 0 (all keys equal).
 * Needs n >= d + 2: with fewer positions the centered keys span all n - 1 directions they
 * can and every head has mu_K = 1 (EFM_EINVAL says so). Cost O(n d^2) (a thin SVD). */
int efm_key_leverage(int n, int d, const float *k, double *leverage, double *mu_k, int *rank,
                     char *err, size_t err_len);

/* Column energies of the full (unmasked) energy field E = scale * Q K~^T without forming
 * it: c_j = ||E e_j||^2 = scale^2 k~_j^T (Q^T Q) k~_j, O(n d^2). Then v_j = c_j / sum c,
 * pr_over_n = 1 / (n sum_j v_j^2) (1: energy spread evenly over the keys; 1/n: one key holds
 * it all) and v_max = max_j v_j. q, k: n x d row-major float32; scale: the logit scale a
 * (finite, nonzero). col: n doubles out, or NULL. pr_over_n and v_max are NAN for an
 * all-zero field. Same size rule as efm_key_leverage. */
int efm_column_energy_pr(int n, int d, const float *q, const float *k, double scale, double *col,
                         double *pr_over_n, double *v_max, char *err, size_t err_len);

/* Both of the above for one head. */
typedef struct efm_head_stats {
    double mu_k;      /* coherence of the centered keys (NAN if rank_k = 0)            */
    int rank_k;       /* r = numerical rank of K~ (efm_rank_tol)                       */
    int lev_argmax;   /* the key position j with the largest leverage                  */
    double lev_max;   /* max_j l_j                                                     */
    double pr_over_n; /* participation ratio of the column energies, over n            */
    double v_max;     /* largest column-energy fraction                                */
} efm_head_stats;

int efm_head_analyze(int n, int d, const float *q, const float *k, double scale,
                     efm_head_stats *out, char *err, size_t err_len);

/* Relative change of mu_K from one checkpoint to the next: (mu_new - mu_old) / mu_old
 * (mu_K >= 1, so the division is safe); NAN if either is NAN. */
double efm_mu_change(double mu_old, double mu_new);

#ifdef __cplusplus
}
#endif

#endif
