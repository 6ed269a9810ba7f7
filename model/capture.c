/* model/capture.c — the capture hook that copies Q/K out of the forward pass, the
 * safetensors exchange layout on top of model/safetensors.h, and the on-disk cache under
 * the efbench cache directory (files named by model hash, text hash, length, tokenizer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/capture.h"
#include "model/safetensors.h"

/* Bump when the forward pass changes its numbers or the file its content, so old cache
 * files are not reused (2: the token ids and the text hash are stored). */
#define CAPTURE_CACHE_VERSION 2

void capture_free(capture_set *c)
{
    if (!c) return;
    for (int l = 0; l < c->n_layers && c->layers; l++) {
        free(c->layers[l].q);
        free(c->layers[l].k);
    }
    free(c->layers);
    free(c->tokens);
    memset(c, 0, sizeof *c);
}

static int capture_alloc(capture_set *c, int n_layers)
{
    c->layers = calloc((size_t)n_layers, sizeof *c->layers);
    c->n_layers = c->layers ? n_layers : 0;
    return c->layers ? 0 : -1;
}

static int capture_layer_alloc(capture_layer *L)
{
    L->q = malloc((size_t)L->n_head * L->n * L->d * sizeof *L->q);
    L->k = malloc((size_t)L->n_head_kv * L->n * L->d * sizeof *L->k);
    return L->q && L->k ? 0 : -1;
}

/* The hook: copy query head h (and its KV head, once) into the layer's arrays. */
static int capture_hook(void *user, const forward_qk *qk)
{
    capture_set *c = user;
    capture_layer *L = &c->layers[qk->layer];
    if (!L->q) {
        L->layer = qk->layer;
        L->n = qk->n;
        L->d = qk->d;
        L->scale = qk->scale;
        L->softcap = qk->softcap;
        L->mask = qk->mask;
        if (capture_layer_alloc(L)) return -1;
    }
    size_t nd = (size_t)qk->n * qk->d;
    float *q = L->q + (size_t)qk->head * nd;
    for (int t = 0; t < qk->n; t++)
        memcpy(q + (size_t)t * qk->d, qk->q + (size_t)t * qk->q_stride, (size_t)qk->d * sizeof *q);
    if (qk->head % (L->n_head / L->n_head_kv) == 0) {
        float *k = L->k + (size_t)qk->kv_head * nd;
        for (int t = 0; t < qk->n; t++)
            memcpy(k + (size_t)t * qk->d, qk->k + (size_t)t * qk->k_stride,
                   (size_t)qk->d * sizeof *k);
    }
    return 0;
}

int capture_run(model *m, const int32_t *ids, int n, const char *text_name,
                const forward_progress *progress, capture_set *out, ef_error *err)
{
    const model_config *c = model_config_get(m);
    memset(out, 0, sizeof *out);
    if (capture_alloc(out, c->n_layer)) return ef_fail(err, EF_NOMEM, "capture: out of memory");
    snprintf(out->model, sizeof out->model, "%s", model_name(m));
    snprintf(out->text, sizeof out->text, "%s", text_name ? text_name : "");
    out->n = n;
    out->tokens = malloc((size_t)n * sizeof *out->tokens);
    if (!out->tokens) {
        capture_free(out);
        return ef_fail(err, EF_NOMEM, "capture: out of memory");
    }
    memcpy(out->tokens, ids, (size_t)n * sizeof *ids);
    for (int l = 0; l < c->n_layer; l++) {
        out->layers[l].n_head = c->n_head;
        out->layers[l].n_head_kv = c->n_head_kv;
    }
    forward_request req = {.tokens = ids,
                           .n = n,
                           .capture = capture_hook,
                           .capture_user = out,
                           .progress = progress,
                           .progress_label = text_name};
    int rc = model_forward(m, &req, err);
    if (rc == EF_ERROR && strstr(err->msg, "capture hook"))
        rc = ef_fail(err, EF_NOMEM, "capture: out of memory for the Q/K of %d tokens", n);
    if (rc) capture_free(out);
    return rc;
}

int capture_write(const capture_set *c, const char *path, ef_error *err)
{
    size_t nt = 2 * (size_t)c->n_layers + 1, nm = 4 + 3 * (size_t)c->n_layers;
    safetensors_out *t = calloc(nt, sizeof *t);
    safetensors_kv *meta = calloc(nm, sizeof *meta);
    char *strs = calloc(8 * (size_t)c->n_layers + 8, 64), *s = strs;
    size_t it = 0, im = 0;
    int rc;
    if (!t || !meta || !strs) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    meta[im++] = (safetensors_kv){"model", c->model};
    meta[im++] = (safetensors_kv){"text", c->text};
    if (c->text_hash[0]) meta[im++] = (safetensors_kv){"text_hash", c->text_hash};
    snprintf(s, 64, "%d", c->n);
    meta[im++] = (safetensors_kv){"length", s};
    s += 64;
    if (c->tokens)
        t[it++] = (safetensors_out){
            .name = "tokens", .n_dims = 1, .shape = {c->n}, .data = c->tokens, .dtype = "I32"};
    for (int i = 0; i < c->n_layers; i++) {
        const capture_layer *L = &c->layers[i];
        char *mk = s, *mv = s + 64, *sk = s + 128, *sv = s + 192, *qn = s + 256, *kn = s + 320;
        char *ck = s + 384, *cv = s + 448;
        s += 512;
        snprintf(mk, 64, "mask.%d", L->layer);
        ef_mask_format(L->mask, mv, 64);
        snprintf(sk, 64, "scale.%d", L->layer);
        snprintf(sv, 64, "%.17g", L->scale);
        snprintf(qn, 64, "q.%d", L->layer);
        snprintf(kn, 64, "k.%d", L->layer);
        meta[im++] = (safetensors_kv){mk, mv};
        meta[im++] = (safetensors_kv){sk, sv};
        if (L->softcap > 0) {
            snprintf(ck, 64, "softcap.%d", L->layer);
            snprintf(cv, 64, "%.17g", L->softcap);
            meta[im++] = (safetensors_kv){ck, cv};
        }
        t[it++] = (safetensors_out){
            .name = qn, .n_dims = 3, .shape = {L->n_head, L->n, L->d}, .data = L->q};
        t[it++] = (safetensors_out){
            .name = kn, .n_dims = 3, .shape = {L->n_head_kv, L->n, L->d}, .data = L->k};
    }
    rc = safetensors_write(path, t, it, meta, im, err);
cleanup:
    free(t);
    free(meta);
    free(strs);
    return rc;
}

/* The optional `tokens` tensor: I32 [n], each id >= 0. */
static int capture_read_tokens(safetensors_file *f, const char *path, capture_set *out,
                               ef_error *err)
{
    const safetensors_tensor *t = safetensors_tensor_find(f, "tokens");
    if (!t) return EF_OK;
    if (strcmp(t->dtype, "I32") || t->n_dims != 1 || t->shape[0] != out->n)
        return ef_fail(err, EF_ERROR,
                       "%s: tensor tokens must be I32 [%d] (the ids of the %d "
                       "positions), is %s with %d dimensions",
                       path, out->n, out->n, t->dtype, t->n_dims);
    out->tokens = malloc((size_t)out->n * sizeof *out->tokens);
    if (!out->tokens) return ef_fail(err, EF_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < out->n; i++) {
        const uint8_t *b = t->data + 4 * (size_t)i; /* little-endian, maybe unaligned */
        out->tokens[i] = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                   (uint32_t)b[3] << 24);
        if (out->tokens[i] < 0)
            return ef_fail(err, EF_ERROR, "%s: tokens[%d] = %d is not a token id", path, i,
                           out->tokens[i]);
    }
    return EF_OK;
}

int capture_read(const char *path, capture_set *out, ef_error *err)
{
    safetensors_file *f = NULL;
    safetensors_qk_layer *ql = NULL;
    int nl = 0;
    memset(out, 0, sizeof *out);
    int rc = safetensors_open(path, &f, err);
    if (rc) return rc;
    if ((rc = safetensors_qk_layout(f, &ql, &nl, err))) goto cleanup;
    if (nl == 0) {
        rc = ef_fail(err, EF_ERROR, "%s: no q.<layer> / k.<layer> tensors", path);
        goto cleanup;
    }
    if (capture_alloc(out, nl)) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    const char *model = safetensors_meta_get(f, "model"), *text = safetensors_meta_get(f, "text");
    if (!model || !*model) {
        model = strrchr(path, '/');
        model = model ? model + 1 : path;
    }
    snprintf(out->model, sizeof out->model, "%s", model);
    snprintf(out->text, sizeof out->text, "%s", text ? text : "");
    const char *th = safetensors_meta_get(f, "text_hash");
    snprintf(out->text_hash, sizeof out->text_hash, "%s", th ? th : "");
    out->n = ql[0].n;
    if ((rc = capture_read_tokens(f, path, out, err))) goto cleanup;
    for (int i = 0; i < nl; i++) {
        capture_layer *L = &out->layers[i];
        *L = (capture_layer){.layer = ql[i].layer,
                             .n_head = ql[i].n_head,
                             .n_head_kv = ql[i].n_head_kv,
                             .n = ql[i].n,
                             .d = ql[i].d,
                             .scale = ql[i].scale,
                             .mask = ql[i].mask};
        char key[64];
        snprintf(key, sizeof key, "softcap.%d", L->layer);
        const char *cap = safetensors_meta_get(f, key);
        char *end = NULL;
        if (cap && (L->softcap = strtod(cap, &end), !*cap || *end || !(L->softcap > 0))) {
            rc = ef_fail(err, EF_ERROR, "%s: metadata %s is '%s' (expected a positive number)",
                         path, key, cap);
            goto cleanup;
        }
        if (capture_layer_alloc(L)) {
            rc = ef_fail(err, EF_NOMEM, "%s: out of memory for layer %d", path, L->layer);
            goto cleanup;
        }
        if ((rc = safetensors_tensor_read_f32(f, ql[i].q, L->q, err)) ||
            (rc = safetensors_tensor_read_f32(f, ql[i].k, L->k, err)))
            goto cleanup;
    }
cleanup:
    if (rc) capture_free(out);
    free(ql);
    safetensors_close(f);
    return rc;
}

int capture_cache_dir(char *buf, size_t len, ef_error *err)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int w;
    if (x && *x) w = snprintf(buf, len, "%s/efbench", x);
    else if (home && *home) w = snprintf(buf, len, "%s/.cache/efbench", home);
    else
        return ef_fail(err, EF_ERROR, "neither XDG_CACHE_HOME nor HOME is set: no cache directory");
    if (w < 0 || (size_t)w >= len) return ef_fail(err, EF_ERROR, "cache directory path too long");
    return EF_OK;
}

/* mkdir -p for the two levels we need. */
static int capture_mkdirs(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

int capture_cached(model *m, const text_source *t, int n, const forward_progress *progress,
                   capture_set *out, int *from_cache, ef_error *err)
{
    char dir[900], path[1200];
    int32_t *ids = NULL;
    int have_dir = capture_cache_dir(dir, sizeof dir, NULL) == EF_OK;
    *from_cache = 0;
    if (have_dir) {
        const char *sha = gguf_file_hash(model_gguf(m));
        size_t dl = strlen(dir);
        snprintf(dir + dl, sizeof dir - dl, "/qk");
        snprintf(path, sizeof path, "%s/%.16s-%s-n%d-%s-f%d.safetensors", dir, sha ? sha : "nohash",
                 t->hash, n, tokenizer_name(model_tokenizer(m)), CAPTURE_CACHE_VERSION);
        ef_error e2;
        if (capture_read(path, out, &e2) == EF_OK) {
            if (out->n == n && out->n_layers == model_config_get(m)->n_layer && out->tokens) {
                snprintf(out->model, sizeof out->model, "%s", model_name(m));
                snprintf(out->text, sizeof out->text, "%s", t->name);
                snprintf(out->text_hash, sizeof out->text_hash, "%s", t->hash);
                *from_cache = 1;
                return EF_OK;
            }
            capture_free(out); /* stale or foreign: recompute and replace */
        }
    }
    int rc = text_tokens(t, model_tokenizer(m), n, &ids, err);
    if (rc) return rc;
    rc = capture_run(m, ids, n, t->name, progress, out, err);
    free(ids);
    if (rc) return rc;
    snprintf(out->text_hash, sizeof out->text_hash, "%s", t->hash);
    if (have_dir && capture_mkdirs(dir) == 0) {
        ef_error e2;
        capture_write(out, path, &e2); /* best effort: a read-only cache only costs time */
    }
    return EF_OK;
}
