/* harness/workload.c — the rows of the workload table (see workload.h): cost models from
 * energy-field.md's workload table, and per workload how its output is read back and
 * judged by verify.c.
 */
#include "workload.h"

#include <stdlib.h>
#include <string.h>

double workload_visible_pairs(int n, ef_mask m)
{
    double nn = n;
    switch (m.kind) {
    case EF_MASK_CAUSAL: return nn * (nn + 1) / 2;
    case EF_MASK_WINDOW: {
        double w = m.window < n ? m.window : n;
        return w * (w + 1) / 2 + (nn - w) * w; /* rows below w see i+1 keys, the rest w */
    }
    default: return nn * nn;
    }
}

/* Download `count` elements of g->out (or another buffer) as double into dst. */
static int download_doubles(ef_group *g, ef_buffer *buf, size_t offset_elems, size_t count, double *dst,
                            ef_error *err)
{
    size_t es = ef_dtype_size(g->info->out_dtype);
    int rc = g->backend->buffer_download(g->dev, buf, offset_elems * es, g->raw, count * es, err);
    if (rc) return rc;
    if (g->info->out_dtype == EF_F64) memcpy(dst, g->raw, count * sizeof(double));
    else
        for (size_t i = 0; i < count; i++) dst[i] = ((const float *)g->raw)[i];
    return EF_OK;
}

/* Upload a double matrix as the device's element type. */
static int upload_doubles(ef_group *g, ef_buffer *buf, const double *src, size_t count, ef_error *err)
{
    size_t es = ef_dtype_size(g->info->out_dtype);
    if (g->info->out_dtype == EF_F64) memcpy(g->raw, src, count * sizeof(double));
    else
        for (size_t i = 0; i < count; i++) ((float *)g->raw)[i] = (float)src[i];
    return g->backend->buffer_upload(g->dev, buf, 0, g->raw, count * es, err);
}

/* ---- energy ---- */
static double energy_flops(int n, int d, ef_mask m) { return 2.0 * workload_visible_pairs(n, m) * d; }
static double energy_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m; /* masked entries are written as zeros: the whole n x n is stored */
    return (double)n * n * out + 2.0 * n * d * in;
}
static size_t energy_out(int n, int d, int rows) { (void)n, (void)d, (void)rows; return 0; }
static int energy_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    const ef_reference *r = g->ref;
    for (int i = 0; i < r->check_count; i++) {
        int row = r->rows[i];
        if (row < row0 || row >= row0 + rows) continue;
        int rc = download_doubles(g, g->e, (size_t)(row - row0) * r->n, r->n, c->E_rows + (size_t)i * r->n, err);
        if (rc) return rc;
    }
    return EF_OK;
}
static void energy_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    verify_energy(g->ref, v->acc.unit_roundoff, c->E_rows, v);
}

/* ---- rowsum ---- */
static double pass_flops(int n, int d, ef_mask m) { (void)d, (void)m; return 2.0 * n * n; }
static double pass_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)d, (void)m, (void)in;
    return (double)n * n * out;
}
static size_t rowsum_out(int n, int d, int rows) { (void)n, (void)d; return 2 * (size_t)rows; }
static int rowsum_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    int rc = download_doubles(g, g->out, 0, 2 * (size_t)rows, g->host, err);
    if (rc) return rc;
    memcpy(c->s + row0, g->host, sizeof(double) * rows);
    memcpy(c->t + row0, g->host + rows, sizeof(double) * rows);
    return EF_OK;
}
static void rowsum_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    verify_rowsum(g->ref, v->acc.unit_roundoff, c->s, c->t, v);
}

/* ---- colenergy ---- */
static size_t colenergy_out(int n, int d, int rows) { (void)d, (void)rows; return n; }
static int colenergy_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    (void)row0, (void)rows;
    int n = g->ref->n, rc = download_doubles(g, g->out, 0, n, g->host, err);
    if (rc) return rc;
    for (int j = 0; j < n; j++) c->c[j] += g->host[j]; /* the blocks' partial sums add up */
    return EF_OK;
}
static void colenergy_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    verify_colenergy(g->ref, v->acc.unit_roundoff, c->c, v);
    memcpy(g->dev_col, c->c, sizeof(double) * g->ref->n);
    g->have_col = 1;
}

/* ---- gram ---- */
static double gram_flops(int n, int d, ef_mask m) { (void)m; return 4.0 * n * d * d; }
static double gram_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m;
    return 2.0 * n * d * in + 2.0 * d * d * out;
}
static size_t gram_out(int n, int d, int rows) { (void)n, (void)rows; return 2 * (size_t)d * d; }
static int gram_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    (void)row0, (void)rows;
    return download_doubles(g, g->out, 0, 2 * (size_t)g->ref->d * g->ref->d, c->G, err);
}
static void gram_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    int d = g->ref->d;
    double sv[d];
    sv[0] = 0;
    verify_gram(g->ref, v->acc.unit_roundoff, c->G, c->G + (size_t)d * d, sv, v);
    if (sv[0] > 0) g->dev_sv1 = sv[0];
}

/* ---- ranktail ---- */
static double ranktail_flops(int n, int d, ef_mask m) { (void)m; return 4.0 * n * n * d; }
static double ranktail_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m, (void)in;
    return 2.0 * n * n * out + 2.0 * n * d * out;
}
static size_t ranktail_out(int n, int d, int rows) { (void)n, (void)d, (void)rows; return 2; }
static int ranktail_prepare(ef_group *g, ef_error *err)
{
    return upload_doubles(g, g->aux, g->ref->U, (size_t)g->ref->n * g->ref->d, err);
}
static int ranktail_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    (void)row0, (void)rows;
    double two[2] = {0, 0};
    int rc = download_doubles(g, g->out, 0, 2, two, err);
    c->tail2 = two[0];
    c->total2 = two[1];
    return rc;
}
static void ranktail_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    verify_ranktail(g->ref, v->acc.unit_roundoff, c->tail2, c->total2, v);
}

/* ---- leverage ---- */
static double leverage_flops(int n, int d, ef_mask m) { (void)m; return 2.0 * n * d * d; }
static double leverage_bytes(int n, int d, ef_mask m, size_t in, size_t out)
{
    (void)m;
    return (double)n * d * in + (double)d * d * out + (double)n * out;
}
static size_t leverage_out(int n, int d, int rows) { (void)d, (void)rows; return n; }
static int leverage_prepare(ef_group *g, ef_error *err)
{
    return upload_doubles(g, g->aux, g->ref->T, (size_t)g->ref->d * g->ref->d, err);
}
static int leverage_collect(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err)
{
    (void)row0, (void)rows;
    return download_doubles(g, g->out, 0, g->ref->n, c->lev, err);
}
static void leverage_judge(ef_group *g, const ef_collected *c, ef_verdict *v)
{
    const ef_reference *r = g->ref;
    double u = v->acc.unit_roundoff;
    verify_leverage(r, u, c->lev, v);
    /* the link, on the device's own column energies and sigma_1 where it produced them */
    verify_link(r, u, g->have_col ? g->dev_col : r->col, c->lev, g->dev_sv1 > 0 ? g->dev_sv1 : r->sv[0], v);
}

const ef_workload_desc ef_workloads[EF_WL_COUNT] = {
    [EF_WL_ENERGY] = {EF_WL_ENERGY, 0, 0, 0, energy_flops, energy_bytes, energy_out, NULL,
                      energy_collect, energy_judge},
    [EF_WL_ROWSUM] = {EF_WL_ROWSUM, 0, 1, 0, pass_flops, pass_bytes, rowsum_out, NULL,
                      rowsum_collect, rowsum_judge},
    [EF_WL_COLENERGY] = {EF_WL_COLENERGY, 0, 1, 0, pass_flops, pass_bytes, colenergy_out, NULL,
                         colenergy_collect, colenergy_judge},
    [EF_WL_GRAM] = {EF_WL_GRAM, 1, 0, 0, gram_flops, gram_bytes, gram_out, NULL, gram_collect,
                    gram_judge},
    [EF_WL_RANKTAIL] = {EF_WL_RANKTAIL, 1, 1, 1, ranktail_flops, ranktail_bytes, ranktail_out,
                        ranktail_prepare, ranktail_collect, ranktail_judge},
    [EF_WL_LEVERAGE] = {EF_WL_LEVERAGE, 1, 0, 0, leverage_flops, leverage_bytes, leverage_out,
                        leverage_prepare, leverage_collect, leverage_judge},
};

int collected_alloc(const ef_reference *r, ef_collected *c)
{
    int n = r->n, d = r->d;
    memset(c, 0, sizeof *c);
    c->E_rows = malloc(sizeof(double) * r->check_count * n);
    c->s = malloc(sizeof(double) * n);
    c->t = malloc(sizeof(double) * n);
    c->c = calloc(n, sizeof(double));
    c->G = malloc(sizeof(double) * 2 * d * d);
    c->lev = malloc(sizeof(double) * n);
    if (!c->E_rows || !c->s || !c->t || !c->c || !c->G || !c->lev) {
        collected_free(c);
        return EF_NOMEM;
    }
    return EF_OK;
}

void collected_free(ef_collected *c)
{
    free(c->E_rows);
    free(c->s);
    free(c->t);
    free(c->c);
    free(c->G);
    free(c->lev);
    memset(c, 0, sizeof *c);
}
