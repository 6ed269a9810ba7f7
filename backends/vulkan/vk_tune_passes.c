/* backends/vulkan/vk_tune_passes.c — the form of the passes beside the energy field
 * (rowsum, colenergy, gram, leverage): each form runs on the tuner's problem, its results
 * are checked against float64 sums on the host, and the faster correct form is kept.
 * Called by vk_tune.c.
 */
#include "vk_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VK_PASS_TOL 1e-4 /* relative to a sum of magnitudes: far above fp32 rounding */

typedef struct vk_pass_host {
    double *rs, *ra, *col, *gram, *gabs, *lev, *lev_tol; /* float64 results and scales */
    float *t;                                            /* T, d x d */
    float *got;                                          /* a downloaded output */
} vk_pass_host;

static void vk_pass_host_free(vk_pass_host *h)
{
    free(h->rs);
    free(h->ra);
    free(h->col);
    free(h->gram);
    free(h->gabs);
    free(h->lev);
    free(h->lev_tol);
    free(h->t);
    free(h->got);
    memset(h, 0, sizeof *h);
}

/* The float64 results of every pass from the inputs and the field the device computed. */
static int vk_pass_host_make(ef_device *dev, const vk_tune_inputs *in, vk_pass_host *h,
                             ef_error *err)
{
    const int n = in->n, d = in->d;
    memset(h, 0, sizeof *h);
    float *e = malloc((size_t)n * n * sizeof(float));
    double *kbar = calloc((size_t)d, sizeof(double));
    h->rs = calloc((size_t)n, sizeof(double));
    h->ra = calloc((size_t)n, sizeof(double));
    h->col = calloc((size_t)n, sizeof(double));
    h->gram = calloc(2 * (size_t)d * d, sizeof(double));
    h->gabs = calloc(2 * (size_t)d * d, sizeof(double));
    h->lev = calloc((size_t)n, sizeof(double));
    h->lev_tol = calloc((size_t)n, sizeof(double));
    h->t = malloc((size_t)d * d * sizeof(float));
    h->got = malloc((2 * (size_t)d * d + 2 * (size_t)n) * sizeof(float));
    int rc = e && kbar && h->rs && h->ra && h->col && h->gram && h->gabs && h->lev && h->lev_tol &&
                     h->t && h->got
                 ? EF_OK
                 : ef_fail(err, EF_NOMEM, "vulkan: host memory for tuning the passes");
    if (rc == EF_OK) rc = vk_buffer_download(dev, in->e, 0, e, (size_t)n * n * 4, err);
    if (rc != EF_OK) goto done;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = e[(size_t)i * n + j];
            h->rs[i] += v;
            h->ra[i] += fabs(v);
            h->col[j] += v * v;
        }
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) kbar[c] += in->hk[(size_t)j * d + c] / n;
    for (int g = 0; g < 2; g++) /* Q^T Q, Kc^T Kc and |X|^T|X| */
        for (int j = 0; j < n; j++)
            for (int a = 0; a < d; a++) {
                double xa = g ? in->hk[(size_t)j * d + a] - kbar[a] : in->hq[(size_t)j * d + a];
                for (int b = 0; b < d; b++) {
                    double xb = g ? in->hk[(size_t)j * d + b] - kbar[b] : in->hq[(size_t)j * d + b];
                    h->gram[((size_t)g * d + a) * d + b] += xa * xb;
                    h->gabs[((size_t)g * d + a) * d + b] += fabs(xa * xb);
                }
            }
    uint32_t x = 777u;
    double tf = 0;
    for (size_t i = 0; i < (size_t)d * d; i++) {
        x = x * 1664525u + 1013904223u;
        h->t[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
        tf += (double)h->t[i] * h->t[i];
    }
    for (int j = 0; j < n; j++) {
        double kn = 0;
        for (int a = 0; a < d; a++) {
            double y = 0;
            for (int b = 0; b < d; b++)
                y += h->t[(size_t)a * d + b] * (in->hk[(size_t)j * d + b] - kbar[b]);
            h->lev[j] += y * y;
        }
        for (int b = 0; b < d; b++) kn += pow(in->hk[(size_t)j * d + b] - kbar[b], 2);
        h->lev_tol[j] = VK_PASS_TOL * tf * kn;
    }
done:
    free(e);
    free(kbar);
    if (rc != EF_OK) vk_pass_host_free(h);
    return rc;
}

static int vk_near(double got, double want, double scale)
{
    return fabs(got - want) <= VK_PASS_TOL * scale + 1e-30;
}

/* Run the four passes in `form`; *ms = their summed device time; 0 if one fails, or
 * (check) if a result is off. */
static int vk_passes_run(ef_device *dev, const vk_tune_inputs *in, vk_pass_host *h, ef_buffer *out,
                         ef_buffer *aux, uint32_t form, int check, double *ms)
{
    const int n = in->n, d = in->d;
    uint32_t saved = dev->passes;
    dev->passes = form;
    const ef_workload wl[4] = {EF_WL_ROWSUM, EF_WL_COLENERGY, EF_WL_GRAM, EF_WL_LEVERAGE};
    const size_t outs[4] = {2 * (size_t)n, (size_t)n, 2 * (size_t)d * d, (size_t)n};
    int ok = 1;
    *ms = 0;
    for (int w = 0; w < 4 && ok; w++) {
        ef_op op = {
            .workload = wl[w],
            .mask = {EF_MASK_FULL, 0},
            .precision = EF_PREC_FP32,
            .n = n,
            .d = d,
            .row0 = 0,
            .rows = n,
            .scale = 1.0,
            .q = in->q,
            .k = in->k,
            .e = in->e,
            .aux = aux,
            .out = out,
        };
        ef_run_result res;
        ef_error ignored;
        ok = vk_run(dev, &op, &res, &ignored) == EF_OK;
        *ms += res.time_ms;
        if (!ok || !check) continue;
        float *g = h->got;
        ok = vk_buffer_download(dev, out, 0, g, outs[w] * 4, &ignored) == EF_OK;
        for (size_t i = 0; ok && i < outs[w]; i++) {
            switch (wl[w]) {
                case EF_WL_ROWSUM:
                    ok = i < (size_t)n ? vk_near(g[i], h->rs[i], h->ra[i])
                                       : vk_near(g[i], h->ra[i - n], h->ra[i - n]);
                    break;
                case EF_WL_COLENERGY: ok = vk_near(g[i], h->col[i], h->col[i]); break;
                case EF_WL_GRAM: ok = vk_near(g[i], h->gram[i], h->gabs[i]); break;
                default: ok = fabs(g[i] - h->lev[i]) <= h->lev_tol[i]; break;
            }
        }
    }
    dev->passes = saved;
    return ok;
}

int vk_tune_passes(ef_device *dev, const vk_tune_inputs *in, uint32_t *form, ef_error *err)
{
    vk_pass_host h;
    ef_buffer *out = NULL, *aux = NULL;
    int rc = vk_pass_host_make(dev, in, &h, err);
    if (rc != EF_OK) return rc;
    rc = vk_buffer_alloc(dev, (2 * (size_t)in->d * in->d + 2 * (size_t)in->n) * 4, &out, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, (size_t)in->d * in->d * 4, &aux, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, aux, 0, h.t, (size_t)in->d * in->d * 4, err);
    if (rc != EF_OK) goto done;
    double best = 1.0 / 0.0;
    for (uint32_t f = VK_PASSES_TREE; f <= VK_PASSES_REG; f++) {
        double ms, t = 1.0 / 0.0;
        if (!vk_passes_run(dev, in, &h, out, aux, f, 1, &ms)) continue; /* builds, checks */
        for (int r = 0; r < 3 && vk_passes_run(dev, in, &h, out, aux, f, 0, &ms); r++)
            t = ms < t ? ms : t; /* the minimum: noise only adds time */
        if (t < best) {
            best = t;
            *form = f;
        }
    }
    if (best == 1.0 / 0.0)
        rc = ef_fail(err, EF_ERROR, "vulkan: no form of the passes ran correctly on this device");
done:
    vk_buffer_free(dev, aux);
    vk_buffer_free(dev, out);
    vk_pass_host_free(&h);
    return rc;
}
