/* harness/workload.h — the workload table: for each workload of energy-field.md, its cost
 * model (flops, bytes), where it applies, and how its device output is collected and
 * judged. Adding a workload adds a row here and a kernel per backend; the case runner
 * (case_run.c) has no per-workload code path.
 */
#ifndef EF_WORKLOAD_H
#define EF_WORKLOAD_H

#include "backends/backend.h"
#include "harness/reference.h"
#include "harness/verify.h"

/* What the case runner holds for one device and one case group (head x mask x precision). */
typedef struct ef_group {
    const ef_backend *backend;
    ef_device *dev;
    const ef_device_info *info;
    const ef_reference *ref;
    ef_buffer *q, *k, *e, *aux, *out;
    int block_rows;          /* rows of E per block; == n when the field fits one buffer */
    double *host;            /* staging for one download (max of the out sizes), double */
    void *raw;               /* raw download staging, out dtype */
    /* device results kept for the cross-workload link check (NULL / 0 until produced) */
    double *dev_col;         /* column energies (n) from colenergy, valid when have_col */
    int have_col;
    double dev_sv1;          /* sigma_1 from gram */
} ef_group;

/* What a case collects from the device while it runs, before judging. */
typedef struct ef_collected {
    double *E_rows;          /* energy: checked rows x n */
    double *s, *t;           /* rowsum: (n) each */
    double *c;               /* colenergy: (n) */
    double *G;               /* gram: 2 d x d */
    double tail2, total2;    /* ranktail */
    double *lev;             /* leverage: (n) */
} ef_collected;

typedef struct ef_workload_desc {
    ef_workload id;
    int full_only;           /* defined for the full field only */
    int reads_field;         /* needs the device's own E in e (energy runs first) */
    int whole_field;         /* needs all n rows of E in one buffer */
    double (*flops)(int n, int d, ef_mask m);
    double (*bytes)(int n, int d, ef_mask m, size_t in_size, size_t out_size);
    size_t (*out_count)(int n, int d, int rows); /* elements of `out` per run */
    /* upload what the op reads besides q, k, e (U_Q, T) */
    int (*prepare)(ef_group *g, ef_error *err);
    /* after the op ran on rows row0..row0+rows-1: download into c */
    int (*collect)(ef_group *g, int row0, int rows, ef_collected *c, ef_error *err);
    /* judge what was collected */
    void (*judge)(ef_group *g, const ef_collected *c, ef_verdict *v);
} ef_workload_desc;

extern const ef_workload_desc ef_workloads[EF_WL_COUNT];

/* Number of visible (query, key) pairs under mask m. */
double workload_visible_pairs(int n, ef_mask m);

int collected_alloc(const ef_reference *r, ef_collected *c);
void collected_free(ef_collected *c);

#endif
