/* report/results_shards.c — before `efbench report` merges results, the shards of a
 * sharded run (`efbench run --shard I/N`, results.json "shard": "I/N") must be all there,
 * once each, and of one suite version, seed and plan; else the merged tables would look
 * complete and be wrong. Shards belong together when they name the same suite and N and
 * the same sweep (results.json "sweep": a SLURM array's job id, whose tasks may land on
 * different nodes) or, without one, ran on the same devices (backend, name, driver, host
 * CPU); so several sharded sweeps of a device matrix merge side by side. Called by
 * results_load.c.
 */
#include "results_shards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shard_doc {
    const char *path, *suite, *sha256, *plan, *sweep;
    long long seed;
    int index, count;   /* 1-based index */
    char devices[1024]; /* what ties a sweep together */
} shard_doc;

static const char *str_at(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* 1 and *sd filled when doc is a shard; 0 when not; -1 when its "shard" is malformed. */
static int shard_read(json_t *doc, const char *path, shard_doc *sd)
{
    json_t *shard = json_object_get(doc, "shard"), *suite = json_object_get(doc, "suite");
    if (!shard || json_is_null(shard)) return 0;
    char tail;
    memset(sd, 0, sizeof *sd);
    if (!json_is_string(shard) ||
        sscanf(json_string_value(shard), "%d/%d%c", &sd->index, &sd->count, &tail) != 2 ||
        sd->count < 1 || sd->index < 1 || sd->index > sd->count)
        return -1;
    sd->path = path, sd->suite = str_at(suite, "name"), sd->sha256 = str_at(suite, "sha256");
    sd->plan = str_at(doc, "plan"), sd->sweep = str_at(doc, "sweep");
    sd->seed = json_integer_value(json_object_get(suite, "seed"));
    const char *host = str_at(json_object_get(doc, "host"), "cpu");
    json_t *devices = json_object_get(doc, "devices");
    size_t at = snprintf(sd->devices, sizeof sd->devices, "%s", host);
    for (size_t i = 0; i < json_array_size(devices) && at < sizeof sd->devices; i++) {
        json_t *d = json_array_get(devices, i);
        at += snprintf(sd->devices + at, sizeof sd->devices - at, "|%s/%s/%s", str_at(d, "backend"),
                       str_at(d, "name"), str_at(d, "driver_version"));
    }
    return 1;
}

/* One sharded run: the same suite and N, and the same sweep id (a SLURM array's, whose
 * tasks may land on different nodes) or, without one, the same devices. */
static int same_sweep(const shard_doc *a, const shard_doc *b)
{
    if (a->count != b->count || strcmp(a->suite, b->suite)) return 0;
    if (*a->sweep || *b->sweep) return !strcmp(a->sweep, b->sweep);
    return !strcmp(a->devices, b->devices);
}

/* The shards of one sweep (those same_sweep as s[first]): one version, each index once,
 * none missing. */
static int sweep_check(const shard_doc *s, int count, int first, char *seen, ef_error *err)
{
    const shard_doc *a = &s[first];
    const shard_doc **at = calloc((size_t)a->count, sizeof *at);
    if (!at) return ef_fail(err, EF_NOMEM, "out of memory");
    int rc = EF_OK;
    for (int i = first; i < count && rc == EF_OK; i++) {
        const shard_doc *b = &s[i];
        if (!same_sweep(a, b)) continue;
        seen[i] = 1;
        if (strcmp(a->sha256, b->sha256))
            rc = ef_fail(
                err, EF_ERROR,
                "%s (shard %d/%d) is from another version of suite %s than %s (shard %d/%d): "
                "suite SHA-256 %.12s... vs %.12s...",
                b->path, b->index, b->count, a->suite, a->path, a->index, a->count, b->sha256,
                a->sha256);
        else if (a->seed != b->seed)
            rc = ef_fail(
                err, EF_ERROR,
                "%s (shard %d/%d) ran suite %s with seed %lld, %s (shard %d/%d) with seed %lld",
                b->path, b->index, b->count, a->suite, b->seed, a->path, a->index, a->count,
                a->seed);
        else if (strcmp(a->plan, b->plan))
            rc = ef_fail(
                err, EF_ERROR,
                "%s (shard %d/%d) and %s (shard %d/%d) split suite %s differently (plan %s vs "
                "%s: another --precision, --model, --text or --qk)",
                b->path, b->index, b->count, a->path, a->index, a->count, a->suite, b->plan,
                a->plan);
        else if (at[b->index - 1])
            rc = ef_fail(err, EF_ERROR, "shard %d/%d of suite %s is there twice: %s and %s",
                         b->index, b->count, a->suite, at[b->index - 1]->path, b->path);
        else at[b->index - 1] = b;
    }
    for (int k = 0; k < a->count && rc == EF_OK; k++)
        if (!at[k])
            rc = ef_fail(
                err, EF_ERROR,
                "shard %d/%d of suite %s is missing (shard %d/%d is %s); give every shard's "
                "folder",
                k + 1, a->count, a->suite, a->index, a->count, a->path);
    free(at);
    return rc;
}

int results_shards_check(json_t *const *docs, const char *const *paths, int count, ef_error *err)
{
    shard_doc *s = calloc((size_t)(count ? count : 1), sizeof *s);
    char *seen = calloc((size_t)(count ? count : 1), 1);
    int n = 0, rc = EF_OK;
    if (!s || !seen) rc = ef_fail(err, EF_NOMEM, "out of memory");
    for (int i = 0; i < count && rc == EF_OK; i++) {
        int is = shard_read(docs[i], paths[i], &s[n]);
        if (is < 0)
            rc = ef_fail(err, EF_ERROR, "%s: \"shard\" is not \"I/N\" with 1 <= I <= N", paths[i]);
        n += is > 0;
    }
    for (int i = 0; i < n && rc == EF_OK; i++)
        if (!seen[i]) rc = sweep_check(s, n, i, seen, err);
    free(s);
    free(seen);
    return rc;
}
