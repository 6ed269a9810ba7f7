/* backends/vulkan/vk_tune_coopmat.c — the cooperative-matrix tiles as tuner candidates:
 * for fp16 and for bf16 inputs (where the device multiplies that type), the tuner's
 * problem is rounded to the precision, every tile the device allows runs once checked
 * (sampled rows against float64 of the rounded inputs) and is timed against the tuned
 * shape on the same inputs, the fastest few in interleaved rounds. The fastest tile is
 * what the variant runs (dev->coop_best), and the default energy of that precision runs
 * it when it beat the shape (dev->coop_use). Called by vk_tune.c.
 */
#include "vk_internal.h"
#include "core/half.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VK_COOP_MAX (VK_COOP_SHAPES * 8) /* candidates per precision, at most */
#define VK_COOP_ROWS 4                   /* sampled rows checked */
#define VK_COOP_ROUNDS 4                 /* timed rounds of the finalists */
#define VK_COOP_NEAR 2.0                 /* finalists: within this factor of the fastest */

void vk_coop_default(ef_device *dev)
{
    for (int p = 0; p < EF_PREC_COUNT; p++) {
        dev->coop_best[p] = -1; /* vk_energy.c then takes the first tile the device allows */
        dev->coop_use[p] = 0;
    }
}

/* The problem in one precision: inputs on the device, the float64 reference of the
 * sampled rows from the rounded inputs, and a tolerance per row, 64 d u a |q_i|
 * (max_j |k_j| + |kbar|) (u of the fp32 accumulation; the raw keys minus the shift):
 * far above the rounding of a correct tile, far below the error of a wrong one. */
typedef struct vk_coop_problem {
    ef_buffer *q, *k;
    double *rows; /* VK_COOP_ROWS x n */
    double tol[VK_COOP_ROWS];
    float *got;
} vk_coop_problem;

static int vk_coop_row(int n, int s) { return s * (n - 1) / (VK_COOP_ROWS - 1); }

static void vk_coop_problem_free(ef_device *dev, vk_coop_problem *p)
{
    vk_buffer_free(dev, p->q);
    vk_buffer_free(dev, p->k);
    free(p->rows);
    free(p->got);
    memset(p, 0, sizeof *p);
}

static int vk_coop_problem_make(ef_device *dev, const vk_tune_inputs *in, ef_precision prec,
                                double scale, vk_coop_problem *p, ef_error *err)
{
    const int n = in->n, d = in->d;
    size_t count = (size_t)n * d;
    memset(p, 0, sizeof *p);
    uint16_t *hq = malloc(count * 2), *hk = malloc(count * 2);
    double *rq = malloc(count * sizeof(double)), *rk = malloc(count * sizeof(double));
    double *kbar = calloc((size_t)d, sizeof(double));
    p->rows = malloc((size_t)VK_COOP_ROWS * n * sizeof(double));
    p->got = malloc((size_t)n * sizeof(float));
    int rc = hq && hk && rq && rk && kbar && p->rows && p->got
                 ? EF_OK
                 : ef_fail(err, EF_NOMEM, "vulkan: host memory for tuning n = %d", n);
    if (rc != EF_OK) goto done;
    for (size_t i = 0; i < count; i++) {
        hq[i] = prec == EF_PREC_BF16 ? ef_f32_to_bf16(in->hq[i]) : ef_f32_to_f16(in->hq[i]);
        hk[i] = prec == EF_PREC_BF16 ? ef_f32_to_bf16(in->hk[i]) : ef_f32_to_f16(in->hk[i]);
        rq[i] = prec == EF_PREC_BF16 ? ef_bf16_to_f32(hq[i]) : ef_f16_to_f32(hq[i]);
        rk[i] = prec == EF_PREC_BF16 ? ef_bf16_to_f32(hk[i]) : ef_f16_to_f32(hk[i]);
    }
    double kmax = 0, kbn = 0;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) kbar[c] += rk[(size_t)j * d + c] / n;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int c = 0; c < d; c++) s += rk[(size_t)j * d + c] * rk[(size_t)j * d + c];
        kmax = fmax(kmax, sqrt(s));
    }
    for (int c = 0; c < d; c++) kbn += kbar[c] * kbar[c];
    for (int s = 0; s < VK_COOP_ROWS; s++) {
        const double *qi = rq + (size_t)vk_coop_row(n, s) * d;
        double qn = 0;
        for (int c = 0; c < d; c++) qn += qi[c] * qi[c];
        p->tol[s] = 64.0 * d * 0x1p-24 * scale * sqrt(qn) * (kmax + sqrt(kbn));
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int c = 0; c < d; c++) acc += qi[c] * (rk[(size_t)j * d + c] - kbar[c]);
            p->rows[(size_t)s * n + j] = scale * acc;
        }
    }
    rc = vk_buffer_alloc(dev, count * 2, &p->q, err);
    if (rc == EF_OK) rc = vk_buffer_alloc(dev, count * 2, &p->k, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, p->q, 0, hq, count * 2, err);
    if (rc == EF_OK) rc = vk_buffer_upload(dev, p->k, 0, hk, count * 2, err);
done:
    free(hq);
    free(hk);
    free(rq);
    free(rk);
    free(kbar);
    if (rc != EF_OK) vk_coop_problem_free(dev, p);
    return rc;
}

/* 1 if the sampled rows of the field in e match the reference. */
static int vk_coop_output_ok(ef_device *dev, const vk_coop_problem *p, ef_buffer *e, int n)
{
    for (int s = 0; s < VK_COOP_ROWS; s++) {
        ef_error ignored;
        size_t row = (size_t)vk_coop_row(n, s);
        if (vk_buffer_download(dev, e, row * n * 4, p->got, (size_t)n * 4, &ignored) != EF_OK)
            return 0;
        for (int j = 0; j < n; j++)
            if (!(fabs(p->got[j] - p->rows[(size_t)s * n + j]) <= p->tol[s])) return 0;
    }
    return 1;
}

/* One run, its cost in ms (vk_tune_clock's rule); +inf if it fails, or (check) if its
 * rows are wrong. t NULL: the tuned shape. */
static double vk_coop_time(ef_device *dev, const ef_op *op, const vk_coop_tile *t,
                           const vk_coop_problem *p, int check)
{
    ef_run_result res;
    ef_error ignored;
    double c0 = vk_tune_clock(dev);
    int ok = (t ? vk_energy_coopmat_record(dev, op, t, &res, &ignored)
                : vk_run(dev, op, &res, &ignored)) == EF_OK;
    double ms = vk_tune_cost(dev, c0, &res);
    ok = ok && (!check || vk_coop_output_ok(dev, p, op->e, op->n));
    return ok ? ms : INFINITY;
}

/* Tune one precision; dev->coop_best / coop_use stay -1 / 0 when nothing ran correctly. */
static int vk_tune_coopmat_one(ef_device *dev, const vk_tune_inputs *in, ef_precision prec,
                               double scale, ef_error *err)
{
    vk_coop_problem p;
    int rc = vk_coop_problem_make(dev, in, prec, scale, &p, err);
    if (rc != EF_OK) return rc;
    const ef_op op = {
        .workload = EF_WL_ENERGY,
        .mask = {EF_MASK_FULL, 0},
        .precision = prec,
        .n = in->n,
        .d = in->d,
        .row0 = 0,
        .rows = in->n,
        .scale = scale,
        .q = p.q,
        .k = p.k,
        .e = in->e,
    };
    vk_coop_tile tiles[VK_COOP_MAX];
    double ms[VK_COOP_MAX], best = INFINITY;
    int count = 0;
    for (int i = 0; count < VK_COOP_MAX && vk_coop_candidate(dev, prec, i, &tiles[count]); i++) {
        ms[count] = INFINITY;
        if (vk_coop_tile_check(dev, &tiles[count]) &&
            vk_coop_time(dev, &op, &tiles[count], &p, 1) < INFINITY) /* builds, checks */
            ms[count] = vk_coop_time(dev, &op, &tiles[count], &p, 0);
        best = fmin(best, ms[count]);
        count++;
    }
    /* the tuned shape on the same inputs: a first run builds its pipelines */
    double shape = vk_coop_time(dev, &op, NULL, &p, 0) < INFINITY
                       ? vk_coop_time(dev, &op, NULL, &p, 0)
                       : INFINITY;
    for (int round = 0; round < VK_COOP_ROUNDS && best < INFINITY; round++) {
        shape = fmin(shape, vk_coop_time(dev, &op, NULL, &p, 0));
        for (int i = 0; i < count; i++)
            if (ms[i] <= VK_COOP_NEAR * best)
                ms[i] = fmin(ms[i], vk_coop_time(dev, &op, &tiles[i], &p, 0));
    }
    int pick = -1;
    for (int i = 0; i < count; i++)
        if (ms[i] < INFINITY && (pick < 0 || ms[i] < ms[pick])) pick = i;
    dev->coop_best[prec] = pick;
    dev->coop_use[prec] = pick >= 0 && ms[pick] < shape;
    vk_coop_problem_free(dev, &p);
    return EF_OK;
}

int vk_tune_coopmat(ef_device *dev, const vk_tune_inputs *in, double scale, ef_error *err)
{
    vk_coop_default(dev);
    for (int prec = EF_PREC_FP16; prec <= EF_PREC_BF16; prec++) {
        if (!dev->coop.nshapes[prec]) continue;
        int rc = vk_tune_coopmat_one(dev, in, (ef_precision)prec, scale, err);
        if (rc != EF_OK) return rc;
    }
    return EF_OK;
}
