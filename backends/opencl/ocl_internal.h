/* backends/opencl/ocl_internal.h — what the files of the OpenCL backend share: the device
 * and buffer structs, the kernel table, tile shapes, launch and timing helpers.
 * Split: ocl_device.c (platforms, devices, the backend table), ocl_buffer.c (buffers and
 * scratch), ocl_program.c (sources, builds, binary cache), ocl_tune.c (tile shapes),
 * ocl_energy.c (the energy field), ocl_workloads.c (the other workloads, dispatch),
 * ocl_clblast.c (the clBLAST peer variant), ocl_peak.c (measured peaks).
 */
#ifndef EF_OCL_INTERNAL_H
#define EF_OCL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stddef.h>

#include "backends/backend.h"

/* Tile shape of the energy kernel: BM x BN block, BK slice, TM x TN per item; vec 1 for
 * the vector-access form (energy_vec.cl), 0 for the scalar one (energy.cl). */
typedef struct ocl_tiles {
    int bm, bn, bk, tm, tn, vec;
} ocl_tiles;

/* Kernels of the aux program. The first group exists once per input precision. */
typedef enum {
    OCLK_TREE_FIRST, OCLK_CENTER, OCLK_ROW_SHIFT, OCLK_TO_F32, OCLK_GRAM_PARTIAL,
    OCLK_PER_PREC_COUNT,
    OCLK_TREE_NEXT = OCLK_PER_PREC_COUNT, OCLK_ROWSUM, OCLK_COLENERGY, OCLK_GRAM_REDUCE,
    OCLK_RANK_W_PARTIAL, OCLK_RANK_W_REDUCE, OCLK_RANK_RESID, OCLK_SUM_PAIRS, OCLK_LEVERAGE,
    OCLK_ROW_CENTER,
    OCLK_COUNT
} ocl_kernel_id;

/* Scratch buffers kept by a device, grown on demand. */
typedef enum {
    OCLS_TREE,    /* key-sum tree, about 2 n d floats               */
    OCLS_KC,      /* centered keys, n x d                           */
    OCLS_SHIFT,   /* per-row shift, rows                            */
    OCLS_PART,    /* Gram / rank-tail partials                      */
    OCLS_W,       /* rank tail: U^T E, d x n                        */
    OCLS_QF,      /* clBLAST variant: q rows as float               */
    OCLS_COUNT
} ocl_scratch_id;

struct ef_buffer {
    cl_mem mem;
    size_t bytes;
};

struct ef_device {
    cl_platform_id platform;
    cl_device_id id;
    cl_context ctx;
    cl_command_queue queue;
    ef_device_info info;
    char platform_name[128];
    int is_cpu, is_nvidia;
    size_t max_wg;              /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    cl_ulong local_mem;         /* CL_DEVICE_LOCAL_MEM_SIZE */
    int red_wg;                 /* reduction workgroup size (power of two, <= 256) */

    cl_program aux;             /* every kernel but the energy GEMM */
    cl_kernel k[OCLK_COUNT + (EF_PREC_COUNT - 1) * OCLK_PER_PREC_COUNT];

    ocl_tiles tiles;             /* energy tile shape in use */
    int tiles_from;             /* 0 default, 1 cached tuning, 2 tuned in this process,
                                   3 EF_OPENCL_TILES */
    cl_program energy;
    cl_kernel energy_k[EF_PREC_COUNT];

    cl_program mma;             /* tensor-core energy (NVIDIA), fp16 and bf16 */
    cl_kernel mma_k[2];
    int mma_state;              /* 0 not tried, 1 in use, -1 off (mma_note says why) */
    int mma_emulate;            /* EF_OPENCL_MMA=emulate: fragments through local memory */
    int mma_require;            /* EF_OPENCL_MMA=require: no silent fallback */
    char mma_note[200];

    cl_mem scratch[OCLS_COUNT];
    size_t scratch_bytes[OCLS_COUNT];
};

/* ---- ocl_device.c -------------------------------------------------------------------- */

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *ocl_error_name(cl_int e);
/* EF_NOMEM for the allocation failures, else EF_ERROR. */
int ocl_error_code(cl_int e);
/* Fail with "what: CL_NAME (code)". */
int ocl_fail(ef_error *err, cl_int e, const char *what);

/* ---- ocl_buffer.c -------------------------------------------------------------------- */

int ocl_buffer_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err);
void ocl_buffer_free(ef_device *dev, ef_buffer *buf);
int ocl_buffer_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src,
                     size_t bytes, ef_error *err);
int ocl_buffer_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst,
                       size_t bytes, ef_error *err);
/* A scratch buffer of at least `bytes` (kept across runs, freed at close). */
int ocl_scratch_get(ef_device *dev, ocl_scratch_id id, size_t bytes, cl_mem *mem, ef_error *err);
void ocl_scratch_free_all(ef_device *dev);

/* ---- ocl_program.c ------------------------------------------------------------------- */

/* Build (or load from the binary cache) the aux program and create its kernels. */
int ocl_program_aux_build(ef_device *dev, ef_error *err);
/* Build the energy program for tile shape `t`: program and one kernel per precision. */
int ocl_program_energy_build(ef_device *dev, ocl_tiles t, cl_program *prog,
                            cl_kernel kernels[EF_PREC_COUNT], ef_error *err);
/* Build the measure_peak program (shaders/opencl/peak.cl: peak_fma with accumulators of
 * `width` lanes, peak_copy). */
int ocl_program_peak_build(ef_device *dev, int width, cl_program *prog, ef_error *err);
/* The aux kernel `id` for precision p (p ignored for the float-only kernels). */
cl_kernel ocl_kernel_get(ef_device *dev, ocl_kernel_id id, ef_precision p);
/* $XDG_CACHE_HOME/efbench/opencl (else ~/.cache/...), created; "" if none can be made. */
void ocl_cache_dir(char *buf, size_t len);
/* 64-bit FNV-1a over a string, chained from h (start with 0). */
unsigned long long ocl_hash(unsigned long long h, const char *s);
/* Device name made safe for a file name. */
void ocl_cache_stem(const ef_device *dev, char *buf, size_t len);

/* ---- ocl_tune.c ---------------------------------------------------------------------- */

/* Tile shape for the device: the cached tuning if any, else the default for its type. */
void ocl_tiles_init(ef_device *dev);
/* Make sure the energy program is built; tune first when that is cheap and not cached. */
int ocl_tiles_ready(ef_device *dev, ef_error *err);
/* The backend's `tune` slot: time a few shapes, keep and cache the fastest. */
int ocl_tiles_tune(ef_device *dev, ef_error *err);
int ocl_tiles_valid(const ef_device *dev, ocl_tiles t);

/* ---- launching and timing (ocl_workloads.c) ------------------------------------------ */

typedef struct ocl_arg {
    size_t size;
    const void *ptr;
} ocl_arg;
#define OCLA(v) ((ocl_arg){sizeof(v), &(v)})
#define OCL_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Events of one op's launches: the time is from the first start to the last end. */
typedef struct ocl_timer {
    cl_event first, last;
} ocl_timer;

int ocl_kernel_run(ef_device *dev, cl_kernel k, const ocl_arg *args, int nargs, cl_uint dims,
                  const size_t *global, const size_t *local, ocl_timer *t, ef_error *err);
/* Wait for the last launch and return the elapsed device time; releases the events. */
int ocl_timer_finish(ef_device *dev, ocl_timer *t, double *ms, ef_error *err);
void ocl_timer_release(ocl_timer *t);
static inline size_t ocl_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* ---- workloads ---------------------------------------------------------------------- */

/* Levels of the key-sum tree: ceil(log2 n). */
int ocl_tree_levels(int n);
/* Key-sum tree over op->k into the scratch; kc too when `center`. */
int ocl_keys_prepare(ef_device *dev, const ef_op *op, int center, ocl_timer *t, ef_error *err);
int ocl_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
/* shift[r] of keys.cl's row_shift for the op's rows (the tree must be ready). */
int ocl_row_shift(ef_device *dev, const ef_op *op, int center, cl_mem *shift, ocl_timer *t,
                  ef_error *err);

/* ocl_mma.c: 1 when fp16/bf16 energy runs on tensor cores (built and self-checked on
 * first call; never fails, falls back with dev->mma_note saying why). */
int ocl_mma_use(ef_device *dev);
int ocl_mma_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
/* Build the tensor-core program; `emulate` compiles the fragment emulation instead. */
int ocl_program_mma_build(ef_device *dev, int emulate, cl_program *prog, cl_kernel k[2],
                          ef_error *err);
int ocl_workload_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

/* ocl_peak.c: the backend's measure_peak slot (fp32 multiply-add chains, float4 copy). */
int ocl_peak_measure(ef_device *dev, ef_peak *out, ef_error *err);

/* ocl_clblast.c */
int ocl_clblast_available(void);
int ocl_clblast_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

#endif
