/* harness/monitor_run.c — one checkpoint of `efbench monitor`: its Q/K (a GGUF model on a
 * text through the capture cache, or an imported safetensors file), then mu_K per KV head
 * and PR/n per query head through the efbench-monitor library; and the comparison of
 * consecutive checkpoints. Files and JSON: monitor_report.c. Caller: cmd_monitor.c.
 */
#include "harness/monitor_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/file.h"
#include "efbench/monitor.h"
#include "model/capture.h"
#include "harness/source_model.h"

static double mon_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mon_checkpoint_free(mon_checkpoint *c)
{
    if (!c) return;
    free(c->heads);
    c->heads = NULL;
}

/* EF_* of the model layer as a MON_* class: only memory is not the user's input. */
static int mon_class(int rc)
{
    return rc == EF_OK ? MON_OK : rc == EF_NOMEM ? MON_FAIL : MON_INPUT;
}

/* Opens the GGUF (resolving "default") and checks that it can give n positions of t:
 * n >= d + 2 and a text long enough. Records the model's identity in *out. */
static int mon_model_open(const char *model_arg, const text_source *t, int n, model **m,
                          mon_checkpoint *out, ef_error *err)
{
    char path[1024];
    struct stat st;
    int rc;
    *m = NULL;
    if (!strcmp(model_arg, "default")) {
        if (source_model_default_path(path, sizeof path, err)) return MON_FAIL;
        if (stat(path, &st))
            return ef_fail(err, MON_INPUT,
                           "the default model %s is not there: run "
                           "model/fetch-default-model.sh once (about 240 MB) or pass --model "
                           "FILE.gguf",
                           path);
        model_arg = path;
    }
    ef_error why;
    if (stat(model_arg, &st)) return ef_fail(err, MON_INPUT, "model '%s': no such file", model_arg);
    if (ef_file_check_regular(model_arg, &why)) /* a FIFO would block the GGUF reader's open */
        return ef_fail(err, MON_INPUT, "model %s: %s", model_arg, why.msg);
    if ((rc = model_open(model_arg, m, err))) return mon_class(rc);
    const model_config *cfg = model_config_get(*m);
    snprintf(out->path, sizeof out->path, "%s", model_arg);
    snprintf(out->name, sizeof out->name, "%s", model_name(*m));
    snprintf(out->arch, sizeof out->arch, "%s", model_arch_name(cfg->arch));
    snprintf(out->text, sizeof out->text, "%s", t->name);
    out->size = (long long)st.st_size;
    out->kind = "gguf";
    out->n = n, out->d = cfg->d, out->n_layer = cfg->n_layer, out->n_head = cfg->n_head;
    out->n_head_kv = cfg->n_head_kv;
    if (n < cfg->d + 2) {
        rc = ef_fail(err, MON_INPUT,
                     "--length %d: %s has head dimension d = %d, and mu_K needs at least "
                     "d + 2 = %d positions (with n <= d + 1 every head has mu_K = 1)",
                     n, out->name, cfg->d, cfg->d + 2);
        goto close_model;
    }
    int32_t *ids = NULL;
    rc = text_tokens(t, model_tokenizer(*m), n, &ids, err); /* the text is long enough */
    free(ids);
    if (rc == EF_OK) return MON_OK;
    rc = rc == EF_UNSUPPORTED ? MON_INPUT : mon_class(rc);
close_model:
    model_close(*m);
    *m = NULL;
    return rc;
}

/* Captures n positions of t through the cache (checked by mon_model_open). */
static int mon_capture_model(const mon_source *src, const text_source *t, int n,
                             mon_checkpoint *out, capture_set *c, ef_error *err)
{
    model *m;
    int rc = mon_model_open(src->model, t, n, &m, out, err);
    if (rc) return rc;
    if (src->loaded) { /* what was loaded: one line before the work */
        char desc[512];
        model_describe(m, desc, sizeof desc);
        src->loaded(src->loaded_user, desc);
    }
    rc = capture_cached(m, t, n, src->capture_progress, c, &out->from_cache, err);
    if (rc == EF_UNSUPPORTED) rc = MON_INPUT; /* the text is too short: the user's input */
    else rc = mon_class(rc);
    if (!rc) {
        const char *sha = gguf_file_hash(model_gguf(m)); /* computed by the cache lookup */
        snprintf(out->sha256, sizeof out->sha256, "%s", sha ? sha : "");
        if (source_qk_check(c, out->path, err))
            rc = MON_INPUT; /* a model that gives degenerate heads */
    }
    model_close(m);
    return rc;
}

/* Reads an imported Q/K file and cuts it to n positions (0: all) where that is valid. */
static int mon_capture_qk(const char *path, int n, mon_checkpoint *out, capture_set *c,
                          ef_error *err)
{
    struct stat st;
    ef_error why;
    if (stat(path, &st)) return ef_fail(err, MON_INPUT, "--qk '%s': no such file", path);
    if (ef_file_check_regular(path, &why))
        return ef_fail(err, MON_INPUT, "--qk %s: %s", path, why.msg);
    int rc = capture_read(path, c, err);
    if (rc) return mon_class(rc);
    if (source_qk_check(c, path, err)) return MON_INPUT;
    snprintf(out->path, sizeof out->path, "%s", path);
    snprintf(out->name, sizeof out->name, "%s", c->model);
    snprintf(out->text, sizeof out->text, "%s", c->text);
    out->size = (long long)st.st_size;
    out->kind = "qk";
    if (n == 0 || n == c->n) return MON_OK;
    if (n > c->n)
        return ef_fail(err, MON_INPUT, "--length %d: %s holds only %d positions", n, path, c->n);
    for (int i = 0; i < c->n_layers; i++)
        if (c->layers[i].mask.kind == EF_MASK_FULL)
            return ef_fail(err, MON_INPUT,
                           "--length %d: layer %d of %s is not causal, so its "
                           "first %d positions are not a capture of length %d (drop --length)",
                           n, c->layers[i].layer, path, n, n);
    for (int i = 0; i < c->n_layers; i++) { /* rows 0..n-1 of each head, packed in place */
        capture_layer *L = &c->layers[i];
        size_t rows = (size_t)n * L->d, full = (size_t)L->n * L->d;
        for (int h = 1; h < L->n_head; h++)
            memmove(L->q + h * rows, L->q + h * full, rows * sizeof *L->q);
        for (int h = 1; h < L->n_head_kv; h++)
            memmove(L->k + h * rows, L->k + h * full, rows * sizeof *L->k);
        L->n = n;
    }
    c->n = n;
    return MON_OK;
}

/* Uniform shape across the layers (the table is layer x head). */
static int mon_shape(const capture_set *c, mon_checkpoint *out, ef_error *err)
{
    const capture_layer *L0 = &c->layers[0];
    for (int i = 1; i < c->n_layers; i++) {
        const capture_layer *L = &c->layers[i];
        if (L->n_head != L0->n_head || L->n_head_kv != L0->n_head_kv || L->d != L0->d)
            return ef_fail(err, MON_INPUT,
                           "%s: layer %d has %d query / %d KV heads of d = %d, "
                           "layer %d %d / %d of d = %d: the monitor needs one shape for all "
                           "layers",
                           out->path, L->layer, L->n_head, L->n_head_kv, L->d, L0->layer,
                           L0->n_head, L0->n_head_kv, L0->d);
    }
    out->n = c->n;
    out->d = L0->d;
    out->n_layer = c->n_layers;
    out->n_head = L0->n_head;
    out->n_head_kv = L0->n_head_kv;
    if (out->n < out->d + 2)
        return ef_fail(err, MON_INPUT,
                       "%s: %d positions for head dimension d = %d; mu_K needs "
                       "at least d + 2 = %d (with n <= d + 1 every head has mu_K = 1)",
                       out->path, out->n, out->d, out->d + 2);
    return MON_OK;
}

/* mu_K once per KV head (query heads sharing it share their keys), PR/n per query head. */
static int mon_analyse(const capture_set *c, mon_checkpoint *out, mon_progress_fn progress,
                       void *user, ef_error *err)
{
    int n = out->n, d = out->d, H = out->n_head, G = H / out->n_head_kv;
    char msg[512];
    double *lev = malloc((size_t)n * sizeof *lev);
    out->heads = calloc((size_t)out->n_layer * H, sizeof *out->heads);
    if (!lev || !out->heads) {
        free(lev);
        return ef_fail(err, MON_FAIL, "out of memory for %d layers x %d heads", out->n_layer, H);
    }
    int rc = MON_OK;
    for (int i = 0; i < c->n_layers && !rc; i++) {
        const capture_layer *L = &c->layers[i];
        size_t nd = (size_t)n * d;
        for (int h = 0; h < H && !rc; h++) {
            mon_head *e = &out->heads[(size_t)i * H + h];
            *e = (mon_head){.layer = L->layer, .head = h, .kv_head = h / G};
            const float *q = L->q + h * nd, *k = L->k + (size_t)(h / G) * nd;
            int efm = EFM_OK;
            if (h % G == 0) {
                efm = efm_key_leverage(n, d, k, lev, &e->mu_k, &e->rank_k, msg, sizeof msg);
                e->lev_argmax = 0;
                for (int j = 1; j < n && !efm; j++)
                    if (lev[j] > lev[e->lev_argmax]) e->lev_argmax = j;
            } else { /* same keys as the first head of the group */
                const mon_head *first = e - h % G;
                e->mu_k = first->mu_k, e->rank_k = first->rank_k, e->lev_argmax = first->lev_argmax;
            }
            if (!efm)
                efm = efm_column_energy_pr(n, d, q, k, L->scale, NULL, &e->pr_over_n, &e->v_max,
                                           msg, sizeof msg);
            if (efm) {
                rc = efm == EFM_EINVAL ? MON_INPUT : MON_FAIL;
                ef_fail(err, rc, "%s layer %d head %d: %s", out->path, L->layer, h, msg);
            }
        }
        if (progress && !rc) progress(user, i + 1, c->n_layers);
    }
    free(lev);
    return rc;
}

int mon_checkpoint_run(const mon_source *src, const text_source *t, int n, mon_progress_fn progress,
                       void *user, mon_checkpoint *out, ef_error *err)
{
    capture_set c = {0};
    double t0 = mon_now();
    int rc;
    memset(out, 0, sizeof *out);
    if (src->qk) rc = mon_capture_qk(src->qk, n, out, &c, err);
    else rc = mon_capture_model(src, t, n, out, &c, err);
    if (!rc) rc = mon_shape(&c, out, err);
    if (!rc) rc = mon_analyse(&c, out, progress, user, err);
    capture_free(&c);
    out->seconds = mon_now() - t0;
    if (rc) mon_checkpoint_free(out);
    return rc;
}

int mon_source_check(const mon_source *src, const text_source *t, int n, mon_checkpoint *out,
                     ef_error *err)
{
    memset(out, 0, sizeof *out);
    if (!src->qk) {
        model *m;
        int rc = mon_model_open(src->model, t, n, &m, out, err);
        model_close(m);
        return rc;
    }
    capture_set c = {0};
    int rc = mon_capture_qk(src->qk, n, out, &c, err);
    if (!rc) rc = mon_shape(&c, out, err);
    capture_free(&c);
    return rc;
}

int mon_checkpoints_match(const mon_checkpoint *a, const mon_checkpoint *b, ef_error *err)
{
    if (a->n_layer != b->n_layer || a->n_head != b->n_head || a->n_head_kv != b->n_head_kv ||
        a->d != b->d || (*a->arch && *b->arch && strcmp(a->arch, b->arch)))
        return ef_fail(err, MON_INPUT,
                       "checkpoints of different models: %s is %s%s%d layers x "
                       "%d query / %d KV heads of d = %d, %s is %s%s%d x %d / %d of d = %d",
                       a->path, a->arch, *a->arch ? ", " : "", a->n_layer, a->n_head, a->n_head_kv,
                       a->d, b->path, b->arch, *b->arch ? ", " : "", b->n_layer, b->n_head,
                       b->n_head_kv, b->d);
    for (int i = 0; a->heads && b->heads && i < a->n_layer; i++)
        if (a->heads[(size_t)i * a->n_head].layer != b->heads[(size_t)i * b->n_head].layer)
            return ef_fail(err, MON_INPUT, "checkpoints %s and %s hold different layers (%d vs %d)",
                           a->path, b->path, a->heads[(size_t)i * a->n_head].layer,
                           b->heads[(size_t)i * b->n_head].layer);
    if (a->n != b->n)
        return ef_fail(err, MON_INPUT,
                       "checkpoints %s and %s have %d and %d positions: compare "
                       "them at one length (--length)",
                       a->path, b->path, a->n, b->n);
    return MON_OK;
}

static const mon_change *mon_sort_base;

static int mon_by_change(const void *x, const void *y)
{
    double a = fabs(mon_sort_base[*(const int *)x].rel),
           b = fabs(mon_sort_base[*(const int *)y].rel);
    if (isnan(a)) a = -1;
    if (isnan(b)) b = -1;
    return a < b ? 1 : a > b ? -1 : *(const int *)x - *(const int *)y;
}

double mon_mu_limit(int n, int r, double excess)
{
    return r > 0 ? 1.0 + excess * ((double)n / r - 1.0) : INFINITY;
}

int mon_report_build(mon_report *r, mon_checkpoint *ck, int n_ck, double max_mu, double max_change,
                     ef_error *err)
{
    memset(r, 0, sizeof *r);
    r->ck = ck, r->n_ck = n_ck, r->max_mu = max_mu, r->max_change = max_change;
    for (int c = 0; c < n_ck; c++)
        for (int i = 0; i < ck[c].n_layer * ck[c].n_head; i++) {
            mon_head *h = &ck[c].heads[i];
            h->mu_limit =
                max_mu > 0 ? max_mu : mon_mu_limit(ck[c].n, h->rank_k, MON_DEFAULT_EXCESS);
            h->flagged = h->mu_k > h->mu_limit; /* NAN (all keys equal) is not flagged */
            r->flagged_mu += h->flagged;
        }
    if (n_ck < 2) return MON_OK;
    int per = ck[0].n_layer * ck[0].n_head;
    r->n_changes = (n_ck - 1) * per;
    r->changes = calloc((size_t)r->n_changes, sizeof *r->changes);
    int *order = malloc((size_t)r->n_changes * sizeof *order);
    if (!r->changes || !order) {
        free(order);
        return ef_fail(err, MON_FAIL, "out of memory for %d changes", r->n_changes);
    }
    for (int c = 0; c + 1 < n_ck; c++)
        for (int i = 0; i < per; i++) {
            mon_change *x = &r->changes[c * per + i];
            x->from = c;
            x->index = i;
            x->mu_old = ck[c].heads[i].mu_k;
            x->mu_new = ck[c + 1].heads[i].mu_k;
            x->rel = efm_mu_change(x->mu_old, x->mu_new);
            x->flagged = fabs(x->rel) > max_change;
            r->flagged_change += x->flagged;
            order[c * per + i] = c * per + i;
        }
    mon_sort_base = r->changes;
    qsort(order, (size_t)r->n_changes, sizeof *order, mon_by_change);
    r->n_top = r->n_changes < 5 ? r->n_changes : 5;
    memcpy(r->top, order, (size_t)r->n_top * sizeof *order);
    free(order);
    return MON_OK;
}

void mon_report_free(mon_report *r)
{
    free(r->changes);
    r->changes = NULL;
}
