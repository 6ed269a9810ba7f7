/* harness/results_parse.c — a case or input record of results.json read back into the
 * engine's structs (results.h: results_case_parse, results_input_parse), field for field
 * the inverse of results.c, so that the records a checkpoint kept (harness/checkpoint.c)
 * write the same results.json, results.csv and summary.md as when they were made. The
 * null conventions are results.c's: a null number is NAN, a null index -1, a null string "".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/results.h"

typedef struct parse_ctx {
    json_t *obj;
    ef_error *err;
    int rc;
} parse_ctx;

/* The first problem wins; later reads are no-ops. */
static void bad(parse_ctx *p, const char *key, const char *what)
{
    if (p->rc == EF_OK) p->rc = ef_fail(p->err, EF_ERROR, "\"%s\" %s", key, what);
}

static double get_num(parse_ctx *p, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_null(v)) return NAN;
    if (!json_is_number(v)) bad(p, key, "is missing or not a number");
    return json_number_value(v);
}

static long long get_int(parse_ctx *p, json_t *obj, const char *key, long long if_null)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_null(v)) return if_null;
    if (!json_is_integer(v)) bad(p, key, "is missing or not an integer");
    return json_integer_value(v);
}

static void get_str(parse_ctx *p, json_t *obj, const char *key, char *dst, size_t len)
{
    json_t *v = json_object_get(obj, key);
    *dst = '\0';
    if (json_is_null(v)) return;
    if (!json_is_string(v)) bad(p, key, "is missing or not a string");
    else if (strlen(json_string_value(v)) >= len) bad(p, key, "is too long");
    else snprintf(dst, len, "%s", json_string_value(v));
}

static void get_invariants(parse_ctx *p, json_t *obj, const char *key, ef_invariants *v)
{
    json_t *o = json_object_get(obj, key);
    ef_invariants_clear(v);
    if (!json_is_object(o)) {
        bad(p, key, "is missing or not an object");
        return;
    }
    v->rowsum_rel = get_num(p, o, "rowsum_rel"), v->rowsum_bound = get_num(p, o, "rowsum_bound");
    v->rank_tail = get_num(p, o, "rank_tail"),
    v->rank_tail_bound = get_num(p, o, "rank_tail_bound");
    v->sv_rel_err = get_num(p, o, "sv_rel_err"), v->sv_rel_bound = get_num(p, o, "sv_rel_bound");
    v->pr_over_n = get_num(p, o, "pr_over_n"), v->v_max = get_num(p, o, "v_max"),
    v->mu_k = get_num(p, o, "mu_k");
    v->rank_k = (int)get_int(p, o, "rank_k", -1), v->srank = get_num(p, o, "srank");
    json_t *ok = json_object_get(o, "bound_ok");
    if (json_is_boolean(ok)) v->bound_ok = json_is_true(ok);
    else if (!json_is_null(ok)) bad(p, "bound_ok", "is missing or not true, false or null");
    v->bound_slack = get_num(p, o, "bound_slack");
}

/* mask, precision and the head's identity, shared by cases and inputs. */
static void get_head(parse_ctx *p, json_t *o, ef_mask *mask, ef_precision *prec, char *source,
                     size_t slen, char *text, size_t tlen, int *lhk, int *n, int *d, uint64_t *seed)
{
    json_t *m = json_object_get(o, "mask"), *pr = json_object_get(o, "precision");
    if (!json_is_string(m) || ef_mask_parse(json_string_value(m), mask) != EF_OK)
        bad(p, "mask", "is not a mask");
    if (!json_is_string(pr) || ef_precision_parse(json_string_value(pr), prec) != EF_OK)
        bad(p, "precision", "is not a precision");
    get_str(p, o, "source", source, slen);
    get_str(p, o, "text", text, tlen);
    lhk[0] = (int)get_int(p, o, "layer", -1), lhk[1] = (int)get_int(p, o, "head", -1);
    lhk[2] = (int)get_int(p, o, "kv_head", -1);
    *n = (int)get_int(p, o, "n", 0), *d = (int)get_int(p, o, "d", 0);
    *seed = (uint64_t)get_int(p, o, "seed", 0);
}

int results_case_parse(json_t *o, int device_count, ef_case *c, ef_error *err)
{
    parse_ctx p = {.obj = o, .err = err};
    memset(c, 0, sizeof *c);
    if (!json_is_object(o)) return ef_fail(err, EF_ERROR, "a case record is not an object");
    c->device = (int)get_int(&p, o, "device_id", -1);
    if (c->device < 0 || c->device >= device_count)
        bad(&p, "device_id", "is not one of the run's devices");
    json_t *wl = json_object_get(o, "workload");
    if (!json_is_string(wl) || ef_workload_parse(json_string_value(wl), &c->workload) != EF_OK)
        bad(&p, "workload", "is not a workload");
    get_str(&p, o, "variant", c->variant, sizeof c->variant);
    get_str(&p, o, "path", c->path, sizeof c->path);
    get_str(&p, o, "note", c->note, sizeof c->note);
    int lhk[3];
    get_head(&p, o, &c->mask, &c->precision, c->source, sizeof c->source, c->text, sizeof c->text,
             lhk, &c->n, &c->d, &c->seed);
    c->layer = lhk[0], c->head = lhk[1], c->kv_head = lhk[2];
    json_t *t = json_object_get(o, "time_ms");
    if (json_is_object(t)) {
        c->time.median_ms = get_num(&p, t, "median"), c->time.min_ms = get_num(&p, t, "min");
        c->time.max_ms = get_num(&p, t, "max"), c->time.reps = (int)get_int(&p, t, "reps", 0);
    } else if (!json_is_null(t)) {
        bad(&p, "time_ms", "is missing or not an object");
    }
    double gf = get_num(&p, o, "gflops"), gb = get_num(&p, o, "gbps");
    c->gflops = isnan(gf) ? -1 : gf, c->gbps = isnan(gb) ? -1 : gb;
    json_t *a = json_object_get(o, "accuracy");
    ef_accuracy_clear(&c->accuracy);
    if (!json_is_object(a)) bad(&p, "accuracy", "is missing or not an object");
    else {
        ef_accuracy *x = &c->accuracy;
        x->rel_fro_err = get_num(&p, a, "rel_fro_err"),
        x->max_abs_err = get_num(&p, a, "max_abs_err");
        x->bound_violations = (long)get_int(&p, a, "bound_violations", 0);
        x->rows_checked = (long)get_int(&p, a, "rows_checked", -1);
        x->input_rel_err = get_num(&p, a, "input_rel_err"), x->bound_c = get_num(&p, a, "bound_c");
        x->unit_roundoff = get_num(&p, a, "unit_roundoff");
    }
    get_invariants(&p, o, "invariants", &c->invariants);
    get_invariants(&p, o, "reference", &c->reference);
    json_t *st = json_object_get(o, "status");
    int status = -1;
    for (int s = 0; s < 4 && json_is_string(st); s++)
        if (!strcmp(json_string_value(st), ef_case_status_name((ef_case_status)s))) status = s;
    if (status < 0) bad(&p, "status", "is not pass, fail, unsupported or error");
    c->status = (ef_case_status)(status < 0 ? EF_CASE_ERROR : status);
    json_t *reasons = json_object_get(o, "reasons");
    if (!json_is_array(reasons)) bad(&p, "reasons", "is missing or not an array");
    for (size_t i = 0; i < json_array_size(reasons);
         i++) { /* "; "-joined, as results.c splits them */
        const char *r = json_string_value(json_array_get(reasons, i));
        size_t at = strlen(c->reasons);
        if (!r) bad(&p, "reasons", "holds something other than strings");
        else snprintf(c->reasons + at, sizeof c->reasons - at, "%s%s", i ? "; " : "", r);
    }
    return p.rc;
}

int results_input_parse(json_t *o, ef_input *in, ef_error *err)
{
    parse_ctx p = {.obj = o, .err = err};
    memset(in, 0, sizeof *in);
    if (!json_is_object(o)) return ef_fail(err, EF_ERROR, "an input record is not an object");
    int lhk[3];
    get_head(&p, o, &in->mask, &in->precision, in->source, sizeof in->source, in->text,
             sizeof in->text, lhk, &in->n, &in->d, &in->seed);
    in->layer = lhk[0], in->head = lhk[1], in->kv_head = lhk[2];
    json_t *on = json_object_get(o, "on_devices");
    if (!json_is_boolean(on)) bad(&p, "on_devices", "is missing or not a boolean");
    in->on_devices = json_is_true(on);
    get_invariants(&p, o, "invariants", &in->inv);
    return p.rc;
}
