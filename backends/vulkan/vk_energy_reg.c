/* backends/vulkan/vk_energy_reg.c — the energy field in the CPU shape (energy_reg.comp,
 * a register tile per invocation; chosen by the tuner, vk_tune.c) and the operands it
 * reads: the keys decoded with rows padded to 4 floats, their pairwise tree 4 dimensions
 * at a time, the keys transposed into one panel per workgroup (centered for the full
 * field), the query rows decoded to fp32, and for a masked field the row shifts from the
 * visible-key means. Every pass reads through the vec4 texel view, which llvmpipe compiles
 * to vector loads (a storage-buffer load there is a loop over the SIMD lanes).
 * Shaders: shaders/vulkan. Called by vk_energy.c.
 */
#include "vk_internal.h"

#include <stdio.h>

#define VK_REG_TILES 8 /* column tiles per workgroup of energy_reg.comp, about */

/* Scratch layout, in floats (every offset a multiple of 4): the key-sum tree at 0
 * (2 npad - 1 rows of ds), the per-row shifts at `shifts`, the key panels at `panels`
 * (dk rows x ld keys), the query rows at `rows_q` (rows x dk). ds = d rounded up to 4,
 * dk = d rounded up to the k-chunk bk. */
typedef struct vk_reg_layout {
    int npad, levels;
    uint32_t ds, dk, cols, ld;
    uint64_t root, shifts, panels, rows_q, end;
} vk_reg_layout;

static uint64_t vk_up4(uint64_t x) { return (x + 3) / 4 * 4; }

static int vk_reg_layout_make(const vk_tile t, const ef_op *op, vk_reg_layout *l, ef_error *err)
{
    l->npad = vk_pow2_at_least(op->n);
    l->levels = 1;
    for (int s = l->npad; s > 1; s /= 2) l->levels++;
    l->ds = (uint32_t)vk_up4((uint64_t)op->d);
    l->dk = ((uint32_t)op->d + t.bk - 1) / t.bk * t.bk;
    l->cols = t.wgx * t.tn;
    l->ld = vk_groups((uint64_t)op->n, l->cols) * l->cols;
    l->root = (uint64_t)(2 * l->npad - 2) * l->ds;
    l->shifts = l->root + l->ds;
    l->panels = vk_up4(l->shifts + (uint64_t)op->rows);
    l->rows_q = l->panels + (uint64_t)l->dk * l->ld;
    l->end = l->rows_q + (uint64_t)op->rows * l->dk;
    if (l->end > INT32_MAX)
        return ef_fail(err, EF_UNSUPPORTED,
                       "vulkan: n = %d, d = %d needs %llu floats of scratch, "
                       "more than 32-bit offsets reach",
                       op->n, op->d, (unsigned long long)l->end);
    return EF_OK;
}

int vk_reg_keys_record(ef_device *dev, const ef_op *op, int npad, uint32_t ds, int root_only,
                       ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *own[VK_BINDINGS] = {dev->scratch, [6] = dev->scratch};
    int rc = EF_OK;
    size_t keys = (size_t)op->n * op->d * 4;
    if (op->precision == EF_PREC_FP32 && ds == (uint32_t)op->d) { /* a copy (memcpy) */
        rc = vk_cmd_copy(dev, op->k, 0, dev->scratch, 0, keys, err);
        if (rc == EF_OK && npad > op->n)
            vk_cmd_fill(dev, dev->scratch, keys, (size_t)(npad - op->n) * ds * 4, 0);
    } else if (ds == (uint32_t)op->d) { /* 4 elements a load through the typed view */
        ef_buffer *dec[VK_BINDINGS] = {dev->scratch};
        dec[vk_input_binding(op->precision)] = op->k;
        vk_push pc = {.n = op->n, .d = op->d, .count = npad};
        rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_DECODE4, &spec, dec, &pc,
                                    vk_groups((uint64_t)npad * ds / 4, VK_WG), err);
    } else {
        ef_buffer *dec[VK_BINDINGS] = {op->k, dev->scratch};
        vk_push pc = {.n = op->n, .d = op->d, .count = npad, .len = (int32_t)ds};
        rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_DECODE, &spec, dec, &pc,
                                    vk_groups((uint64_t)npad * ds, VK_WG), err);
    }
    /* up to 3 levels a dispatch (a dispatch costs a CPU driver a wake-up of its threads) */
    int32_t off = 0;
    for (int size = npad; size > 1 && rc == EF_OK;) {
        int h = size >= 8 ? 3 : size >= 4 ? 2 : 1;
        vk_push lv = {.n = op->n,
                      .d = op->d,
                      .off_src = off,
                      .off_dst = off + size * (int32_t)ds,
                      .count = size >> h,
                      .len = (int32_t)ds,
                      .aux0 = size / 2,
                      .shift = root_only};
        spec.v[VK_SPEC_LEVELS] = (uint32_t)h;
        rc = vk_cmd_dispatch_linear(dev, VK_SH_TREE_LEVEL4, &spec, own, &lv,
                                    vk_groups((uint64_t)(size >> h) * (ds / 4), VK_WG), err);
        for (int i = 0; i < h; i++, size /= 2) off += size * (int32_t)ds;
    }
    return rc;
}

/* The key panels (centered for the full field) and the query rows in fp32 (a copy for
 * fp32 rows of dk floats). */
static int vk_reg_operands_record(ef_device *dev, const ef_op *op, const vk_reg_layout *l,
                                  int masked, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *own[VK_BINDINGS] = {dev->scratch, [6] = dev->scratch};
    ef_buffer *with_q[VK_BINDINGS] = {op->q, dev->scratch};
    vk_push tr = {.n = op->n,
                  .d = op->d,
                  .off_src = 0,
                  .off_dst = (int32_t)l->panels,
                  .count = (int32_t)l->dk,
                  .len = (int32_t)l->ds,
                  .rows = (int32_t)l->ld,
                  .window = (int32_t)l->cols,
                  .shift = !masked,
                  .aux0 = (int32_t)l->root};
    vk_push qd = {.n = op->n,
                  .d = op->d,
                  .row0 = op->row0,
                  .rows = op->rows,
                  .off_dst = (int32_t)l->rows_q,
                  .count = (int32_t)l->dk};
    int rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_TRANSPOSE, &spec, own, &tr,
                                    vk_groups((uint64_t)l->ld * (l->dk / 4), VK_WG), err);
    if (rc != EF_OK) return rc;
    if (op->precision == EF_PREC_FP32 && l->dk == (uint32_t)op->d)
        return vk_cmd_copy(dev, op->q, (size_t)op->row0 * op->d * 4, dev->scratch, l->rows_q * 4,
                           (size_t)op->rows * op->d * 4, err);
    if (op->d % 4 == 0) { /* 4 elements a load through the typed view */
        ef_buffer *typed[VK_BINDINGS] = {dev->scratch};
        typed[vk_input_binding(op->precision)] = op->q;
        return vk_cmd_dispatch_linear(dev, VK_SH_ROWS_DECODE4, &spec, typed, &qd,
                                      vk_groups((uint64_t)op->rows * l->dk / 4, VK_WG), err);
    }
    return vk_cmd_dispatch_linear(dev, VK_SH_ROWS_DECODE, &spec, with_q, &qd,
                                  vk_groups((uint64_t)op->rows * l->dk, VK_WG), err);
}

/* Masked: c_r = a q_i . m_r, the means of the visible keys walked from the key tree. */
static int vk_reg_shift_record(ef_device *dev, const ef_op *op, const vk_reg_layout *l,
                               const vk_push *base, ef_error *err)
{
    /* a window of w keys takes at most ceil(log2 w) + 2 levels of the walk; a causal
     * mask's left side is empty (MASKED = 2: row_shift4 drops its loads) */
    int levels = l->levels;
    if (op->mask.kind == EF_MASK_WINDOW) {
        int need = 2;
        while ((1 << (need - 2)) < base->window) need++;
        levels = need < levels ? need : levels;
    }
    vk_spec spec = vk_spec_1d(op->precision);
    spec.v[VK_SPEC_LEVELS] = (uint32_t)levels;
    spec.v[VK_SPEC_MASKED] = op->mask.kind == EF_MASK_CAUSAL ? 2 : 1;
    ef_buffer *own[VK_BINDINGS] = {dev->scratch, [6] = dev->scratch};
    vk_push shift = *base;
    shift.count = l->npad;
    shift.len = (int32_t)l->ds;
    shift.off_dst = (int32_t)l->shifts;
    shift.aux0 = (int32_t)l->rows_q;
    shift.aux1 = (int32_t)l->dk;
    return vk_cmd_dispatch_linear(dev, VK_SH_ROW_SHIFT4, &spec, own, &shift,
                                  vk_groups((uint64_t)op->rows, VK_WG), err);
}

int vk_energy_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const vk_tile t = dev->tile;
    int masked = op->mask.kind != EF_MASK_FULL;
    vk_reg_layout l;
    int rc = vk_reg_layout_make(t, op, &l, err);
    if (rc == EF_OK) rc = vk_scratch_reserve(dev, l.end * 4, err);
    if (rc == EF_OK) rc = vk_cmd_begin(dev, err);
    if (rc != EF_OK) return rc;
    vk_push pc = {
        .n = op->n,
        .d = op->d,
        .row0 = op->row0,
        .rows = op->rows,
        .window = op->mask.kind == EF_MASK_WINDOW ? op->mask.window : op->n + 1,
        .shift = masked && op->fault == EF_FAULT_MASK_OFF_BY_ONE ? 1 : 0,
        .scale = (float)op->scale,
    };
    if ((rc = vk_reg_keys_record(dev, op, l.npad, l.ds, !masked, err)) != EF_OK) return rc;
    if ((rc = vk_reg_operands_record(dev, op, &l, masked, err)) != EF_OK) return rc;
    if (masked && (rc = vk_reg_shift_record(dev, op, &l, &pc, err)) != EF_OK) return rc;
    /* a window's zeros come from a fill (a memset on a CPU driver), and only the tiles
     * near the diagonal are launched; a causal field's workgroups store the zeros of the
     * tiles their rows do not see (MASKED = 2), on every thread, each entry written once */
    int causal = op->mask.kind == EF_MASK_CAUSAL;
    if (masked && !causal) vk_cmd_fill(dev, op->e, 0, (size_t)op->rows * op->n * 4, 0);
    vk_spec spec = {.v = {
                        [VK_SPEC_PREC] = op->precision,
                        [VK_SPEC_WGX] = t.wgx,
                        [VK_SPEC_WGY] = 1,
                        [VK_SPEC_TM] = t.tm,
                        [VK_SPEC_TN] = t.tn,
                        [VK_SPEC_BK] = t.bk,
                        [VK_SPEC_MASKED] = causal ? 2u : (uint32_t)masked,
                        [VK_SPEC_SG] = dev->subgroup_size,
                        [VK_SPEC_LEVELS] = 1,
                    }};
    ef_buffer *bufs[VK_BINDINGS] = {[2] = dev->scratch, [3] = op->e, [6] = dev->scratch};
    pc.off_src = (int32_t)l.panels;
    pc.off_dst = (int32_t)l.shifts;
    pc.count = (int32_t)l.dk;
    pc.aux0 = (int32_t)l.rows_q;
    /* a row block's workgroups walk its column tiles, about VK_REG_TILES each: the few
     * tiles of a window are one workgroup, and no workgroup is launched only to find its
     * tile masked out */
    uint32_t tiles = l.ld / l.cols;
    if (masked && op->mask.kind == EF_MASK_WINDOW)
        tiles = vk_groups((uint64_t)op->mask.window + t.tm + 1, l.cols) + 1;
    uint32_t gx = vk_groups(tiles, VK_REG_TILES);
    rc = vk_cmd_dispatch(dev, VK_SH_ENERGY_REG, &spec, bufs, &pc, gx, vk_groups(op->rows, t.tm), 1,
                         err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "reg-%ux%u-wg%u-k%u%s", t.tm, t.tn, t.wgx, t.bk,
             pc.shift ? "-fault" : "");
    return vk_cmd_submit(dev, &res->time_ms, err);
}
