/* harness/results.c — turns a finished run into its files: one JSON document (jansson), a
 * CSV with one row per case, and whatever further files the caller renders (summary.md);
 * each written to a temporary name in the output folder and renamed into place only when
 * all are complete, so no reader ever sees half a file. The format is results/README.md.
 */
#include "results.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/host.h"
#include "version.h"

enum { FORMAT_VERSION = 1 };

static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }
static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }
static json_t *int_or_null(long long x) { return x >= 0 ? json_integer(x) : json_null(); }

static json_t *invariants_json(const ef_invariants *v)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "rowsum_rel",
                     num(v->rowsum_rel), "rowsum_bound", num(v->rowsum_bound), "rank_tail",
                     num(v->rank_tail), "rank_tail_bound", num(v->rank_tail_bound), "sv_rel_err",
                     num(v->sv_rel_err), "sv_rel_bound", num(v->sv_rel_bound), "pr_over_n",
                     num(v->pr_over_n), "v_max", num(v->v_max), "mu_k", num(v->mu_k), "rank_k",
                     int_or_null(v->rank_k), "srank", num(v->srank), "bound_ok",
                     v->bound_ok < 0 ? json_null() : json_boolean(v->bound_ok), "bound_slack",
                     num(v->bound_slack));
}

json_t *results_case_json(const ef_run *run, const ef_case *c)
{
    const ef_run_device *d = &run->devices[c->device];
    char mask[32];
    ef_mask_format(c->mask, mask, sizeof mask);
    const ef_accuracy *a = &c->accuracy;
    json_t *acc = json_pack("{s:o,s:o,s:I,s:I,s:o,s:f,s:o}", "rel_fro_err", num(a->rel_fro_err),
                            "max_abs_err", num(a->max_abs_err), "bound_violations",
                            (json_int_t)a->bound_violations, "rows_checked",
                            (json_int_t)a->rows_checked, "input_rel_err", num(a->input_rel_err),
                            "bound_c", a->bound_c, "unit_roundoff", num(a->unit_roundoff));
    json_t *time = c->time.reps > 0
                       ? json_pack("{s:f,s:f,s:f,s:i}", "median", c->time.median_ms, "min",
                                   c->time.min_ms, "max", c->time.max_ms, "reps", c->time.reps)
                       : json_null();
    json_t *reasons = json_array();
    if (*c->reasons) {
        char buf[sizeof c->reasons];
        snprintf(buf, sizeof buf, "%s", c->reasons);
        for (char *r = buf, *next; r; r = next) {
            next = strstr(r, "; ");
            if (next) *next = '\0', next += 2;
            json_array_append_new(reasons, json_string(r));
        }
    }
    int real = c->layer >= 0;
    return json_pack(
        "{s:s,s:s,s:i,s:s,s:o,s:o,s:o,s:s,s:s,s:i,s:i,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,"
        "s:o,s:o,s:o,s:s,s:o}",
        "backend", d->backend->name, "device", d->info.name, "device_id", c->device, "workload",
        ef_workload_name(c->workload), "variant", str_or_null(c->variant), "path",
        str_or_null(c->path), "note", str_or_null(c->note), "mask", mask, "precision",
        ef_precision_name(c->precision), "n", c->n, "d", c->d, "source", c->source, "model",
        real ? json_string(c->source) : json_null(), "text", str_or_null(c->text), "layer",
        int_or_null(c->layer), "head", int_or_null(c->head), "kv_head", int_or_null(c->kv_head),
        "seed", (json_int_t)c->seed, "time_ms", time, "gflops",
        c->gflops >= 0 ? num(c->gflops) : json_null(), "gbps",
        c->gbps >= 0 ? num(c->gbps) : json_null(), "accuracy", acc, "invariants",
        invariants_json(&c->invariants), "reference", invariants_json(&c->reference), "status",
        ef_case_status_name(c->status), "reasons", reasons);
}

json_t *results_input_json(const ef_input *in)
{
    char mask[32];
    ef_mask_format(in->mask, mask, sizeof mask);
    int real = in->layer >= 0;
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:s,s:s,s:I,s:b,s:o}", "source", in->source,
                     "model", real ? json_string(in->source) : json_null(), "text",
                     str_or_null(in->text), "layer", int_or_null(in->layer), "head",
                     int_or_null(in->head), "kv_head", int_or_null(in->kv_head), "n", in->n, "d",
                     in->d, "mask", mask, "precision", ef_precision_name(in->precision), "seed",
                     (json_int_t)in->seed, "on_devices", in->on_devices, "invariants",
                     invariants_json(&in->inv));
}

json_t *results_json(const ef_run *run, const ef_results_meta *meta)
{
    char cpu[256], os[256];
    host_cpu_model(cpu, sizeof cpu);
    host_os_name(os, sizeof os);
    json_t *devices = json_array(), *cases = json_array();
    for (int i = 0; i < run->device_count; i++) {
        const ef_run_device *d = &run->devices[i];
        const ef_device_info *f = &d->info;
        json_array_append_new(
            devices,
            json_pack("{s:i,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:o,s:o,s:o,s:s}", "id", i,
                      "backend", d->backend->name, "index", d->index, "name", f->name, "vendor",
                      f->vendor, "driver_version", f->driver_version, "api_version", f->api_version,
                      "type", f->type, "memory_bytes", (json_int_t)f->memory_bytes,
                      "max_buffer_bytes", (json_int_t)f->max_buffer_bytes, "accumulation",
                      f->out_dtype == EF_F64 ? "fp64" : "fp32", "peak_gflops",
                      f->peak_gflops > 0 ? num(f->peak_gflops) : json_null(), "peak_gbps",
                      f->peak_gbps > 0 ? num(f->peak_gbps) : json_null(), "peak_method",
                      *f->peak_method ? json_string(f->peak_method) : json_null(), "notes",
                      f->notes));
    }
    for (int i = 0; i < run->case_count; i++)
        json_array_append_new(cases, results_case_json(run, &run->cases[i]));
    json_t *inputs = json_array();
    for (int i = 0; i < run->input_count; i++)
        json_array_append_new(inputs, results_input_json(&run->inputs[i]));
    const ef_suite *s = &run->suite;
    json_t *doc = json_pack(
        "{s:s,s:i,s:{s:s,s:s},s:s,s:s,s:{s:s,s:i,s:I,s:s},s:{s:s,s:s,s:I,s:f,s:f,s:i,s:i,s:i,s:i},"
        "s:o,s:o,s:{s:i,s:i,s:i,s:i,s:i},s:o,s:o}",
        "format", "efbench-results", "format_version", FORMAT_VERSION, "tool", "name", "efbench",
        "version", EF_VERSION, "command_line", meta->command_line, "utc_time", meta->utc_time,
        "host", "cpu", cpu, "cores", host_cpu_count(), "memory_bytes",
        (json_int_t)host_memory_bytes(), "os", os, "suite", "name", s->name, "path", s->path,
        "seed", (json_int_t)s->seed, "target_time_s", s->target_time_s, "warmup_s", s->warmup_s,
        "min_reps", s->min_reps, "max_reps", s->max_reps, "check_rows", s->check_rows,
        "full_check_max", s->full_check_max_n, "devices", devices, "absent_backends",
        str_or_null(run->absent), "summary", "cases", run->case_count, "pass",
        run->counts[EF_CASE_PASS], "fail", run->counts[EF_CASE_FAIL], "unsupported",
        run->counts[EF_CASE_UNSUPPORTED], "error", run->counts[EF_CASE_ERROR], "cases", cases,
        "inputs", inputs);
    if (!doc) return NULL;
    /* which version of the suite, and which shard of it: what report checks before merging */
    json_object_set_new(json_object_get(doc, "suite"), "sha256", json_string(s->sha256));
    char shard[32];
    snprintf(shard, sizeof shard, "%d/%d", run->shard_index + 1, run->shard_count);
    json_object_set_new(doc, "shard", run->shard_count ? json_string(shard) : json_null());
    json_object_set_new(doc, "plan", json_string(run->plan_hash));
    json_object_set_new(doc, "sweep",
                        run->shard_count && *run->sweep ? json_string(run->sweep) : json_null());
    return doc;
}

/* ---- CSV ---- */

static void csv_num(FILE *f, double x)
{
    if (isfinite(x)) fprintf(f, ",%.6g", x);
    else fputs(",", f);
}

static void csv_text(FILE *f, const char *s)
{
    fputs(",\"", f);
    for (; *s; s++) fputs(*s == '"' ? "\"\"" : (char[]){*s, 0}, f);
    fputc('"', f);
}

static void write_csv(FILE *f, const ef_run *run)
{
    fputs(
        "backend,device,workload,variant,path,mask,precision,n,d,source,text,layer,head,kv_head,seed,"
        "median_ms,min_ms,max_ms,reps,gflops,gbps,rel_fro_err,max_abs_err,bound_violations,rows_checked,"
        "input_rel_err,rowsum_rel,rank_tail,sv_rel_err,pr_over_n,v_max,mu_k,bound_ok,status,reasons\n",
        f);
    for (int i = 0; i < run->case_count; i++) {
        const ef_case *c = &run->cases[i];
        const ef_run_device *d = &run->devices[c->device];
        char mask[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        fputs(d->backend->name, f);
        csv_text(f, d->info.name);
        fprintf(f, ",%s,%s,%s,%s,%s,%d,%d", ef_workload_name(c->workload), c->variant, c->path,
                mask, ef_precision_name(c->precision), c->n, c->d);
        csv_text(f, c->source);
        csv_text(f, c->text);
        fprintf(f, ",%d,%d,%d,%llu", c->layer, c->head, c->kv_head, (unsigned long long)c->seed);
        if (c->time.reps > 0)
            fprintf(f, ",%.6g,%.6g,%.6g,%d", c->time.median_ms, c->time.min_ms, c->time.max_ms,
                    c->time.reps);
        else fputs(",,,,0", f);
        csv_num(f, c->gflops >= 0 ? c->gflops : NAN);
        csv_num(f, c->gbps >= 0 ? c->gbps : NAN);
        csv_num(f, c->accuracy.rel_fro_err);
        csv_num(f, c->accuracy.max_abs_err);
        fprintf(f, ",%ld,%ld", c->accuracy.bound_violations, c->accuracy.rows_checked);
        const ef_invariants *v = &c->invariants;
        double cols[] = {c->accuracy.input_rel_err,
                         v->rowsum_rel,
                         v->rank_tail,
                         v->sv_rel_err,
                         v->pr_over_n,
                         v->v_max,
                         v->mu_k};
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) csv_num(f, cols[k]);
        fprintf(f, ",%s,%s",
                v->bound_ok < 0 ? ""
                : v->bound_ok   ? "true"
                                : "false",
                ef_case_status_name(c->status));
        csv_text(f, c->reasons);
        fputc('\n', f);
    }
}

/* ---- files ---- */

int results_mkdir_p(const char *path, ef_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c == '/' || c == '\0') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return ef_fail(err, EF_ERROR, "cannot create %s: %s", buf, strerror(errno));
            *p = c;
        }
        if (c == '\0') break;
    }
    return EF_OK;
}

static void write_json(FILE *f, json_t *doc)
{
    json_dumpf(doc, f, JSON_INDENT(1) | JSON_REAL_PRECISION(8));
    fputc('\n', f);
}

int results_write(const ef_run *run, const ef_results_meta *meta, const char *dir,
                  const ef_results_file *extra, int extra_count, ef_error *err)
{
    enum { MAX_FILES = 8 };
    if (extra_count < 0 || extra_count > MAX_FILES - 2)
        return ef_fail(err, EF_ERROR, "results_write: %d extra files (at most %d)", extra_count,
                       MAX_FILES - 2);
    int rc = results_mkdir_p(dir, err);
    if (rc) return rc;
    json_t *doc = results_json(run, meta);
    if (!doc) return ef_fail(err, EF_ERROR, "could not build the JSON document");
    int count = 2 + extra_count, written = 0;
    char tmp[MAX_FILES][1100], final[MAX_FILES][1100];
    for (int i = 0; i < count && rc == EF_OK; i++, written++) {
        const char *name = i == 0 ? "results.json" : i == 1 ? "results.csv" : extra[i - 2].name;
        snprintf(final[i], sizeof final[i], "%s/%s", dir, name);
        snprintf(tmp[i], sizeof tmp[i], "%s/.%s.%ld.tmp", dir, name, (long)getpid());
        FILE *f = fopen(tmp[i], "w");
        if (!f) {
            rc = ef_fail(err, EF_ERROR, "cannot write %s: %s", tmp[i], strerror(errno));
            break;
        }
        if (i == 0) write_json(f, doc);
        else if (i == 1) write_csv(f, run);
        else extra[i - 2].write(f, run, meta);
        if (ferror(f) | fclose(f))
            rc = ef_fail(err, EF_ERROR, "writing %s failed: %s", tmp[i], strerror(errno));
    }
    /* all complete: only now do they take their names */
    for (int i = 0; i < written; i++) {
        if (rc == EF_OK && rename(tmp[i], final[i]) != 0)
            rc = ef_fail(err, EF_ERROR, "cannot rename %s: %s", tmp[i], strerror(errno));
        if (rc != EF_OK) unlink(tmp[i]);
    }
    json_decref(doc);
    return rc;
}

void results_utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
