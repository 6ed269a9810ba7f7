/* backends/vulkan/vk_internal.h — what the files of the Vulkan backend share: the device
 * context, buffers, the push-constant block and specialization constants every shader
 * sees (mirrors shaders/vulkan/common.glsl), and the functions of each file.
 * Only the backends/vulkan sources include it; the harness sees the ef_backend table alone.
 */
#ifndef EF_VK_INTERNAL_H
#define EF_VK_INTERNAL_H

#include <vulkan/vulkan.h>

#include "backends/backend.h"
#include "vk_khr_compat.h"

/* Turn a failed VkResult into an error code with the call named; returns from the caller. */
#define VK_CHECK(err, call)                                                              \
    do {                                                                                 \
        VkResult vk_check_r_ = (call);                                                   \
        if (vk_check_r_ != VK_SUCCESS) return vk_result_fail((err), vk_check_r_, #call); \
    } while (0)

/* EF_NOMEM for out-of-memory results, EF_ERROR otherwise; msg names call and result. */
int vk_result_fail(ef_error *err, VkResult r, const char *what);
const char *vk_result_name(VkResult r);

/* ---- shaders (vk_shaders.c) ----------------------------------------------------------- */

/* vk_shader_id (VK_SH_<NAME> per shaders/vulkan/<name>.comp) and VK_WORKLOAD_SHADERS,
 * generated from the shader list of meson.build by vk_embed.py. */
#include "vulkan/vk_shader_ids.h"

typedef struct vk_shader_code {
    const char *name;
    const uint32_t *words; /* NULL: not built (glslc could not compile it) */
    size_t bytes;
} vk_shader_code;
extern const vk_shader_code vk_shaders[VK_SH_COUNT];

/* Specialization constants by id (common.glsl): precision, workgroup x / y, rows and
 * columns per thread, k-slice, masked, the device's subgroup size, tree levels; then
 * energy_coopmat_khr.comp's own: the matrix shape M x N x K and its subgroups per
 * workgroup along rows and keys. */
enum {
    VK_SPEC_PREC,
    VK_SPEC_WGX,
    VK_SPEC_WGY,
    VK_SPEC_TM,
    VK_SPEC_TN,
    VK_SPEC_BK,
    VK_SPEC_MASKED,
    VK_SPEC_SG,
    VK_SPEC_LEVELS,
    VK_SPEC_CM,
    VK_SPEC_CN,
    VK_SPEC_CK,
    VK_SPEC_SR,
    VK_SPEC_SC,
    VK_SPEC_COUNT
};
typedef struct vk_spec {
    uint32_t v[VK_SPEC_COUNT];
} vk_spec;

/* The push-constant block of every shader (common.glsl `Push`). */
typedef struct vk_push {
    int32_t n, d, row0, rows, window, shift, off_src, off_dst, count, len, aux0, aux1;
    int32_t fold; /* set by vk_cmd_dispatch_linear */
    float scale;
} vk_push;

/* The two shapes of the energy GEMM. SHARED (energy.comp, the GPU shape): a workgroup of
 * wgx x wgy threads stages bk-slices of both operands in shared memory, tm x tn results
 * per thread. REG (energy_reg.comp, the CPU shape): wgx invocations (wgy = 1) share tm
 * rows, each holds tm x tn results in registers, keys read transposed; no shared memory,
 * no barrier (bk unused, 0). */
typedef enum { VK_SHAPE_SHARED = 0, VK_SHAPE_REG = 1 } vk_shape;
/* The two forms of the other passes (tuned with the energy shape): workgroup reductions
 * and storage-buffer loads (GPU), or an invocation per row / column group reading
 * through the texel view, register tiles for the d x d products (CPU). */
typedef enum { VK_PASSES_TREE = 0, VK_PASSES_REG = 1 } vk_passes;
typedef struct vk_tile {
    uint32_t shape, wgx, wgy, tm, tn, bk;
} vk_tile;

/* VK_KHR_cooperative_matrix (vk_coopmat.c). A shape M x N x K the device lists for one
 * input type (fp16 or bf16 A and B, fp32 C and result, subgroup scope) and this build can
 * run; a tile of energy_coopmat_khr.comp: a shape, sr x sc subgroups per workgroup, each
 * holding wm x wn accumulators. */
typedef struct vk_coop_shape {
    uint32_t m, n, k;
} vk_coop_shape;
#define VK_COOP_SHAPES 4
typedef struct vk_coop_caps {
    int listed;                                          /* the extension answered */
    int bf16_ext;                                        /* VK_KHR_shader_bfloat16 listed */
    vk_coop_shape shapes[EF_PREC_COUNT][VK_COOP_SHAPES]; /* by input precision */
    int nshapes[EF_PREC_COUNT];
} vk_coop_caps;
typedef struct vk_coop_tile {
    vk_coop_shape s;
    uint32_t sr, sc, wm, wn;
} vk_coop_tile;

/* ---- device ---------------------------------------------------------------------------- */

struct ef_buffer {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;    /* bytes allocated (request rounded up to 16) */
    void *map;            /* persistent mapping when host-visible and coherent, else NULL */
    VkBufferView view[3]; /* texel views by vk_view_format (vk_buffer_view), on first use */
};

#define VK_PIPELINE_CACHE_MAX 64
#define VK_SETS_PER_RUN 256
/* Bindings of the one descriptor-set layout: 0 .. 5 storage buffers, 6 .. 9 storage texel
 * buffers over the same buffers, read 4 elements at a time by imageLoad: 6 and 7 as
 * R32G32B32A32_SFLOAT, 8 as R16G16B16A16_SFLOAT (fp16 inputs), 9 as R16G16B16A16_UINT
 * (bf16 inputs, widened by a shift). llvmpipe compiles an image load to vector loads and
 * a transpose, where a storage-buffer load is a loop over the SIMD lanes. A shader binds
 * each buffer at the binding its reads need (shaders/vulkan/inputs4.glsl). */
#define VK_BINDINGS 10
#define VK_STORAGE_BINDINGS 6
enum { VK_VIEW_RGBA32F, VK_VIEW_RGBA16F, VK_VIEW_RGBA16UI };
/* The view format of texel binding i (>= VK_STORAGE_BINDINGS). */
static inline int vk_binding_view(uint32_t i)
{
    return i <= 7 ? VK_VIEW_RGBA32F : i == 8 ? VK_VIEW_RGBA16F : VK_VIEW_RGBA16UI;
}

typedef struct vk_pipeline_entry {
    vk_shader_id shader;
    vk_spec spec;
    VkPipeline pipe;
} vk_pipeline_entry;

struct ef_device {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem_props;
    uint64_t max_buffer_bytes;
    VkDevice dev;
    uint32_t queue_family;
    VkQueue queue;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    VkQueryPool queries; /* 2 timestamps per run */
    uint64_t ts_mask;    /* valid bits of the queue's timestamps */
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkDescriptorPool desc_pool;
    int sets_used;
    vk_pipeline_entry pipes[VK_PIPELINE_CACHE_MAX];
    int pipe_count;
    ef_buffer *scratch; /* key tree, row shifts, partial sums (grown on demand) */
    ef_buffer *dummy;   /* bound to unused bindings */
    ef_buffer *staging; /* for devices without host-visible device memory */
    vk_tile tile;
    uint32_t passes;      /* VK_PASSES_*: the form of rowsum, colenergy, gram, leverage */
    char tile_source[16]; /* "untuned", "tuning", "tuned", "cache", "env", "default" */
    int lost;             /* VK_ERROR_DEVICE_LOST seen: every later call fails */
    uint32_t subgroup_size;
    vk_coop_caps coop; /* cooperative-matrix shapes usable per input precision */
    /* per input precision, the tuner's choice: the cooperative-matrix tile the variant
     * runs (a vk_coop_candidate index, -1: none) and whether the default energy runs it */
    int coop_best[EF_PREC_COUNT];
    int coop_use[EF_PREC_COUNT];
};

/* The energy variant on KHR cooperative matrices (offered for the input types in dev->coop). */
#define VK_VARIANT_COOPMAT_KHR "coopmat-khr"

/* vk_instance.c */
int vk_instance_acquire(VkInstance *inst, ef_error *err);
void vk_instance_release(void);
int vk_physical_list(VkInstance inst, VkPhysicalDevice *out, uint32_t cap, uint32_t *count,
                     ef_error *err);
uint64_t vk_physical_max_buffer(VkPhysicalDevice phys);
/* "driver name + info" where the driver reports them (Vulkan 1.2), else its version. */
void vk_driver_describe(VkPhysicalDevice phys, char *buf, size_t len);
int vk_device_count(ef_error *err);
int vk_device_info(int index, ef_device_info *info, ef_error *err);

/* 1 if the physical device offers the device extension `name`. */
int vk_extension_present(VkPhysicalDevice phys, const char *name);

/* vk_coopmat.c */
/* The shapes per input precision that the device lists, that its features allow and
 * whose module this build has; returns their number (0: no usable cooperative matrix). */
int vk_coop_query(VkInstance inst, VkPhysicalDevice phys, vk_coop_caps *caps);
/* Every entry the device lists, grouped by types, and what the variant can use, as text. */
void vk_coop_describe(VkInstance inst, VkPhysicalDevice phys, char *buf, size_t len);
vk_shader_id vk_coop_shader(ef_precision prec);
/* The i-th tile candidate for inputs of precision prec (0 past the end). */
int vk_coop_candidate(const ef_device *dev, ef_precision prec, int i, vk_coop_tile *t);
/* 1 if the device's limits (invocations, shared memory) allow the tile. */
int vk_coop_tile_check(const ef_device *dev, const vk_coop_tile *t);
/* 1 if tile t runs op; else 0 with why. */
int vk_coop_fits(const ef_device *dev, const ef_op *op, const vk_coop_tile *t, char *why,
                 size_t len);
/* The energy field of op (fp16 / bf16) on cooperative matrices with tile t. */
int vk_energy_coopmat_record(ef_device *dev, const ef_op *op, const vk_coop_tile *t,
                             ef_run_result *res, ef_error *err);

/* vk_device.c */
int vk_device_open(int index, ef_device **dev, ef_error *err);
void vk_device_close(ef_device *dev);

/* vk_memory.c */
int vk_buffer_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err);
void vk_buffer_free(ef_device *dev, ef_buffer *buf);
int vk_buffer_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                     ef_error *err);
int vk_buffer_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                       ef_error *err);
/* Make dev->scratch hold at least `bytes`. */
int vk_scratch_reserve(ef_device *dev, size_t bytes, ef_error *err);
/* The most the scratch buffer holds for a group of n x d ops (backend.h). */
double vk_scratch_bytes(ef_device *dev, int n, int d);
/* A texel view of buf in format `view` (VK_VIEW_*; made on first use, freed with it):
 * its first min(size, maxTexelBufferElements texels) bytes. */
int vk_buffer_view(ef_device *dev, ef_buffer *buf, int view, VkBufferView *out, ef_error *err);

/* vk_pipeline.c */
int vk_layout_create(ef_device *dev, ef_error *err);
void vk_layout_destroy(ef_device *dev);
int vk_pipeline_get(ef_device *dev, vk_shader_id sh, const vk_spec *spec, VkPipeline *out,
                    ef_error *err);
vk_spec vk_spec_1d(ef_precision prec);
/* Destroy every cached pipeline when more than `keep` are held (between command buffers). */
void vk_pipeline_trim(ef_device *dev, int keep);

/* vk_dispatch.c: record one command buffer, submit it, wait, time it. */
int vk_cmd_begin(ef_device *dev, ef_error *err);
/* Bind bufs[0..VK_BINDINGS) (NULL: dummy), push `pc`, dispatch, barrier after. */
int vk_cmd_dispatch(ef_device *dev, vk_shader_id sh, const vk_spec *spec,
                    ef_buffer *const bufs[VK_BINDINGS], const vk_push *pc, uint32_t gx, uint32_t gy,
                    uint32_t gz, ef_error *err);
/* A 1-D launch of `groups` workgroups, folded into x * y when it exceeds the device's
 * x limit (the shaders read ef_linear_id / ef_linear_group). */
int vk_cmd_dispatch_linear(ef_device *dev, vk_shader_id sh, const vk_spec *spec,
                           ef_buffer *const bufs[VK_BINDINGS], const vk_push *pc, uint64_t groups,
                           ef_error *err);
/* Fill `bytes` (a multiple of 4) of dst from `off` with the 32-bit word `word`. */
void vk_cmd_fill(ef_device *dev, ef_buffer *dst, size_t off, size_t bytes, uint32_t word);
int vk_cmd_copy(ef_device *dev, ef_buffer *src, size_t src_off, ef_buffer *dst, size_t dst_off,
                size_t bytes, ef_error *err);
/* End, submit, wait; *ms = GPU time between the first and last command (may be NULL). */
int vk_cmd_submit(ef_device *dev, double *ms, ef_error *err);

/* The texel binding (inputs4.glsl) an input of precision p is read at. */
static inline uint32_t vk_input_binding(ef_precision p)
{
    return p == EF_PREC_FP32 ? 7 : p == EF_PREC_FP16 ? 8 : 9;
}

/* Workgroups of `per` items covering `items`; the power of two >= n (at least 2). */
static inline uint32_t vk_groups(uint64_t items, uint32_t per)
{
    return (uint32_t)((items + per - 1) / per);
}
static inline int vk_pow2_at_least(int n)
{
    int p = 2;
    while (p < n) p *= 2;
    return p;
}
#define VK_WG 256u /* workgroup of the 1-D shaders (vk_spec_1d) */

/* vk_energy.c: the key passes every key-reading workload shares, and the energy field.
 * What vk_keys_record leaves in scratch level 0 (fp32, n_pad x d): the keys centered over
 * all n positions, or the raw keys with their pairwise tree above them. */
enum { VK_KEYS_CENTERED, VK_KEYS_RAW_TREE };
int vk_keys_record(ef_device *dev, const ef_op *op, int npad, int mode, ef_error *err);
int vk_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
/* What the GPU-shaped and cooperative-matrix energies share: scratch for the key-sum tree
 * (2 npad - 1 rows of d, ending at *tree), the per-row shifts at *tree, and the push
 * constants (shift left 0); then the shifts c_r = a q_i . m_r of the visible-key means
 * (pc->shift and pc->window say which keys row i sees). */
int vk_energy_prepare(ef_device *dev, const ef_op *op, int *npad, uint64_t *tree, vk_push *pc,
                      ef_error *err);
int vk_shift_record(ef_device *dev, const ef_op *op, const vk_push *base, int npad, uint64_t tree,
                    ef_error *err);
/* vk_energy_reg.c: the energy field in the CPU shape (dev->tile.shape == VK_SHAPE_REG),
 * and the key passes of every CPU form: level 0 of the key tree at scratch 0 (the keys in
 * fp32, rows of ds floats, ds a multiple of 4 >= d, zero-padded to npad rows; a copy for
 * fp32 keys with ds == d) and the pairwise tree 4 dimensions at a time above it, its
 * root (the key sum) at float (2 npad - 2) ds; root_only: the levels between are not
 * all written (the root's sums are the same). */
int vk_energy_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
int vk_reg_keys_record(ef_device *dev, const ef_op *op, int npad, uint32_t ds, int root_only,
                       ef_error *err);

/* vk_dd_reg.c: gram and leverage in the CPU form (dev->passes == VK_PASSES_REG); EF_UNSUPPORTED
 * (run the GPU form instead) where an op does not fit it. */
int vk_gram_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);
int vk_leverage_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

/* vk_workloads.c */
int vk_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err);

/* vk_peak.c: the backend's measure_peak slot (peak_fma.comp, peak_copy.comp) */
int vk_peak_measure(ef_device *dev, ef_peak *out, ef_error *err);

/* vk_tune.c */
int vk_tile_check(const ef_device *dev, vk_tile t);
void vk_tile_default(ef_device *dev);
void vk_tile_load(ef_device *dev);
int vk_tune(ef_device *dev, ef_error *err);
/* Before a run: a device without a cached or forced shape is tuned now. */
int vk_tile_ready(ef_device *dev, ef_error *err);

/* vk_tune_passes.c: the form of rowsum, colenergy, gram and leverage (*form, VK_PASSES_*),
 * measured on the tuner's inputs q, k (n x d fp32, host copies hq, hk; n % 4 == 0) and
 * the field e computed from them. */
typedef struct vk_tune_inputs {
    int n, d;
    ef_buffer *q, *k, *e;
    const float *hq, *hk;
} vk_tune_inputs;
int vk_tune_passes(ef_device *dev, const vk_tune_inputs *in, uint32_t *form, ef_error *err);
/* The cost of a run, as the tuner counts it: c0 = vk_tune_clock(dev) before it, then
 * vk_tune_cost(dev, c0, res): the device's timestamps, except on a CPU device, where the
 * process's CPU time of the run is the device's work itself (and, unlike the time between
 * timestamps, stays put when other programs share the cores). */
double vk_tune_clock(const ef_device *dev);
double vk_tune_cost(const ef_device *dev, double c0, const ef_run_result *res);

/* vk_tune_coopmat.c: dev->coop_best / coop_use before any measurement (the variant runs
 * the first tile the device allows; the default energy never uses it), and measured on
 * the tuner's inputs (fp32 host copies rounded to each precision, field buffer in->e). */
void vk_coop_default(ef_device *dev);
int vk_tune_coopmat(ef_device *dev, const vk_tune_inputs *in, double scale, ef_error *err);

#endif
