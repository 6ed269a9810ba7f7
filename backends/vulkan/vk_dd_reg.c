/* backends/vulkan/vk_dd_reg.c — the d x d workloads in the CPU form (register tiles, loads
 * through the vec4 texel view; dev->passes == VK_PASSES_REG): GRAM as X^T X for both
 * matrices in one dispatch on the upper block triangle (gram_reg.comp, keys centered on
 * the fly, each upper entry stored with its mirror), LEVERAGE as the row norms of Kc T^T
 * (leverage_reg.comp, a subgroup per 8 keys walking the tiles of T's rows). Both read the
 * keys through vk_reg_keys_record's level 0 and root. Shaders: shaders/vulkan. Called by
 * vk_workloads.c, which runs the GPU form where these return EF_UNSUPPORTED.
 */
#include "vk_internal.h"

#include <stdio.h>

#define VK_DD_TM 8u /* rows per workgroup (multiple of 4, at most 8) */
#define VK_DD_TN 4u /* columns per invocation */

static uint32_t vk_up(uint32_t x, uint32_t m) { return (x + m - 1) / m * m; }

int vk_gram_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const uint32_t sg = dev->subgroup_size, d = (uint32_t)op->d, ds = vk_up(d, 4);
    if (sg > 64 || VK_DD_TM > sg)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: gram's CPU form needs subgroups of 8 .. 64");
    int npad = vk_pow2_at_least(op->n);
    /* scratch: key tree at 0, then Q in fp32 (n rounded up to sg rows) */
    uint64_t qx = (uint64_t)(2 * npad - 1) * ds, nq = vk_up((uint32_t)op->n, sg);
    uint64_t end = qx + nq * ds;
    if (end > INT32_MAX)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: gram n = %d, d = %d exceeds 32-bit offsets",
                       op->n, op->d);
    int rc = vk_scratch_reserve(dev, end * 4, err);
    if (rc == EF_OK) rc = vk_cmd_begin(dev, err);
    if (rc == EF_OK) rc = vk_reg_keys_record(dev, op, npad, ds, 1, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    vk_push qd = {.n = op->n,
                  .d = op->d,
                  .row0 = 0,
                  .rows = (int32_t)nq,
                  .off_dst = (int32_t)qx,
                  .count = (int32_t)ds};
    ef_buffer *with_q[VK_BINDINGS] = {op->q, dev->scratch};
    if (op->precision == EF_PREC_FP32 && ds == d) { /* a copy (memcpy) and zero rows */
        size_t qb = (size_t)op->n * d * 4;
        rc = vk_cmd_copy(dev, op->q, 0, dev->scratch, qx * 4, qb, err);
        if (rc == EF_OK && nq > (uint64_t)op->n)
            vk_cmd_fill(dev, dev->scratch, qx * 4 + qb, (size_t)(nq - op->n) * ds * 4, 0);
    } else if (ds == d) { /* 4 elements a load through the typed view */
        ef_buffer *typed[VK_BINDINGS] = {dev->scratch};
        typed[vk_input_binding(op->precision)] = op->q;
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROWS_DECODE4, &spec, typed, &qd,
                                    vk_groups(nq * ds / 4, VK_WG), err);
    } else {
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROWS_DECODE, &spec, with_q, &qd,
                                    vk_groups(nq * ds, VK_WG), err);
    }
    vk_spec tile = spec;
    tile.v[VK_SPEC_WGX] = sg;
    tile.v[VK_SPEC_TM] = VK_DD_TM;
    tile.v[VK_SPEC_TN] = VK_DD_TN;
    tile.v[VK_SPEC_SG] = sg;
    uint32_t gx = vk_groups(d, sg * VK_DD_TN), gy = vk_groups(d, VK_DD_TM);
    vk_push pc = {.n = op->n,
                  .d = op->d,
                  .len = (int32_t)ds,
                  .off_src = (int32_t)qx,
                  .aux0 = (int32_t)((uint64_t)(2 * npad - 2) * ds)};
    ef_buffer *bufs[VK_BINDINGS] = {[1] = op->out, [6] = dev->scratch, [7] = dev->scratch};
    if (rc == EF_OK) /* z = 0: Q, z = 1: the keys centered */
        rc = vk_cmd_dispatch(dev, VK_SH_GRAM_REG, &tile, bufs, &pc, gx, gy, 2, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "gram-reg%ux%u-upper", VK_DD_TM, sg * VK_DD_TN);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

int vk_leverage_reg_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const uint32_t sg = dev->subgroup_size, d = (uint32_t)op->d;
    if (d % 4 != 0 || VK_DD_TM > sg) /* T's rows are read as vec4 through its own view */
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: leverage's CPU form needs d %% 4 == 0");
    const uint32_t bk = d % 16 == 0 ? 16 : d % 8 == 0 ? 8 : 4, cols = sg * VK_DD_TN;
    const uint32_t ld = vk_up(d, cols), groups = ld / cols; /* tiles of rows a of T */
    int npad = vk_pow2_at_least(op->n);
    /* scratch: key tree at 0 (rows of d), T^T panels (d x ld) */
    uint64_t panels = (uint64_t)(2 * npad - 1) * d, end = panels + (uint64_t)d * ld;
    if (end > INT32_MAX)
        return ef_fail(err, EF_UNSUPPORTED,
                       "vulkan: leverage n = %d, d = %d exceeds 32-bit "
                       "offsets",
                       op->n, op->d);
    int rc = vk_scratch_reserve(dev, end * 4, err);
    if (rc == EF_OK) rc = vk_cmd_begin(dev, err);
    if (rc == EF_OK) rc = vk_reg_keys_record(dev, op, npad, d, 1, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    /* T (d x d, rows a) as "keys" into panels of `cols` rows a: T^T, d rows of c each */
    ef_buffer *tr_bufs[VK_BINDINGS] = {dev->scratch, [6] = op->aux};
    vk_push tr = {.n = op->d,
                  .d = op->d,
                  .off_src = 0,
                  .off_dst = (int32_t)panels,
                  .count = (int32_t)d,
                  .len = (int32_t)d,
                  .rows = (int32_t)ld,
                  .window = (int32_t)cols,
                  .shift = 0};
    rc = vk_cmd_dispatch_linear(dev, VK_SH_KEYS_TRANSPOSE, &spec, tr_bufs, &tr,
                                vk_groups((uint64_t)ld * (d / 4), VK_WG), err);
    vk_spec tile = spec;
    tile.v[VK_SPEC_WGX] = sg;
    tile.v[VK_SPEC_TM] = VK_DD_TM;
    tile.v[VK_SPEC_TN] = VK_DD_TN;
    tile.v[VK_SPEC_BK] = bk;
    tile.v[VK_SPEC_SG] = sg;
    vk_push pc = {.n = op->n,
                  .d = op->d,
                  .off_src = (int32_t)panels,
                  .window = (int32_t)groups,
                  .count = (int32_t)d,
                  .len = (int32_t)d,
                  .aux0 = (int32_t)((uint64_t)(2 * npad - 2) * d)};
    ef_buffer *bufs[VK_BINDINGS] = {[1] = op->out, [6] = dev->scratch};
    if (rc == EF_OK)
        rc = vk_cmd_dispatch(dev, VK_SH_LEVERAGE_REG, &tile, bufs, &pc, 1,
                             vk_groups((uint64_t)op->n, VK_DD_TM), 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "leverage-reg%ux%u", VK_DD_TM, cols);
    return vk_cmd_submit(dev, &res->time_ms, err);
}
