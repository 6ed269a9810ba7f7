/* backends/opencl/ocl_workloads.c — launching and timing (profiling events), the dispatch
 * of an ef_op, and the workloads other than the energy field: rowsum, colenergy, gram
 * (split along n, fixed-order reduction), leverage and ranktail (the whole field's direct
 * form, or a row block's U^T E), each in a group (GPU-shaped) and an item (CPU-shaped)
 * form of which ocl_tune.c picks one per device, with the buffer layouts of
 * backends/backend.h. Called through the backend table's `run` (ocl_device.c) and by the
 * tuner (ocl_pass_launch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/trace.h"
#include "ocl_internal.h"

int ocl_trace_on(void)
{
    static int on = -1;
    if (on < 0) {
        const char *env = getenv("EF_OPENCL_TRACE");
        on = env && env[0] && strcmp(env, "0") != 0;
    }
    return on;
}

int ocl_kernel_run(ef_device *dev, cl_kernel k, const ocl_arg *args, int nargs, cl_uint dims,
                   const size_t *global, const size_t *local, ocl_timer *t, ef_error *err)
{
    char name[64] = "?";
    cl_int e = CL_SUCCESS;
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    for (int i = 0; i < nargs && e == CL_SUCCESS; i++) {
        e = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (e != CL_SUCCESS)
            return ef_fail(err, EF_ERROR, "setting argument %d of OpenCL kernel %s: %s (%d)", i,
                           name, ocl_error_name(e), (int)e);
    }
    cl_event ev = NULL;
    e = clEnqueueNDRangeKernel(dev->queue, k, dims, NULL, global, local, 0, NULL, &ev);
    if (e != CL_SUCCESS) {
        int code = ocl_error_code(e);
        return ef_fail(err, code,
                       "launching OpenCL kernel %s (global %zu x %zu, local %zu x "
                       "%zu): %s (%d)",
                       name, global[0], dims > 1 ? global[1] : 1, local ? local[0] : 0,
                       local && dims > 1 ? local[1] : 0, ocl_error_name(e), (int)e);
    }
    if (ocl_trace_on()) { /* EF_OPENCL_TRACE=1: each launch's device time, to the trace sink */
        cl_ulong s = 0, f = 0;
        clWaitForEvents(1, &ev);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof s, &s, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof f, &f, NULL);
        ef_trace("efbench opencl: %-24s global %zu x %zu: %.3f ms", name, global[0],
                 dims > 1 ? global[1] : 1, f > s ? (double)(f - s) * 1e-6 : 0.0);
    }
    if (!t->first) {
        t->first = ev;
    } else {
        if (t->last) clReleaseEvent(t->last);
        t->last = ev;
    }
    return EF_OK;
}

void ocl_timer_release(ocl_timer *t)
{
    if (t->first) clReleaseEvent(t->first);
    if (t->last) clReleaseEvent(t->last);
    t->first = t->last = NULL;
}

int ocl_timer_finish(ef_device *dev, ocl_timer *t, double *ms, ef_error *err)
{
    cl_event last = t->last ? t->last : t->first;
    cl_ulong start = 0, end = 0;
    cl_int e = clFinish(dev->queue);
    if (e != CL_SUCCESS) return ocl_fail(err, e, "waiting for the OpenCL queue (clFinish)");
    if (!last) {
        *ms = 0;
        return EF_OK;
    }
    cl_int status = CL_COMPLETE;
    clGetEventInfo(last, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
    if (status < 0) return ocl_fail(err, status, "an OpenCL kernel failed while running");
    e = clGetEventProfilingInfo(t->first, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    if (e == CL_SUCCESS)
        e = clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
    if (e != CL_SUCCESS) return ocl_fail(err, e, "reading OpenCL profiling timestamps");
    *ms = end > start ? (double)(end - start) * 1e-6 : 0.0;
    return EF_OK;
}

static int ocl_rowsum_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t, ef_error *err)
{
    int n = op->n, rows = op->rows;
    ocl_arg a[] = {OCLA(op->e->mem), OCLA(n), OCLA(rows), OCLA(op->out->mem)};
    if (form == OCL_PASS_ITEM) { /* one item per row */
        size_t local = 16, global = ocl_round_up(rows, 16);
        return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROWSUM_ROWS, 0), a, OCL_COUNT(a), 1,
                              &global, &local, t, err);
    }
    size_t local = (size_t)dev->red_wg, global = (size_t)rows * local;
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROWSUM, 0), a, OCL_COUNT(a), 1, &global,
                          &local, t, err);
}

static int ocl_colenergy_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t, ef_error *err)
{
    int n = op->n, rows = op->rows;
    ocl_arg a[] = {OCLA(op->e->mem), OCLA(n), OCLA(rows), OCLA(op->out->mem)};
    if (form == OCL_PASS_ITEM) { /* one item per 64 columns (PASS_COLS of passes.cl) */
        size_t local = 1, global = (size_t)(n + 63) / 64;
        return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_COLENERGY_STRIPS, 0), a, OCL_COUNT(a),
                              1, &global, &local, t, err);
    }
    size_t local = 64, global = ocl_round_up(n, 64);
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_COLENERGY, 0), a, OCL_COUNT(a), 1, &global,
                          &local, t, err);
}

/* Rows per chunk of a split-along-n product: at least 256, at most `max_chunks` chunks. */
static int ocl_chunk_rows(int n, int max_chunks)
{
    int rows = (n + max_chunks - 1) / max_chunks;
    if (rows < 256) rows = 256;
    return (int)ocl_round_up(rows, 16);
}

/* X^T X of x (n x d, precision p) into out at element offset `off`; the item form
 * centers x as it reads it when `tree` (the key tree of ocl_keys_prepare) is given. */
static int ocl_gram_one(ef_device *dev, int form, ef_precision p, cl_mem x, cl_mem tree, int n,
                        int d, cl_mem out, int off, ocl_timer *t, ef_error *err)
{
    int chunk = ocl_chunk_rows(n, 64), chunks = (n + chunk - 1) / chunk, rc;
    cl_mem part;
    if ((rc = ocl_scratch_get(dev, OCLS_PART, (size_t)chunks * d * d * sizeof(float), &part, err)))
        return rc;
    ocl_arg a[] = {OCLA(x), OCLA(n), OCLA(d), OCLA(chunk), OCLA(part)};
    if (form == OCL_PASS_ITEM) { /* GRAM_A x 32 tiles of gram.cl's gram_rows */
        int center = tree != NULL;
        cl_long root = ocl_tree_root(n, d);
        cl_mem means = center ? tree : x; /* without a tree, an argument the kernel skips */
        ocl_arg ai[] = {OCLA(x),     OCLA(n),    OCLA(d),      OCLA(chunk),
                        OCLA(means), OCLA(root), OCLA(center), OCLA(part)};
        size_t local[3] = {1, 1, 1};
        /* an item: GRAM_A = 8 rows a (gram.cl) x 32 columns b */
        size_t global[3] = {(size_t)(d + 7) / 8, (size_t)(d + 31) / 32, (size_t)chunks};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_GRAM_ROWS, p), ai, OCL_COUNT(ai), 3,
                            global, local, t, err);
    } else {
        int tiles = (d + 15) / 16;
        size_t local[2] = {16, 16};
        size_t global[2] = {(size_t)tiles * (tiles + 1) / 2 * 16, (size_t)chunks * 16};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_GRAM_PARTIAL, p), a, OCL_COUNT(a), 2,
                            global, local, t, err);
    }
    if (rc != EF_OK) return rc;
    size_t l1 = 64, g1 = ocl_round_up((size_t)d * d, 64);
    ocl_arg r[] = {OCLA(part), OCLA(chunks), OCLA(d), OCLA(off), OCLA(out)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_GRAM_REDUCE, 0), r, OCL_COUNT(r), 1, &g1,
                          &l1, t, err);
}

/* Q^T Q, then Kc^T Kc: the item form centers the keys as it reads them (one pass fewer);
 * the group form reads the centered keys of keys_center. */
static int ocl_gram_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    if ((rc = ocl_gram_one(dev, form, op->precision, op->q->mem, NULL, n, d, op->out->mem, 0, t,
                           err)))
        return rc;
    if (form == OCL_PASS_ITEM) {
        if ((rc = ocl_keys_prepare(dev, op, OCL_KEYS_TREE, t, err))) return rc;
        return ocl_gram_one(dev, form, op->precision, op->k->mem, dev->scratch[OCLS_TREE], n, d,
                            op->out->mem, d * d, t, err);
    }
    if ((rc = ocl_keys_prepare(dev, op, OCL_KEYS_KC, t, err))) return rc;
    return ocl_gram_one(dev, form, EF_PREC_FP32, dev->scratch[OCLS_KC], NULL, n, d, op->out->mem,
                        d * d, t, err);
}

/* ranktail on a row block (rows < n, the streamed form of backend.h's layout): out[0, d n)
 * = U_blk^T E_blk by the whole field's step 1 in one chunk, then out[d n + r] = ||E_r||^2. */
static int ocl_ranktail_block_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t,
                                  ef_error *err)
{
    int n = op->n, d = op->d, row0 = op->row0, rows = op->rows, off = d * n, rc;
    ocl_arg a1[] = {OCLA(op->aux->mem), OCLA(op->e->mem), OCLA(n),    OCLA(d),
                    OCLA(row0),         OCLA(rows),       OCLA(rows), OCLA(op->out->mem)};
    if (form == OCL_PASS_ITEM) { /* RANK_A = 8 components x 32 keys an item (passes.cl) */
        size_t l3[3] = {1, 1, 1}, g3[3] = {(size_t)(d + 7) / 8, (size_t)(n + 31) / 32, 1};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_RANK_W_ROWS, 0), a1, OCL_COUNT(a1), 3, g3,
                            l3, t, err);
    } else {
        size_t l3[3] = {16, 16, 1};
        size_t g3[3] = {ocl_round_up(n, 16), ocl_round_up(d, 16), 1};
        rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_RANK_W_PARTIAL, 0), a1, OCL_COUNT(a1), 3,
                            g3, l3, t, err);
    }
    if (rc != EF_OK) return rc;
    size_t local = 16, global = ocl_round_up(rows, 16);
    ocl_arg a2[] = {OCLA(op->e->mem), OCLA(n), OCLA(rows), OCLA(off), OCLA(op->out->mem)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROW_SQUARES, 0), a2, OCL_COUNT(a2), 1,
                          &global, &local, t, err);
}

/* ranktail on the whole field, the direct form: W = U^T E (d x n), then the sums of
 * (E - U W)^2 and E^2 per tile, added by sum_pairs. The group form splits W along n in
 * chunks (partials within 256 MiB, then rank_w_reduce) and tiles the residual 16 x 16
 * through local memory; the item form computes W in one chunk and the residual in
 * RANK_A x 32 register tiles (passes.cl). */
static int ocl_ranktail_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    if (op->rows < n) return ocl_ranktail_block_run(dev, op, form, t, err);
    int item = form == OCL_PASS_ITEM;
    int max_chunks = (int)((256u << 20) / ((size_t)d * n * sizeof(float)));
    if (max_chunks < 1) max_chunks = 1;
    if (max_chunks > 64) max_chunks = 64;
    int chunk = item ? n : ocl_chunk_rows(n, max_chunks), chunks = (n + chunk - 1) / chunk;
    int row0 = 0;
    cl_mem wpart, w, part;
    if ((rc = ocl_scratch_get(dev, OCLS_W, (size_t)d * n * sizeof(float), &w, err))) return rc;
    if (item) {
        size_t l3[3] = {1, 1, 1}, g3[3] = {(size_t)(d + 7) / 8, (size_t)(n + 31) / 32, 1};
        ocl_arg a1[] = {OCLA(op->aux->mem), OCLA(op->e->mem), OCLA(n),     OCLA(d),
                        OCLA(row0),         OCLA(n),          OCLA(chunk), OCLA(w)};
        if ((rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_RANK_W_ROWS, 0), a1, OCL_COUNT(a1),
                                 3, g3, l3, t, err)))
            return rc;
    } else {
        if ((rc = ocl_scratch_get(dev, OCLS_PART, (size_t)chunks * d * n * sizeof(float), &wpart,
                                  err)))
            return rc;
        size_t l3[3] = {16, 16, 1};
        size_t g3[3] = {ocl_round_up(n, 16), ocl_round_up(d, 16), (size_t)chunks};
        ocl_arg a1[] = {OCLA(op->aux->mem), OCLA(op->e->mem), OCLA(n),     OCLA(d),
                        OCLA(row0),         OCLA(n),          OCLA(chunk), OCLA(wpart)};
        if ((rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_RANK_W_PARTIAL, 0), a1,
                                 OCL_COUNT(a1), 3, g3, l3, t, err)))
            return rc;
        size_t l1 = 64, g1 = ocl_round_up((size_t)d * n, 64);
        ocl_arg a2[] = {OCLA(wpart), OCLA(chunks), OCLA(d), OCLA(n), OCLA(w)};
        if ((rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_RANK_W_REDUCE, 0), a2, OCL_COUNT(a2),
                                 1, &g1, &l1, t, err)))
            return rc;
    }
    /* the residual partials reuse the partial scratch (U^T E is reduced by now) */
    size_t l2[2] = {16, 16}, g2[2] = {ocl_round_up(n, 16), ocl_round_up(n, 16)};
    if (item) { /* RANK_A = 8 rows x 32 keys an item, 16 items along the keys a group */
        l2[1] = 1;
        g2[0] = ocl_round_up((size_t)(n + 31) / 32, 16);
        g2[1] = (size_t)(n + 7) / 8;
    }
    long blocks = item ? (long)(g2[0] * g2[1]) : (long)(g2[0] / 16) * (long)(g2[1] / 16);
    if ((rc = ocl_scratch_get(dev, OCLS_PART, (size_t)blocks * 2 * sizeof(float), &part, err)))
        return rc;
    ocl_arg a3[] = {OCLA(op->aux->mem), OCLA(w), OCLA(op->e->mem), OCLA(n), OCLA(d), OCLA(part)};
    if ((rc = ocl_kernel_run(dev,
                             ocl_kernel_get(dev, item ? OCLK_RANK_RESID_ROWS : OCLK_RANK_RESID, 0),
                             a3, OCL_COUNT(a3), 2, g2, l2, t, err)))
        return rc;
    size_t lr = (size_t)dev->red_wg;
    ocl_arg a4[] = {OCLA(part), OCLA(blocks), OCLA(op->out->mem)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_SUM_PAIRS, 0), a4, OCL_COUNT(a4), 1, &lr,
                          &lr, t, err);
}

static int ocl_leverage_run(ef_device *dev, const ef_op *op, int form, ocl_timer *t, ef_error *err)
{
    int n = op->n, d = op->d, rc;
    if ((rc = ocl_keys_prepare(dev, op, OCL_KEYS_KC, t, err))) return rc;
    if (form == OCL_PASS_ITEM) { /* T transposed and padded, then LEV_ROWS keys an item */
        int ldt = (int)ocl_round_up(d, 32);
        cl_mem tt;
        if ((rc = ocl_scratch_get(dev, OCLS_TT, (size_t)ldt * d * sizeof(float), &tt, err)))
            return rc;
        size_t lt[2] = {16, 1}, gt[2] = {(size_t)ldt, (size_t)d};
        ocl_arg at[] = {OCLA(op->aux->mem), OCLA(d), OCLA(ldt), OCLA(tt)};
        if ((rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TRANSPOSE_PAD, 0), at, OCL_COUNT(at),
                                 2, gt, lt, t, err)))
            return rc;
        size_t local = 1, global = (size_t)(n + 3) / 4;
        ocl_arg a[] = {OCLA(dev->scratch[OCLS_KC]), OCLA(tt), OCLA(ldt), OCLA(n), OCLA(d),
                       OCLA(op->out->mem)};
        return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_LEVERAGE_ROWS, 0), a, OCL_COUNT(a), 1,
                              &global, &local, t, err);
    }
    size_t local[2] = {16, 16}, global[2] = {ocl_round_up(n, 16), 16};
    ocl_arg a[] = {OCLA(dev->scratch[OCLS_KC]), OCLA(op->aux->mem), OCLA(n), OCLA(d),
                   OCLA(op->out->mem)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_LEVERAGE, 0), a, OCL_COUNT(a), 2, global,
                          local, t, err);
}

int ocl_pass_launch(ef_device *dev, const ef_op *op, int pass, int form, ocl_timer *t,
                    ef_error *err)
{
    switch (pass) {
        case OCL_PASS_ROWSUM: return ocl_rowsum_run(dev, op, form, t, err);
        case OCL_PASS_COLENERGY: return ocl_colenergy_run(dev, op, form, t, err);
        case OCL_PASS_GRAM: return ocl_gram_run(dev, op, form, t, err);
        case OCL_PASS_LEVERAGE: return ocl_leverage_run(dev, op, form, t, err);
        case OCL_PASS_RANKTAIL: return ocl_ranktail_run(dev, op, form, t, err);
        default: return ef_fail(err, EF_ERROR, "no pass %d", pass);
    }
}

/* Path of each pass per form (ranktail: on the whole field; a row block's is below). */
static const char *const pass_path[OCL_PASS_COUNT][2] = {
    [OCL_PASS_ROWSUM] = {"rowsum-group-tree", "rowsum-rows-v16"},
    [OCL_PASS_COLENERGY] = {"colenergy-blocked", "colenergy-strips64-v16"},
    [OCL_PASS_GRAM] = {"gram-split-n-group16", "gram-split-n-rows8x32"},
    [OCL_PASS_LEVERAGE] = {"leverage-group16", "leverage-rows4x32"},
    [OCL_PASS_RANKTAIL] = {"ranktail-split-n-group16", "ranktail-rows8x32"},
};
static const char *const ranktail_block_path[2] = {"ranktail-block-group16",
                                                   "ranktail-block-rows8x32"};

/* The generic launch of backend.h: wl_<name>, one work-item per element of out. */
static int ocl_generic_run(ef_device *dev, const ef_op *op, ocl_timer *t, ef_error *err)
{
    cl_kernel k;
    int rc = ocl_generic_kernel(dev, op->workload, op->precision, &k, err);
    if (rc != EF_OK) return rc;
    cl_mem none = NULL;
    cl_mem q = op->q ? op->q->mem : none, kk = op->k ? op->k->mem : none;
    cl_mem e = op->e ? op->e->mem : none, aux = op->aux ? op->aux->mem : none;
    cl_mem out = op->out ? op->out->mem : none;
    int n = op->n, d = op->d, row0 = op->row0, rows = op->rows, mask = (int)op->mask.kind;
    int window = op->mask.window, count = (int)op->out_count;
    float scale = (float)op->scale;
    ocl_arg a[] = {OCLA(q),    OCLA(kk),     OCLA(e),    OCLA(aux),  OCLA(out),
                   OCLA(n),    OCLA(d),      OCLA(row0), OCLA(rows), OCLA(scale),
                   OCLA(mask), OCLA(window), OCLA(count)};
    size_t local = 64, global = ocl_round_up(op->out_count ? op->out_count : 1, 64);
    return ocl_kernel_run(dev, k, a, OCL_COUNT(a), 1, &global, &local, t, err);
}

/* The generic launch when this backend has no launcher of its own for the workload, or
 * when EF_GENERIC_LAUNCH=1 and the workload has a generic kernel (tests run it so). */
static int ocl_generic_wanted(ef_device *dev, const ef_op *op, int has_launcher)
{
    if (!has_launcher) return 1;
    const char *env = getenv("EF_GENERIC_LAUNCH");
    if (!env || strcmp(env, "1") != 0) return 0;
    cl_kernel k;
    return ocl_generic_kernel(dev, op->workload, op->precision, &k, NULL) == EF_OK;
}

int ocl_workload_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    int rc;
    memset(res, 0, sizeof *res);
    if (op->fault != EF_FAULT_NONE && op->fault != EF_FAULT_MASK_OFF_BY_ONE)
        return ef_fail(err, EF_UNSUPPORTED, "opencl does not offer fault %d", (int)op->fault);
    if (op->variant && op->variant[0]) {
        if (op->workload == EF_WL_ENERGY && strcmp(op->variant, "clblast") == 0)
            return ocl_clblast_energy(dev, op, res, err);
        return ef_fail(err, EF_UNSUPPORTED, "opencl has no variant '%s' of %s", op->variant,
                       ef_workload_name(op->workload));
    }
    if ((rc = ocl_program_aux_build(dev, err)) != EF_OK) return rc;
    if (op->workload == EF_WL_ENERGY) return ocl_energy_run(dev, op, res, err);

    ocl_timer t = {0};
    int pass = op->workload == EF_WL_ROWSUM      ? OCL_PASS_ROWSUM
               : op->workload == EF_WL_COLENERGY ? OCL_PASS_COLENERGY
               : op->workload == EF_WL_GRAM      ? OCL_PASS_GRAM
               : op->workload == EF_WL_LEVERAGE  ? OCL_PASS_LEVERAGE
               : op->workload == EF_WL_RANKTAIL  ? OCL_PASS_RANKTAIL
                                                 : -1;
    /* ranktail's generic kernel is its row-block form only */
    int block_tail = pass == OCL_PASS_RANKTAIL && op->rows < op->n;
    int form = 0, generic = pass == OCL_PASS_RANKTAIL && !block_tail
                                ? 0
                                : ocl_generic_wanted(dev, op, pass >= 0);
    if (generic) {
        rc = ocl_generic_run(dev, op, &t, err);
    } else {
        form = ocl_pass_form(dev, pass);
        rc = ocl_pass_launch(dev, op, pass, form, &t, err);
    }
    if (rc == EF_OK) rc = ocl_timer_finish(dev, &t, &res->time_ms, err);
    if (rc == EF_OK)
        snprintf(res->path, sizeof res->path, "%s%s", generic ? "generic-wl_" : "",
                 generic      ? ef_workload_name(op->workload)
                 : block_tail ? ranktail_block_path[form]
                              : pass_path[pass][form]);
    ocl_timer_release(&t);
    return rc;
}
