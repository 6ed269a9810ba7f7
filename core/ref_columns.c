/* core/ref_columns.c — column sums of squares of a masked n x n product without forming
 * it: the float64 reference's column energies and their bound base in O(n d^2), so that a
 * reference at n = 65536 costs what its checked rows cost, not a pass over the whole field.
 *
 * c_j = sum over the rows i that see key j of (x_i.y_j - t_i)^2. Expanded, the rows that
 * see a whole block of keys contribute y_j^T S y_j - 2 y_j.v + C with S = sum x_i x_i^T,
 * v = sum t_i x_i, C = sum t_i^2 over those rows: a d x d Gram instead of n products.
 *   full:   every row sees every key: S, v, C over all rows.
 *   causal: key blocks from the last one back; the rows past the block see all of it
 *           (S, v, C over them, grown by one dsyrk a block), the block's own rows form
 *           a triangle, computed directly.
 *   window: the band itself (rows j .. j + w - 1 see key j), computed directly: O(n w d),
 *           the size of the field's visible part.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/ref_math.h"

enum { KEY_BLOCK = 128 };

/* c_j += y_j^T S y_j - 2 y_j.v + C for the b keys of Y (S upper triangle, d x d). */
static void add_gram_part(int b, int d, const double *Y, const double *S, const double *v, double C,
                          double *Z, double *c)
{
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, b, d, 1.0, S, d, Y, d, 0.0, Z, d);
    for (int j = 0; j < b; j++) {
        const double *y = Y + (size_t)j * d;
        c[j] += cblas_ddot(d, Z + (size_t)j * d, 1, y, 1) - 2 * cblas_ddot(d, y, 1, v, 1) + C;
    }
}

/* S, v, C += the rows' share: X^T X (upper), X^T t, t.t. */
static void grow_gram(int rows, int d, const double *X, const double *t, double *S, double *v,
                      double *C)
{
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, rows, 1.0, X, d, 1.0, S, d);
    if (!t) return;
    cblas_dgemv(CblasRowMajor, CblasTrans, rows, d, 1.0, X, d, t, 1, 1.0, v, 1);
    *C += cblas_ddot(rows, t, 1, t, 1);
}

/* The rows [i0, i1) against the keys [j0, j1), directly: P = X Y^T, visible entries only. */
static void add_direct_part(ef_mask m, int d, const double *X, const double *Y, const double *t,
                            int i0, int i1, int j0, int j1, double *P, double *c)
{
    int rows = i1 - i0, b = j1 - j0;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, b, d, 1.0, X + (size_t)i0 * d, d,
                Y + (size_t)j0 * d, d, 0.0, P, b);
    for (int r = 0; r < rows; r++) {
        int i = i0 + r;
        double ti = t ? t[i] : 0.0;
        for (int j = j0; j < j1; j++)
            if (ef_mask_visible(m, i, j)) {
                double e = P[(size_t)r * b + (j - j0)] - ti;
                c[j] += e * e;
            }
    }
}

int ref_visible_col_squares(ef_mask m, int n, int d, const double *X, const double *Y,
                            const double *t, double *c, ef_error *err)
{
    int band = m.kind == EF_MASK_WINDOW ? KEY_BLOCK - 1 + m.window : KEY_BLOCK;
    if (band > n) band = n;
    double *S = calloc((size_t)d * d, sizeof *S), *v = calloc(d, sizeof *v);
    double *Z = malloc(sizeof(double) * KEY_BLOCK * d),
           *P = malloc(sizeof(double) * band * KEY_BLOCK);
    double C = 0;
    int rc = EF_OK;
    if (!S || !v || !Z || !P) {
        rc = ef_fail(err, EF_NOMEM, "column energies n = %d: out of memory", n);
        goto out;
    }
    memset(c, 0, sizeof(double) * n);
    if (m.kind == EF_MASK_FULL) grow_gram(n, d, X, t, S, v, &C);
    for (int j1 = n; j1 > 0; j1 -= KEY_BLOCK) { /* key blocks, the last first */
        int j0 = j1 > KEY_BLOCK ? j1 - KEY_BLOCK : 0, b = j1 - j0;
        switch (m.kind) {
            case EF_MASK_FULL: add_gram_part(b, d, Y + (size_t)j0 * d, S, v, C, Z, c + j0); break;
            case EF_MASK_CAUSAL: /* rows >= j1 by their Gram, then the block's own triangle */
                add_gram_part(b, d, Y + (size_t)j0 * d, S, v, C, Z, c + j0);
                add_direct_part(m, d, X, Y, t, j0, j1, j0, j1, P, c);
                grow_gram(b, d, X + (size_t)j0 * d, t ? t + j0 : NULL, S, v, &C);
                break;
            default: { /* window: rows j0 .. j1 - 2 + w see some key of the block */
                int i1 = j1 - 1 + m.window < n ? j1 - 1 + m.window : n;
                add_direct_part(m, d, X, Y, t, j0, i1, j0, j1, P, c);
            }
        }
    }
out:
    free(S);
    free(v);
    free(Z);
    free(P);
    return rc;
}
