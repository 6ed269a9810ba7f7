/* harness/source_model.c — the adapter from model/ to the harness's sources: ef_source_ops
 * for real attention: `model` runs (or reads from the
 * capture cache) a GGUF model on texts and yields one ef_head per (text, layer, query
 * head); `qk` yields the heads of an imported safetensors file. Shapes are checked when the
 * source opens, so a bad file fails before any case runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "harness/source_model.h"
#include "model/capture.h"

#define SM_DEFAULT_FILE "gemma-3-270m-q4_k_m.gguf"
#define SM_MAX_TEXTS 32

typedef struct sm_state {
    model *m; /* `model` only */
    text_source texts[SM_MAX_TEXTS];
    int n_texts;
    capture_set qk; /* `qk` only: the whole file */
    int is_qk;
    int *layer_sel; /* 1 per selected layer index (size max_layer + 1) */
    int max_layer;
    int heads; /* -1 all */
    uint64_t seed;
    const forward_progress *progress; /* of the forward pass, from the run; may be NULL */
} sm_state;

int source_model_default_path(char *buf, size_t len, ef_error *err)
{
    char dir[900];
    int rc = capture_cache_dir(dir, sizeof dir, err);
    if (rc) return rc;
    int w = snprintf(buf, len, "%s/%s", dir, SM_DEFAULT_FILE);
    return w < 0 || (size_t)w >= len ? ef_fail(err, EF_ERROR, "cache path too long") : EF_OK;
}

static void sm_close(void *state)
{
    sm_state *s = state;
    if (!s) return;
    model_close(s->m);
    for (int i = 0; i < s->n_texts; i++) text_close(&s->texts[i]);
    capture_free(&s->qk);
    free(s->layer_sel);
    free(s);
}

/* "all" / NULL, or a comma list of indices < n_layers. */
static int sm_layers_parse(sm_state *s, const char *spec, int n_layers, const char *what,
                           ef_error *err)
{
    s->max_layer = n_layers - 1;
    s->layer_sel = calloc((size_t)n_layers, sizeof *s->layer_sel);
    if (!s->layer_sel) return ef_fail(err, EF_NOMEM, "out of memory");
    if (!spec || !*spec || !strcmp(spec, "all")) {
        for (int l = 0; l < n_layers; l++) s->layer_sel[l] = 1;
        return EF_OK;
    }
    for (const char *p = spec; *p;) {
        char *end;
        long l = strtol(p, &end, 10);
        if (end == p || (*end && *end != ','))
            return ef_fail(err, EF_ERROR,
                           "layers '%s': expected \"all\" or a comma list of "
                           "layer indices",
                           spec);
        if (l < 0 || l >= n_layers)
            return ef_fail(err, EF_ERROR,
                           "layers '%s': layer %ld does not exist (%s has "
                           "layers 0..%d)",
                           spec, l, what, n_layers - 1);
        s->layer_sel[l] = 1;
        p = *end ? end + 1 : end;
    }
    return EF_OK;
}

static int sm_model_accepts(const char *spec)
{
    return !strcmp(spec, "model") || !strncmp(spec, "model:", 6);
}

static int sm_model_open(const char *spec, const ef_source_args *args, void **state, ef_error *err)
{
    sm_state *s = calloc(1, sizeof *s);
    char path[1024];
    int rc;
    *state = NULL;
    if (!s) return ef_fail(err, EF_NOMEM, "out of memory");
    s->heads = args->heads;
    s->seed = args->seed;
    s->progress = args->progress;
    const char *mp = args->model;
    if (!mp || !*mp || !strcmp(mp, "default")) {
        struct stat st;
        if ((rc = source_model_default_path(path, sizeof path, err))) goto fail;
        if (stat(path, &st)) {
            rc = ef_fail(err, EF_ERROR,
                         "the default model %s is not there: run "
                         "model/fetch-default-model.sh once to download it (about 240 MB), or "
                         "give a GGUF path as the suite's model",
                         path);
            goto fail;
        }
        mp = path;
    }
    ef_error why;
    if (ef_file_check_regular(mp, &why)) { /* a FIFO would block the GGUF reader's open */
        rc = ef_fail(err, EF_ERROR, "model %s: %s", mp, why.msg);
        goto fail;
    }
    if ((rc = model_open(mp, &s->m, err))) goto fail;
    const char *list = !strncmp(spec, "model:", 6)   ? spec + 6
                       : args->texts && *args->texts ? args->texts
                                                     : text_default_list;
    char name[512];
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t') p++; /* "gpl3, debref": names around commas are trimmed */
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        if (len == 0 || len >= sizeof name) {
            rc = ef_fail(err, EF_ERROR, "texts '%s': empty or overlong entry", list);
            goto fail;
        }
        if (s->n_texts == SM_MAX_TEXTS) {
            rc = ef_fail(err, EF_ERROR, "texts '%s': more than %d texts", list, SM_MAX_TEXTS);
            goto fail;
        }
        memcpy(name, p, len);
        name[len] = 0;
        if ((rc = text_open(name, args->seed, &s->texts[s->n_texts], err))) goto fail;
        s->n_texts++;
        p = comma ? comma + 1 : p + strlen(p);
    }
    if (s->n_texts == 0) {
        rc = ef_fail(err, EF_ERROR, "no texts given to the model source");
        goto fail;
    }
    if ((rc = sm_layers_parse(s, args->layers, model_config_get(s->m)->n_layer, model_name(s->m),
                              err)))
        goto fail;
    *state = s;
    return EF_OK;
fail:
    sm_close(s);
    return rc;
}

/* Appends the selected heads of capture c (first n rows) to *out. */
static int sm_heads_add(const sm_state *s, const capture_set *c, int n, uint64_t seed,
                        ef_head **out, int *count, int *cap, ef_error *err)
{
    for (int i = 0; i < c->n_layers; i++) {
        const capture_layer *L = &c->layers[i];
        if (L->layer > s->max_layer || !s->layer_sel[L->layer]) continue;
        int H = s->heads >= 0 && s->heads < L->n_head ? s->heads : L->n_head;
        int G = L->n_head / L->n_head_kv;
        for (int h = 0; h < H; h++) {
            if (*count == *cap) {
                int nc = *cap ? *cap * 2 : 64;
                ef_head *nh = realloc(*out, (size_t)nc * sizeof *nh);
                if (!nh) return ef_fail(err, EF_NOMEM, "out of memory for heads");
                *out = nh;
                *cap = nc;
            }
            ef_head *e = &(*out)[*count];
            memset(e, 0, sizeof *e);
            size_t rows = (size_t)n * L->d, full = (size_t)L->n * L->d;
            e->q = malloc(rows * sizeof *e->q);
            e->k = malloc(rows * sizeof *e->k);
            if (!e->q || !e->k) {
                free(e->q);
                free(e->k);
                return ef_fail(err, EF_NOMEM, "out of memory for %d x %d Q/K", n, L->d);
            }
            (*count)++;
            memcpy(e->q, L->q + (size_t)h * full, rows * sizeof *e->q);
            memcpy(e->k, L->k + (size_t)(h / G) * full, rows * sizeof *e->k);
            e->n = n;
            e->d = L->d;
            e->scale = L->scale;
            e->has_model_mask = 1;
            e->model_mask = L->mask;
            snprintf(e->source, sizeof e->source, "%s", c->model);
            snprintf(e->text, sizeof e->text, "%s", c->text);
            e->layer = L->layer;
            e->head = h;
            e->kv_head = h / G;
            e->seed = seed;
        }
    }
    return EF_OK;
}

static void sm_heads_drop(ef_head *h, int count)
{
    for (int i = 0; i < count; i++) {
        free(h[i].q);
        free(h[i].k);
    }
    free(h);
}

/* Every text must reach length n: a short one makes the whole call EF_UNSUPPORTED (naming
 * it) rather than silently yielding the other texts only; spec "model:TEXT" gives each
 * text its own status. */
static int sm_model_heads(void *state, int n, ef_head **heads, int *count, ef_error *err)
{
    sm_state *s = state;
    ef_head *out = NULL;
    int cnt = 0, cap = 0, rc = EF_OK;
    for (int i = 0; i < s->n_texts; i++) {
        int32_t *ids;
        rc = text_tokens(&s->texts[i], model_tokenizer(s->m), n, &ids, err);
        if (rc == EF_UNSUPPORTED && s->n_texts > 1) {
            size_t l = strlen(err->msg);
            if (snprintf(err->msg + l, sizeof err->msg - l,
                         " (texts listed one per source as "
                         "model:TEXT are reported separately)") < 0)
                err->msg[l] = 0;
        }
        if (rc) return rc;
        free(ids);
    }
    for (int i = 0; i < s->n_texts; i++) {
        capture_set c;
        int from_cache;
        if ((rc = capture_cached(s->m, &s->texts[i], n, s->progress, &c, &from_cache, err)))
            goto fail;
        rc = sm_heads_add(s, &c, n, s->texts[i].random ? s->seed : 0, &out, &cnt, &cap, err);
        capture_free(&c);
        if (rc) goto fail;
    }
    *heads = out;
    *count = cnt;
    return EF_OK;
fail:
    sm_heads_drop(out, cnt);
    return rc;
}

/* Heads per length (every text, every selected layer) and d, for the plan: from the
 * model's hyper-parameters or the imported file's shapes, without a forward pass. */
static void sm_shape(void *state, int *heads, int *d)
{
    const sm_state *s = state;
    int count = 0;
    if (s->is_qk) {
        for (int i = 0; i < s->qk.n_layers; i++) {
            const capture_layer *L = &s->qk.layers[i];
            if (L->layer > s->max_layer || !s->layer_sel[L->layer]) continue;
            count += s->heads >= 0 && s->heads < L->n_head ? s->heads : L->n_head;
            *d = L->d;
        }
    } else {
        const model_config *c = model_config_get(s->m);
        for (int l = 0; l <= s->max_layer; l++)
            if (s->layer_sel[l])
                count += s->heads >= 0 && s->heads < c->n_head ? s->heads : c->n_head;
        count *= s->n_texts;
        *d = c->d;
    }
    *heads = count > 0 ? count : 1;
}

const ef_source_ops ef_source_model = {
    .kind = "model",
    .accepts = sm_model_accepts,
    .open = sm_model_open,
    .heads = sm_model_heads,
    .close = sm_close,
    .shape = sm_shape,
};

/* ---- imported Q/K ------------------------------------------------------------------ */

/* The first value of v[0..count) that is not finite, or -1. */
static long sm_first_non_finite(const float *v, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i])) return (long)i;
    return -1;
}

static int sm_bad_value(const char *path, char which, int layer, const char *head_kind, int h,
                        int d, long at, float v, ef_error *err)
{
    return ef_fail(
        err, EF_ERROR,
        "%s: tensor %c.%d holds %s at %s %d, position %ld, dimension %ld: not a measurable "
        "input",
        path, which, layer,
        isnan(v) ? "NaN"
        : v > 0  ? "+inf"
                 : "-inf",
        head_kind, h, at / d, at % d);
}

int source_qk_check(const capture_set *c, const char *path, ef_error *err)
{
    for (int i = 0; i < c->n_layers; i++) {
        const capture_layer *L = &c->layers[i];
        size_t per = (size_t)L->n * L->d;
        for (int h = 0; h < L->n_head; h++) {
            const float *q = L->q + h * per;
            long at = sm_first_non_finite(q, per);
            if (at >= 0) return sm_bad_value(path, 'q', L->layer, "head", h, L->d, at, q[at], err);
            size_t j = 0;
            while (j < per && q[j] == 0) j++;
            if (j == per)
                return ef_fail(
                    err, EF_ERROR,
                    "%s: tensor q.%d, head %d: every query is zero, so the field is zero "
                    "(a degenerate input)",
                    path, L->layer, h);
        }
        for (int h = 0; h < L->n_head_kv; h++) {
            const float *k = L->k + h * per;
            long at = sm_first_non_finite(k, per);
            if (at >= 0)
                return sm_bad_value(path, 'k', L->layer, "KV head", h, L->d, at, k[at], err);
            size_t j = L->d;
            while (j < per && k[j] == k[j % L->d]) j++; /* every row equal to row 0? */
            if (j == per)
                return ef_fail(
                    err, EF_ERROR,
                    "%s: tensor k.%d, KV head %d: every position has the same key, so the "
                    "centered keys are zero (a degenerate input: mu_K is undefined, the field is zero)",
                    path, L->layer, h);
        }
    }
    return EF_OK;
}

static int sm_qk_accepts(const char *spec) { return !strcmp(spec, "qk"); }

static int sm_qk_open(const char *spec, const ef_source_args *args, void **state, ef_error *err)
{
    (void)spec;
    *state = NULL;
    if (!args->qk || !*args->qk)
        return ef_fail(err, EF_ERROR, "source qk needs a safetensors file (--qk FILE)");
    sm_state *s = calloc(1, sizeof *s);
    if (!s) return ef_fail(err, EF_NOMEM, "out of memory");
    s->is_qk = 1;
    s->heads = args->heads;
    s->seed = args->seed;
    ef_error why;
    int rc = ef_file_check_regular(args->qk, &why); /* a FIFO would block the reader's open */
    if (rc) {
        rc = ef_fail(err, EF_ERROR, "--qk %s: %s", args->qk, why.msg);
        goto fail;
    }
    rc = capture_read(args->qk, &s->qk, err);
    if (rc || (rc = source_qk_check(&s->qk, args->qk, err))) goto fail;
    int max = 0;
    for (int i = 0; i < s->qk.n_layers; i++)
        if (s->qk.layers[i].layer > max) max = s->qk.layers[i].layer;
    if ((rc = sm_layers_parse(s, NULL, max + 1, args->qk, err))) goto fail;
    if (args->layers && *args->layers && strcmp(args->layers, "all")) {
        free(s->layer_sel);
        if ((rc = sm_layers_parse(s, args->layers, max + 1, args->qk, err))) goto fail;
    }
    *state = s;
    return EF_OK;
fail:
    sm_close(s);
    return rc;
}

static int sm_qk_heads(void *state, int n, ef_head **heads, int *count, ef_error *err)
{
    sm_state *s = state;
    const capture_set *c = &s->qk;
    if (n > c->n)
        return ef_fail(err, EF_UNSUPPORTED,
                       "the imported Q/K hold %d positions, fewer than "
                       "length %d",
                       c->n, n);
    if (n < c->n)
        for (int i = 0; i < c->n_layers; i++)
            if (c->layers[i].mask.kind == EF_MASK_FULL)
                return ef_fail(err, EF_UNSUPPORTED,
                               "the imported Q/K have length %d and layer "
                               "%d is not causal, so a shorter length %d cannot be cut from "
                               "them",
                               c->n, c->layers[i].layer, n);
    ef_head *out = NULL;
    int cnt = 0, cap = 0;
    int rc = sm_heads_add(s, c, n, 0, &out, &cnt, &cap, err);
    if (rc) {
        sm_heads_drop(out, cnt);
        return rc;
    }
    *heads = out;
    *count = cnt;
    return EF_OK;
}

const ef_source_ops ef_source_qk = {
    .kind = "qk",
    .accepts = sm_qk_accepts,
    .open = sm_qk_open,
    .heads = sm_qk_heads,
    .close = sm_close,
    .shape = sm_shape,
};
