/* harness/case_run.c — runs one case group (one head x mask x precision) on one open
 * device: uploads the inputs, then for each workload and variant verifies (run, read
 * back, judge against the reference) and only then times. The field is split into row
 * blocks when it does not fit one device buffer. Called by the runner.
 */
#include "case_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "harness/timing.h"
#include "harness/workload.h"

typedef struct pass_ctx {
    ef_group *g;
    const ef_workload_desc *desc;
    const char *variant;
    ef_fault fault;
    double *collect; /* the read-back (desc->collected doubles); NULL while timing */
    int field_ready; /* E of the whole field is in g->e: timing reruns only the op */
    char path[64];
    char note[128];
} pass_ctx;

static ef_op op_for(const ef_group *g, ef_workload wl, int row0, int rows)
{
    const ef_reference *r = g->ref;
    return (ef_op){.out_count = ef_workloads[wl].layout(r->n, r->d, rows).out,
                   .workload = wl,
                   .mask = r->mask,
                   .precision = r->precision,
                   .n = r->n,
                   .d = r->d,
                   .row0 = row0,
                   .rows = rows,
                   .scale = r->a,
                   .q = g->q,
                   .k = g->k,
                   .e = g->e,
                   .aux = g->aux,
                   .out = g->out};
}

/* One op through the layout check to the backend. */
static int group_op_run(ef_group *g, const ef_op *op, ef_run_result *res, ef_error *err)
{
    return workload_run(g->backend, g->dev, g->info->out_dtype, op, &g->bytes, res, err);
}

/* One pass of the workload over the whole field; returns its device time in *ms. */
static int pass_run(void *vctx, double *ms, ef_error *err)
{
    pass_ctx *p = vctx;
    ef_group *g = p->g;
    const ef_workload_desc *w = p->desc;
    int n = g->ref->n, rc;
    ef_run_result res = {0};
    *ms = 0;
    if (w->field == EF_FIELD_NONE) { /* works on q, k directly */
        ef_op op = op_for(g, w->id, 0, n);
        op.variant = p->variant;
        if ((rc = group_op_run(g, &op, &res, err))) return rc;
        *ms = res.time_ms;
        snprintf(p->path, sizeof p->path, "%s", res.path);
        snprintf(p->note, sizeof p->note, "%s", res.note);
        return p->collect ? w->collect(g, 0, n, p->collect, err) : EF_OK;
    }
    for (int row0 = 0; row0 < n; row0 += g->block_rows) {
        int rows = n - row0 < g->block_rows ? n - row0 : g->block_rows;
        int writes = w->field == EF_FIELD_WRITES;
        if (!p->field_ready) { /* the field block itself, timed when it is the workload */
            ef_op e = op_for(g, EF_WL_ENERGY, row0, rows);
            e.fault = p->fault;
            if (writes) e.variant = p->variant;
            if ((rc = group_op_run(g, &e, &res, err))) return rc;
            if (writes) *ms += res.time_ms;
        }
        if (!writes) {
            ef_op op = op_for(g, w->id, row0, rows);
            op.variant = p->variant;
            if ((rc = group_op_run(g, &op, &res, err))) return rc;
            *ms += res.time_ms;
        }
        snprintf(p->path, sizeof p->path, "%s", res.path);
        snprintf(p->note, sizeof p->note, "%s", res.note);
        if (p->collect && (rc = w->collect(g, row0, rows, p->collect, err))) return rc;
    }
    return EF_OK;
}

static void case_finish(ef_case *c, ef_case_status st, const char *reason)
{
    c->status = st;
    if (reason && *reason) snprintf(c->reasons, sizeof c->reasons, "%s", reason);
}

/* Upload what the op reads in aux from the float64 reference (U_Q, T), as the device's
 * element type. */
static int aux_upload(ef_group *g, const ef_workload_desc *w, ef_error *err)
{
    const ef_reference *r = g->ref;
    if (!w->reference_aux) return EF_OK;
    const double *src = w->reference_aux(r);
    size_t count = w->layout(r->n, r->d, r->n).aux, es = ef_dtype_size(g->info->out_dtype);
    if (g->info->out_dtype == EF_F64) memcpy(g->raw, src, count * sizeof(double));
    else
        for (size_t i = 0; i < count; i++) ((float *)g->raw)[i] = (float)src[i];
    return g->backend->buffer_upload(g->dev, g->aux, 0, g->raw, count * es, err);
}

/* Verify, then time, one workload variant. */
static void run_one(ef_group *g, const ef_workload_desc *w, const char *variant,
                    const ef_group_plan *plan, ef_case *c)
{
    const ef_reference *r = g->ref;
    ef_error err = {{0}};
    ef_verdict v;
    pass_ctx p = {.g = g, .desc = w, .variant = variant, .fault = plan->fault};
    int rc;

    verdict_init(&v, ef_unit_roundoff(g->info->out_dtype));
    double *got = calloc(w->collected(r), sizeof(double));
    if (!got) {
        case_finish(c, EF_CASE_ERROR, "host out of memory for the read-back");
        return;
    }
    p.collect = got;
    double ms;
    if ((rc = aux_upload(g, w, &err)) || (rc = pass_run(&p, &ms, &err))) {
        case_finish(c, rc == EF_UNSUPPORTED ? EF_CASE_UNSUPPORTED : EF_CASE_ERROR, err.msg);
        goto out;
    }
    w->verify(r, v.acc.unit_roundoff, got, &g->shared, &v);
    c->accuracy = v.acc;
    c->invariants = v.inv;
    snprintf(c->path, sizeof c->path, "%s", p.path);
    snprintf(c->note, sizeof c->note, "%s", p.note);

    p.collect = NULL;
    p.field_ready = w->field == EF_FIELD_READS && g->block_rows == r->n;
    if ((rc = timing_measure(&plan->timing, pass_run, &p, &c->time, &err))) {
        case_finish(c, EF_CASE_ERROR, err.msg);
        goto out;
    }
    double sec = c->time.median_ms * 1e-3;
    size_t in = ef_precision_size(r->precision), os = ef_dtype_size(g->info->out_dtype);
    c->gflops = sec > 0 ? w->flops(r->n, r->d, r->mask) / sec * 1e-9 : -1;
    c->gbps = sec > 0 ? w->bytes(r->n, r->d, r->mask, in, os) / sec * 1e-9 : -1;
    case_finish(c, v.failed ? EF_CASE_FAIL : EF_CASE_PASS, v.reasons);
out:
    free(got);
}

static void group_free(ef_group *g)
{
    ef_buffer *bufs[] = {g->q, g->k, g->e, g->aux, g->out};
    for (int i = 0; i < 5; i++)
        if (bufs[i]) g->backend->buffer_free(g->dev, bufs[i]);
    free(g->host);
    free(g->raw);
    free(g->shared.columns);
}

double case_run_memory_budget(const ef_device_info *info)
{
    if (strcmp(info->type, "cpu") && info->memory_bytes) return 0.5 * (double)info->memory_bytes;
    return 0.25 * (double)host_memory_bytes(); /* a host device: the reference shares it */
}

/* Rows of E per block, or 0 with the reason when not even one row fits: as many as the
 * device's largest buffer holds and the memory budget leaves after everything else the
 * group holds (`other` bytes). */
static int choose_block_rows(const ef_group *g, const ef_group_plan *plan, double other, char *why,
                             size_t len)
{
    int n = g->ref->n, max_rows = plan->max_block_rows;
    size_t row_bytes = (size_t)n * ef_dtype_size(g->info->out_dtype);
    uint64_t limit = g->info->max_buffer_bytes;
    double budget = plan->max_memory > 0 ? plan->max_memory : case_run_memory_budget(g->info);
    if (row_bytes > limit) {
        snprintf(why, len,
                 "one row of E (%zu bytes) exceeds the device's largest buffer (%llu bytes)",
                 row_bytes, (unsigned long long)limit);
        return 0;
    }
    if (budget - other < 64.0 * row_bytes && budget - other < (double)n * row_bytes) {
        snprintf(
            why, len,
            "the memory budget (%.3g GB%s) does not hold 64 rows of E (%.3g GB) beside the rest of the "
            "group (%.3g GB)",
            budget * 1e-9, plan->max_memory > 0 ? ", --max-memory" : "", 64.0 * row_bytes * 1e-9,
            other * 1e-9);
        return 0;
    }
    if (budget - other < (double)limit)
        limit = (uint64_t)((budget - other) / row_bytes) * row_bytes;
    uint64_t rows = limit / row_bytes;
    if (rows >= (uint64_t)n) rows = n;
    else if (rows >= 64) rows -= rows % 64; /* whole tiles per block */
    if (max_rows > 0 && rows > (uint64_t)max_rows) rows = max_rows;
    return (int)rows;
}

/* Allocate and fill the buffers; EF_UNSUPPORTED with the reason when they cannot fit. */
static int group_setup(ef_group *g, const ef_group_plan *plan, ef_error *err)
{
    const ef_reference *r = g->ref;
    int n = r->n, d = r->d, rc;
    size_t in = ef_precision_size(r->precision), os = ef_dtype_size(g->info->out_dtype);
    char why[300];
    if (!(g->info->precisions & (1u << r->precision)))
        return ef_fail(err, EF_UNSUPPORTED, "the device does not accept %s inputs",
                       ef_precision_name(r->precision));
    /* what the group holds beside the field: every buffer but e at its largest, the host
     * staging, and the reference when the device's memory is the host's */
    ef_layout rest = {0};
    for (int w = 0; w < EF_WL_COUNT; w++) {
        ef_layout l = ef_workloads[w].layout(n, d, 1);
        rest.q = l.q > rest.q ? l.q : rest.q, rest.k = l.k > rest.k ? l.k : rest.k;
        rest.aux = l.aux > rest.aux ? l.aux : rest.aux,
        rest.out = l.out > rest.out ? l.out : rest.out;
    }
    double other =
        (double)(rest.q + rest.k) * in + (double)(rest.aux + rest.out) * os + 4.0 * n * d * 8;
    if (!strcmp(g->info->type, "cpu")) other += reference_bytes(n, d, r->check_count);
    if (g->backend->scratch_bytes) other += g->backend->scratch_bytes(g->dev, n, d);
    if (!(g->block_rows = choose_block_rows(g, plan, other, why, sizeof why)))
        return ef_fail(err, EF_UNSUPPORTED, "%s", why);
    /* each buffer as large as the largest op of the table needs it */
    ef_layout size = {0};
    for (int w = 0; w < EF_WL_COUNT; w++) {
        ef_layout l = ef_workloads[w].layout(n, d, g->block_rows);
        size.q = l.q > size.q ? l.q : size.q, size.k = l.k > size.k ? l.k : size.k;
        size.e = l.e > size.e ? l.e : size.e, size.aux = l.aux > size.aux ? l.aux : size.aux;
        size.out = l.out > size.out ? l.out : size.out;
    }
    g->bytes = (ef_buffer_bytes){.q = size.q * in,
                                 .k = size.k * in,
                                 .e = size.e * os,
                                 .aux = size.aux * os,
                                 .out = size.out * os};
    double need = (double)g->bytes.q + g->bytes.k + g->bytes.e + g->bytes.aux + g->bytes.out;
    if (g->info->memory_bytes && need > 0.9 * (double)g->info->memory_bytes)
        return ef_fail(err, EF_UNSUPPORTED,
                       "needs %.3g GB of device memory, the device has %.3g GB", need * 1e-9,
                       g->info->memory_bytes * 1e-9);
    /* staging: the largest download (a row of E, out) or upload (aux, the inputs) */
    size_t stage = size.aux > size.out ? size.aux : size.out;
    if (stage < (size_t)n * d) stage = (size_t)n * d;
    if (stage < (size_t)n) stage = n;
    g->host = malloc(stage * sizeof(double));
    g->raw = malloc(stage * sizeof(double));
    g->shared.columns = malloc(sizeof(double) * n);
    if (!g->host || !g->raw || !g->shared.columns)
        return ef_fail(err, EF_NOMEM, "host staging for n = %d: out of memory", n);
    const ef_backend *be = g->backend;
    if ((rc = be->buffer_alloc(g->dev, g->bytes.q, &g->q, err)) ||
        (rc = be->buffer_alloc(g->dev, g->bytes.k, &g->k, err)) ||
        (rc = be->buffer_alloc(g->dev, g->bytes.e, &g->e, err)) ||
        (rc = be->buffer_alloc(g->dev, g->bytes.aux, &g->aux, err)) ||
        (rc = be->buffer_alloc(g->dev, g->bytes.out, &g->out, err)))
        return rc == EF_NOMEM ? EF_UNSUPPORTED : rc;
    /* the inputs, rounded to the case's precision and encoded as the device reads them */
    reference_encode(r->precision, r->q_in, (size_t)n * d, g->raw);
    if ((rc = be->buffer_upload(g->dev, g->q, 0, g->raw, (size_t)n * d * in, err))) return rc;
    reference_encode(r->precision, r->k_in, (size_t)n * d, g->raw);
    return be->buffer_upload(g->dev, g->k, 0, g->raw, (size_t)n * d * in, err);
}

int case_group_run(const ef_backend *be, ef_device *dev, const ef_device_info *info,
                   const ef_reference *ref, const ef_group_plan *plan, const ef_case *tmpl,
                   case_emit_fn emit, void *emit_ctx)
{
    ef_group g = {.backend = be, .dev = dev, .info = info, .ref = ref};
    ef_error err = {{0}};
    int setup = group_setup(&g, plan, &err), rc = EF_OK;
    for (int i = 0; i < plan->workload_count && rc == EF_OK; i++) {
        const ef_workload_desc *w = &ef_workloads[plan->workloads[i]];
        if (!workload_applies(w->id, ref->mask)) continue; /* e.g. defined on the full field only */
        for (int vi = -1; rc == EF_OK; vi++) {
            ef_op probe = op_for(&g, w->id, 0, ref->n);
            const char *variant = vi < 0             ? NULL
                                  : be->variant_name ? be->variant_name(dev, &probe, vi)
                                                     : NULL;
            if (vi >= 0 && !variant) break;
            ef_case c = *tmpl;
            c.workload = w->id;
            snprintf(c.variant, sizeof c.variant, "%s", variant ? variant : "");
            if (setup != EF_OK)
                case_finish(&c, setup == EF_UNSUPPORTED ? EF_CASE_UNSUPPORTED : EF_CASE_ERROR,
                            err.msg);
            else if (w->whole_field && g.block_rows < ref->n)
                case_finish(&c, EF_CASE_UNSUPPORTED,
                            "needs the whole n x n field in one device buffer");
            else run_one(&g, w, variant, plan, &c);
            rc = emit(emit_ctx, &c);
        }
    }
    group_free(&g);
    return rc;
}
