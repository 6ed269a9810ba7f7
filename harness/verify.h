/* harness/verify.h — how a device result is judged against the float64 reference:
 * componentwise rounding bounds from energy-field.md, and the invariants measured on a
 * device's own output. Called by the runner once per case; never prints.
 */
#ifndef EF_VERIFY_H
#define EF_VERIFY_H

#include <math.h>

#include "core/error.h"
#include "core/types.h"

/* Accuracy against the reference. NAN where a workload does not produce the field. */
typedef struct ef_accuracy {
    double rel_fro_err;    /* ||X_dev - X_ref||_F / ||X_ref||_F over the checked part   */
    double max_abs_err;    /* max |X_dev - X_ref|                                       */
    long bound_violations; /* entries outside c * (componentwise rounding bound)        */
    long rows_checked;     /* rows (or entries for vectors) compared; -1 if none        */
    double input_rel_err;  /* ||E(rounded inputs) - E(fp32 inputs)||_F / ||E(fp32)||_F   */
    double bound_c;        /* the constant c the bound was held to                      */
    double unit_roundoff;  /* u of the accumulation precision the bound used            */
} ef_accuracy;

/* Invariants (energy-field.md 1-6). NAN where the workload does not produce one;
 * bound_ok: 1 holds, 0 violated, -1 not evaluated. */
typedef struct ef_invariants {
    double rowsum_rel, rowsum_bound;
    double rank_tail, rank_tail_bound;
    double sv_rel_err, sv_rel_bound;
    double pr_over_n, v_max;
    double mu_k;
    int rank_k;
    double srank;
    int bound_ok;
    double bound_slack; /* min_j (l_j / srank - v_j): >= 0 when the link holds */
} ef_invariants;

void ef_accuracy_clear(ef_accuracy *a);
void ef_invariants_clear(ef_invariants *v);

/* The constant c of every bound: rounding bounds are worst cases up to first order; c = 2
 * covers the second-order terms and the different summation orders of the devices. */
#define VERIFY_C 2.0

/* The outcome of one check: what was measured, and why it failed if it did. */
typedef struct ef_verdict {
    ef_accuracy acc;
    ef_invariants inv;
    int failed;
    char reasons[1024];
} ef_verdict;

void verdict_init(ef_verdict *v, double u);
void verdict_fail(ef_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Helpers for a verifier (a new workload's may live beside its row in workload.c).
 * gamma of one entry of E (energy-field.md): the roundings of a dot product of length d,
 * a key mean and the scale. */
struct ef_reference;
double verify_gamma_energy(const struct ef_reference *r, double u);
/* A vector judged entry by entry: |got_j - want_j| <= bound(r, u, j) for j < count. Fills
 * v->acc (errors, violations, entries checked, the inputs' rounding) and returns the number
 * of entries outside the bound; the caller words the failure. */
long verify_entries(const struct ef_reference *r, double u, const double *got, const double *want,
                    int count, double (*bound)(const struct ef_reference *r, double u, int j),
                    ef_verdict *v);

/* The checks (harness/verify.c). `r` is the reference of the case group, u the unit
 * roundoff of the device's accumulation; device outputs converted to double. */
struct ef_reference;
void verify_energy(const struct ef_reference *r, double u, const double *E_rows, ef_verdict *v);
void verify_rowsum(const struct ef_reference *r, double u, const double *s, const double *t,
                   ef_verdict *v);
/* The same on `count` rows listed in `rows` (s[c], t[c] belong to row rows[c]). */
void verify_rowsum_rows(const struct ef_reference *r, double u, const int *rows, int count,
                        const double *s, const double *t, ef_verdict *v);
void verify_colenergy(const struct ef_reference *r, double u, const double *c, ef_verdict *v);
/* also returns the device's singular values in sv (d values) when sv != NULL */
void verify_gram(const struct ef_reference *r, double u, const double *GQ, const double *GK,
                 double *sv, ef_verdict *v);
void verify_ranktail(const struct ef_reference *r, double u, double tail2, double total2,
                     ef_verdict *v);
/* ranktail streamed over row blocks: P = U^T E (d x n) and ||E||_F^2 summed over the blocks */
void verify_ranktail_blocked(const struct ef_reference *r, double u, const double *P, double total2,
                             ef_verdict *v);
void verify_leverage(const struct ef_reference *r, double u, const double *lev, ef_verdict *v);
/* the link v_j <= l_j / srank on every column, from column energies c and leverage */
void verify_link(const struct ef_reference *r, double u, const double *c, const double *lev,
                 double sv1, ef_verdict *v);

/* Unit roundoff of the accumulation of a device writing elements of type t. */
static inline double ef_unit_roundoff(ef_dtype t) { return t == EF_F64 ? 0x1p-53 : 0x1p-24; }
/* gamma_k = k u / (1 - k u) (Higham); +inf when k u >= 1. */
static inline double ef_gamma(double k, double u)
{
    return k * u < 1 ? k * u / (1 - k * u) : INFINITY;
}
/* Roundings a key mean may take: pairwise / blocked summation, log2(n) + 2. */
static inline double ef_mean_roundings(int n) { return ceil(log2((double)(n > 1 ? n : 2))) + 2; }

#endif
