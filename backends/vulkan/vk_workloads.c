/* backends/vulkan/vk_workloads.c — `run`: records the dispatches of one ef_op (checked
 * against the layouts of backend.h by the harness) into one command buffer: the energy field
 * (vk_energy.c), or the key passes and the workload's shader and its fixed-order
 * reductions. Shaders: shaders/vulkan.
 * Called through the ef_backend table; the harness times it by the GPU timestamps.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_COLENERGY_CHUNK 64 /* rows per partial column sum */
#define VK_COL_WG 64u         /* colenergy4: 256 columns per workgroup */
#define VK_COL_CHUNK4 32      /* colenergy4: rows per partial */
#define VK_GRAM_CHUNKS 64     /* at most this many partial Gram matrices */

/* What this backend offers beyond the contract the harness checked (workload_op_check):
 * its one variant and its one fault. */
static int vk_op_check(const ef_op *op, ef_error *err)
{
    if (op->variant && op->variant[0] &&
        (op->workload != EF_WL_ENERGY || strcmp(op->variant, VK_VARIANT_COOPMAT_KHR) != 0))
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: no variant '%s' of %s", op->variant,
                       ef_workload_name(op->workload));
    if (op->fault != EF_FAULT_NONE && op->fault != EF_FAULT_MASK_OFF_BY_ONE)
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: fault %d is not offered", (int)op->fault);
    return EF_OK;
}

/* The shader of each workload's generic launch (wl_<name>.comp), 0 where there is none. */
#define VK_WL_SHADER(wl, sh) [EF_WL_##wl] = (sh) + 1,
static const int vk_wl_shader[EF_WL_COUNT] = {VK_WORKLOAD_SHADERS(VK_WL_SHADER)};
#undef VK_WL_SHADER

/* The generic launch of backend.h: wl_<name>.comp, one invocation per element of out. */
static int vk_generic_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    if (!vk_wl_shader[op->workload])
        return ef_fail(err, EF_ERROR,
                       "vulkan has no launcher for %s and no generic shader "
                       "shaders/vulkan/wl_%s.comp (added after the last meson setup? run meson "
                       "setup --reconfigure)",
                       ef_workload_name(op->workload), ef_workload_name(op->workload));
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {op->q, op->k, op->e, op->aux, op->out};
    vk_push pc = {.n = op->n,
                  .d = op->d,
                  .row0 = op->row0,
                  .rows = op->rows,
                  .window = op->mask.kind == EF_MASK_WINDOW ? op->mask.window : op->n + 1,
                  .count = (int32_t)op->out_count,
                  .aux0 = (int32_t)op->mask.kind,
                  .scale = (float)op->scale};
    int rc = vk_cmd_begin(dev, err);
    if (rc == EF_OK)
        rc =
            vk_cmd_dispatch_linear(dev, (vk_shader_id)(vk_wl_shader[op->workload] - 1), &spec, bufs,
                                   &pc, vk_groups(op->out_count ? op->out_count : 1, VK_WG), err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "generic-wl_%s", ef_workload_name(op->workload));
    return vk_cmd_submit(dev, &res->time_ms, err);
}

/* ranktail's launcher takes the whole field; a row block of it (rows < n) is its generic
 * shader wl_ranktail.comp, which is the blocked form only. */
static int vk_whole_tail(const ef_op *op)
{
    return op->workload == EF_WL_RANKTAIL && op->rows == op->n;
}

/* The generic launch when EF_GENERIC_LAUNCH=1 and the workload has a generic shader (the
 * tests run it so); workloads without a launcher of their own take it in vk_run. */
static int vk_generic_forced(const ef_op *op)
{
    const char *env = getenv("EF_GENERIC_LAUNCH");
    return env && strcmp(env, "1") == 0 && vk_wl_shader[op->workload] && !vk_whole_tail(op);
}

/* The CPU forms of the passes over E read it through its vec4 texel view: whole rows of
 * vec4 (n % 4 == 0), all inside the view's range. */
static int vk_passes_reg(const ef_device *dev, const ef_op *op)
{
    uint64_t view = (uint64_t)dev->props.limits.maxTexelBufferElements * 16;
    return dev->passes == VK_PASSES_REG && op->n % 4 == 0 && (uint64_t)op->rows * op->n * 4 <= view;
}

static int vk_rowsum_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    vk_spec spec = vk_spec_1d(op->precision);
    vk_push pc = {.n = op->n, .d = op->d, .rows = op->rows};
    int rc = vk_cmd_begin(dev, err);
    if (rc != EF_OK) return rc;
    if (vk_passes_reg(dev, op)) { /* an invocation per row, vec4 loads */
        ef_buffer *bufs[VK_BINDINGS] = {[1] = op->out, [6] = op->e};
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROWSUM4, &spec, bufs, &pc,
                                    vk_groups((uint64_t)op->rows, VK_WG), err);
        snprintf(res->path, sizeof res->path, "rowsum-rows4");
    } else { /* a workgroup per row, strided sums and a tree */
        ef_buffer *bufs[VK_BINDINGS] = {op->e, op->out};
        rc = vk_cmd_dispatch_linear(dev, VK_SH_ROWSUM, &spec, bufs, &pc, (uint64_t)op->rows, err);
        snprintf(res->path, sizeof res->path, "rowsum-wg%u", VK_WG);
    }
    return rc == EF_OK ? vk_cmd_submit(dev, &res->time_ms, err) : rc;
}

static int vk_colenergy_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    int reg = vk_passes_reg(dev, op);
    int chunk = reg ? VK_COL_CHUNK4 : VK_COLENERGY_CHUNK;
    uint32_t chunks = vk_groups(op->rows, (uint32_t)chunk);
    int rc = vk_scratch_reserve(dev, (size_t)chunks * op->n * 4, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *part[VK_BINDINGS] = {op->e, dev->scratch, [6] = op->e};
    ef_buffer *sum[VK_BINDINGS] = {dev->scratch, op->out};
    vk_push pc = {.n = op->n, .d = op->d, .rows = op->rows, .len = chunk};
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    if (reg) { /* an invocation per 4 columns and chunk, vec4 loads */
        vk_spec wide = spec;
        wide.v[VK_SPEC_WGX] = VK_COL_WG;
        rc = vk_cmd_dispatch(dev, VK_SH_COLENERGY4, &wide, part, &pc,
                             vk_groups((uint64_t)op->n / 4, VK_COL_WG), chunks, 1, err);
    } else { /* an invocation per column and chunk */
        rc = vk_cmd_dispatch(dev, VK_SH_COLENERGY, &spec, part, &pc, vk_groups(op->n, VK_WG),
                             chunks, 1, err);
    }
    if (rc != EF_OK) return rc;
    vk_push red = {.n = op->n, .d = op->d, .len = op->n, .count = (int32_t)chunks};
    rc = vk_cmd_dispatch(dev, VK_SH_REDUCE, &spec, sum, &red, vk_groups(op->n, VK_WG), 1, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "colenergy-%schunk%d", reg ? "cols4-" : "", chunk);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_gram_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    if (dev->passes == VK_PASSES_REG) {
        int rc = vk_gram_reg_record(dev, op, res, err);
        if (rc != EF_UNSUPPORTED) return rc; /* else the GPU form below */
    }
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
    vk_push pc = {
        .n = op->n, .d = op->d, .len = chunk, .count = (int32_t)chunks, .off_dst = (int32_t)tree};
    rc = vk_cmd_dispatch(dev, VK_SH_GRAM, &spec, part, &pc, vk_groups(dd, VK_WG), chunks, 2, err);
    if (rc != EF_OK) return rc;
    vk_push red = {.n = op->n,
                   .d = op->d,
                   .len = (int32_t)dd,
                   .count = (int32_t)chunks,
                   .off_src = (int32_t)tree,
                   .aux0 = op->d};
    rc = vk_cmd_dispatch(dev, VK_SH_REDUCE, &spec, sum, &red, vk_groups(dd, VK_WG), 2, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "gram-split%u", chunks);
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_ranktail_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    uint64_t w = (uint64_t)op->d * op->n;
    int rc = vk_scratch_reserve(dev, (w + 2 * (uint64_t)op->n) * 4, err);
    if (rc != EF_OK) return rc;
    vk_spec spec = vk_spec_1d(op->precision);
    ef_buffer *bufs[VK_BINDINGS] = {op->e, op->aux, dev->scratch};
    ef_buffer *sum[VK_BINDINGS] = {dev->scratch, op->out};
    vk_push pc = {.n = op->n,
                  .d = op->d,
                  .rows = op->rows,
                  .off_src = 0,
                  .off_dst = (int32_t)w,
                  .count = op->n};
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    vk_push proj = pc;
    proj.off_dst = 0;
    rc = vk_cmd_dispatch(dev, VK_SH_RANKTAIL_PROJ, &spec, bufs, &proj, vk_groups(op->n, VK_WG),
                         (uint32_t)op->d, 1, err);
    if (rc == EF_OK)
        rc = vk_cmd_dispatch_linear(dev, VK_SH_RANKTAIL_RESID, &spec, bufs, &pc, (uint64_t)op->n,
                                    err);
    vk_push red = {.n = op->n, .d = op->d, .off_src = (int32_t)w, .count = op->n};
    if (rc == EF_OK) rc = vk_cmd_dispatch(dev, VK_SH_REDUCE_PAIRS, &spec, sum, &red, 1, 1, 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "ranktail-explicit");
    return vk_cmd_submit(dev, &res->time_ms, err);
}

static int vk_leverage_record(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    if (dev->passes == VK_PASSES_REG) {
        int rc = vk_leverage_reg_record(dev, op, res, err);
        if (rc != EF_UNSUPPORTED) return rc; /* else the GPU form below */
    }
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
    if (rc == EF_OK) rc = vk_tile_ready(dev, err); /* the shapes of every workload */
    if (rc != EF_OK) return rc;
    switch (vk_generic_forced(op) ? EF_WL_COUNT : op->workload) {
        case EF_WL_ENERGY: rc = vk_energy_run(dev, op, res, err); break;
        case EF_WL_ROWSUM: rc = vk_rowsum_record(dev, op, res, err); break;
        case EF_WL_COLENERGY: rc = vk_colenergy_record(dev, op, res, err); break;
        case EF_WL_GRAM: rc = vk_gram_record(dev, op, res, err); break;
        case EF_WL_RANKTAIL:
            rc = vk_whole_tail(op) ? vk_ranktail_record(dev, op, res, err)
                                   : vk_generic_record(dev, op, res, err);
            break;
        case EF_WL_LEVERAGE: rc = vk_leverage_record(dev, op, res, err); break;
        default: rc = vk_generic_record(dev, op, res, err); break; /* no launcher of its own */
    }
    /* drop a half-recorded buffer; a lost or hung device may still own a submitted one */
    if (rc != EF_OK && !dev->lost) vkResetCommandBuffer(dev->cmd, 0);
    return rc;
}
