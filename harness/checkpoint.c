/* harness/checkpoint.c — DIR/cases.jsonl written as a run goes and read back to continue
 * it (checkpoint.h). Records are appended with one write(2) a line and fsync'd every
 * CHECKPOINT_SYNC_S seconds; on resume the recorded records are indexed by key in jansson
 * objects (hash tables), and a last line without its newline (the write a kill cut short)
 * is dropped.
 */
#include "harness/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/host.h"
#include "harness/results.h"

enum { CHECKPOINT_FORMAT_VERSION = 1 };

struct ef_checkpoint {
    char path[1100];
    int fd;
    int dirty; /* written since the last fsync                                  */
    double last_sync_ms;
    json_t *devices; /* the recorded "devices" array, or NULL                        */
    json_t *inputs;  /* group key -> input record                                    */
    json_t *cases;   /* case key -> case record                                      */
    json_t *order;   /* group key -> [case keys], in the order they were made       */
    json_t *done;    /* "group key|dev=N" -> true                                    */
    json_t *seen;    /* group key base -> occurrences so far in this session's walk */
    int recorded_cases;
};

/* ---- the identity line ---- */

static json_t *identity_json(const ef_run_identity *id)
{
    return json_pack(
        "{s:s,s:i,s:s,s:{s:s,s:s,s:s},s:b,s:I,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b},s:s,s:s}",
        "format", "efbench-checkpoint", "format_version", CHECKPOINT_FORMAT_VERSION, "efbench",
        id->version, "suite", "given", id->suite, "path", id->suite_path, "sha256",
        id->suite_sha256, "has_seed", id->has_seed, "seed", (json_int_t)id->seed, "options",
        "backend", id->backends, "device", id->device, "precision", id->precisions, "model",
        id->model, "text", id->text, "qk", id->qk, "inject_fault", id->fault, "shard", id->shard,
        "max_memory", id->max_memory, "peak", id->measure_peak, "command_line", id->command_line,
        "utc_time", id->utc_time);
}

static int identity_parse(json_t *o, const char *path, ef_run_identity *id, ef_error *err)
{
    const char *version, *suite, *spath, *sha, *be, *dev, *prec, *model, *text, *qk, *fault, *cmd,
        *when, *fmt;
    const char *shard = "", *max_memory = ""; /* absent from checkpoints of efbench before them */
    int has_seed, peak, fv;
    json_int_t seed;
    json_error_t jerr;
    memset(id, 0, sizeof *id);
    if (json_unpack_ex(
            o, &jerr, 0,
            "{s:s,s:i,s:s,s:{s:s,s:s,s:s},s:b,s:I,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s?s,s?s,s:b},s:s,s:s}",
            "format", &fmt, "format_version", &fv, "efbench", &version, "suite", "given", &suite,
            "path", &spath, "sha256", &sha, "has_seed", &has_seed, "seed", &seed, "options",
            "backend", &be, "device", &dev, "precision", &prec, "model", &model, "text", &text,
            "qk", &qk, "inject_fault", &fault, "shard", &shard, "max_memory", &max_memory, "peak",
            &peak, "command_line", &cmd, "utc_time", &when) ||
        strcmp(fmt, "efbench-checkpoint"))
        return ef_fail(err, EF_ERROR, "%s:1: not the first line of an efbench checkpoint (%s)",
                       path, jerr.text);
    if (fv != CHECKPOINT_FORMAT_VERSION)
        return ef_fail(err, EF_ERROR, "%s: checkpoint format_version %d (this efbench reads %d)",
                       path, fv, CHECKPOINT_FORMAT_VERSION);
#define ID_COPY(dst, src) snprintf(dst, sizeof dst, "%s", src)
    ID_COPY(id->version, version), ID_COPY(id->suite, suite), ID_COPY(id->suite_path, spath);
    ID_COPY(id->suite_sha256, sha), ID_COPY(id->backends, be), ID_COPY(id->device, dev);
    ID_COPY(id->precisions, prec), ID_COPY(id->model, model), ID_COPY(id->text, text),
        ID_COPY(id->qk, qk);
    ID_COPY(id->fault, fault), ID_COPY(id->command_line, cmd), ID_COPY(id->utc_time, when);
    ID_COPY(id->shard, shard), ID_COPY(id->max_memory, max_memory);
#undef ID_COPY
    id->has_seed = has_seed, id->seed = (uint64_t)seed, id->measure_peak = peak;
    return EF_OK;
}

/* Why this session (b) is not the run recorded in `dir` (a), or EF_OK. */
static int identity_compare(const ef_run_identity *a, const ef_run_identity *b, const char *dir,
                            ef_error *err)
{
    if (strcmp(a->version, b->version))
        return ef_fail(
            err, EF_ERROR,
            "--resume %s: the run was started by efbench %s, this is efbench %s; finish it "
            "with that version or start a new run",
            dir, a->version, b->version);
    if (strcmp(a->suite_path, b->suite_path))
        return ef_fail(err, EF_ERROR, "--resume %s: the run's suite is %s, this command's is %s",
                       dir, a->suite_path, b->suite_path);
    if (strcmp(a->suite_sha256, b->suite_sha256))
        return ef_fail(
            err, EF_ERROR,
            "--resume %s: the suite file %s changed since the run started (SHA-256 %.12s..., "
            "now %.12s...)",
            dir, a->suite_path, a->suite_sha256, b->suite_sha256);
    if (a->seed != b->seed)
        return ef_fail(err, EF_ERROR, "--resume %s: the run's seed is %llu, this command's is %llu",
                       dir, (unsigned long long)a->seed, (unsigned long long)b->seed);
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {{"--backend", offsetof(ef_run_identity, backends)},
                {"--device", offsetof(ef_run_identity, device)},
                {"--precision", offsetof(ef_run_identity, precisions)},
                {"--model", offsetof(ef_run_identity, model)},
                {"--text", offsetof(ef_run_identity, text)},
                {"--qk", offsetof(ef_run_identity, qk)},
                {"--inject-fault", offsetof(ef_run_identity, fault)},
                {"--shard", offsetof(ef_run_identity, shard)},
                {"--max-memory", offsetof(ef_run_identity, max_memory)}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *x = (const char *)a + opts[i].off, *y = (const char *)b + opts[i].off;
        if (strcmp(x, y))
            return ef_fail(err, EF_ERROR, "--resume %s: the run used %s '%s', this command %s '%s'",
                           dir, opts[i].name, *x ? x : "(none)", opts[i].name, *y ? y : "(none)");
    }
    if (a->measure_peak != b->measure_peak)
        return ef_fail(err, EF_ERROR, "--resume %s: the run %s --no-peak, this command %s", dir,
                       a->measure_peak ? "did not use" : "used",
                       b->measure_peak ? "does not" : "does");
    return EF_OK;
}

/* ---- writing ---- */

static int checkpoint_sync(ef_checkpoint *ck, ef_error *err)
{
    if (fsync(ck->fd) != 0)
        return ef_fail(err, EF_ERROR, "cannot write %s: %s", ck->path, strerror(errno));
    ck->last_sync_ms = host_clock_ms();
    ck->dirty = 0;
    return EF_OK;
}

int checkpoint_flush(ef_checkpoint *ck, ef_error *err)
{
    return ck->dirty ? checkpoint_sync(ck, err) : EF_OK;
}

/* One record, one line, one write; steals `rec`. */
static int checkpoint_append(ef_checkpoint *ck, json_t *rec, ef_error *err)
{
    char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(rec);
    if (!line) return ef_fail(err, EF_NOMEM, "%s: could not build a record", ck->path);
    size_t len = strlen(line);
    line[len] = '\n'; /* json_dumps's NUL becomes the newline */
    int rc = EF_OK;
    for (size_t done = 0; done < len + 1 && rc == EF_OK;) {
        ssize_t w = write(ck->fd, line + done, len + 1 - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            rc = ef_fail(err, EF_ERROR, "cannot write %s: %s", ck->path,
                         w < 0 ? strerror(errno) : "no space");
        else done += (size_t)w;
    }
    free(line);
    ck->dirty = 1;
    if (rc == EF_OK && host_clock_ms() - ck->last_sync_ms >= CHECKPOINT_SYNC_S * 1e3)
        rc = checkpoint_sync(ck, err);
    return rc;
}

/* ---- reading ---- */

static void case_key(const char *group, int device, const char *workload, const char *variant,
                     char *key, size_t len)
{
    snprintf(key, len, "%s|dev=%d|%s|%s", group, device, workload, variant);
}

/* Index one record line (after the identity). */
static int checkpoint_index(ef_checkpoint *ck, json_t *rec, int line, ef_error *err)
{
    json_t *group = json_object_get(rec, "group");
    const char *g = json_string_value(group);
    if (json_is_array(json_object_get(rec, "devices"))) {
        json_decref(ck->devices);
        ck->devices = json_incref(json_object_get(rec, "devices"));
        return EF_OK;
    }
    if (g && json_is_object(json_object_get(rec, "input")))
        return json_object_set(ck->inputs, g, json_object_get(rec, "input")) ? EF_NOMEM : EF_OK;
    json_t *c = json_object_get(rec, "case");
    if (g && json_is_object(c)) {
        json_t *dev = json_object_get(c, "device_id"), *wl = json_object_get(c, "workload");
        const char *variant = json_string_value(json_object_get(c, "variant"));
        if (!json_is_integer(dev) || !json_is_string(wl))
            return ef_fail(err, EF_ERROR, "%s:%d: a case record without device_id or workload",
                           ck->path, line);
        char key[2048];
        case_key(g, (int)json_integer_value(dev), json_string_value(wl), variant ? variant : "",
                 key, sizeof key);
        json_t *list = json_object_get(ck->order, g);
        if (!list && json_object_set_new(ck->order, g, list = json_array())) return EF_NOMEM;
        if (!list) return EF_NOMEM;
        if (!json_object_get(ck->cases, key)) {
            ck->recorded_cases++;
            json_array_append_new(list, json_string(key));
        }
        return json_object_set(ck->cases, key, c) ? EF_NOMEM : EF_OK;
    }
    json_t *done = json_object_get(rec, "done"), *dev = json_object_get(rec, "device");
    if (json_is_string(done) && json_is_integer(dev)) {
        char key[2048];
        snprintf(key, sizeof key, "%s|dev=%d", json_string_value(done),
                 (int)json_integer_value(dev));
        return json_object_set_new(ck->done, key, json_true()) ? EF_NOMEM : EF_OK;
    }
    return ef_fail(err, EF_ERROR, "%s:%d: not a checkpoint record", ck->path, line);
}

/* Every complete line of the file; a torn last line is cut off the file. */
static int checkpoint_load(ef_checkpoint *ck, const char *dir, const ef_run_identity *id,
                           ef_error *err)
{
    char *text;
    size_t len;
    ef_error why;
    int rc = ef_file_read_all(ck->path, SIZE_MAX / 2, &text, &len, &why);
    if (rc) return ef_fail(err, rc, "%s: %s", ck->path, why.msg);
    size_t at = 0;
    int line = 1;
    for (; rc == EF_OK && at < len; line++) {
        char *nl = memchr(text + at, '\n', len - at);
        if (!nl) break; /* a write cut short by the kill */
        json_error_t jerr;
        json_t *rec = json_loadb(text + at, (size_t)(nl - (text + at)), 0, &jerr);
        if (!json_is_object(rec)) {
            rc = ef_fail(err, EF_ERROR, "%s:%d: not a checkpoint record (%s)", ck->path, line,
                         rec ? "not an object" : jerr.text);
        } else if (line == 1) {
            ef_run_identity recorded;
            if (!(rc = identity_parse(rec, ck->path, &recorded, err)))
                rc = identity_compare(&recorded, id, dir, err);
        } else if ((rc = checkpoint_index(ck, rec, line, err)) == EF_NOMEM) {
            rc = ef_fail(err, EF_NOMEM, "%s: out of memory indexing the records", ck->path);
        }
        json_decref(rec);
        at = (size_t)(nl - text) + 1;
    }
    free(text);
    if (rc == EF_OK && line == 1)
        rc = ef_fail(err, EF_ERROR, "%s: empty: no run to continue", ck->path);
    if (rc == EF_OK && at < len && ftruncate(ck->fd, (off_t)at) != 0)
        rc = ef_fail(err, EF_ERROR, "cannot write %s: %s", ck->path, strerror(errno));
    return rc;
}

int checkpoint_identity_read(const char *dir, ef_run_identity *id, ef_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, CHECKPOINT_FILE);
    ef_error why;
    int fd;
    if (ef_file_open_regular(path, &fd, &why))
        return ef_fail(err, EF_ERROR,
                       "--resume %s: %s: %s (not a run folder, or one made by an efbench without "
                       "checkpoints)",
                       dir, path, why.msg);
    FILE *f = fdopen(fd, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = f ? getline(&line, &cap, f) : -1;
    if (f) fclose(f);
    else close(fd);
    int rc;
    json_error_t jerr;
    json_t *rec = got > 0 ? json_loadb(line, (size_t)got, 0, &jerr) : NULL;
    if (!rec)
        rc = ef_fail(err, EF_ERROR, "%s:1: not the first line of an efbench checkpoint", path);
    else rc = identity_parse(rec, path, id, err);
    json_decref(rec);
    free(line);
    return rc;
}

/* ---- open, close ---- */

void checkpoint_close(ef_checkpoint *ck)
{
    if (!ck) return;
    if (ck->fd >= 0) {
        fsync(ck->fd);
        close(ck->fd);
    }
    json_t *objs[] = {ck->devices, ck->inputs, ck->cases, ck->order, ck->done, ck->seen};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) json_decref(objs[i]);
    free(ck);
}

int checkpoint_open(const char *dir, const ef_run_identity *id, int resume, ef_checkpoint **out,
                    ef_error *err)
{
    *out = NULL;
    ef_checkpoint *ck = calloc(1, sizeof *ck);
    if (!ck) return ef_fail(err, EF_NOMEM, "out of memory");
    ck->fd = -1;
    ck->inputs = json_object(), ck->cases = json_object(), ck->order = json_object();
    ck->done = json_object(), ck->seen = json_object();
    snprintf(ck->path, sizeof ck->path, "%s/%s", dir, CHECKPOINT_FILE);
    int rc = EF_OK;
    if (!ck->inputs || !ck->cases || !ck->order || !ck->done || !ck->seen) {
        rc = ef_fail(err, EF_NOMEM, "out of memory");
        goto fail;
    }
    if (resume) {
        if ((ck->fd = open(ck->path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
            rc = ef_fail(err, EF_ERROR, "--resume %s: cannot open %s: %s", dir, ck->path,
                         strerror(errno));
            goto fail;
        }
        if ((rc = checkpoint_load(ck, dir, id, err))) goto fail;
    } else {
        char results[1100];
        snprintf(results, sizeof results, "%s/results.json", dir);
        if (access(ck->path, F_OK) == 0 || access(results, F_OK) == 0) {
            rc = ef_fail(
                err, EF_ERROR,
                "%s already holds a run (%s): continue it with --resume %s, or choose another "
                "--out",
                dir, access(ck->path, F_OK) == 0 ? CHECKPOINT_FILE : "results.json", dir);
            goto fail;
        }
        if ((ck->fd = open(ck->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644)) <
            0) {
            rc = ef_fail(err, EF_ERROR, "cannot write %s: %s", ck->path, strerror(errno));
            goto fail;
        }
        if ((rc = checkpoint_append(ck, identity_json(id), err)) || (rc = checkpoint_sync(ck, err)))
            goto fail;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* the file's name, durable too */
        if (dfd >= 0) fsync(dfd), close(dfd);
    }
    ck->last_sync_ms = host_clock_ms();
    *out = ck;
    return EF_OK;
fail:
    if (!resume && ck->fd >= 0) unlink(ck->path);
    checkpoint_close(ck);
    return rc;
}

int checkpoint_recorded_cases(const ef_checkpoint *ck) { return ck ? ck->recorded_cases : 0; }

/* ---- devices ---- */

int checkpoint_devices_restore(ef_checkpoint *ck, ef_run *run, int *restored, ef_error *err)
{
    *restored = 0;
    if (!ck->devices) return EF_OK;
    if ((int)json_array_size(ck->devices) != run->device_count)
        return ef_fail(err, EF_ERROR, "%s: the run used %zu devices, this machine opens %d",
                       ck->path, json_array_size(ck->devices), run->device_count);
    for (int i = 0; i < run->device_count; i++) {
        json_t *d = json_array_get(ck->devices, i);
        ef_run_device *rd = &run->devices[i];
        const char *be = json_string_value(json_object_get(d, "backend")),
                   *name = json_string_value(json_object_get(d, "name"));
        if (!be || !name || strcmp(be, rd->backend->name) || strcmp(name, rd->info.name) ||
            json_integer_value(json_object_get(d, "index")) != rd->index)
            return ef_fail(err, EF_ERROR,
                           "%s: device %d of the run was %s %s, this machine's is %s %d (%s)",
                           ck->path, i, be ? be : "?", name ? name : "?", rd->backend->name,
                           rd->index, rd->info.name);
        json_t *pg = json_object_get(d, "peak_gflops"), *pb = json_object_get(d, "peak_gbps");
        const char *pm = json_string_value(json_object_get(d, "peak_method"));
        rd->info.peak_gflops = json_is_number(pg) ? json_number_value(pg) : 0;
        rd->info.peak_gbps = json_is_number(pb) ? json_number_value(pb) : 0;
        snprintf(rd->info.peak_method, sizeof rd->info.peak_method, "%s", pm ? pm : "");
    }
    *restored = 1;
    return EF_OK;
}

int checkpoint_devices_write(ef_checkpoint *ck, const ef_run *run, ef_error *err)
{
    json_t *devs = json_array();
    for (int i = 0; i < run->device_count; i++) {
        const ef_run_device *d = &run->devices[i];
        json_array_append_new(
            devs, json_pack("{s:s,s:i,s:s,s:f,s:f,s:s}", "backend", d->backend->name, "index",
                            d->index, "name", d->info.name, "peak_gflops", d->info.peak_gflops,
                            "peak_gbps", d->info.peak_gbps, "peak_method", d->info.peak_method));
    }
    json_decref(ck->devices);
    ck->devices = json_incref(devs);
    return checkpoint_append(ck, json_pack("{s:o}", "devices", devs), err);
}

/* ---- groups and cases ---- */

void checkpoint_group_key(ef_checkpoint *ck, const char *base, char *key, size_t len)
{
    char clean[1800];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)base; *p && o + 4 < sizeof clean; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '%')
            clean[o++] = (char)*p; /* keys stay ASCII (JSON object keys) */
        else o += (size_t)snprintf(clean + o, sizeof clean - o, "%%%02X", *p);
    }
    clean[o] = '\0';
    json_t *n = json_object_get(ck->seen, clean);
    json_int_t seen = json_is_integer(n) ? json_integer_value(n) : 0;
    json_object_set_new(ck->seen, clean, json_integer(seen + 1));
    snprintf(key, len, "%s#%lld", clean, (long long)seen);
}

int checkpoint_input_get(ef_checkpoint *ck, const char *key, ef_input *in, ef_error *err)
{
    json_t *rec = json_object_get(ck->inputs, key);
    if (!rec) return EF_UNSUPPORTED;
    ef_error why;
    if (results_input_parse(rec, in, &why))
        return ef_fail(err, EF_ERROR, "%s: input of %s: %s", ck->path, key, why.msg);
    return EF_OK;
}

int checkpoint_input_put(ef_checkpoint *ck, const char *key, const ef_input *in, ef_error *err)
{
    json_t *rec = results_input_json(in);
    if (!rec)
        return ef_fail(err, EF_ERROR, "%s: could not build the input record of %s", ck->path, key);
    return checkpoint_append(ck, json_pack("{s:o,s:s}", "input", rec, "group", key), err);
}

int checkpoint_device_done(const ef_checkpoint *ck, const char *key, int dv)
{
    char k[2048];
    snprintf(k, sizeof k, "%s|dev=%d", key, dv);
    return json_object_get(ck->done, k) != NULL;
}

int checkpoint_device_done_put(ef_checkpoint *ck, const char *key, int dv, ef_error *err)
{
    return checkpoint_append(ck, json_pack("{s:s,s:i}", "done", key, "device", dv), err);
}

int checkpoint_device_cases(ef_checkpoint *ck, const char *key, int dv, int device_count,
                            ef_case **cases, int *count, ef_error *err)
{
    json_t *list = json_object_get(ck->order, key);
    *cases = NULL, *count = 0;
    size_t n = json_array_size(list);
    if (!n) return EF_OK;
    ef_case *out = malloc(n * sizeof *out);
    if (!out) return ef_fail(err, EF_NOMEM, "out of memory for %zu recorded cases", n);
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_object_get(ck->cases, json_string_value(json_array_get(list, i)));
        if (json_integer_value(json_object_get(rec, "device_id")) != dv) continue;
        ef_error why;
        if (results_case_parse(rec, device_count, &out[*count], &why)) {
            free(out);
            return ef_fail(err, EF_ERROR, "%s: a case of %s: %s", ck->path, key, why.msg);
        }
        (*count)++;
    }
    *cases = out;
    return EF_OK;
}

int checkpoint_case(ef_checkpoint *ck, const char *key, const ef_run *run, const ef_case *c,
                    ef_case *kept, int *recorded, ef_error *err)
{
    char k[2048];
    case_key(key, c->device, ef_workload_name(c->workload), c->variant, k, sizeof k);
    json_t *rec = json_object_get(ck->cases, k);
    *recorded = rec != NULL;
    if (rec) {
        ef_error why;
        if (results_case_parse(rec, run->device_count, kept, &why))
            return ef_fail(err, EF_ERROR, "%s: case %s: %s", ck->path, k, why.msg);
        return EF_OK;
    }
    *kept = *c;
    rec = results_case_json(run, c);
    if (!rec)
        return ef_fail(err, EF_ERROR, "%s: could not build the case record of %s", ck->path, k);
    return checkpoint_append(ck, json_pack("{s:o,s:s}", "case", rec, "group", key), err);
}
