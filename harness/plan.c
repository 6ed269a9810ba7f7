/* harness/plan.c — the plan of a suite (plan.h): its units in the runner's order, their
 * cost from the workload table, and the split into shards. The estimates use fixed
 * nominal rates, not measured ones, so that the split is the same on every node of a
 * cluster; they are meant to be right within a small factor, which is all a balance and
 * a "this will take an hour" warning need.
 */
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/reference.h"
#include "harness/source.h"
#include "harness/workload.h"

/* Nominal rates of one device and of the float64 reference (a 2-core CPU with OpenBLAS,
 * the slowest machine the project runs on): estimates err towards too long. */
#define PLAN_FLOPS 20e9
#define PLAN_BYTES 5e9
#define PLAN_REF_FLOPS 5e9
/* what one op costs beyond its flops and bytes (launch, sync, read-back): it is what
 * small cases spend, and it decides how many repetitions reach the target time */
#define PLAN_OP_S 4e-4

static double case_seconds(const ef_suite *s, double flops, double bytes)
{
    double t = PLAN_OP_S + flops / PLAN_FLOPS + bytes / PLAN_BYTES;
    double timed = s->target_time_s;
    if (timed < s->min_reps * t) timed = s->min_reps * t;
    if (timed > s->max_reps * t) timed = s->max_reps * t;
    double warm = s->warmup_s > t ? s->warmup_s : t;
    return warm + timed + 2 * t; /* + the verified pass and its read-back */
}

/* One group (a head under one mask and precision): cost per device and reference. */
static void group_cost(const ef_suite *s, const ef_case_set *set, ef_plan_unit *u, ef_mask m,
                       ef_precision p, int out_bytes, double max_memory)
{
    if (m.kind == EF_MASK_MODEL)
        m = (ef_mask){EF_MASK_CAUSAL, 0}; /* the layer's own: causal or narrower */
    int n = u->n, d = u->d;
    size_t in = ef_precision_size(p);
    for (int w = 0; w < set->workload_count; w++) {
        const ef_workload_desc *wd = &ef_workloads[set->workloads[w]];
        if (!workload_applies(wd->id, m)) continue;
        double f = wd->flops(n, d, m), b = wd->bytes(n, d, m, in, (size_t)out_bytes);
        u->cases += u->device_heads;
        u->flops += u->device_heads * f;
        u->bytes += u->device_heads * b;
        u->device_s += u->device_heads * case_seconds(s, f, b);
    }
    /* the reference: the checked rows of E and their bound, the Grams, QR and SVD of d x d */
    double checked = n <= s->full_check_max_n ? n : s->check_rows;
    u->ref_s +=
        u->heads * (4.0 * checked * n * d + 8.0 * n * d * d + 30.0 * d * d * d) / PLAN_REF_FLOPS;
    /* the host holds the reference (runner.c's estimate) and, for a host device, its buffers */
    ef_layout size = {0};
    for (int w = 0; w < EF_WL_COUNT; w++) {
        ef_layout l = ef_workloads[w].layout(n, d, n);
        size.e = l.e > size.e ? l.e : size.e, size.aux = l.aux > size.aux ? l.aux : size.aux;
        size.out = l.out > size.out ? l.out : size.out;
    }
    double ref = reference_bytes(n, (int)d, (int)checked);
    double rest = 2.0 * n * d * in + (double)(size.aux + size.out) * out_bytes + 4.0 * n * d * 8;
    double field = (double)size.e * out_bytes, row = (double)n * out_bytes;
    if (max_memory > 0 &&
        field > max_memory - ref - rest) /* row blocks: what the budget leaves, 64 rows at least */
        field = max_memory - ref - rest > 64 * row ? max_memory - ref - rest : 64 * row;
    double dev = rest + field;
    if (ref + dev > u->memory) u->memory = ref + dev;
}

typedef struct builder {
    const ef_plan_config *cfg;
    ef_plan *plan;
    int cap;
    ef_error *err;
} builder;

static ef_plan_unit *unit_add(builder *b)
{
    ef_plan *p = b->plan;
    if (p->count == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        ef_plan_unit *grown = realloc(p->units, sizeof *grown * cap);
        if (!grown) return NULL;
        p->units = grown, b->cap = cap;
    }
    ef_plan_unit *u = &p->units[p->count++];
    memset(u, 0, sizeof *u);
    return u;
}

/* The units of one source spec at one dim: opened once, for its shape. */
static int spec_units(builder *b, int si, const char *spec, int di, const ef_source_args *args)
{
    const ef_suite *s = b->cfg->suite;
    const ef_case_set *set = &s->sets[si];
    ef_source src;
    int rc = source_open(spec, args, &src, b->err), heads, d;
    if (rc) return rc;
    source_shape(&src, &heads, &d);
    source_close(&src);
    if (d <= 0) d = args->d;
    int on = set->device_heads >= 0 && set->device_heads < heads ? set->device_heads : heads;
    int whole = !source_uses_dims(spec); /* a model: one forward pass per text and length */
    int ob = b->cfg->out_bytes > 0 ? b->cfg->out_bytes : 4;
    for (int l = 0; l < set->length_count; l++)
        for (int m = 0; m < (whole ? 1 : set->mask_count); m++)
            for (int p = 0; p < (whole ? 1 : set->precision_count); p++) {
                ef_plan_unit *u = unit_add(b);
                if (!u) return ef_fail(b->err, EF_NOMEM, "out of memory for the plan");
                u->set = si, u->dim = di, u->n = set->lengths[l], u->d = d;
                u->mask = whole ? -1 : m, u->precision = whole ? -1 : p;
                u->heads = heads, u->device_heads = on;
                snprintf(u->spec, sizeof u->spec, "%s", spec);
                for (int mi = whole ? 0 : m; mi < (whole ? set->mask_count : m + 1); mi++)
                    for (int pi = whole ? 0 : p; pi < (whole ? set->precision_count : p + 1); pi++)
                        group_cost(s, set, u, set->masks[mi], set->precisions[pi], ob,
                                   b->cfg->max_memory);
            }
    return EF_OK;
}

/* The sets, specs and dims in the order runner.c walks them (run_set). */
static int units_enumerate(builder *b)
{
    const ef_plan_config *cfg = b->cfg;
    const ef_suite *s = cfg->suite;
    for (int si = 0; si < s->set_count; si++) {
        const ef_case_set *set = &s->sets[si];
        for (int sp = 0; sp < set->source_count; sp++)
            for (int di = 0; di < set->dim_count; di++) {
                const char *spec = set->sources[sp];
                if (di > 0 && !source_uses_dims(spec)) break;
                ef_source_args args = {.seed = s->seed,
                                       .d = set->dims[di],
                                       .heads = set->heads,
                                       .model = cfg->model ? cfg->model : set->model,
                                       .texts = cfg->text ? cfg->text : set->texts,
                                       .layers = set->layers,
                                       .qk = cfg->qk};
                int rc;
                if (strcmp(spec, "model") != 0 || !*args.texts) {
                    if ((rc = spec_units(b, si, spec, di, &args))) return rc;
                    continue;
                }
                char texts[sizeof set->texts], one[sizeof set->texts + 8], *save = NULL;
                snprintf(texts, sizeof texts, "%s", args.texts);
                for (char *t = strtok_r(texts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                    while (isspace((unsigned char)*t)) t++;
                    for (char *e = t + strlen(t); e > t && isspace((unsigned char)e[-1]);)
                        *--e = '\0';
                    if (!*t) continue;
                    snprintf(one, sizeof one, "model:%s", t);
                    if ((rc = spec_units(b, si, one, di, &args))) return rc;
                }
            }
    }
    return EF_OK;
}

typedef struct ranked {
    double cost;
    int index;
} ranked;

/* Largest cost first (ties: plan order), each to the least loaded shard (ties: the
 * lowest): deterministic, and within the largest unit of the best split. */
static int by_cost(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return x->cost > y->cost ? -1 : x->cost < y->cost ? 1 : x->index - y->index;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
    for (size_t i = 0; i < len; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ull;
    return h;
}

static int split(ef_plan *p, const ef_plan_config *cfg, ef_error *err)
{
    int devices = cfg->devices > 0 ? cfg->devices : 1;
    ranked *order = malloc(sizeof(ranked) * (p->count ? p->count : 1));
    double *load = calloc((size_t)p->shards, sizeof(double)); /* nominal cost, not the estimate */
    p->shard_s = calloc((size_t)p->shards, sizeof(double));
    if (!order || !load || !p->shard_s) {
        free(order), free(load);
        return ef_fail(err, EF_NOMEM, "out of memory for the plan");
    }
    for (int i = 0; i < p->count; i++)
        order[i] = (ranked){p->units[i].ref_s + p->units[i].device_s, i};
    qsort(order, (size_t)p->count, sizeof *order, by_cost);
    for (int k = 0; k < p->count; k++) {
        ef_plan_unit *u = &p->units[order[k].index];
        int best = 0;
        for (int s = 1; s < p->shards; s++)
            if (load[s] < load[best]) best = s;
        u->shard = best;
        load[best] += u->ref_s + u->device_s;
    }
    uint64_t h = fnv(0xcbf29ce484222325ull, cfg->suite->sha256, strlen(cfg->suite->sha256));
    h = fnv(h, &cfg->suite->seed, sizeof cfg->suite->seed);
    for (int i = 0; i < p->count; i++) {
        const ef_plan_unit *u = &p->units[i];
        int key[7] = {u->set, u->dim, u->n, u->mask, u->precision, u->shard, p->shards};
        h = fnv(fnv(h, u->spec, strlen(u->spec)), key, sizeof key);
        double s = u->ref_s + devices * u->device_s;
        p->shard_s[u->shard] += s;
        p->total_s += s;
        p->cases += devices * u->cases;
        if (u->memory > p->peak_memory) p->peak_memory = u->memory;
    }
    snprintf(p->hash, sizeof p->hash, "%016llx", (unsigned long long)h);
    free(order), free(load);
    return EF_OK;
}

int plan_build(const ef_plan_config *cfg, ef_plan *plan, ef_error *err)
{
    memset(plan, 0, sizeof *plan);
    if (cfg->shards < 1)
        return ef_fail(err, EF_ERROR, "--shards %d: must be at least 1", cfg->shards);
    plan->shards = cfg->shards;
    builder b = {.cfg = cfg, .plan = plan, .err = err};
    int rc = units_enumerate(&b);
    if (rc == EF_OK && cfg->shards > plan->count && plan->count > 0)
        rc = ef_fail(err, EF_ERROR, "%d shards for suite %s, which has only %d case groups",
                     cfg->shards, cfg->suite->name, plan->count);
    if (rc == EF_OK) rc = split(plan, cfg, err);
    if (rc) plan_free(plan);
    return rc;
}

void plan_free(ef_plan *plan)
{
    free(plan->units);
    free(plan->shard_s);
    memset(plan, 0, sizeof *plan);
}

static int unit_matches(const ef_plan_unit *u, int set, const char *spec, int dim, int n)
{
    return u->set == set && u->dim == dim && u->n == n && strcmp(u->spec, spec) == 0;
}

int plan_shard_of(const ef_plan *plan, int set, const char *spec, int dim, int n, int mask,
                  int precision)
{
    for (int i = 0; i < plan->count; i++) {
        const ef_plan_unit *u = &plan->units[i];
        if (unit_matches(u, set, spec, dim, n) && (u->mask < 0 || u->mask == mask) &&
            (u->precision < 0 || u->precision == precision))
            return u->shard;
    }
    return -1;
}

int plan_length_in(const ef_plan *plan, int shard, int set, const char *spec, int dim, int n)
{
    for (int i = 0; i < plan->count; i++)
        if (plan->units[i].shard == shard && unit_matches(&plan->units[i], set, spec, dim, n))
            return 1;
    return 0;
}

int plan_shard_parse(const char *text, int *index, int *count, ef_error *err)
{
    char *end;
    long i = strtol(text, &end, 10), n;
    if (end == text || *end != '/' || !isdigit((unsigned char)end[1]))
        return ef_fail(err, EF_ERROR, "--shard '%s': expected I/N, e.g. 2/8", text);
    const char *rest = end + 1;
    n = strtol(rest, &end, 10);
    if (*end || n < 1 || n > 100000)
        return ef_fail(err, EF_ERROR, "--shard '%s': N must be an integer from 1 to 100000", text);
    if (i < 1 || i > n)
        return ef_fail(err, EF_ERROR, "--shard '%s': I must be from 1 to N = %ld", text, n);
    *index = (int)i - 1, *count = (int)n;
    return EF_OK;
}
