/* backends/vulkan/vk_workloads.c — `run`: records the dispatches of one ef_op (checked
 * against the layouts of backend.h by the harness) into one command buffer: the key passes
 * (decode, pairwise tree, centering, tree of the centered keys, row shifts), then the
 * workload's shader and its fixed-order reductions. Shaders: shaders/vulkan.
 * Called through the ef_backend table; the harness times it by the GPU timestamps.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <string.h>

#define VK_WG 256u
#define VK_COLENERGY_CHUNK 64    /* rows per partial column sum */
#define VK_GRAM_CHUNKS 64        /* at most this many partial Gram matrices */

static uint32_t vk_groups(uint64_t items, uint32_t per) { return (uint32_t)((items + per - 1) / per); }

static int vk_pow2_at_least(int n)
{
    int p = 2;
    while (p < n) p *= 2;
    return p;
}

/* What this backend offers beyond the contract the harness checked (workload_op_check):
 * its one variant and its one fault. */
static int vk_op_check(const ef_op *op, ef_error *err)
{
    if (op->variant && op->variant[0] &&
        (op->workload != EF_WL_ENERGY || strcmp(op->variant, VK_VARIANT_COOPMAT) != 0))
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: no variant '%s' of %s", op->variant,
                       ef_workload_name(op->workload));
    if (op->fault != EF_FAULT_NONE && op->fault != EF_FAULT_MASK_OFF_BY_ONE)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: fault %d is not offered", (int)op->fault);
    return EF_OK;
}

/* Pairwise sums of level 0 (n_pad rows of d floats at scratch 0) up to the root, which
 * ends at float offset (2 n_pad - 2) d. */
static int vk_tree_record(ef_device *dev, const ef_op *op, int npad, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {dev->scratch};
    int32_t off = 0;
    for (int size = npad; size > 1; size /= 2) {
        vk_push pc = {.n = op->n, .d = op->d, .off_src = off, .off_dst = off + size * op->d,
                      .count = size / 2};
        int rc = vk_cmd_dispatch_linear(dev, VK_SH_TREE_LEVEL, &spec, bufs, &pc,
                                        vk_groups((uint64_t)(size / 2) * op->d, VK_WG), err);
        if (rc != EF_OK) return rc;
        off += size * op->d;
    }
    return EF_OK;
}

/* What vk_keys_record leaves in scratch level 0 (fp32, n_pad x d): the keys centered over
 * all n positions (full field, gram, leverage), or the raw keys with their pairwise tree
 * above them (masked fields and the cooperative-matrix variant: means for row shifts). */
enum { VK_KEYS_CENTERED, VK_KEYS_RAW_TREE };

static int vk_keys_record(ef_device *dev, const ef_op *op, int npad, int mode, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *dec[VK_BINDINGS] = {op->k, dev->scratch};
    ef_buffer *own[VK_BINDINGS] = {dev->scratch};
    vk_push pc = {.n = op->n, .d = op->d, .count = npad};
    int rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_DECODE, &spec, dec, &pc,
                                    vk_groups((uint64_t)npad * op->d, VK_WG), err);
    if (rc == EF_OK) rc = vk_tree_record(dev, op, npad, err);
    if (mode == VK_KEYS_RAW_TREE) return rc;
    pc.off_src = (2 * npad - 2) * op->d;
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_CENTER, &spec, own, &pc,
                                    vk_groups((uint64_t)op->n * op->d, VK_WG), err);
    return rc;
}

/* Row shifts of a masked field: the means of the visible keys (rows x d, coalesced over
 * d) at scratch tree + rows, then c_r = a q_i . m_r at scratch tree (the layout both
 * energy shaders read). `base` holds n, d, row0, rows, window, shift, scale. */
static int vk_shift_record(ef_device *dev, const ef_op *op, const vk_push *base, int npad,
                           uint64_t tree, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *own[VK_BINDINGS] = {dev->scratch};
    ef_buffer *with_q[VK_BINDINGS] = {op->q, dev->scratch};
    vk_push mean = *base, shift = *base;
    mean.count = npad;
    mean.off_dst = (int32_t)(tree + (uint64_t)op->rows);
    shift.off_src = mean.off_dst;
    shift.off_dst = (int32_t)tree;
    int rc = vk_cmd_dispatch_linear(dev, VK_SH_ROW_MEAN, &spec, own, &mean,
                                    vk_groups((uint64_t)op->rows * op->d, VK_WG), err);
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROW_SHIFT, &spec, with_q, &shift,
                                    vk_groups((uint64_t)op->rows, VK_WG), err);
    return rc;
}

/* What both energy shaders share: scratch for the key-sum tree (2 npad - 1 rows of d) and
 * the per-row shifts, and the push constants; `shift` is set by the caller. */
static int vk_energy_prepare(ef_device *dev, const ef_op *op, int *npad, uint64_t *tree, vk_push *pc,
                             ef_error *err)
{
    *npad = vk_pow2_at_least(op->n);
    *tree = (uint64_t)(2 * *npad - 1) * op->d;
    *pc = (vk_push){
        .n = op->n, .d = op->d, .row0 = op->row0, .rows = op->rows,
        .window = op->mask.kind == EF_MASK_WINDOW ? op->mask.window : op->n + 1,
        .off_dst = (int32_t)*tree, .count = *npad, .scale = (float)op->scale,
    };
    return vk_scratch_reserve(dev, (*tree + (uint64_t)op->rows * (op->d + 1)) * 4, err);
}

static int vk_energy_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    int npad, masked = op->mask.kind != EF_MASK_FULL;
    uint64_t tree;
    vk_push pc;
    int rc = vk_energy_prepare(dev, op, &npad, &tree, &pc, err);
    if (rc != EF_OK) return rc;
    pc.shift = masked && op->fault == EF_FAULT_MASK_OFF_BY_ONE ? 1 : 0;
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    /* Full: keys centered over all n, no shift. Masked: raw keys, and the shift
     * c_r = a q_i . m_i from the tree of the raw keys, so the error stays within
     * u a |q_i|.(|k_j| + |m_i|) whatever the keys' common offset (the verifier's form). */
    int mode = masked ? VK_KEYS_RAW_TREE : VK_KEYS_CENTERED;
    if ((rc = vk_keys_record(dev, op, npad, mode, err)) != EF_OK) return rc;
    if (masked && (rc = vk_shift_record(dev, op, &pc, npad, tree, err)) != EF_OK) return rc;
    vk_tile t = dev->tile;
    vk_spec spec = {.v = {
        [VK_SPEC_PREC] = op->precision, [VK_SPEC_WGX] = t.wgx, [VK_SPEC_WGY] = t.wgy,
        [VK_SPEC_TM] = t.tm, [VK_SPEC_TN] = t.tn, [VK_SPEC_BK] = t.bk,
        [VK_SPEC_MASKED] = (uint32_t)masked,
    }};
    ef_buffer *bufs[VK_BINDINGS] = {op->q, dev->scratch, dev->scratch, op->e};
    rc = vk_cmd_dispatch(dev, VK_SH_ENERGY, &spec, bufs, &pc, vk_groups(op->n, t.tn * t.wgx),
                         vk_groups(op->rows, t.tm * t.wgy), 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "fused-%ux%u-k%u%s", t.tm * t.wgy, t.tn * t.wgx,
             t.bk, pc.shift ? "-fault" : "");
    return vk_cmd_submit(dev, &res->time_ms, err);
}

/* Variant coopmat-fp16: raw fp16 Q, K on NV cooperative matrices, every mask through the
 * row shift of the raw-key means (energy_coopmat.comp). */
static int vk_energy_coopmat_record(ef_device *dev, const ef_op *op, ef_run_result *res,
                                    ef_error *err)
{
    if (!dev->coopmat)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: variant %s needs VK_NV_cooperative_matrix "
                       "with fp16 16x16x16 tiles", VK_VARIANT_COOPMAT);
    if (op->precision != EF_PREC_FP16)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: variant %s reads fp16 inputs only",
                       VK_VARIANT_COOPMAT);
    if (op->n % 64 || op->rows % 64 || op->row0 % 64 || op->d % 16)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: variant %s needs n, rows and row0 multiples "
                       "of 64 and d a multiple of 16 (n = %d, rows = %d, row0 = %d, d = %d)",
                       VK_VARIANT_COOPMAT, op->n, op->rows, op->row0, op->d);
    int npad, masked = op->mask.kind != EF_MASK_FULL;
    uint64_t tree;
    vk_push pc;
    int rc = vk_energy_prepare(dev, op, &npad, &tree, &pc, err);
    if (rc != EF_OK) return rc;
    /* the full field's shift is the mean over all keys: hi = n - 1 in row_shift */
    pc.shift = !masked ? op->n : op->fault == EF_FAULT_MASK_OFF_BY_ONE ? 1 : 0;
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    if ((rc = vk_keys_record(dev, op, npad, VK_KEYS_RAW_TREE, err)) != EF_OK) return rc;
    if ((rc = vk_shift_record(dev, op, &pc, npad, tree, err)) != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    spec.v[VK_SPEC_WGX] = 4 * dev->subgroup_size;
    spec.v[VK_SPEC_MASKED] = (uint32_t)masked;
    ef_buffer *bufs[VK_BINDINGS] = {op->q, op->k, dev->scratch, op->e};
    rc = vk_cmd_dispatch(dev, VK_SH_ENERGY_COOPMAT, &spec, bufs, &pc, (uint32_t)(op->n / 64),
                         (uint32_t)(op->rows / 64), 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "coopmat-nv-fp16-64x64%s",
             masked && op->fault == EF_FAULT_MASK_OFF_BY_ONE ? "-fault" : "");
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_rowsum_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {op->e, op->out};
    vk_push pc = {.n = op->n, .d = op->d, .rows = op->rows};
    int rc = vk_cmd_begin(dev, err);
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROWSUM, &spec, bufs, &pc, (uint64_t)op->rows, err);
    snprintf(res->path, sizeof res->path, "rowsum-wg%u", VK_WG);
    return rc == EF_OK ? vk_cmd_submit(dev, &res->time_ms, err) : rc;
}

static int vk_colenergy_record(ef_device *dev, const ef_op *op, ef_run_result *res,
                               ef_error *err)
{
    uint32_t chunks = vk_groups(op->rows, VK_COLENERGY_CHUNK);
    int rc = vk_scratch_reserve(dev, (size_t)chunks * op->n * 4, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *part[VK_BINDINGS] = {op->e, dev->scratch};
    ef_buffer *sum[VK_BINDINGS] = {dev->scratch, op->out};
    vk_push pc = {.n = op->n, .d = op->d, .rows = op->rows, .len = VK_COLENERGY_CHUNK};
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    rc = vk_cmd_dispatch(dev, VK_SH_COLENERGY, &spec, part, &pc, vk_groups(op->n, VK_WG),
                         chunks, 1, err);
    if (rc != EF_OK) return rc;
    vk_push red = {.n = op->n, .d = op->d, .len = op->n, .count = (int32_t)chunks};
    rc = vk_cmd_dispatch(dev, VK_SH_REDUCE, &spec, sum, &red, vk_groups(op->n, VK_WG), 1, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "colenergy-chunk%d", VK_COLENERGY_CHUNK);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_gram_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    int npad = vk_pow2_at_least(op->n);
    uint64_t tree = (uint64_t)(2 * npad - 1) * op->d, dd = (uint64_t)op->d * op->d;
    int chunk = (op->n + VK_GRAM_CHUNKS - 1) / VK_GRAM_CHUNKS;
    if (chunk < 64) chunk = 64;
    uint32_t chunks = vk_groups(op->n, (uint32_t)chunk);
    int rc = vk_scratch_reserve(dev, (tree + 2 * chunks * dd) * 4, err);
    if (rc != EF_OK) return rc;
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    if ((rc = vk_keys_record(dev, op, npad, VK_KEYS_CENTERED, err)) != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *part[VK_BINDINGS] = {op->q, dev->scratch, dev->scratch};
    ef_buffer *sum[VK_BINDINGS] = {dev->scratch, op->out};
    vk_push pc = {.n = op->n, .d = op->d, .len = chunk, .count = (int32_t)chunks,
                  .off_dst = (int32_t)tree};
    rc = vk_cmd_dispatch(dev, VK_SH_GRAM, &spec, part, &pc, vk_groups(dd, VK_WG), chunks, 2, err);
    if (rc != EF_OK) return rc;
    vk_push red = {.n = op->n, .d = op->d, .len = (int32_t)dd, .count = (int32_t)chunks,
                   .off_src = (int32_t)tree, .aux0 = op->d};
    rc = vk_cmd_dispatch(dev, VK_SH_REDUCE, &spec, sum, &red, vk_groups(dd, VK_WG), 2, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "gram-split%u", chunks);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_ranktail_record(ef_device *dev, const ef_op *op, ef_run_result *res,
                              ef_error *err)
{
    uint64_t w = (uint64_t)op->d * op->n;
    int rc = vk_scratch_reserve(dev, (w + 2 * (uint64_t)op->n) * 4, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {op->e, op->aux, dev->scratch};
    ef_buffer *sum[VK_BINDINGS] = {dev->scratch, op->out};
    vk_push pc = {.n = op->n, .d = op->d, .rows = op->rows, .off_src = 0,
                  .off_dst = (int32_t)w, .count = op->n};
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    vk_push proj = pc;
    proj.off_dst = 0;
    rc = vk_cmd_dispatch(dev, VK_SH_RANKTAIL_PROJ, &spec, bufs, &proj, vk_groups(op->n, VK_WG),
                         (uint32_t)op->d, 1, err);
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, VK_SH_RANKTAIL_RESID, &spec, bufs, &pc,
                                    (uint64_t)op->n, err);
    vk_push red = {.n = op->n, .d = op->d, .off_src = (int32_t)w, .count = op->n};
    if (rc == EF_OK)
        rc = vk_cmd_dispatch(dev, VK_SH_REDUCE_PAIRS, &spec, sum, &red, 1, 1, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "ranktail-explicit");
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_leverage_record(ef_device *dev, const ef_op *op, ef_run_result *res,
                              ef_error *err)
{
    int npad = vk_pow2_at_least(op->n);
    int rc = vk_scratch_reserve(dev, (size_t)(2 * npad - 1) * op->d * 4, err);
    if (rc != EF_OK) return rc;
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    if ((rc = vk_keys_record(dev, op, npad, VK_KEYS_CENTERED, err)) != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {dev->scratch, op->aux, op->out};
    vk_push pc = {.n = op->n, .d = op->d};
    rc = vk_cmd_dispatch_linear(dev, VK_SH_LEVERAGE, &spec, bufs, &pc, (uint64_t)op->n, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "leverage-wg%u", VK_WG);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

int vk_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    memset(res, 0, sizeof *res);
    if (dev->lost) return ef_fail(err, EF_ERROR, "vulkan: the device was lost earlier");
    int rc = vk_op_check(op, err);
    if (rc != EF_OK) return rc;
    switch (op->workload) {
    case EF_WL_ENERGY:
        rc = op->variant && op->variant[0] ? vk_energy_coopmat_record(dev, op, res, err)
                                           : vk_energy_record(dev, op, res, err);
        break;
    case EF_WL_ROWSUM: rc = vk_rowsum_record(dev, op, res, err); break;
    case EF_WL_COLENERGY: rc = vk_colenergy_record(dev, op, res, err); break;
    case EF_WL_GRAM: rc = vk_gram_record(dev, op, res, err); break;
    case EF_WL_RANKTAIL: rc = vk_ranktail_record(dev, op, res, err); break;
    case EF_WL_LEVERAGE: rc = vk_leverage_record(dev, op, res, err); break;
    default: rc = ef_fail(err, EF_UNSUPPORTED, "vulkan: unknown workload %d", (int)op->workload); break;
    }
    /* drop a half-recorded buffer; a lost or hung device may still own a submitted one */
    if (rc != EF_OK && !dev->lost) vkResetCommandBuffer(dev->cmd, 0);
    return rc;
}
