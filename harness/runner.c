/* harness/runner.c — the loop of `efbench run`: selects backends and devices, walks the
 * suite's cross product, builds each group's float64 reference once, runs it on every
 * device (case_run.c) and collects the records. See runner.h.
 */
#include "runner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/host.h"
#include "harness/case_run.h"
#include "harness/checkpoint.h"
#include "harness/peak.h"
#include "harness/plan.h"
#include "harness/workload.h"
#include "harness/reference.h"
#include "harness/source.h"
#include "model/forward.h"

typedef struct ef_runner {
    ef_run *run;
    ef_device *open[32];
    const ef_run_config *cfg;
    forward_progress capture_progress; /* the forward passes of model sources, as events */
    ef_checkpoint *ck;                 /* cfg->checkpoint: records kept and skipped      */
    int set_index;                     /* the [cases] set being walked                   */
    int dim_index;                     /* and the index of its dim being walked          */
    ef_plan plan;                      /* units and shards; what --shard runs            */
    char group[2048];                  /* the checkpoint key of the group being run      */
    ef_error *err;                     /* where a checkpoint's write error goes          */
} run_state;

static void append_note(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
    size_t at = strlen(buf);
    if (at && at + 2 < len) strcat(buf, "; "), at += 2;
    snprintf(buf + at, len - at, fmt, a, b);
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return 1;
    return n == 0;
}

/* Does device (backend be, index i, info; the `ordinal`-th device of its type in the
 * backend) match one of the comma-separated selectors? A selector is a type (cpu, gpu,
 * accelerator), type:ordinal (gpu:1, the second GPU of each backend: how a SLURM task
 * names the GPU it was given), an index, backend:index, or a case-insensitive substring of
 * the device name. */
static int device_selected(const char *sel, const ef_backend *be, int i, int ordinal,
                           const ef_device_info *info)
{
    if (!sel || !*sel) return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", sel);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        while (isspace((unsigned char)*tok)) tok++;
        char *colon = strchr(tok, ':'), *end;
        if (colon) {
            long idx = strtol(colon + 1, &end, 10);
            if ((size_t)(colon - tok) == strlen(info->type) &&
                strncasecmp(tok, info->type, colon - tok) == 0 && *end == '\0' &&
                end != colon + 1 && idx == ordinal)
                return 1;
            if ((size_t)(colon - tok) == strlen(be->name) &&
                strncmp(tok, be->name, colon - tok) == 0 && *end == '\0' && idx == i)
                return 1;
            continue;
        }
        long idx = strtol(tok, &end, 10);
        if (end != tok && *end == '\0') {
            if (idx == i) return 1;
            continue;
        }
        if (strcasecmp(tok, info->type) == 0) return 1;
        if (contains_nocase(info->name, tok)) return 1;
    }
    return 0;
}

static int backend_listed(const char *list, const char *name)
{
    if (!list || !*list || strcmp(list, "all") == 0) return 1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", "))
        if (strcmp(tok, name) == 0) return 1;
    return 0;
}

/* Every name in --backend must be a backend compiled in. */
static int check_backend_names(const char *list, ef_error *err)
{
    if (!list || !*list || strcmp(list, "all") == 0) return EF_OK;
    char buf[256], known[256] = "";
    snprintf(buf, sizeof buf, "%s", list);
    for (int i = 0; ef_backends[i]; i++)
        append_note(known, sizeof known, "%s%s", ef_backends[i]->name, "");
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        if (ef_backend_find(tok)) continue;
        for (int i = 0; ef_backends_absent[i][0]; i++)
            if (strcmp(ef_backends_absent[i][0], tok) == 0)
                return ef_fail(err, EF_ERROR, "backend '%s' is %s", tok, ef_backends_absent[i][1]);
        return ef_fail(err, EF_ERROR, "unknown backend '%s' (compiled in: %s)", tok, known);
    }
    return EF_OK;
}

int runner_devices_open(const ef_run_config *cfg, ef_run *run, ef_device **open, ef_error *err)
{
    int rc = check_backend_names(cfg->backends, err),
        explicit_list = cfg->backends && strcmp(cfg->backends, "all");
    if (rc) return rc;
    for (int b = 0; ef_backends[b]; b++) {
        const ef_backend *be = ef_backends[b];
        if (!backend_listed(cfg->backends, be->name)) continue;
        ef_error why = {{0}};
        int count = be->device_count(&why);
        if (count <= 0) {
            if (explicit_list)
                return ef_fail(err, EF_ERROR, "backend '%s' found no device: %s", be->name,
                               *why.msg ? why.msg : "none reported");
            append_note(run->absent, sizeof run->absent, "%s: %s", be->name,
                        *why.msg ? why.msg : "no device");
            continue;
        }
        char types[32][32]; /* of the backend's devices so far, for type:ordinal */
        for (int i = 0; i < count && run->device_count < 32; i++) {
            ef_run_device *d = &run->devices[run->device_count];
            if ((rc = be->device_info(i, &d->info, err))) return rc;
            int ordinal = 0;
            for (int j = 0; j < i && j < 32; j++) ordinal += strcmp(types[j], d->info.type) == 0;
            if (i < 32) snprintf(types[i], sizeof types[i], "%s", d->info.type);
            if (!device_selected(cfg->device, be, i, ordinal, &d->info)) continue;
            d->backend = be;
            d->index = i;
            if ((rc = be->device_open(i, &open[run->device_count], err))) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                return ef_fail(err, EF_ERROR, "%s device %d (%s): %s", be->name, i, d->info.name,
                               msg);
            }
            run->device_count++;
        }
    }
    if (run->device_count == 0)
        return ef_fail(err, EF_ERROR, "no device matches --device '%s' (see `efbench devices`)",
                       cfg->device ? cfg->device : "");
    return EF_OK;
}

/* Hand one event to the caller's progress callback, if it gave one. */
static void tell(const run_state *st, ef_event *ev)
{
    if (!st->cfg->progress) return;
    ev->run = st->run;
    st->cfg->progress(st->cfg->progress_user, ev);
}

/* A forward pass of a model source finished a layer. */
static void capture_step(void *user, const char *label, int layers_done, int layers, int n,
                         double seconds)
{
    tell(user, &(ef_event){.kind = EF_EVENT_CAPTURE,
                           .msg = label,
                           .layer = layers_done,
                           .layers = layers,
                           .n = n,
                           .seconds = seconds});
}

/* Add a record to the run and tell the caller; `resumed`: it came from the checkpoint. */
static int push_case(run_state *st, const ef_case *c, int resumed)
{
    ef_run *run = st->run;
    if (run->case_count == run->case_cap) {
        int cap = run->case_cap ? 2 * run->case_cap : 64;
        ef_case *grown = realloc(run->cases, sizeof(ef_case) * cap);
        if (!grown) return ef_fail(st->err, EF_NOMEM, "out of memory for %d case records", cap);
        run->cases = grown;
        run->case_cap = cap;
    }
    run->cases[run->case_count++] = *c;
    run->counts[c->status]++;
    tell(st, &(ef_event){
                 .kind = EF_EVENT_CASE, .c = &run->cases[run->case_count - 1], .resumed = resumed});
    return EF_OK;
}

/* A case just made: recorded in the checkpoint, unless it was recorded before (a group a
 * killed run left half done), in which case the recorded one stands. */
static int emit_case(void *ctx, const ef_case *c)
{
    run_state *st = ctx;
    if (!st->ck) return push_case(st, c, 0);
    ef_case kept;
    int recorded, rc = checkpoint_case(st->ck, st->group, st->run, c, &kept, &recorded, st->err);
    return rc ? rc : push_case(st, &kept, recorded);
}

/* A case record with nothing measured yet. */
static void template_init(ef_case *t)
{
    memset(t, 0, sizeof *t);
    ef_accuracy_clear(&t->accuracy);
    ef_invariants_clear(&t->invariants);
    ef_invariants_clear(&t->reference);
    t->layer = t->head = t->kv_head = -1;
    t->gflops = t->gbps = -1;
}

/* Every device x workload of a group gets the same record when the group cannot run. */
static int emit_group_status(run_state *st, const ef_case *tmpl, const ef_case_set *set,
                             ef_case_status status, const char *reason)
{
    for (int dv = 0; dv < st->run->device_count; dv++)
        for (int w = 0; w < set->workload_count; w++) {
            if (!workload_applies(set->workloads[w], tmpl->mask)) continue;
            ef_case c = *tmpl;
            c.device = dv;
            c.workload = set->workloads[w];
            c.status = status;
            snprintf(c.reasons, sizeof c.reasons, "%s", reason);
            int rc = emit_case(st, &c);
            if (rc) return rc;
        }
    return EF_OK;
}

/* Add an input record to the run and tell the caller. */
static int push_input(run_state *st, const ef_input *one, int resumed)
{
    ef_run *run = st->run;
    if (run->input_count == run->input_cap) {
        int cap = run->input_cap ? 2 * run->input_cap : 64;
        ef_input *grown = realloc(run->inputs, sizeof(ef_input) * cap);
        if (!grown) return ef_fail(st->err, EF_NOMEM, "out of memory for %d input records", cap);
        run->inputs = grown;
        run->input_cap = cap;
    }
    ef_input *in = &run->inputs[run->input_count++];
    *in = *one;
    tell(st, &(ef_event){.kind = EF_EVENT_INPUT, .input = in, .resumed = resumed});
    return EF_OK;
}

/* Keep the reference's invariants of one group (ef_input), in the checkpoint too. */
static int record_input(run_state *st, const ef_case *tmpl, int on_devices)
{
    ef_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.source, sizeof in.source, "%s", tmpl->source);
    snprintf(in.text, sizeof in.text, "%s", tmpl->text);
    in.layer = tmpl->layer, in.head = tmpl->head, in.kv_head = tmpl->kv_head;
    in.n = tmpl->n, in.d = tmpl->d, in.mask = tmpl->mask, in.precision = tmpl->precision;
    in.seed = tmpl->seed, in.on_devices = on_devices, in.inv = tmpl->reference;
    int rc = st->ck ? checkpoint_input_put(st->ck, st->group, &in, st->err) : EF_OK;
    return rc ? rc : push_input(st, &in, 0);
}

/* The checkpoint key of the group `tmpl` opens (checkpoint.h): what identifies it, and the
 * set it belongs to; checkpoint_group_key adds which occurrence it is. */
static void group_key(run_state *st, const ef_case *tmpl)
{
    if (!st->ck) return;
    char base[1024], mask[32];
    ef_mask_format(tmpl->mask, mask, sizeof mask);
    snprintf(base, sizeof base, "s%d|%s|%s|L%d|H%d|K%d|n%d|d%d|%s|%s|%llu", st->set_index,
             tmpl->source, tmpl->text, tmpl->layer, tmpl->head, tmpl->kv_head, tmpl->n, tmpl->d,
             mask, ef_precision_name(tmpl->precision), (unsigned long long)tmpl->seed);
    checkpoint_group_key(st->ck, base, st->group, sizeof st->group);
}

/* The recorded cases of the group on device dv, into the run. */
static int push_device_cases(run_state *st, int dv)
{
    ef_case *old;
    int count, rc = checkpoint_device_cases(st->ck, st->group, dv, st->run->device_count, &old,
                                            &count, st->err);
    for (int i = 0; rc == EF_OK && i < count; i++) rc = push_case(st, &old[i], 1);
    free(old);
    return rc;
}

/* A group the checkpoint holds whole (its input and every device it ran on): its records
 * go into the run as they are, without building the reference. 1 when it did. */
static int group_resumed(run_state *st, int on_devices, int *rc)
{
    ef_input in;
    *rc = EF_OK;
    if (!st->ck) return 0;
    for (int dv = 0; on_devices && dv < st->run->device_count; dv++)
        if (!checkpoint_device_done(st->ck, st->group, dv)) return 0;
    int got = checkpoint_input_get(st->ck, st->group, &in, st->err);
    if (got == EF_UNSUPPORTED) return 0;
    if ((*rc = got) || (*rc = push_input(st, &in, 1))) return 1;
    for (int dv = 0; on_devices && dv < st->run->device_count && *rc == EF_OK; dv++)
        *rc = push_device_cases(st, dv);
    return 1;
}

static int run_group(run_state *st, const ef_case_set *set, const ef_head *h, ef_mask mask,
                     ef_precision p, const ef_group_plan *plan, int on_devices)
{
    const ef_suite *suite = &st->run->suite;
    ef_reference ref;
    ef_error err = {{0}};
    ef_case tmpl;
    template_init(&tmpl);
    tmpl.mask = mask, tmpl.precision = p, tmpl.n = h->n, tmpl.d = h->d, tmpl.seed = h->seed;
    tmpl.layer = h->layer, tmpl.head = h->head, tmpl.kv_head = h->kv_head;
    snprintf(tmpl.source, sizeof tmpl.source, "%s", h->source);
    snprintf(tmpl.text, sizeof tmpl.text, "%s", h->text);
    group_key(st, &tmpl);
    int done;
    if (group_resumed(st, on_devices, &done)) return done;
    ef_reference_opts ro = {.check_rows = suite->check_rows,
                            .full_check_max = suite->full_check_max_n,
                            .seed = h->seed};
    /* the float64 reference holds about a dozen n x d arrays and the checked rows of E
     * and of its bound; refuse up front what the host cannot hold */
    int checked = h->n <= ro.full_check_max ? h->n : ro.check_rows;
    double need = reference_bytes(h->n, h->d, checked), host = (double)host_memory_bytes();
    if (need > 0.8 * host || (st->cfg->max_memory > 0 && need > st->cfg->max_memory)) {
        char why[256];
        if (need > 0.8 * host)
            snprintf(
                why, sizeof why,
                "the float64 reference of n = %d, d = %d needs %.3g GB of host memory, the host has %.3g GB",
                h->n, h->d, need * 1e-9, host * 1e-9);
        else
            snprintf(
                why, sizeof why,
                "the float64 reference of n = %d, d = %d needs %.3g GB, more than --max-memory %.3g GB",
                h->n, h->d, need * 1e-9, st->cfg->max_memory * 1e-9);
        return emit_group_status(st, &tmpl, set, EF_CASE_UNSUPPORTED, why);
    }
    if (st->ck && checkpoint_flush(st->ck, st->err))
        return EF_ERROR; /* durable before the long work */
    int rc = reference_build(h, mask, p, &ro, &ref, &err);
    if (rc != EF_OK)
        return emit_group_status(
            st, &tmpl, set,
            rc == EF_UNSUPPORTED || rc == EF_NOMEM ? EF_CASE_UNSUPPORTED : EF_CASE_ERROR, err.msg);
    tmpl.reference = ref.inv;
    ef_input old;
    int recorded = st->ck ? checkpoint_input_get(st->ck, st->group, &old, st->err) : EF_UNSUPPORTED;
    if (recorded == EF_OK) rc = push_input(st, &old, 1);
    else rc = recorded == EF_UNSUPPORTED ? record_input(st, &tmpl, on_devices) : recorded;
    for (int dv = 0; on_devices && dv < st->run->device_count && rc == EF_OK; dv++) {
        const ef_run_device *d = &st->run->devices[dv];
        tmpl.device = dv;
        if (st->ck && checkpoint_device_done(st->ck, st->group, dv)) {
            rc = push_device_cases(st, dv);
            continue;
        }
        if (st->ck && (rc = checkpoint_flush(st->ck, st->err))) break;
        rc = case_group_run(d->backend, st->open[dv], &d->info, &ref, plan, &tmpl, emit_case, st);
        if (rc == EF_OK && st->ck) rc = checkpoint_device_done_put(st->ck, st->group, dv, st->err);
    }
    reference_free(&ref);
    return rc;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Which of `count` heads run on the devices: all, or a sample of set->device_heads drawn
 * from the suite seed, the text and the length, so a rerun picks the same heads. */
static void choose_device_heads(const run_state *st, const ef_case_set *set, const ef_head *heads,
                                int count, char *on)
{
    int want = set->device_heads;
    memset(on, 1, (size_t)count);
    if (want < 0 || want >= count) return;
    uint64_t x = st->run->suite.seed ^ ((uint64_t)heads[0].n << 32);
    for (const char *c = heads[0].text; *c; c++) x = (x ^ (unsigned char)*c) * 0x100000001b3ull;
    int idx[count];
    for (int i = 0; i < count; i++) idx[i] = i;
    for (int i = 0; i < want; i++) { /* the first `want` of a Fisher-Yates shuffle */
        int j = i + (int)(splitmix64(&x) % (uint64_t)(count - i)), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
    memset(on, 0, (size_t)count);
    for (int i = 0; i < want; i++) on[idx[i]] = 1;
}

/* The mask word `model` names the head's own mask; skip it where the set lists that mask
 * already (a global layer's causal mask next to `causal`, or a local layer's window when
 * the window covers the whole text). */
static int resolve_mask(const ef_case_set *set, int m, const ef_head *h, ef_mask *out)
{
    *out = set->masks[m];
    if (out->kind != EF_MASK_MODEL) return 1;
    if (!h->has_model_mask) return 0; /* synthetic heads have no model mask */
    *out = h->model_mask;
    ef_mask same = *out; /* a window as wide as the text is the causal mask */
    if (same.kind == EF_MASK_WINDOW && same.window >= h->n) same = (ef_mask){EF_MASK_CAUSAL, 0};
    for (int i = 0; i < set->mask_count; i++)
        if (set->masks[i].kind == same.kind &&
            (same.kind != EF_MASK_WINDOW || set->masks[i].window == same.window))
            return 0;
    return 1;
}

/* Is the group (source spec, n, mask m, precision p) of the current set and dim in this
 * run's shard? Always, when the run is not sharded. */
static int in_shard(const run_state *st, const char *spec, int n, int m, int p)
{
    if (!st->cfg->shard_count) return 1;
    return plan_shard_of(&st->plan, st->set_index, spec, st->dim_index, n, m, p) ==
           st->cfg->shard_index;
}

static int run_heads(run_state *st, const ef_case_set *set, const char *spec, ef_head *heads,
                     int count, const ef_group_plan *plan)
{
    int rc = EF_OK;
    if (count <= 0) return EF_OK;
    char on[count];
    choose_device_heads(st, set, heads, count, on);
    for (int h = 0; h < count && rc == EF_OK; h++)
        for (int m = 0; m < set->mask_count && rc == EF_OK; m++) {
            ef_mask mask;
            if (!resolve_mask(set, m, &heads[h], &mask)) continue;
            for (int p = 0; p < set->precision_count && rc == EF_OK; p++)
                if (in_shard(st, spec, heads[h].n, m, p))
                    rc = run_group(st, set, &heads[h], mask, set->precisions[p], plan, on[h]);
        }
    return rc;
}

/* One source spec at every length of the set; a length the source cannot give (a text
 * too short) is recorded unsupported with the source's reason. */
static int run_source(run_state *st, const ef_case_set *set, const char *spec,
                      const ef_source_args *args, const ef_group_plan *plan, ef_error *err)
{
    ef_source src;
    int rc = source_open(spec, args, &src, err);
    if (rc) return rc;
    for (int l = 0; l < set->length_count && rc == EF_OK; l++) {
        ef_head *heads;
        int count;
        ef_error why = {{0}};
        /* a length this shard has no group of: not even its heads (a forward pass) */
        if (st->cfg->shard_count && !plan_length_in(&st->plan, st->cfg->shard_index, st->set_index,
                                                    spec, st->dim_index, set->lengths[l]))
            continue;
        int hrc = source_heads(&src, set->lengths[l], &heads, &count, &why);
        if (hrc == EF_OK) {
            rc = run_heads(st, set, spec, heads, count, plan);
            source_heads_free(heads, count);
            continue;
        }
        /* a length the source cannot give is recorded once, by the shard of its first group */
        if (!in_shard(st, spec, set->lengths[l], 0, 0)) continue;
        ef_case tmpl;
        template_init(&tmpl);
        tmpl.n = set->lengths[l], tmpl.d = args->d;
        snprintf(tmpl.source, sizeof tmpl.source, "%.63s", spec);
        group_key(st, &tmpl);
        rc = emit_group_status(
            st, &tmpl, set, hrc == EF_UNSUPPORTED ? EF_CASE_UNSUPPORTED : EF_CASE_ERROR, why.msg);
    }
    source_close(&src);
    return rc;
}

static ef_source_args source_args(const run_state *st, const ef_case_set *set, int d)
{
    const ef_run_config *cfg = st->cfg;
    return (ef_source_args){.seed = st->run->suite.seed,
                            .d = d,
                            .heads = set->heads,
                            .model = cfg->model ? cfg->model : set->model,
                            .texts = cfg->text ? cfg->text : set->texts,
                            .layers = set->layers,
                            .qk = cfg->qk,
                            .progress = cfg->progress ? &st->capture_progress : NULL};
}

/* Open every source once before anything runs, so a missing model, text or Q/K file is
 * an input error up front rather than after an hour of other cases. */
static int sources_check(run_state *st, ef_error *err)
{
    for (int i = 0; i < st->run->suite.set_count; i++) {
        const ef_case_set *set = &st->run->suite.sets[i];
        for (int s = 0; s < set->source_count; s++) {
            ef_source src;
            ef_source_args args = source_args(st, set, set->dims[0]);
            int rc = source_open(set->sources[s], &args, &src, err);
            if (rc) return rc;
            source_close(&src);
        }
    }
    return EF_OK;
}

static int run_set(run_state *st, ef_case_set *set, ef_error *err)
{
    const ef_run_config *cfg = st->cfg;
    ef_workload order[EF_WL_COUNT];
    ef_group_plan plan = {.workloads = order,
                          .workload_count =
                              workload_order(set->workloads, set->workload_count, order),
                          .fault = cfg->fault,
                          .max_block_rows = cfg->max_block_rows,
                          .max_memory = cfg->max_memory,
                          .timing = {.warmup_s = st->run->suite.warmup_s,
                                     .target_s = st->run->suite.target_time_s,
                                     .min_reps = st->run->suite.min_reps,
                                     .max_reps = st->run->suite.max_reps}};
    int rc = EF_OK;
    for (int s = 0; s < set->source_count && rc == EF_OK; s++)
        for (int di = 0; di < set->dim_count && rc == EF_OK; di++) {
            const char *spec = set->sources[s];
            if (di > 0 && !source_uses_dims(spec)) break; /* models have their own d */
            st->dim_index = di;
            ef_source_args args = source_args(st, set, set->dims[di]);
            if (strcmp(spec, "model") != 0 || !*args.texts) {
                rc = run_source(st, set, spec, &args, &plan, err);
                continue;
            }
            /* one model source per text, so a text too short for a length is reported alone */
            char texts[sizeof set->texts], one[sizeof set->texts + 8], *save = NULL;
            snprintf(texts, sizeof texts, "%s", args.texts);
            for (char *t = strtok_r(texts, ",", &save); t && rc == EF_OK;
                 t = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char)*t)) t++;
                for (char *e = t + strlen(t); e > t && isspace((unsigned char)e[-1]);) *--e = '\0';
                if (!*t) continue;
                snprintf(one, sizeof one, "model:%s", t);
                rc = run_source(st, set, one, &args, &plan, err);
            }
        }
    return rc;
}

/* --seed, --precision and --qk replace what the suite says. */
static int apply_overrides(const ef_run_config *cfg, ef_suite *suite, ef_error *err)
{
    ef_precision list[EF_PREC_COUNT];
    int count = 0;
    if (cfg->precisions) {
        char buf[128], *save = NULL;
        snprintf(buf, sizeof buf, "%s", cfg->precisions);
        for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
            ef_precision p;
            if (ef_precision_parse(tok, &p) != EF_OK)
                return ef_fail(err, EF_ERROR, "--precision: '%s' is not fp32, fp16 or bf16", tok);
            int dup = 0;
            for (int i = 0; i < count; i++) dup |= list[i] == p;
            if (!dup) list[count++] = p;
        }
        if (!count) return ef_fail(err, EF_ERROR, "--precision: empty list");
    }
    if (cfg->has_seed) suite->seed = cfg->seed;
    for (int i = 0; i < suite->set_count; i++) {
        ef_case_set *set = &suite->sets[i];
        if (count) {
            memcpy(set->precisions, list, sizeof(ef_precision) * count);
            set->precision_count = count;
        }
        if (cfg->qk) {
            set->source_count = 1;
            snprintf(set->sources[0], sizeof set->sources[0], "qk");
        }
    }
    return EF_OK;
}

int runner_suite_load(const ef_run_config *cfg, ef_suite *suite, ef_error *err)
{
    int rc = suite_load(cfg->suite ? cfg->suite : "default", suite, err);
    return rc ? rc : apply_overrides(cfg, suite, err);
}

/* The plan of the suite on the opened devices: what --shard runs, and the estimates. */
static int plan_open(run_state *st, ef_error *err)
{
    const ef_run_config *cfg = st->cfg;
    ef_run *run = st->run;
    int out_bytes = 4;
    for (int i = 0; i < run->device_count; i++)
        if ((int)ef_dtype_size(run->devices[i].info.out_dtype) > out_bytes)
            out_bytes = (int)ef_dtype_size(run->devices[i].info.out_dtype);
    ef_plan_config pc = {.suite = &run->suite,
                         .model = cfg->model,
                         .text = cfg->text,
                         .qk = cfg->qk,
                         .shards = cfg->shard_count ? cfg->shard_count : 1,
                         .devices = run->device_count,
                         .out_bytes = out_bytes,
                         .max_memory = cfg->max_memory};
    int rc = plan_build(&pc, &st->plan, err);
    if (rc) return rc;
    run->shard_index = cfg->shard_index, run->shard_count = cfg->shard_count;
    snprintf(run->plan_hash, sizeof run->plan_hash, "%s", st->plan.hash);
    return EF_OK;
}

const ef_plan *runner_plan(const ef_runner *r) { return &r->plan; }

int runner_open(const ef_run_config *cfg, ef_run *run, ef_runner **out, ef_error *err)
{
    *out = NULL;
    memset(run, 0, sizeof *run);
    run_state *st = calloc(1, sizeof *st);
    if (!st) return ef_fail(err, EF_NOMEM, "out of memory");
    *st = (run_state){.run = run, .cfg = cfg};
    st->capture_progress = (forward_progress){.fn = capture_step, .user = st};
    int rc = runner_suite_load(cfg, &run->suite, err);
    if (rc) {
        free(st);
        return rc;
    }
    st->err = err;
    if ((rc = runner_devices_open(cfg, run, st->open, err)) || (rc = sources_check(st, err)) ||
        (rc = plan_open(st, err))) {
        runner_close(st);
        return rc;
    }
    *out = st;
    return EF_OK;
}

int runner_execute(ef_runner *st, ef_error *err)
{
    const ef_run_config *cfg = st->cfg;
    ef_run *run = st->run;
    int rc = EF_OK, restored = 0;
    st->ck = cfg->checkpoint;
    st->err = err;
    if (st->ck && (rc = checkpoint_devices_restore(st->ck, run, &restored, err))) return rc;
    if (!restored) {
        if (cfg->measure_peak) peak_measure_all(run, st->open, cfg->progress, cfg->progress_user);
        if (st->ck && (rc = checkpoint_devices_write(st->ck, run, err))) return rc;
    }
    for (int i = 0; i < run->suite.set_count && rc == EF_OK; i++) {
        st->set_index = i;
        rc = run_set(st, &run->suite.sets[i], err);
    }
    if (rc == EF_OK) tell(st, &(ef_event){.kind = EF_EVENT_DONE});
    return rc;
}

void runner_close(ef_runner *st)
{
    if (!st) return;
    runner_devices_close(st->run, st->open);
    plan_free(&st->plan);
    free(st);
}

int runner_run(const ef_run_config *cfg, ef_run *run, ef_error *err)
{
    ef_runner *r;
    int rc = runner_open(cfg, run, &r, err);
    if (rc) return rc;
    rc = runner_execute(r, err);
    runner_close(r);
    return rc;
}

void runner_devices_close(ef_run *run, ef_device **open)
{
    for (int i = 0; i < run->device_count; i++)
        if (open[i]) run->devices[i].backend->device_close(open[i]), open[i] = NULL;
}

void runner_free(ef_run *run)
{
    free(run->cases);
    run->cases = NULL;
    run->case_count = run->case_cap = 0;
    free(run->inputs);
    run->inputs = NULL;
    run->input_count = run->input_cap = 0;
}
