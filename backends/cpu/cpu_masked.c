/* backends/cpu/cpu_masked.c — the causal and window energy fields on the CPU:
 *   E_ij = a q_i.k_j - c_i for the keys row i sees, 0 for the others,
 *   c_i = a q_i.m_i, m_i the mean of the keys row i sees (energy-field.md).
 * Blocked row panels, each sgemm over only the key columns some row of the panel sees
 * (causal: keys 0 .. i1; window: i0-w+1 .. i1), so the hidden triangle costs no flops.
 * The GEMMs write a worker's tile, which stays in cache; then each row of E is written
 * once, with streaming stores: the tile's visible values less c_i (the epilogue) and the
 * zeros of the hidden keys, never computed. m_i comes from block sums of the keys in
 * double (wider than the log2(n) + 2 float roundings backend.h allows a mean). The
 * workers (one per core) take whole panels, each computed by single-threaded sgemm calls,
 * so the result does not depend on which worker took which. Called by cpu_energy.c.
 */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cpu_internal.h"

/* Rows per panel, and per sub-panel. Causal: each sub-panel computes the square block on
 * the diagonal whole (half of it hidden): SUB/n more flops than the triangle, 6% at
 * n = 2048; and OpenBLAS packs the keys of every call again, so the keys before a panel,
 * which all its rows see, go through one call for the whole panel (packed once per PANEL
 * rows). Window w: PANEL + w - 1 columns a row for w visible, against more, smaller calls.
 * Chosen by measurement at n = 2048, d = 128 on a 2-core AVX-512 Xeon (OpenBLAS 0.3.21
 * SkylakeX kernels); 256-row causal panels also keep the two workers' shares even. */
enum { CAUSAL_PANEL = 256, CAUSAL_SUB = 128, WINDOW_PANEL = 64 };
/* Keys are summed in blocks of this many (double); a row's prefix sum starts from its
 * block's and adds fewer than KEY_BLOCK keys. */
enum { KEY_BLOCK = 16 };

typedef struct masked_job {
    const ef_op *op;
    const float *q, *k;
    const double *pre; /* (n / KEY_BLOCK + 1) x d: pre[b] = sum of keys 0 .. b KEY_BLOCK - 1 */
    float *E;
    float *tiles; /* per worker, panel_rows x n: the panel's GEMM results */
    int panel_rows, sub_rows, panels;
    atomic_int next;
} masked_job;

/* The last key row i sees; the deliberate defect adds key i + 1. */
static int visible_last(const ef_op *op, int i)
{
    int last = ef_mask_last(op->mask, i, op->n);
    return op->fault == EF_FAULT_MASK_OFF_BY_ONE && last + 1 < op->n ? last + 1 : last;
}

static inline __attribute__((always_inline)) void add_key(double *s, const float *k, int d)
{
    for (int c = 0; c < d; c++) s[c] += k[c];
}

/* s = the sum of keys 0 .. j-1, from the block sums. */
static inline __attribute__((always_inline)) void key_prefix(const masked_job *job, int j,
                                                             double *s)
{
    int d = job->op->d, b = j / KEY_BLOCK;
    memcpy(s, job->pre + (size_t)b * d, sizeof(double) * d);
    for (int t = b * KEY_BLOCK; t < j; t++) add_key(s, job->k + (size_t)t * d, d);
}

/* q.(hi - lo) in double: DOT_PARTS partial sums added pairwise (a fixed order, and chains
 * of d / DOT_PARTS dependent additions instead of d). Inlined, like the two above, into
 * panel_shifts's clones. */
enum { DOT_PARTS = 32 };
static inline __attribute__((always_inline)) double dot_diff(const float *q, const double *hi,
                                                             const double *lo, int d)
{
    double acc[DOT_PARTS] = {0};
    int c = 0;
    for (; c + DOT_PARTS <= d; c += DOT_PARTS)
        for (int t = 0; t < DOT_PARTS; t++) acc[t] += (double)q[c + t] * (hi[c + t] - lo[c + t]);
    for (int t = 0; c < d; c++, t++) acc[t] += (double)q[c] * (hi[c] - lo[c]);
    for (int w = DOT_PARTS / 2; w >= 1; w /= 2)
        for (int t = 0; t < w; t++) acc[t] += acc[t + w];
    return acc[0];
}

/* shift[t] = c_i for rows i = i0 .. i0+rows-1, from running sums of the keys up to i and
 * before first(i), both in double: m_i = (hi - lo) / (keys seen). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
panel_shifts(const masked_job *job, int i0, int rows, float *shift)
{
    const ef_op *op = job->op;
    int d = op->d, lo_at = ef_mask_first(op->mask, i0);
    double hi[d], lo[d];
    key_prefix(job, i0 + 1, hi);
    key_prefix(job, lo_at, lo);
    for (int t = 0; t < rows; t++) {
        int i = i0 + t, first = ef_mask_first(op->mask, i);
        if (t > 0) add_key(hi, job->k + (size_t)i * d, d);
        for (; lo_at < first; lo_at++) add_key(lo, job->k + (size_t)lo_at * d, d);
        double dot = dot_diff(job->q + (size_t)i * d, hi, lo, d);
        shift[t] = (float)(op->scale * dot / (i - first + 1));
    }
}

/* One panel: rows r0 .. r0+rows-1 of the op's block, into `tile` (rows x width, its
 * columns from jlo). The key columns every row of it sees before its first row (causal:
 * 0 .. i0-1) go through one sgemm; the rest, per sub-panel, up to the last key its last
 * row sees. Then each row is stored once: the visible values less c_i, zeros around. */
static void masked_panel(const masked_job *job, float *tile, int r0, int rows)
{
    const ef_op *op = job->op;
    int n = op->n, d = op->d, i0 = op->row0 + r0, sub = job->sub_rows;
    int jlo = ef_mask_first(op->mask, i0), jmid = op->mask.kind == EF_MASK_CAUSAL ? i0 : jlo;
    int width = visible_last(op, i0 + rows - 1) - jlo + 1;
    float shift[rows], a = (float)op->scale;
    const float *q = job->q + (size_t)i0 * d;
    panel_shifts(job, i0, rows, shift);
    if (jmid > jlo)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, jmid - jlo, d, a, q, d,
                    job->k + (size_t)jlo * d, d, 0.0f, tile, width);
    for (int s0 = 0; s0 < rows; s0 += sub) {
        int s1 = s0 + sub < rows ? s0 + sub - 1 : rows - 1,
            cols = visible_last(op, i0 + s1) - jmid + 1;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s1 - s0 + 1, cols, d, a,
                    q + (size_t)s0 * d, d, job->k + (size_t)jmid * d, d, 0.0f,
                    tile + (size_t)s0 * width + (jmid - jlo), width);
    }
    for (int t = 0; t < rows; t++) {
        int i = i0 + t, first = ef_mask_first(op->mask, i);
        cpu_store_row(job->E + (size_t)(r0 + t) * n, n, tile + (size_t)t * width + (first - jlo),
                      first, visible_last(op, i), shift[t]);
    }
}

static void masked_worker(void *ctx, int worker)
{
    masked_job *job = ctx;
    const ef_op *op = job->op;
    float *tile = job->tiles + (size_t)worker * job->panel_rows * op->n;
    for (int p; (p = atomic_fetch_add(&job->next, 1)) < job->panels;) {
        /* causal panels grow with the row: the largest first balances the workers */
        int b = op->mask.kind == EF_MASK_CAUSAL ? job->panels - 1 - p : p, r0 = b * job->panel_rows;
        masked_panel(job, tile, r0,
                     op->rows - r0 < job->panel_rows ? op->rows - r0 : job->panel_rows);
    }
    cpu_store_fence();
}

double cpu_masked_scratch_bytes(int n, int d)
{
    int panel = CAUSAL_PANEL > WINDOW_PANEL ? CAUSAL_PANEL : WINDOW_PANEL;
    return 4.0 * cpu_workers() * panel * n + 8.0 * (n / KEY_BLOCK + 1) * d;
}

int cpu_energy_masked(ef_device *dev, const ef_op *op, float *E, char *path, size_t path_len,
                      ef_error *err)
{
    int n = op->n, d = op->d, rc, blocks = n / KEY_BLOCK + 1;
    cpu_inputs in;
    if ((rc = cpu_inputs_get(dev, op, 0, &in, err))) return rc;
    double *pre = cpu_scratch(dev, CPU_SCRATCH_PREFIX, (size_t)blocks * d * sizeof(double), err);
    if (!pre) return EF_NOMEM;
    memset(pre, 0, sizeof(double) * d);
    for (int b = 1; b < blocks; b++) { /* pre[b] = pre[b - 1] + the keys of block b - 1 */
        double *s = pre + (size_t)b * d;
        memcpy(s, s - d, sizeof(double) * d);
        for (int j = (b - 1) * KEY_BLOCK; j < b * KEY_BLOCK; j++)
            add_key(s, in.k + (size_t)j * d, d);
    }
    int causal = op->mask.kind == EF_MASK_CAUSAL, panel = causal ? CAUSAL_PANEL : WINDOW_PANEL;
    int sub = causal ? CAUSAL_SUB : WINDOW_PANEL;
    snprintf(path, path_len, "sgemm-panels%d-%d", panel, sub);
    int workers = cpu_workers();
    float *tiles = cpu_scratch(dev, CPU_SCRATCH_TILE, sizeof(float) * workers * panel * n, err);
    if (!tiles) return EF_NOMEM;
    masked_job job = {.op = op,
                      .q = in.q,
                      .k = in.k,
                      .pre = pre,
                      .E = E,
                      .tiles = tiles,
                      .panel_rows = panel,
                      .sub_rows = sub,
                      .panels = (op->rows + panel - 1) / panel};
    atomic_init(&job.next, 0);
    /* One single-threaded sgemm per worker at a time: a panel is too small for OpenBLAS's
     * own threads to pay their hand-off, and this way the stores run on every core too. */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    cpu_parallel(workers, masked_worker, &job);
    openblas_set_num_threads(blas_threads);
    return EF_OK;
}
