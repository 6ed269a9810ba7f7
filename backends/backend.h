/* backends/backend.h — the contract between the harness and a compute backend: the op a
 * backend runs, the facts it reports about a device, and the `const ef_backend` table of
 * function pointers it fills; the harness knows nothing else about it. The math of every
 * workload is ../shared/docs/energy-field.md; the buffer layouts each workload reads and
 * writes are fixed by its row of harness/workload.c, and the harness checks every op
 * against them before `run`, so a backend may assume them.
 */
#ifndef EF_BACKEND_H
#define EF_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* ---- what a dispatch computes ------------------------------------------------------ */

/* The buffer layouts. Each workload of energy-field.md reads and writes fixed buffers of
 * an op: what it reads in q, k, e and aux, what it writes to e or out, and the sizes, as
 * functions of n, d and op.rows. They are stated once, beside the workload's row in
 * harness/workload.c (its `layout` function and the comment above it), and checked there
 * before every `run`. All are row-major; q and k are in op.precision, e, aux and out in
 * the device's out_dtype. Key means must be accumulated with blocked / pairwise / wider
 * sums (the verifier's bound allows log2(n) + 2 roundings for a mean, not n).
 *
 * The generic launch. A GPU-API backend runs a workload it has no launcher of its own for
 * as one kernel named after it, one work-item per element i < op.out_count of out, each
 * computing out[i] alone in a fixed order (so adding a workload needs one kernel per API,
 * no host code): OpenCL `wl_<name>` in shaders/opencl/workloads.cl, arguments (q, k, e,
 * aux, out, n, d, row0, rows, scale, mask kind, window, count); Vulkan
 * shaders/vulkan/wl_<name>.comp, bindings 0-4 = q, k, e, aux, out and common.glsl's push
 * constants (count = out_count). With EF_GENERIC_LAUNCH=1 the generic kernel runs even
 * where a tuned launcher exists (tests keep both paths checked).
 */

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
    int row0, rows;      /* block of query rows held in e: rows row0 .. row0+rows-1 */
    double scale;        /* a, the logit scale */
    const char *variant; /* NULL: the backend's default; else a name from variant_name */
    ef_fault fault;
    ef_buffer *q, *k, *e, *aux, *out;
    size_t out_count; /* elements of out this op writes (its layout): the generic launch */
} ef_op;

/* What one dispatch reports. */
typedef struct ef_run_result {
    double time_ms; /* from the API's own timer (events, timestamps; CPU: monotonic clock) */
    char path[64];  /* which code path ran, e.g. "fused-tile128", "mma-bf16", "sgemm" */
    char note[128]; /* optional: why a faster path is off (a failed self-check ...), or "" */
} ef_run_result;

/* ---- devices ------------------------------------------------------------------------ */

typedef struct ef_device_info {
    char name[128];
    char vendor[128];
    char driver_version[64];
    char api_version[64];
    char type[16];             /* "cpu", "gpu", "accelerator", "other" */
    uint64_t memory_bytes;     /* device (or host) memory */
    uint64_t max_buffer_bytes; /* largest single buffer the device accepts */
    unsigned precisions;       /* bit (1u << ef_precision) for each accepted input */
    ef_dtype out_dtype;        /* element type of e, aux and out */
    double peak_gflops;        /* measured fp32 peak (measure_peak; ref: fp64), else 0 */
    double peak_gbps;          /* measured memory bandwidth (measure_peak), else 0 */
    char peak_method[96];      /* what measure_peak measured, or why it failed; "" if not run */
    char notes[512];           /* backend-specific facts: subgroup size, tensor cores ... */
} ef_device_info;

/* What a backend's measure_peak found. FLOP/s count an FMA as 2 flops; bandwidth counts
 * the bytes read plus the bytes written, in GB/s (1e9 bytes). */
typedef struct ef_peak {
    double gflops;   /* fp32 FMA throughput (ref: fp64, its accumulation) */
    double gbps;     /* memory bandwidth of a device-to-device copy */
    char method[96]; /* what was measured: "fma 8x4 chains x 4096 iters x 1M ..." */
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
    int (*buffer_download)(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                           ef_error *err);

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
    /* optional (NULL: none worth counting): the most bytes of its own scratch the backend
     * holds while it runs a group of n x d ops, beside the five buffers (device memory, or
     * the host's for a device on the host). The harness counts it in the memory budget. */
    double (*scratch_bytes)(ef_device *dev, int n, int d);
} ef_backend;

/* ---- registry (backends/registry.c) ------------------------------------------------ */

/* The backends compiled in, NULL-terminated, in the order they are listed. */
extern const ef_backend *const ef_backends[];
/* Backends known to efbench but not compiled in, with the reason, NULL-terminated. */
extern const char *const ef_backends_absent[][2];
const ef_backend *ef_backend_find(const char *name);

#endif
