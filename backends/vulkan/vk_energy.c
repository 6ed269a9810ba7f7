/* backends/vulkan/vk_energy.c — the energy field: the key passes (decode, pairwise tree,
 * centering; shared with gram and leverage), the per-row shifts of a masked field, the
 * GPU-shaped energy.comp, and which energy runs: the CPU shape is vk_energy_reg.c, the
 * cooperative-matrix variant vk_coopmat.c; the shape and whether fp16 / bf16 inputs run on
 * cooperative matrices are the tuner's choice (vk_tune.c, vk_tune_coopmat.c).
 * Shaders: shaders/vulkan. Called by vk_workloads.c.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <string.h>

/* Pairwise sums of level 0 (n_pad rows of d floats at scratch 0) up to the root, which
 * ends at float offset (2 n_pad - 2) d. */
static int vk_tree_record(ef_device *dev, const ef_op *op, int npad, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {dev->scratch};
    int32_t off = 0;
    for (int size = npad; size > 1; size /= 2) {
        vk_push pc = {.n = op->n,
                      .d = op->d,
                      .off_src = off,
                      .off_dst = off + size * op->d,
                      .count = size / 2};
        int rc = vk_cmd_dispatch_linear(dev, VK_SH_TREE_LEVEL, &spec, bufs, &pc,
                                        vk_groups((uint64_t)(size / 2) * op->d, VK_WG), err);
        if (rc != EF_OK) return rc;
        off += size * op->d;
    }
    return EF_OK;
}

int vk_keys_record(ef_device *dev, const ef_op *op, int npad, int mode, ef_error *err)
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
 * d) at scratch tree + rows, then c_r = a q_i . m_r at scratch tree (the layout every
 * energy shader reads). `base` holds n, d, row0, rows, window, shift, scale. */
int vk_shift_record(ef_device *dev, const ef_op *op, const vk_push *base, int npad, uint64_t tree,
                    ef_error *err)
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

/* Scratch: the key-sum tree, the per-row shifts at `tree` and the visible-key means after
 * them (rows x d). */
int vk_energy_prepare(ef_device *dev, const ef_op *op, int *npad, uint64_t *tree, vk_push *pc,
                      ef_error *err)
{
    *npad = vk_pow2_at_least(op->n);
    *tree = (uint64_t)(2 * *npad - 1) * op->d;
    *pc = (vk_push){
        .n = op->n,
        .d = op->d,
        .row0 = op->row0,
        .rows = op->rows,
        .window = op->mask.kind == EF_MASK_WINDOW ? op->mask.window : op->n + 1,
        .off_dst = (int32_t)*tree,
        .count = *npad,
        .scale = (float)op->scale,
    };
    return vk_scratch_reserve(dev, (*tree + (uint64_t)op->rows * (op->d + 1)) * 4, err);
}

/* The GPU shape (energy.comp): a tiled GEMM through shared memory. */
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
                        [VK_SPEC_PREC] = op->precision,
                        [VK_SPEC_WGX] = t.wgx,
                        [VK_SPEC_WGY] = t.wgy,
                        [VK_SPEC_TM] = t.tm,
                        [VK_SPEC_TN] = t.tn,
                        [VK_SPEC_BK] = t.bk,
                        [VK_SPEC_MASKED] = (uint32_t)masked,
                        [VK_SPEC_SG] = 1,
                        [VK_SPEC_LEVELS] = 1,
                    }};
    ef_buffer *bufs[VK_BINDINGS] = {op->q, dev->scratch, dev->scratch, op->e};
    rc = vk_cmd_dispatch(dev, VK_SH_ENERGY, &spec, bufs, &pc, vk_groups(op->n, t.tn * t.wgx),
                         vk_groups(op->rows, t.tm * t.wgy), 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "fused-%ux%u-k%u%s", t.tm * t.wgy, t.tn * t.wgx, t.bk,
             pc.shift ? "-fault" : "");
    return vk_cmd_submit(dev, &res->time_ms, err);
}

/* The cooperative-matrix tile of the variant for op's precision: the tuner's choice,
 * else the first the device allows; 0 if none. */
static int vk_coop_tile_for(const ef_device *dev, ef_precision prec, vk_coop_tile *t)
{
    if (prec == EF_PREC_FP32) return 0;
    if (dev->coop_best[prec] >= 0 && vk_coop_candidate(dev, prec, dev->coop_best[prec], t) &&
        vk_coop_tile_check(dev, t))
        return 1;
    for (int i = 0; vk_coop_candidate(dev, prec, i, t); i++)
        if (vk_coop_tile_check(dev, t)) return 1;
    return 0;
}

int vk_energy_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    vk_coop_tile t;
    char why[160];
    if (op->variant && op->variant[0]) { /* coopmat-khr, the one variant (vk_op_check) */
        if (!vk_coop_tile_for(dev, op->precision, &t))
            return ef_fail(err, EF_UNSUPPORTED,
                           "vulkan: variant %s needs fp16 or bf16 inputs "
                           "and VK_KHR_cooperative_matrix with that type (%s: none usable)",
                           VK_VARIANT_COOPMAT_KHR, ef_precision_name(op->precision));
        return vk_energy_coopmat_record(dev, op, &t, res, err);
    }
    /* the default: cooperative matrices where the tuner measured them fastest and they
     * take this op, else the tuned shape */
    if (op->precision != EF_PREC_FP32 && dev->coop_use[op->precision] &&
        vk_coop_tile_for(dev, op->precision, &t) && vk_coop_fits(dev, op, &t, why, sizeof why))
        return vk_energy_coopmat_record(dev, op, &t, res, err);
    return dev->tile.shape == VK_SHAPE_REG ? vk_energy_reg_record(dev, op, res, err)
                                           : vk_energy_record(dev, op, res, err);
}
