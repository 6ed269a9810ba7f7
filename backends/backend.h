/* backends/backend.h — the contract between the harness and a compute backend.
 * A backend fills one `const ef_backend` table of function pointers; the harness knows
 * nothing else about it. The math of every workload is ../shared/docs/energy-field.md;
 * the buffer layouts each workload reads and writes are fixed here.
 */
#ifndef EF_BACKEND_H
#define EF_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors ----------------------------------------------------------------------- */

/* Return codes of every contract function that can fail. */
enum {
    EF_OK = 0,
    EF_ERROR = -1,       /* the driver or the backend failed; msg says why            */
    EF_UNSUPPORTED = -2, /* this device cannot run this case; msg says why            */
    EF_NOMEM = -3,       /* an allocation did not fit; msg names the size             */
};

/* One message buffer per call; filled on any non-EF_OK return. */
typedef struct ef_error {
    char msg[768];
} ef_error;

/* Sort v[0..n) ascending. */
void ef_sort_doubles(double *v, size_t n);
/* Sort v[0..n) (n > 0) and return its median: the upper middle one when n is even. */
double ef_median_sort(double *v, size_t n);

/* printf-style setter; returns `code` so a backend can `return ef_fail(err, EF_ERROR, ...)`. */
int ef_fail(ef_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- what a workload computes on -------------------------------------------------- */

/* Storage precision of the inputs Q and K as uploaded. fp16/bf16 are raw uint16 bit
 * patterns (IEEE binary16 / the upper half of binary32). Accumulation is always at least
 * fp32. */
typedef enum { EF_PREC_FP32, EF_PREC_FP16, EF_PREC_BF16, EF_PREC_COUNT } ef_precision;

/* Element type of every buffer a backend writes (E and workload outputs) and of the
 * auxiliary matrices it reads (U_Q, T). Only the float64 reference uses EF_F64. */
typedef enum { EF_F32, EF_F64 } ef_dtype;

/* Which keys row i sees: full (all j), causal (j <= i), window (i - w < j <= i). */
typedef enum { EF_MASK_FULL, EF_MASK_CAUSAL, EF_MASK_WINDOW, EF_MASK_COUNT } ef_mask_kind;
typedef struct ef_mask {
    ef_mask_kind kind;
    int window; /* w for EF_MASK_WINDOW, else 0 */
} ef_mask;

/* The workloads of energy-field.md. Buffer layouts (all row-major, element type = the
 * device's out_dtype unless said otherwise; `rows` = op.rows):
 *
 *   ENERGY     reads q, k (n x d, op.precision); writes e (rows x n):
 *              E_ij = a q_i . (k_j - m_i) for visible j, 0 otherwise, i = row0 + r.
 *              m_i is the mean of the keys visible from row i (full: all n keys).
 *              Any algebraically equal form is fine (pre-centered keys, raw keys minus
 *              the shift a q_i.m_i for tensor cores): the verifier's bound grows with
 *              |k_j| + mean|k|, which covers each of them.
 *              Key means must be accumulated with blocked / pairwise / wider sums (the
 *              verifier's bound allows log2(n) + 2 roundings for a mean, not n).
 *   ROWSUM     reads e (the device's own field block); writes out[2*rows]:
 *              out[r] = sum_j E_ij, out[rows + r] = sum_j |E_ij|.
 *   COLENERGY  reads e; writes out[n]: out[j] = sum over the block's rows of E_ij^2
 *              (the harness adds the blocks).
 *   GRAM       reads q, k; writes out[2*d*d]: Q^T Q, then Kc^T Kc with Kc = K - 1 kbar^T
 *              (both triangles filled). Ignores rows/row0 and mask.
 *   RANKTAIL   reads e (whole full field, rows == n) and aux = U_Q (n x d, orthonormal
 *              basis of col(Q), computed by the harness); writes out[2]:
 *              ||E - U_Q (U_Q^T E)||_F^2 and ||E||_F^2. Full mask only.
 *   LEVERAGE   reads k and aux = T (d x d; T = Sigma_r^-1 V_r^T of the centered keys, rows
 *              past the rank are zero); writes out[n]: l_j = ||T (k_j - kbar)||^2.
 */
typedef enum {
    EF_WL_ENERGY,
    EF_WL_ROWSUM,
    EF_WL_COLENERGY,
    EF_WL_GRAM,
    EF_WL_RANKTAIL,
    EF_WL_LEVERAGE,
    EF_WL_COUNT
} ef_workload;

/* Deliberate faults, for tests that prove the verifier can fail. A backend that supports
 * one runs its real kernel with the named defect. */
typedef enum {
    EF_FAULT_NONE = 0,
    EF_FAULT_MASK_OFF_BY_ONE, /* masked energy: row i also sees key i + 1 */
} ef_fault;

typedef struct ef_buffer ef_buffer; /* backend-defined */
typedef struct ef_device ef_device; /* backend-defined */

/* One dispatch. The harness allocates and fills the buffers; the backend may keep its own
 * scratch (centered keys, prefix means, partial sums) inside ef_device. */
typedef struct ef_op {
    ef_workload workload;
    ef_mask mask;
    ef_precision precision; /* storage of q and k */
    int n, d;
    int row0, rows;         /* block of query rows held in e: rows row0 .. row0+rows-1 */
    double scale;           /* a, the logit scale */
    const char *variant;    /* NULL: the backend's default; else a name from variant_name */
    ef_fault fault;
    ef_buffer *q, *k, *e, *aux, *out;
} ef_op;

/* What one dispatch reports. */
typedef struct ef_run_result {
    double time_ms;  /* from the API's own timer (events, timestamps; CPU: monotonic clock) */
    char path[64];   /* which code path ran, e.g. "fused-tile128", "mma-bf16", "sgemm" */
    char note[128];  /* optional: why a faster path is off (a failed self-check ...), or "" */
} ef_run_result;

/* ---- devices ------------------------------------------------------------------------ */

typedef struct ef_device_info {
    char name[128];
    char vendor[128];
    char driver_version[64];
    char api_version[64];
    char type[16];              /* "cpu", "gpu", "accelerator", "other" */
    uint64_t memory_bytes;      /* device (or host) memory */
    uint64_t max_buffer_bytes;  /* largest single buffer the device accepts */
    unsigned precisions;        /* bit (1u << ef_precision) for each accepted input */
    ef_dtype out_dtype;         /* element type of e, aux and out */
    double peak_gflops;         /* measured fp32 peak (measure_peak; ref: fp64), else 0 */
    double peak_gbps;           /* measured memory bandwidth (measure_peak), else 0 */
    char peak_method[96];       /* what measure_peak measured, or why it failed; "" if not run */
    char notes[256];            /* backend-specific facts: subgroup size, tensor cores ... */
} ef_device_info;

/* What a backend's measure_peak found. FLOP/s count an FMA as 2 flops; bandwidth counts
 * the bytes read plus the bytes written, in GB/s (1e9 bytes). */
typedef struct ef_peak {
    double gflops;              /* fp32 FMA throughput (ref: fp64, its accumulation) */
    double gbps;                /* memory bandwidth of a device-to-device copy */
    char method[96];            /* what was measured: "fma 8x4 chains x 4096 iters x 1M ..." */
} ef_peak;

/* A backend. Every slot is required unless marked optional. Functions return EF_OK or an
 * error code with `err` filled; none of them prints or exits. */
typedef struct ef_backend {
    const char *name;        /* "ref", "cpu", "opencl", "vulkan" */
    const char *description; /* one line for `efbench devices` */

    /* Number of devices (>= 0). 0 with err filled says why there are none. */
    int (*device_count)(ef_error *err);
    int (*device_info)(int index, ef_device_info *info, ef_error *err);
    int (*device_open)(int index, ef_device **dev, ef_error *err);
    void (*device_close)(ef_device *dev);

    int (*buffer_alloc)(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err);
    void (*buffer_free)(ef_device *dev, ef_buffer *buf);
    int (*buffer_upload)(ef_device *dev, ef_buffer *buf, size_t offset, const void *src,
                         size_t bytes, ef_error *err);
    int (*buffer_download)(ef_device *dev, ef_buffer *buf, size_t offset, void *dst,
                           size_t bytes, ef_error *err);

    /* Run one op to completion. EF_UNSUPPORTED (with the reason) for a workload, mask,
     * precision, variant or fault this device does not offer. */
    int (*run)(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

    /* optional: the i-th extra variant (e.g. "clblast") that applies to op's workload, mask,
     * precision and sizes, NULL past the end. A variant offered here may still return
     * EF_UNSUPPORTED from run (a size guard), which is recorded with its reason. */
    const char *(*variant_name)(ef_device *dev, const ef_op *op, int i);
    /* optional: choose tile parameters for this device now (and cache them). */
    int (*tune)(ef_device *dev, ef_error *err);
    /* optional (NULL: the device's peaks are unknown): measure the device's achievable fp32
     * FMA throughput and memory bandwidth now, in about 100-250 ms (median of a few timed
     * repetitions, with the API's own timers). */
    int (*measure_peak)(ef_device *dev, ef_peak *out, ef_error *err);
} ef_backend;

/* ---- registry (backends/registry.c) ------------------------------------------------ */

/* The backends compiled in, NULL-terminated, in the order they are listed. */
extern const ef_backend *const ef_backends[];
/* Backends known to efbench but not compiled in, with the reason, NULL-terminated. */
extern const char *const ef_backends_absent[][2];
const ef_backend *ef_backend_find(const char *name);

/* ---- names ------------------------------------------------------------------------ */

const char *ef_precision_name(ef_precision p);
int ef_precision_parse(const char *s, ef_precision *p);
const char *ef_workload_name(ef_workload w);
int ef_workload_parse(const char *s, ef_workload *w);
/* "full", "causal", "window:64" */
void ef_mask_format(ef_mask m, char *buf, size_t len);
int ef_mask_parse(const char *s, ef_mask *m);
/* 1 if key j is visible from query row i under mask m. */
static inline int ef_mask_visible(ef_mask m, int i, int j)
{
    switch (m.kind) {
    case EF_MASK_CAUSAL: return j <= i;
    case EF_MASK_WINDOW: return j <= i && j > i - m.window;
    default: return 1;
    }
}
/* First visible key of row i (the last is n-1 for full, i otherwise). */
static inline int ef_mask_first(ef_mask m, int i)
{
    if (m.kind == EF_MASK_WINDOW) return i - m.window + 1 > 0 ? i - m.window + 1 : 0;
    return 0;
}
static inline int ef_mask_last(ef_mask m, int i, int n)
{
    return m.kind == EF_MASK_FULL ? n - 1 : i;
}
/* Bytes of one element of an input stored in precision p. */
static inline size_t ef_precision_size(ef_precision p) { return p == EF_PREC_FP32 ? 4 : 2; }
static inline size_t ef_dtype_size(ef_dtype t) { return t == EF_F64 ? 8 : 4; }

#endif
