/* harness/workload.h — the workload table: one descriptor row per workload of
 * energy-field.md (core/types.h lists their ids and names). A row holds everything the
 * engine needs to know about a workload: the masks it is defined on, what it does with the
 * field E, the sizes of the five buffers of its op, its cost, what it takes from the
 * float64 reference, how its output is read back and judged, and what it hands to the
 * other workloads of its group. The case runner (case_run.c), the layout check and the
 * run order have no per-workload code path.
 */
#ifndef EF_WORKLOAD_H
#define EF_WORKLOAD_H

#include "backends/backend.h"
#include "harness/reference.h"
#include "harness/verify.h"

/* Element counts of the buffers of one op (backends/backend.h layouts): q and k in
 * op.precision, e, aux and out in the device's out_dtype; 0: the op does not touch it. */
typedef struct ef_layout {
    size_t q, k, e, aux, out;
} ef_layout;

/* Byte sizes of the buffers an op is handed (what the harness allocated). */
typedef ef_layout ef_buffer_bytes;

/* What a workload does with the field E. */
typedef enum {
    EF_FIELD_NONE,   /* works on q and k (and aux): one op over all n rows             */
    EF_FIELD_WRITES, /* computes E, block of rows by block of rows (energy)             */
    EF_FIELD_READS,  /* reads the device's own E, each block after energy wrote it      */
} ef_field_use;

/* Masks a row is defined on: bits (1u << ef_mask_kind). */
#define EF_MASKS_FULL_ONLY (1u << EF_MASK_FULL)
#define EF_MASKS_ALL ((1u << EF_MASK_FULL) | (1u << EF_MASK_CAUSAL) | (1u << EF_MASK_WINDOW))

/* Device results one workload hands to the others of its group: the link check of
 * leverage judges the device's own column energies and sigma_1 where the device produced
 * them (the reference's otherwise). A row `provides` and `uses` these bits; the run order
 * puts every provider before its users. */
enum { EF_SHARE_COLUMNS = 1u << 0, EF_SHARE_SIGMA1 = 1u << 1 };

typedef struct ef_shared {
    unsigned have;   /* EF_SHARE_* produced so far in this group */
    double *columns; /* (n) column energies of the device's field (EF_SHARE_COLUMNS) */
    double sigma1;   /* sigma_1 of the device's field from its Grams (EF_SHARE_SIGMA1) */
} ef_shared;

/* What the case runner holds for one device and one case group (head x mask x precision). */
typedef struct ef_group {
    const ef_backend *backend;
    ef_device *dev;
    const ef_device_info *info;
    const ef_reference *ref;
    ef_buffer *q, *k, *e, *aux, *out;
    ef_buffer_bytes bytes; /* what each of the five holds */
    int block_rows;        /* rows of E per block; == n when the field fits one buffer */
    double *host;          /* staging for one download (max of the out sizes), double */
    void *raw;             /* raw download staging, out dtype */
    ef_shared shared;
} ef_group;

typedef struct ef_workload_desc {
    ef_workload id; /* its name: ef_workload_name(id) */
    unsigned masks; /* EF_MASKS_*: where it is defined */
    ef_field_use field;
    int whole_field; /* needs all n rows of E in one buffer */
    ef_layout (*layout)(int n, int d, int rows);
    double (*flops)(int n, int d, ef_mask m);
    double (*bytes)(int n, int d, ef_mask m, size_t in_size, size_t out_size);
    /* the reference's part: what the op reads in aux (U_Q, T), n x d or d x d as the
     * layout says; NULL when it reads nothing there */
    const double *(*reference_aux)(const ef_reference *r);
    /* the read-back: `collected` doubles (zeroed), filled block by block by `collect`
     * after the op ran on rows row0 .. row0 + rows - 1 */
    size_t (*collected)(const ef_reference *r);
    int (*collect)(ef_group *g, int row0, int rows, double *got, ef_error *err);
    /* the verifier (verify.c): judges `got` with unit roundoff u; reads shared->`uses`,
     * adds what it `provides` */
    void (*verify)(const ef_reference *r, double u, const double *got, ef_shared *shared,
                   ef_verdict *v);
    unsigned provides, uses; /* EF_SHARE_* */
    /* a reference quantity of the workload's own, beyond the shared ones of ef_reference:
     * `reference_size(n, d)` doubles, zeroed, at ref->own[id], computed by `reference_own`
     * once the shared ones are built, from them and the reference's inputs (Q, K, Kc, M,
     * the checked rows). The reference never forms the whole field: a quantity that needs
     * every row walks it with ref_energy_block in row blocks (O(n^2 d)), one that has a Gram
     * form uses it (ref_math.h). NULL when it needs none. */
    size_t (*reference_size)(int n, int d);
    int (*reference_own)(const ef_reference *ref, double *own, ef_error *err);
} ef_workload_desc;

extern const ef_workload_desc ef_workloads[EF_WL_COUNT];

/* 1 if workload w is defined under mask m. */
int workload_applies(ef_workload w, ef_mask m);
/* The `count` workloads of `wanted` (no repeats) in the order to run them: table order,
 * except that each comes after the workloads that provide what it uses. Returns count. */
int workload_order(const ef_workload *wanted, int count, ef_workload *out);
/* Number of visible (query, key) pairs under mask m. */
double workload_visible_pairs(int n, ef_mask m);

/* The one check of an op against the contract of backends/backend.h, before any backend
 * sees it: ids in range, a shape that makes sense (EF_ERROR), a mask the workload is
 * defined on and the whole field where it needs it (EF_UNSUPPORTED), and every buffer the
 * layout names present and large enough for `out_dtype` elements (EF_ERROR naming it). */
int workload_op_check(const ef_op *op, ef_dtype out_dtype, const ef_buffer_bytes *have,
                      ef_error *err);
/* workload_op_check, then the backend's run: how the engine dispatches every op. */
int workload_run(const ef_backend *be, ef_device *dev, ef_dtype out_dtype, const ef_op *op,
                 const ef_buffer_bytes *have, ef_run_result *res, ef_error *err);

#endif
