/* backends/cpu/cpu_pass.c — the single passes over the float32 field: row sums (rowsum)
 * and column energies (colenergy). Each reads the n x rows block once with 16-wide vector
 * loads, into partial sums added in a fixed order, so the result is the same bit for bit
 * whatever the instruction set (the functions are built for AVX-512, AVX2 and the
 * baseline, picked at load; C17 contracts no a*b+c into an FMA) and whatever the number of
 * cores: the rows are always cut into PASS_PARTS parts, run on one worker each when there
 * are cores for them (cpu_thread.c). Called by cpu_backend.c.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu_internal.h"

/* Two parts: the machines this backend is tuned on have 2 cores; a fixed count keeps the
 * column energies' summation order independent of the machine. */
enum { PASS_PARTS = 2, LANES = 16, ROW_ACC = 4 };

typedef float v16 __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vi16 __attribute__((vector_size(LANES * sizeof(int32_t))));

#define PASS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* Macros, not functions: a function taking or returning a 64-byte vector would have a
 * different ABI in each clone. */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16)) /* an unaligned vector load */
#define STORE16(p, v) memcpy((p), &(v), sizeof(v16))
#define ABS16(v) ((v16)((vi16)(v)&0x7fffffff))

/* The 64 lane partials of a row, added pairwise. */
static float lanes_sum(float *x, int count)
{
    for (int w = count / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) x[l] += x[l + w];
    return x[0];
}

/* Rows r0 .. r1-1: out[r] = sum_j E_rj, out[rows + r] = sum_j |E_rj|. Partial sums per
 * lane of ROW_ACC vectors (j mod 64), then pairwise. */
PASS_CLONES static void rowsum_rows(const float *E, int n, int rows, int r0, int r1, float *out)
{
    enum { W = ROW_ACC * LANES };
    for (int r = r0; r < r1; r++) {
        const float *x = E + (size_t)r * n;
        v16 s[ROW_ACC] = {0}, t[ROW_ACC] = {0};
        int j = 0;
        for (; j + W <= n; j += W)
            for (int u = 0; u < ROW_ACC; u++) {
                v16 v;
                LOAD16(v, x + j + u * LANES);
                s[u] += v;
                t[u] += ABS16(v);
            }
        float sl[W], tl[W];
        memcpy(sl, s, sizeof sl);
        memcpy(tl, t, sizeof tl);
        for (int l = 0; j < n; j++, l++) {
            sl[l] += x[j];
            tl[l] += fabsf(x[j]);
        }
        out[r] = lanes_sum(sl, W);
        out[rows + r] = lanes_sum(tl, W);
    }
}

/* Rows r0 .. r1-1 into acc[n] (overwritten): acc_j = sum_r E_rj^2, four rows at a time
 * added as (e0^2 + e1^2) + (e2^2 + e3^2) before they join acc_j. */
PASS_CLONES static void colenergy_rows(const float *E, int n, int r0, int r1, float *acc)
{
    memset(acc, 0, sizeof(float) * n);
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
        const float *a = E + (size_t)r * n, *b = a + n, *c = b + n, *d = c + n;
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            v16 va, vb, vc, vd, sum;
            LOAD16(va, a + j);
            LOAD16(vb, b + j);
            LOAD16(vc, c + j);
            LOAD16(vd, d + j);
            LOAD16(sum, acc + j);
            sum += (va * va + vb * vb) + (vc * vc + vd * vd);
            STORE16(acc + j, sum);
        }
        for (; j < n; j++) acc[j] += (a[j] * a[j] + b[j] * b[j]) + (c[j] * c[j] + d[j] * d[j]);
    }
    for (; r < r1; r++) {
        const float *a = E + (size_t)r * n;
        for (int j = 0; j < n; j++) acc[j] += a[j] * a[j];
    }
}

/* The rows cut into PASS_PARTS fixed parts; a worker takes parts w, w + workers, ... */
typedef struct pass_job {
    const ef_op *op;
    int workers;
    float *dst[PASS_PARTS]; /* rowsum: out for every part; colenergy: each part's partials */
} pass_job;

static int part_row(const ef_op *op, int p) { return (int)((int64_t)op->rows * p / PASS_PARTS); }

static void rowsum_worker(void *ctx, int w)
{
    pass_job *job = ctx;
    const ef_op *op = job->op;
    for (int p = w; p < PASS_PARTS; p += job->workers)
        rowsum_rows((const float *)op->e->data, op->n, op->rows, part_row(op, p),
                    part_row(op, p + 1), job->dst[p]);
}

static void colenergy_worker(void *ctx, int w)
{
    pass_job *job = ctx;
    const ef_op *op = job->op;
    for (int p = w; p < PASS_PARTS; p += job->workers)
        colenergy_rows((const float *)op->e->data, op->n, part_row(op, p), part_row(op, p + 1),
                       job->dst[p]);
}

static int pass_workers(void) { return cpu_workers() < PASS_PARTS ? cpu_workers() : PASS_PARTS; }

int cpu_rowsum(ef_device *dev, const ef_op *op, ef_error *err)
{
    (void)dev;
    (void)err;
    pass_job job = {.op = op, .workers = pass_workers()};
    for (int p = 0; p < PASS_PARTS; p++) job.dst[p] = (float *)op->out->data; /* rows apart */
    cpu_parallel(job.workers, rowsum_worker, &job);
    return EF_OK;
}

int cpu_colenergy(ef_device *dev, const ef_op *op, ef_error *err)
{
    int n = op->n;
    float *partial =
        cpu_scratch(dev, CPU_SCRATCH_PARTIAL, sizeof(float) * n * (PASS_PARTS - 1), err);
    if (!partial) return EF_NOMEM;
    pass_job job = {.op = op, .workers = pass_workers()};
    float *out = (float *)op->out->data;
    job.dst[0] = out;
    for (int p = 1; p < PASS_PARTS; p++) job.dst[p] = partial + (size_t)(p - 1) * n;
    cpu_parallel(job.workers, colenergy_worker, &job);
    for (int p = 1; p < PASS_PARTS; p++) /* the parts in order */
        for (int j = 0; j < n; j++) out[j] += job.dst[p][j];
    return EF_OK;
}
