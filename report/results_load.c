/* report/results_load.c — finds results.json files (directories are searched
 * recursively), parses them with jansson, refuses anything that is not an efbench results
 * document of format_version 1, and merges them: devices by backend + name + driver + host
 * CPU, cases flattened, input heads from "inputs" or else from cases[].reference
 * (deduplicated). See results_load.h; called by `efbench report` (cmd_report.c).
 */
#include "report/results_load.h"
#include "report/results_shards.h"
#include "core/file.h"
#include "core/sort.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

const char *const results_inv_names[EF_INV_COUNT] = {
    "rowsum_rel", "rowsum_bound", "rank_tail", "rank_tail_bound", "sv_rel_err", "sv_rel_bound",
    "pr_over_n",  "v_max",        "mu_k",      "rank_k",          "srank",      "bound_slack",
};

/* Make room for `need` elements of `size` bytes in *p (capacity *cap). */
static int grow(void *p, int *cap, int need, size_t size, ef_error *err)
{
    if (need <= *cap) return EF_OK;
    int c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *q = realloc(*(void **)p, (size_t)c * size);
    if (!q) return ef_fail(err, EF_NOMEM, "out of memory for %d entries", c);
    *(void **)p = q;
    *cap = c;
    return EF_OK;
}

/* ---- finding the files ---- */

typedef struct path_list {
    char **path; /* as found */
    char **real; /* realpath, to read a file once */
    int count, cap, cap2;
} path_list;

static int path_add(path_list *l, const char *path, ef_error *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) return ef_fail(err, EF_ERROR, "%s: %s", path, strerror(errno));
    for (int i = 0; i < l->count; i++)
        if (!strcmp(l->real[i], real)) return EF_OK;
    if (grow(&l->path, &l->cap, l->count + 1, sizeof *l->path, err) ||
        grow(&l->real, &l->cap2, l->count + 1, sizeof *l->real, err))
        return EF_NOMEM;
    l->path[l->count] = strdup(path);
    l->real[l->count] = strdup(real);
    if (!l->path[l->count] || !l->real[l->count]) {
        free(l->path[l->count]);
        free(l->real[l->count]);
        return ef_fail(err, EF_NOMEM, "out of memory");
    }
    l->count++;
    return EF_OK;
}

static void path_list_free(path_list *l)
{
    for (int i = 0; i < l->count; i++) free(l->path[i]), free(l->real[i]);
    free(l->path);
    free(l->real);
}

/* Add every results.json under dir (sorted, symlinked directories not followed). */
static int dir_search(const char *dir, path_list *l, int *entries, ef_error *err)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return ef_fail(err, EF_ERROR, "%s: cannot read the directory: %s", dir, strerror(errno));
    int rc = EF_OK;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc == EF_OK && strcmp(name, ".") && strcmp(name, "..")) {
            char path[PATH_MAX];
            struct stat st;
            (*entries)++;
            snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                     name);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                rc = dir_search(path, l, entries, err);
            else if (!strcmp(name, "results.json") && stat(path, &st) == 0 && S_ISREG(st.st_mode))
                rc = path_add(l, path, err);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int paths_collect(const char *const *paths, int count, path_list *l, ef_error *err)
{
    if (count <= 0)
        return ef_fail(err, EF_ERROR,
                       "no result files given (name results.json files or directories)");
    for (int i = 0; i < count; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0)
            return ef_fail(err, EF_ERROR, "%s: %s", paths[i], strerror(errno));
        if (!S_ISDIR(st.st_mode)) {
            if (path_add(l, paths[i], err)) return EF_ERROR;
            continue;
        }
        int before = l->count, entries = 0;
        if (dir_search(paths[i], l, &entries, err)) return EF_ERROR;
        if (l->count == before)
            return ef_fail(err, EF_ERROR, "%s: %s", paths[i],
                           entries ? "no results.json in this directory (searched recursively)"
                                   : "empty directory, no results.json");
    }
    return EF_OK;
}

/* ---- one document ---- */

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static double num_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int int_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

static void inv_read(json_t *obj, double *inv)
{
    for (int k = 0; k < EF_INV_COUNT; k++) inv[k] = num_of(obj, results_inv_names[k]);
}

/* Parse a file and check it is an efbench results document; *version gets its
 * format_version (checked against the others by the caller). */
static int doc_open(const char *path, json_t **doc, long long *version, ef_error *err)
{
    json_error_t jerr;
    ef_error why;
    char *text;
    size_t len;
    *doc = NULL;
    int rc = ef_file_read_all(path, SIZE_MAX - 4097, &text, &len, &why); /* a regular file, whole */
    if (rc) return ef_fail(err, rc, "%s: %s", path, why.msg);
    *doc = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!*doc)
        return ef_fail(err, EF_ERROR, "%s: not JSON (line %d: %s)", path, jerr.line, jerr.text);
    json_t *fmt = json_object_get(*doc, "format");
    if (!json_is_object(*doc) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), "efbench-results"))
        return ef_fail(
            err, EF_ERROR,
            "%s: not an efbench results file (\"format\" is %s%s%s, not \"efbench-results\"; "
            "written by another tool?)",
            path, json_is_string(fmt) ? "\"" : "",
            json_is_string(fmt) ? json_string_value(fmt) : "missing",
            json_is_string(fmt) ? "\"" : "");
    json_t *v = json_object_get(*doc, "format_version");
    if (!json_is_integer(v))
        return ef_fail(err, EF_ERROR, "%s: \"format_version\" is missing or not an integer", path);
    *version = json_integer_value(v);
    return EF_OK;
}

/* The merged device of one "devices" entry of file `file`; added if new. */
static int device_merge(ef_results *r, int *cap, json_t *dev, const char *host, int *index,
                        ef_error *err)
{
    const char *backend = str_of(dev, "backend"), *name = str_of(dev, "name"),
               *driver = str_of(dev, "driver_version");
    double pg = num_of(dev, "peak_gflops"), pb = num_of(dev, "peak_gbps");
    for (int i = 0; i < r->device_count; i++) {
        ef_result_device *d = &r->devices[i];
        if (strcmp(d->backend, backend) || strcmp(d->name, name) || strcmp(d->driver, driver) ||
            strcmp(d->host, host))
            continue;
        if (pg > 0 && !(d->peak_gflops >= pg)) d->peak_gflops = pg;
        if (pb > 0 && !(d->peak_gbps >= pb)) d->peak_gbps = pb;
        d->files++;
        *index = i;
        return EF_OK;
    }
    if (grow(&r->devices, cap, r->device_count + 1, sizeof *r->devices, err)) return EF_NOMEM;
    r->devices[r->device_count] = (ef_result_device){.backend = backend,
                                                     .name = name,
                                                     .vendor = str_of(dev, "vendor"),
                                                     .driver = driver,
                                                     .api = str_of(dev, "api_version"),
                                                     .type = str_of(dev, "type"),
                                                     .host = host,
                                                     .peak_gflops = pg > 0 ? pg : NAN,
                                                     .peak_gbps = pb > 0 ? pb : NAN,
                                                     .files = 1};
    *index = r->device_count++;
    return EF_OK;
}

static int same_input(const ef_result_input *a, const ef_result_input *b)
{
    return a->layer == b->layer && a->head == b->head && a->n == b->n && a->d == b->d &&
           a->seed == b->seed && !strcmp(a->source, b->source) && !strcmp(a->text, b->text) &&
           !strcmp(a->mask, b->mask) && !strcmp(a->precision, b->precision);
}

/* What a merge keeps between documents: the arrays' capacities, and the input heads
 * already known, by identity (the fields same_input compares), so that finding a head's twin
 * is a hash lookup rather than a scan of every head before it. */
typedef struct merge_state {
    int files, devices, cases, inputs; /* capacities of the arrays of ef_results */
    json_t *input_index;               /* identity key -> index into r->inputs */
} merge_state;

/* The identity key of an input: its strings length-prefixed (so no two differ only in
 * where one ends), then its numbers. malloc'd; NULL when out of memory. */
static char *input_key(const ef_result_input *in)
{
    const char *fmt = "%zu:%s|%zu:%s|%zu:%s|%zu:%s|%d|%d|%d|%d|%llu";
#define INPUT_KEY_ARGS                                                                      \
    strlen(in->source), in->source, strlen(in->text), in->text, strlen(in->mask), in->mask, \
        strlen(in->precision), in->precision, in->layer, in->head, in->n, in->d,            \
        (unsigned long long)in->seed
    int len = snprintf(NULL, 0, fmt, INPUT_KEY_ARGS);
    char *key = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (key) snprintf(key, (size_t)len + 1, fmt, INPUT_KEY_ARGS);
#undef INPUT_KEY_ARGS
    return key;
}

/* Add an input head unless the same one is known; a known one gets the values it lacked. */
static int input_merge(ef_results *r, merge_state *ms, const ef_result_input *in, ef_error *err)
{
    char *key = input_key(in);
    if (!key) return ef_fail(err, EF_NOMEM, "out of memory");
    json_t *at = json_object_get(ms->input_index, key);
    int rc = EF_OK;
    if (at) {
        ef_result_input *o = &r->inputs[json_integer_value(at)];
        r->merge_compares++;
        if (same_input(o, in)) {
            for (int k = 0; k < EF_INV_COUNT; k++)
                if (!isfinite(o->inv[k])) o->inv[k] = in->inv[k];
            goto out;
        }
    }
    if ((rc = grow(&r->inputs, &ms->inputs, r->input_count + 1, sizeof *r->inputs, err))) goto out;
    /* strings from a parsed JSON document are valid UTF-8, as object keys must be */
    if (json_object_set_new(ms->input_index, key, json_integer(r->input_count))) {
        rc = ef_fail(err, EF_NOMEM, "out of memory indexing the inputs");
        goto out;
    }
    r->inputs[r->input_count++] = *in;
out:
    free(key);
    return rc;
}

static ef_result_input input_of(json_t *obj, json_t *inv)
{
    json_t *seed = json_object_get(obj, "seed");
    ef_result_input in = {.source = str_of(obj, "source"),
                          .model = str_of(obj, "model"),
                          .text = str_of(obj, "text"),
                          .mask = str_of(obj, "mask"),
                          .precision = str_of(obj, "precision"),
                          .layer = int_of(obj, "layer"),
                          .head = int_of(obj, "head"),
                          .kv_head = int_of(obj, "kv_head"),
                          .n = int_of(obj, "n"),
                          .d = int_of(obj, "d"),
                          .seed = json_is_integer(seed) ? (uint64_t)json_integer_value(seed) : 0};
    inv_read(inv, in.inv);
    return in;
}

/* Check a case has the fields every table needs; name the first one missing. */
static int case_check(const char *path, size_t i, json_t *c, ef_error *err)
{
    static const char *const strings[] = {"backend",   "workload", "mask",
                                          "precision", "source",   "status"};
    if (!json_is_object(c)) return ef_fail(err, EF_ERROR, "%s: case %zu is not an object", path, i);
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
        if (!json_is_string(json_object_get(c, strings[k])))
            return ef_fail(err, EF_ERROR, "%s: case %zu: \"%s\" is missing or not a string", path,
                           i, strings[k]);
    static const char *const ints[] = {"device_id", "n", "d"};
    for (size_t k = 0; k < 3; k++)
        if (!json_is_integer(json_object_get(c, ints[k])))
            return ef_fail(err, EF_ERROR, "%s: case %zu: \"%s\" is missing or not an integer", path,
                           i, ints[k]);
    return EF_OK;
}

/* Merge one document (already checked: format and version) as file r->file_count. */
static int doc_merge(ef_results *r, merge_state *ms, const char *path, json_t *doc, ef_error *err)
{
    json_t *devices = json_object_get(doc, "devices"), *cases = json_object_get(doc, "cases"),
           *inputs = json_object_get(doc, "inputs"), *host = json_object_get(doc, "host"),
           *summary = json_object_get(doc, "summary");
    if (!json_is_array(devices))
        return ef_fail(err, EF_ERROR, "%s: \"devices\" is missing or not an array", path);
    if (!json_is_array(cases))
        return ef_fail(err, EF_ERROR, "%s: \"cases\" is missing or not an array", path);
    if (inputs && !json_is_array(inputs) && !json_is_null(inputs))
        return ef_fail(err, EF_ERROR, "%s: \"inputs\" is not an array", path);
    int fi = r->file_count, ndev = (int)json_array_size(devices);
    if (grow(&r->files, &ms->files, fi + 1, sizeof *r->files, err)) return EF_NOMEM;
    ef_result_file *f = &r->files[fi];
    *f = (ef_result_file){.path = strdup(path),
                          .tool_version = str_of(json_object_get(doc, "tool"), "version"),
                          .utc_time = str_of(doc, "utc_time"),
                          .command_line = str_of(doc, "command_line"),
                          .suite = str_of(json_object_get(doc, "suite"), "name"),
                          .host_cpu = str_of(host, "cpu"),
                          .host_os = str_of(host, "os"),
                          .host_cores = int_of(host, "cores"),
                          .cases = (int)json_array_size(cases),
                          .pass = int_of(summary, "pass"),
                          .fail = int_of(summary, "fail"),
                          .unsupported = int_of(summary, "unsupported"),
                          .error = int_of(summary, "error"),
                          .has_inputs = json_is_array(inputs)};
    if (!f->path) return ef_fail(err, EF_NOMEM, "out of memory");
    r->file_count++;
    int *map = calloc(ndev ? ndev : 1, sizeof *map);
    if (!map) return ef_fail(err, EF_NOMEM, "out of memory");
    int rc = EF_OK;
    for (int i = 0; i < ndev && rc == EF_OK; i++) {
        json_t *dev = json_array_get(devices, i);
        if (!json_is_object(dev))
            rc = ef_fail(err, EF_ERROR, "%s: device %d is not an object", path, i);
        else rc = device_merge(r, &ms->devices, dev, f->host_cpu, &map[i], err);
    }
    for (size_t i = 0; i < json_array_size(cases) && rc == EF_OK; i++) {
        json_t *c = json_array_get(cases, i);
        if ((rc = case_check(path, i, c, err))) break;
        int dev = int_of(c, "device_id");
        if (dev < 0 || dev >= ndev) {
            rc = ef_fail(err, EF_ERROR,
                         "%s: case %zu: device_id %d is not in \"devices\" (%d entries)", path, i,
                         dev, ndev);
            break;
        }
        if ((rc = grow(&r->cases, &ms->cases, r->case_count + 1, sizeof *r->cases, err))) break;
        json_t *t = json_object_get(c, "time_ms"), *dj = json_array_get(devices, dev);
        ef_result_case *k = &r->cases[r->case_count++];
        *k = (ef_result_case){.file = fi,
                              .device = map[dev],
                              .workload = str_of(c, "workload"),
                              .variant = str_of(c, "variant"),
                              .mask = str_of(c, "mask"),
                              .precision = str_of(c, "precision"),
                              .source = str_of(c, "source"),
                              .text = str_of(c, "text"),
                              .status = str_of(c, "status"),
                              .n = int_of(c, "n"),
                              .d = int_of(c, "d"),
                              .ms = num_of(t, "median"),
                              .ms_min = num_of(t, "min"),
                              .ms_max = num_of(t, "max"),
                              .gflops = num_of(c, "gflops"),
                              .gbps = num_of(c, "gbps"),
                              .rel_fro_err = num_of(json_object_get(c, "accuracy"), "rel_fro_err"),
                              .peak_gflops = num_of(dj, "peak_gflops"),
                              .peak_gbps = num_of(dj, "peak_gbps")};
        inv_read(json_object_get(c, "invariants"), k->inv);
        if (!f->has_inputs) {
            json_t *ref = json_object_get(c, "reference");
            if (json_is_object(ref)) {
                ef_result_input in = input_of(c, ref);
                rc = input_merge(r, ms, &in, err);
            }
        }
    }
    for (size_t i = 0; f->has_inputs && i < json_array_size(inputs) && rc == EF_OK; i++) {
        json_t *in = json_array_get(inputs, i);
        if (!json_is_object(in) || !json_is_string(json_object_get(in, "source")))
            rc =
                ef_fail(err, EF_ERROR, "%s: input %zu is not an object with a \"source\"", path, i);
        else {
            ef_result_input one = input_of(in, json_object_get(in, "invariants"));
            rc = input_merge(r, ms, &one, err);
        }
    }
    free(map);
    return rc;
}

/* ---- the whole set ---- */

void results_free(ef_results *r)
{
    for (int i = 0; i < r->file_count; i++) free(r->files[i].path);
    for (int i = 0; i < r->doc_count; i++) json_decref(r->docs[i]);
    free(r->files);
    free(r->devices);
    free(r->cases);
    free(r->inputs);
    free(r->docs);
    *r = (ef_results){0};
}

int results_load(const char *const *paths, int count, ef_results *out, ef_error *err)
{
    *out = (ef_results){0};
    path_list l = {0};
    json_t **docs = NULL;
    long long *version = NULL;
    merge_state cap = {.input_index = json_object()};
    if (!cap.input_index) return ef_fail(err, EF_NOMEM, "out of memory");
    int rc = paths_collect(paths, count, &l, err);
    if (rc) goto free_paths;
    docs = calloc(l.count, sizeof *docs);
    version = calloc(l.count, sizeof *version);
    if (!docs || !version) {
        rc = ef_fail(err, EF_NOMEM, "out of memory");
        goto free_docs;
    }
    for (int i = 0; i < l.count; i++)
        if ((rc = doc_open(l.path[i], &docs[i], &version[i], err))) goto free_docs;
    for (int i = 1; i < l.count; i++)
        if (version[i] != version[0]) {
            rc = ef_fail(
                err, EF_ERROR,
                "cannot merge results of different format versions: %s has format_version %lld, "
                "%s has format_version %lld",
                l.path[0], version[0], l.path[i], version[i]);
            goto free_docs;
        }
    if (version[0] != RESULTS_FORMAT_VERSION) {
        rc = ef_fail(
            err, EF_ERROR,
            version[0] > RESULTS_FORMAT_VERSION
                ? "%s: format_version %lld was written by a newer efbench (this one reads format_version %d)"
                : "%s: unknown format_version %lld (this efbench reads format_version %d)",
            l.path[0], version[0], RESULTS_FORMAT_VERSION);
        goto free_docs;
    }
    if ((rc = results_shards_check(docs, (const char *const *)l.path, l.count, err)))
        goto free_docs;
    out->docs = docs;
    out->doc_count = l.count;
    for (int i = 0; i < l.count; i++)
        if ((rc = doc_merge(out, &cap, l.path[i], docs[i], err))) break;
    docs = NULL; /* out owns them now */
    if (rc) results_free(out);
free_docs:
    for (int i = 0; docs && i < l.count; i++) json_decref(docs[i]);
    free(docs);
    free(version);
free_paths:
    path_list_free(&l);
    json_decref(cap.input_index);
    return rc;
}

/* ---- helpers for the tables and charts ---- */

double results_median(double *v, int count)
{
    int k = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    if (!k) return NAN;
    ef_sort_doubles(v, k);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

int results_workload_rank(const char *name)
{
    ef_workload w; /* the order of core/types.h; unknown names last */
    return ef_workload_parse(name, &w) == EF_OK ? (int)w : EF_WL_COUNT;
}

long results_mask_rank(const char *name)
{
    if (!strcmp(name, "full")) return 0;
    if (!strcmp(name, "causal")) return 1;
    if (!strncmp(name, "window:", 7)) return 2 + strtol(name + 7, NULL, 10);
    return LONG_MAX;
}

int results_precision_rank(const char *name)
{
    ef_precision p;
    return ef_precision_parse(name, &p) == EF_OK ? (int)p : EF_PREC_COUNT;
}
