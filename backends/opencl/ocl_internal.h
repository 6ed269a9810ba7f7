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

/* Shape of the energy kernel. `vec` names the form: OCL_FORM_SCALAR (energy.cl) and
 * OCL_FORM_VEC (energy_vec.cl) are GPU-shaped: a BM x BN block per work-group staged
 * through local memory in BK slices, TM x TN results per item. OCL_FORM_CPU
 * (energy_cpu.cl) is CPU-shaped: no local memory, no barrier, each item a TM x BN register
 * tile of float`TN` vectors (TN 8 or 16) on keys stored transposed, BM / TM items per
 * group (consecutive row blocks of the same columns); BK is 1 (unused). */
enum { OCL_FORM_SCALAR = 0, OCL_FORM_VEC = 1, OCL_FORM_CPU = 2 };
typedef struct ocl_tiles {
    int bm, bn, bk, tm, tn, vec;
} ocl_tiles;

/* The passes with two forms, chosen per device by measurement like the energy shape:
 * OCL_PASS_GROUP (GPU-shaped: workgroup trees, local-memory tiles; field.cl, gram.cl) and
 * OCL_PASS_ITEM (CPU-shaped: long float16 runs per work-item, no barrier; passes.cl,
 * gram.cl's gram_rows). */
enum {
    OCL_PASS_ROWSUM,
    OCL_PASS_COLENERGY,
    OCL_PASS_GRAM,
    OCL_PASS_LEVERAGE,
    OCL_PASS_RANKTAIL,
    OCL_PASS_COUNT
};
enum { OCL_PASS_GROUP = 0, OCL_PASS_ITEM = 1 };

/* Kernels of the aux program. The first group exists once per input precision. */
typedef enum {
    OCLK_TREE_FIRST,
    OCLK_CENTER,
    OCLK_CENTER_T,
    OCLK_ROW_SHIFT,
    OCLK_TO_F32,
    OCLK_GRAM_PARTIAL,
    OCLK_GRAM_ROWS,
    OCLK_PER_PREC_COUNT,
    OCLK_TREE_NEXT = OCLK_PER_PREC_COUNT,
    OCLK_ROWSUM,
    OCLK_ROWSUM_ROWS,
    OCLK_COLENERGY,
    OCLK_COLENERGY_STRIPS,
    OCLK_GRAM_REDUCE,
    OCLK_RANK_W_PARTIAL,
    OCLK_RANK_W_REDUCE,
    OCLK_RANK_RESID,
    OCLK_SUM_PAIRS,
    OCLK_LEVERAGE,
    OCLK_TRANSPOSE_PAD,
    OCLK_LEVERAGE_ROWS,
    OCLK_ROW_CENTER,
    OCLK_ROW_SQUARES,
    OCLK_RANK_W_ROWS,
    OCLK_RANK_RESID_ROWS,
    OCLK_COUNT
} ocl_kernel_id;

/* Scratch buffers kept by a device, grown on demand. */
typedef enum {
    OCLS_TREE,  /* key-sum tree, about 2 n d floats               */
    OCLS_KC,    /* centered keys, n x d                           */
    OCLS_KT,    /* centered keys transposed, d x ldk (energy_cpu)  */
    OCLS_SHIFT, /* per-row shift, rows                            */
    OCLS_PART,  /* Gram / rank-tail partials                      */
    OCLS_W,     /* rank tail: U^T E, d x n                        */
    OCLS_TT,    /* leverage (CPU form): T transposed, d x ldt     */
    OCLS_QF,    /* clBLAST variant: q rows as float; tuning input */
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
    size_t max_wg;      /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    cl_ulong local_mem; /* CL_DEVICE_LOCAL_MEM_SIZE */
    int red_wg;         /* reduction workgroup size (power of two, <= 256) */

    cl_program aux; /* every kernel but the energy GEMM */
    cl_kernel k[OCLK_COUNT + (EF_PREC_COUNT - 1) * OCLK_PER_PREC_COUNT];
    cl_kernel generic[EF_WL_COUNT][EF_PREC_COUNT]; /* wl_<name>, made on first use */

    ocl_tiles tiles;                  /* energy tile shape in use */
    int pass_form[OCL_PASS_COUNT];    /* per pass: OCL_PASS_GROUP, OCL_PASS_ITEM, or -1 not
                                         chosen yet (tuned on first use) */
    int pass_from[OCL_PASS_COUNT];    /* as tiles_from */
    int tiles_from;                   /* 0 default, 1 cached tuning, 2 tuned in this process,
                                         3 EF_OPENCL_TILES, 4 default after a failed tuning */
    cl_program energy[EF_PREC_COUNT]; /* built per input precision on first use */
    cl_kernel energy_k[EF_PREC_COUNT];

    cl_program mma; /* tensor-core energy (NVIDIA), fp16 and bf16 */
    cl_kernel mma_k[2];
    int mma_state;   /* 0 not tried, 1 in use, -1 off (mma_note says why) */
    int mma_emulate; /* EF_OPENCL_MMA=emulate: fragments through local memory */
    int mma_require; /* EF_OPENCL_MMA=require: no silent fallback */
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
int ocl_buffer_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                      ef_error *err);
int ocl_buffer_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                        ef_error *err);
/* A scratch buffer of at least `bytes` (kept across runs, freed at close). */
int ocl_scratch_get(ef_device *dev, ocl_scratch_id id, size_t bytes, cl_mem *mem, ef_error *err);
/* The most the scratch buffers above hold for a group of n x d ops (backend.h). */
double ocl_scratch_bytes(ef_device *dev, int n, int d);
void ocl_scratch_free_all(ef_device *dev);

/* ---- ocl_program.c ------------------------------------------------------------------- */

/* Build (or load from the binary cache) the aux program and create its kernels. */
int ocl_program_aux_build(ef_device *dev, ef_error *err);
/* Build the energy program for tile shape `t` and input precision p, and its kernel. */
int ocl_program_energy_build(ef_device *dev, ocl_tiles t, ef_precision p, cl_program *prog,
                             cl_kernel *kernel, ef_error *err);
/* Build the measure_peak program (shaders/opencl/peak.cl: peak_fma with accumulators of
 * `width` lanes, peak_copy). */
int ocl_program_peak_build(ef_device *dev, int width, cl_program *prog, ef_error *err);
/* The aux kernel `id` for precision p (p ignored for the float-only kernels). */
cl_kernel ocl_kernel_get(ef_device *dev, ocl_kernel_id id, ef_precision p);
/* The generic kernel wl_<name> of workload w (shaders/opencl/workloads.cl) for inputs in
 * precision p, made on first use; EF_ERROR when there is none (a build without the
 * workload's kernel is a defect, not a device's limit). Needs the aux program. */
int ocl_generic_kernel(ef_device *dev, ef_workload w, ef_precision p, cl_kernel *k, ef_error *err);
/* $XDG_CACHE_HOME/efbench/opencl (else ~/.cache/...), created; "" if none can be made. */
void ocl_cache_dir(char *buf, size_t len);
/* 64-bit FNV-1a over a string, chained from h (start with 0). */
unsigned long long ocl_hash(unsigned long long h, const char *s);
/* ocl_hash of every embedded kernel file: what a cached tuning choice was measured on. */
unsigned long long ocl_sources_hash(void);
/* Device name made safe for a file name. */
void ocl_cache_stem(const ef_device *dev, char *buf, size_t len);

/* ---- ocl_tune.c ---------------------------------------------------------------------- */

/* The device's choices at open: energy shape and pass forms forced (EF_OPENCL_TILES,
 * EF_OPENCL_PASSES) or cached; the others are measured on first use. */
void ocl_tiles_init(ef_device *dev);
/* Make sure the energy kernel for precision p is built; tune first (fp32) when no choice
 * is cached or forced. */
int ocl_tiles_ready(ef_device *dev, ef_precision p, ef_error *err);
/* Time the energy shapes of both classes, install and cache the fastest. */
int ocl_tiles_tune(ef_device *dev, ef_error *err);
int ocl_tiles_valid(const ef_device *dev, ocl_tiles t);
/* The form of pass `pass` to use: chosen (EF_OPENCL_PASSES, cached, or measured now when
 * tuning is on), else OCL_PASS_GROUP. */
int ocl_pass_form(ef_device *dev, int pass);
/* Time both forms of `pass` and keep (and cache) the faster. */
int ocl_pass_tune(ef_device *dev, int pass, ef_error *err);
/* The backend's `tune` slot: the energy shape and every pass's form, measured now. */
int ocl_tune_all(ef_device *dev, ef_error *err);

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

/* 1 when EF_OPENCL_TRACE is set (not "0"): ocl_kernel_run waits for each launch and traces
 * its kernel and device time (backends/trace.h; the CLI prints them on stderr), and the
 * tuner each candidate's time (slows everything; for finding where time goes). */
int ocl_trace_on(void);
int ocl_kernel_run(ef_device *dev, cl_kernel k, const ocl_arg *args, int nargs, cl_uint dims,
                   const size_t *global, const size_t *local, ocl_timer *t, ef_error *err);
/* Wait for the last launch and return the elapsed device time; releases the events. */
int ocl_timer_finish(ef_device *dev, ocl_timer *t, double *ms, ef_error *err);
void ocl_timer_release(ocl_timer *t);
static inline size_t ocl_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* ---- workloads ---------------------------------------------------------------------- */

/* Levels of the key-sum tree: ceil(log2 n). */
int ocl_tree_levels(int n);
/* Key-sum tree over op->k into the scratch; then the centered keys: none (OCL_KEYS_TREE),
 * n x d in OCLS_KC (OCL_KEYS_KC) or transposed, d x ocl_kt_ld(n), in OCLS_KT
 * (OCL_KEYS_KT). */
enum { OCL_KEYS_TREE = 0, OCL_KEYS_KC = 1, OCL_KEYS_KT = 2 };
int ocl_keys_prepare(ef_device *dev, const ef_op *op, int center, ocl_timer *t, ef_error *err);
/* Element offset in that tree of its root, the key sums (the mean key is root / n). */
cl_long ocl_tree_root(int n, int d);
/* Row stride of the transposed keys: room for a 64-key tile past n, and 16 floats more so
 * that consecutive rows do not fall into the same cache sets (n a power of two). */
static inline int ocl_kt_ld(int n) { return (n + 127) / 64 * 64 + 16; }
int ocl_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
/* Arguments of one energy kernel launch; `keys` are the centered keys, n x d (GPU forms) or
 * transposed d x ocl_kt_ld(n) (OCL_FORM_CPU). */
typedef struct ocl_energy_args {
    cl_mem q, keys, shift, e;
    int has_shift, n, d, row0, rows;
    float scale;
    int kind, window, extra;
} ocl_energy_args;
/* Launch energy kernel k, built for shape tl, on x. */
int ocl_energy_launch(ef_device *dev, cl_kernel k, ocl_tiles tl, const ocl_energy_args *x,
                      ocl_timer *t, ef_error *err);
/* The shape as it appears in the path: "64x64x16-4x4", "v4-128x128x8-8x8", "cpu-6x32-v16-g8". */
void ocl_tiles_name(ocl_tiles tl, char *buf, size_t len);
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
/* Launch pass `pass` (rowsum, colenergy, gram or leverage of op) in form `form`, adding
 * its launches to t. */
int ocl_pass_launch(ef_device *dev, const ef_op *op, int pass, int form, ocl_timer *t,
                    ef_error *err);

/* ocl_peak.c: the backend's measure_peak slot (fp32 multiply-add chains, float4 copy). */
int ocl_peak_measure(ef_device *dev, ef_peak *out, ef_error *err);

/* ocl_clblast.c */
int ocl_clblast_available(void);
int ocl_clblast_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

#endif
