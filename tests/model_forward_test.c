/* tests/model_forward_test.c — suite `model`: the forward pass on the tiny random-weight
 * GGUFs of tests/model_testdata.c (no downloads), from token ids to Q/K and logits. Checks
 * determinism, RoPE (identity at position 0, norms kept, angles and pairing undone by hand),
 * Gemma's q/k norm (RMS 1 before the weight), prefix invariance, the sliding window, the
 * capture exchange file, and agreement with an independent naive float64 forward pass.
 * The tokenizers and model_open's refusals are in model_tokenizer_test.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/capture.h"
#include "model/forward.h"
#include "model/gguf.h"
#include "model/tokenizer.h"
#include "tests/model_testdata.h"

TestSuite(model, .fini = testdata_tmp_cleanup);

/* n seeded ids of normal tokens (BOS first when the vocabulary adds one). */
static int32_t *tiny_ids(const model *m, int n, uint64_t seed)
{
    const tokenizer *tok = model_tokenizer(m);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    testdata_rng r;
    testdata_rng_seed(&r, seed);
    int V = tokenizer_n_vocab(tok), head = tokenizer_bos(tok) >= 0;
    if (head) ids[0] = tokenizer_bos(tok);
    for (int i = head; i < n; i++) {
        int id;
        do id = (int)(testdata_rng_u64(&r) % (uint64_t)V);
        while (tokenizer_token_type(tok, id) != TOKEN_TYPE_NORMAL);
        ids[i] = id;
    }
    return ids;
}

static void tiny_capture(model *m, const int32_t *ids, int n, capture_set *c)
{
    ef_error err;
    int rc = capture_run(m, ids, n, "tiny", 0, c, &err);
    cr_assert_eq(rc, EF_OK, "capture_run: %s", err.msg);
}

static float *tensor_f32(gguf_file *g, const char *name)
{
    const gguf_tensor *t = gguf_tensor_find(g, name);
    if (!t) return NULL;
    uint64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    float *v = malloc(n * sizeof *v);
    ef_error err;
    cr_assert_eq(gguf_tensor_read_f32(t, v, &err), EF_OK, "%s: %s", name, err.msg);
    return v;
}

static void rmsnorm_d(double *o, const double *x, const float *w, int n, double eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    double s = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++) o[i] = x[i] * s * (w ? w[i] : 1.0);
}

/* Layer 0's query (kind 'q') or key ('k') of token id before RoPE, computed here in
 * double from the file's weights: embedding row (scaled), RMSNorm, projection, bias,
 * q/k norm. out: heads * d values. */
static void layer0_pre_rope(model *m, int id, char kind, double *out)
{
    const model_config *c = model_config_get(m);
    gguf_file *g = model_gguf(m);
    int E = c->n_embd, heads = kind == 'q' ? c->n_head : c->n_head_kv, d = c->d;
    float *emb = malloc((size_t)E * sizeof *emb);
    ef_error err;
    cr_assert_eq(gguf_tensor_row(gguf_tensor_find(g, "token_embd.weight"), (uint64_t)id, emb, &err),
                 EF_OK);
    double *x = malloc((size_t)E * sizeof *x), *h = malloc((size_t)E * sizeof *h);
    for (int i = 0; i < E; i++) x[i] = (double)emb[i] * c->embd_scale;
    float *an = tensor_f32(g, "blk.0.attn_norm.weight");
    rmsnorm_d(h, x, an, E, c->eps);
    float *w = tensor_f32(g, kind == 'q' ? "blk.0.attn_q.weight" : "blk.0.attn_k.weight");
    float *b = tensor_f32(g, kind == 'q' ? "blk.0.attn_q.bias" : "blk.0.attn_k.bias");
    float *nw =
        tensor_f32(g, kind == 'q' ? "blk.0.attn_q_norm.weight" : "blk.0.attn_k_norm.weight");
    for (int r = 0; r < heads * d; r++) {
        double acc = b ? b[r] : 0.0;
        for (int i = 0; i < E; i++) acc += (double)w[(size_t)r * E + i] * h[i];
        out[r] = acc;
    }
    if (nw)
        for (int hh = 0; hh < heads; hh++) rmsnorm_d(out + hh * d, out + hh * d, nw, d, c->eps);
    free(emb);
    free(x);
    free(h);
    free(an);
    free(w);
    free(b);
    free(nw);
}

/* Rotates v (one head, d values) back by position t's angles (undoing RoPE). */
static void unrope(const model_config *c, double *v, int t, double base)
{
    int half = c->n_rot / 2;
    for (int i = 0; i < half; i++) {
        double th = -(double)t * pow(base, -2.0 * i / c->n_rot);
        int i0 = c->rope_neox ? i : 2 * i, i1 = c->rope_neox ? i + half : 2 * i + 1;
        double x0 = v[i0], x1 = v[i1];
        v[i0] = x0 * cos(th) - x1 * sin(th);
        v[i1] = x0 * sin(th) + x1 * cos(th);
    }
}

static double rel_diff(const double *a, const float *b, int n)
{
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += a[i] * a[i];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

Test(model, forward_runs_and_is_deterministic)
{
    for (int a = 0; a < 3; a++) {
        char path[512];
        model *m = testdata_tiny_open(testdata_archs[a], path, sizeof path);
        const model_config *c = model_config_get(m);
        int n = 37;
        int32_t *ids = tiny_ids(m, n, 7);
        capture_set c1, c2;
        tiny_capture(m, ids, n, &c1);
        tiny_capture(m, ids, n, &c2);
        cr_assert_eq(c1.n_layers, c->n_layer);
        for (int l = 0; l < c1.n_layers; l++) {
            const capture_layer *L = &c1.layers[l];
            size_t nq = (size_t)L->n_head * n * L->d, nk = (size_t)L->n_head_kv * n * L->d;
            for (size_t i = 0; i < nq; i++)
                cr_assert(isfinite(L->q[i]), "%s layer %d Q not finite", testdata_archs[a], l);
            cr_assert(!memcmp(L->q, c2.layers[l].q, nq * sizeof(float)),
                      "%s layer %d Q differs between runs", testdata_archs[a], l);
            cr_assert(!memcmp(L->k, c2.layers[l].k, nk * sizeof(float)),
                      "%s layer %d K differs between runs", testdata_archs[a], l);
            cr_assert_float_eq(L->scale, 1.0 / sqrt((double)c->d), 1e-12);
        }
        float *lg = malloc((size_t)c->n_vocab * sizeof *lg);
        double nll = 0;
        int cnt = 0;
        ef_error err;
        forward_request req = {
            .tokens = ids, .n = n, .logits_last = lg, .nll = &nll, .nll_count = &cnt};
        cr_assert_eq(model_forward(m, &req, &err), EF_OK, "%s", err.msg);
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < c->n_vocab; i++) {
            cr_assert(isfinite(lg[i]), "%s logit %d not finite", testdata_archs[a], i);
            mx = lg[i] > mx ? lg[i] : mx;
        }
        for (int i = 0; i < c->n_vocab; i++) sum += exp(lg[i] - mx);
        cr_assert(sum >= 1.0 && isfinite(sum));
        cr_assert_eq(cnt, n - 1);
        cr_assert(isfinite(nll) && nll > 0, "%s nll %g", testdata_archs[a], nll);
        free(lg);
        capture_free(&c1);
        capture_free(&c2);
        free(ids);
        model_close(m);
    }
}

/* Layer 0: the captured Q/K, rotated back by hand, equal the pre-RoPE vectors computed
 * independently; at position 0 nothing is rotated; every head keeps its norm. */
Test(model, rope_identity_at_zero_and_norm_preserving)
{
    for (int a = 0; a < 3; a++) {
        char path[512];
        model *m = testdata_tiny_open(testdata_archs[a], path, sizeof path);
        const model_config *c = model_config_get(m);
        int n = 20, d = c->d;
        int32_t *ids = tiny_ids(m, n, 11);
        capture_set cs;
        tiny_capture(m, ids, n, &cs);
        double base = model_layer_is_local(c, 0) ? c->rope_base_swa : c->rope_base;
        for (int kind = 0; kind < 2; kind++) {
            int heads = kind ? c->n_head_kv : c->n_head;
            const float *cap = kind ? cs.layers[0].k : cs.layers[0].q;
            double *pre = malloc((size_t)heads * d * sizeof *pre),
                   *v = malloc((size_t)d * sizeof *v);
            for (int t = 0; t < n; t++) {
                layer0_pre_rope(m, ids[t], kind ? 'k' : 'q', pre);
                for (int h = 0; h < heads; h++) {
                    const float *row = cap + ((size_t)h * n + t) * d;
                    double n_pre = 0, n_cap = 0;
                    for (int i = 0; i < d; i++) {
                        n_pre += pre[h * d + i] * pre[h * d + i];
                        n_cap += (double)row[i] * row[i];
                    }
                    cr_assert(fabs(sqrt(n_cap) - sqrt(n_pre)) <= 1e-4 * sqrt(n_pre),
                              "%s %c head %d pos %d: RoPE changed the norm %g -> %g",
                              testdata_archs[a], kind ? 'K' : 'Q', h, t, sqrt(n_pre), sqrt(n_cap));
                    if (t == 0)
                        cr_assert(rel_diff(pre + h * d, row, d) < 1e-4,
                                  "%s %c head %d: RoPE at position 0 is not the identity",
                                  testdata_archs[a], kind ? 'K' : 'Q', h);
                    for (int i = 0; i < d; i++) v[i] = row[i];
                    unrope(c, v, t, base);
                    double num = 0, den = 0;
                    for (int i = 0; i < d; i++) {
                        num += (v[i] - pre[h * d + i]) * (v[i] - pre[h * d + i]);
                        den += pre[h * d + i] * pre[h * d + i];
                    }
                    cr_assert(sqrt(num / den) < 1e-4,
                              "%s %c head %d pos %d: rotated back "
                              "differs from the pre-RoPE vector (rel %g)",
                              testdata_archs[a], kind ? 'K' : 'Q', h, t, sqrt(num / den));
                }
            }
            free(pre);
            free(v);
        }
        capture_free(&cs);
        free(ids);
        model_close(m);
    }
}

/* Gemma: after RoPE is undone and the q/k norm weight divided out, each head has RMS 1. */
Test(model, gemma_qk_norm_rms_one)
{
    char path[512];
    model *m = testdata_tiny_open("gemma3", path, sizeof path);
    const model_config *c = model_config_get(m);
    int n = 16, d = c->d;
    int32_t *ids = tiny_ids(m, n, 3);
    capture_set cs;
    tiny_capture(m, ids, n, &cs);
    gguf_file *g = model_gguf(m);
    double *v = malloc((size_t)d * sizeof *v);
    for (int l = 0; l < c->n_layer; l++) {
        double base = model_layer_is_local(c, l) ? c->rope_base_swa : c->rope_base;
        for (int kind = 0; kind < 2; kind++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.attn_%c_norm.weight", l, kind ? 'k' : 'q');
            float *w = tensor_f32(g, name);
            cr_assert_not_null(w, "%s missing", name);
            int heads = kind ? c->n_head_kv : c->n_head;
            const float *cap = kind ? cs.layers[l].k : cs.layers[l].q;
            for (int h = 0; h < heads; h++)
                for (int t = 0; t < n; t++) {
                    const float *row = cap + ((size_t)h * n + t) * d;
                    for (int i = 0; i < d; i++) v[i] = row[i];
                    unrope(c, v, t, base);
                    double ss = 0;
                    for (int i = 0; i < d; i++) ss += (v[i] / w[i]) * (v[i] / w[i]);
                    double rms = sqrt(ss / d);
                    cr_assert(fabs(rms - 1.0) < 1e-3,
                              "layer %d %c head %d pos %d: RMS %g before the weight", l,
                              kind ? 'K' : 'Q', h, t, rms);
                }
            free(w);
        }
    }
    free(v);
    capture_free(&cs);
    free(ids);
    model_close(m);
}

/* Largest |a - b| of t rows of d floats, relative to each row's norm in a. */
static double rows_rel_diff(const float *a, const float *b, int t, int d)
{
    double worst = 0;
    for (int r = 0; r < t; r++) {
        double num = 0, den = 0;
        for (int i = 0; i < d; i++) {
            double x = a[(size_t)r * d + i], y = b[(size_t)r * d + i];
            num = fmax(num, fabs(x - y));
            den += x * x;
        }
        worst = fmax(worst, num / (sqrt(den) + 1e-30));
    }
    return worst;
}

/* Q/K of tokens 0..t-1 do not change when the text continues. OpenBLAS picks its sgemm
 * kernel by matrix size, so a longer batch may round differently in the last bits: the
 * bound is float rounding (1e-5 of the row norm), not bitwise equality. */
Test(model, prefix_invariance)
{
    for (int a = 0; a < 3; a++) {
        char path[512];
        model *m = testdata_tiny_open(testdata_archs[a], path, sizeof path);
        int n = 45, t = 19;
        int32_t *ids = tiny_ids(m, n, 5);
        capture_set full, part;
        tiny_capture(m, ids, n, &full);
        tiny_capture(m, ids, t, &part);
        for (int l = 0; l < full.n_layers; l++) {
            const capture_layer *F = &full.layers[l], *P = &part.layers[l];
            for (int h = 0; h < F->n_head; h++) {
                double e = rows_rel_diff(F->q + (size_t)h * n * F->d, P->q + (size_t)h * t * F->d,
                                         t, F->d);
                cr_assert(e < 1e-5,
                          "%s layer %d head %d: Q of tokens 0..%d changed by %g when "
                          "the text continued",
                          testdata_archs[a], l, h, t - 1, e);
            }
            for (int h = 0; h < F->n_head_kv; h++) {
                double e = rows_rel_diff(F->k + (size_t)h * n * F->d, P->k + (size_t)h * t * F->d,
                                         t, F->d);
                cr_assert(e < 1e-5,
                          "%s layer %d KV head %d: K changed by %g when the text "
                          "continued",
                          testdata_archs[a], l, h, e);
            }
        }
        capture_free(&full);
        capture_free(&part);
        free(ids);
        model_close(m);
    }
}

/* Gemma's local layers see w keys: changing token 0 leaves layer 1's Q/K at positions
 * >= w untouched (layer 0 never looked that far back) but changes them at w - 1. */
Test(model, sliding_window_never_sees_w_back)
{
    char path[512];
    model *m = testdata_tiny_open("gemma3", path, sizeof path);
    const model_config *c = model_config_get(m);
    int w = c->n_swa, n = 3 * w, d = c->d;
    cr_assert(w > 1 && model_layer_is_local(c, 0) && model_layer_is_local(c, 1));
    for (int l = 0; l < c->n_layer; l++) {
        ef_mask mk = model_layer_mask(c, l);
        cr_assert_eq(mk.kind, l % 6 == 5 ? EF_MASK_CAUSAL : EF_MASK_WINDOW, "layer %d mask", l);
        if (mk.kind == EF_MASK_WINDOW) cr_assert_eq(mk.window, w);
    }
    int32_t *a = tiny_ids(m, n, 21), *b = malloc((size_t)n * sizeof *b);
    memcpy(b, a, (size_t)n * sizeof *b);
    b[0] = a[1] != a[0] ? a[1] : a[2]; /* position 0 holds another token */
    capture_set ca, cb;
    tiny_capture(m, a, n, &ca);
    tiny_capture(m, b, n, &cb);
    const capture_layer *A = &ca.layers[1], *B = &cb.layers[1];
    cr_assert_eq(A->mask.kind, EF_MASK_WINDOW);
    for (int t = w; t < n; t++)
        cr_assert(!memcmp(A->q + (size_t)t * d, B->q + (size_t)t * d, (size_t)d * sizeof(float)),
                  "layer 1 Q at position %d depends on token 0, %d >= w = %d back", t, t, w);
    cr_assert(
        memcmp(A->q + (size_t)(w - 1) * d, B->q + (size_t)(w - 1) * d, (size_t)d * sizeof(float)),
        "layer 1 Q at position w-1 should see token 0 (test not sensitive)");
    capture_free(&ca);
    capture_free(&cb);
    free(a);
    free(b);
    model_close(m);
}

/* capture_write + capture_read give back the same Q/K, masks and scales. */
Test(model, capture_exchange_round_trip)
{
    char path[512], out[512];
    model *m = testdata_tiny_open("gemma3", path, sizeof path);
    int n = 12;
    int32_t *ids = tiny_ids(m, n, 9);
    capture_set c, r;
    tiny_capture(m, ids, n, &c);
    testdata_tmp_path(out, sizeof out, "qk.safetensors");
    ef_error err;
    cr_assert_eq(capture_write(&c, out, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(capture_read(out, &r, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(r.n, n);
    cr_assert_eq(r.n_layers, c.n_layers);
    cr_assert_str_eq(r.text, "tiny");
    for (int l = 0; l < c.n_layers; l++) {
        const capture_layer *A = &c.layers[l], *B = &r.layers[l];
        cr_assert_eq(B->layer, A->layer);
        cr_assert_eq(B->mask.kind, A->mask.kind);
        cr_assert_eq(B->mask.window, A->mask.window);
        cr_assert_float_eq(B->scale, A->scale, 1e-15);
        cr_assert(!memcmp(A->q, B->q, (size_t)A->n_head * n * A->d * sizeof(float)));
        cr_assert(!memcmp(A->k, B->k, (size_t)A->n_head_kv * n * A->d * sizeof(float)));
    }
    capture_free(&c);
    capture_free(&r);
    remove(out);
    free(ids);
    model_close(m);
}

/* ---- an independent, naive reference forward pass ------------------------------------ */

/* Token by token in double, straight from gguf-models.md C.4 / E.3 / F, with every weight
 * expanded: fine for the tiny models. Returns every layer's post-RoPE Q (L, n, H, d) and K
 * (L, n, Hkv, d) and the last position's logits. */
typedef struct ref_out {
    double *q, *k, *logits;
} ref_out;

static void ref_mat(const float *w, const double *x, double *y, int out, int in)
{
    for (int r = 0; r < out; r++) {
        double acc = 0;
        for (int i = 0; i < in; i++) acc += (double)w[(size_t)r * in + i] * x[i];
        y[r] = acc;
    }
}

static float *ref_tensor(gguf_file *g, int l, const char *name)
{
    char full[96];
    if (l >= 0) snprintf(full, sizeof full, "blk.%d.%s", l, name);
    else snprintf(full, sizeof full, "%s", name);
    return tensor_f32(g, full);
}

static void ref_forward(model *m, const int32_t *ids, int n, ref_out *o)
{
    const model_config *c = model_config_get(m);
    gguf_file *g = model_gguf(m);
    int E = c->n_embd, H = c->n_head, Hkv = c->n_head_kv, d = c->d, F = c->n_ff, L = c->n_layer;
    int gemma = c->arch == MODEL_ARCH_GEMMA3;
    double *x = calloc((size_t)n * E, sizeof *x), *h = malloc((size_t)E * sizeof *h);
    double *q = malloc((size_t)n * H * d * sizeof *q), *k = malloc((size_t)n * Hkv * d * sizeof *k);
    double *v = malloc((size_t)n * Hkv * d * sizeof *v), *att = malloc((size_t)H * d * sizeof *att);
    double *a = malloc((size_t)E * sizeof *a), *gt = malloc((size_t)F * sizeof *gt),
           *up = malloc((size_t)F * sizeof *up);
    double *p = malloc((size_t)n * sizeof *p);
    o->q = malloc((size_t)L * n * H * d * sizeof *o->q);
    o->k = malloc((size_t)L * n * Hkv * d * sizeof *o->k);
    o->logits = malloc((size_t)c->n_vocab * sizeof *o->logits);
    float *emb = tensor_f32(g, "token_embd.weight");
    for (int t = 0; t < n; t++)
        for (int i = 0; i < E; i++)
            x[(size_t)t * E + i] = (double)emb[(size_t)ids[t] * E + i] * c->embd_scale;
    for (int l = 0; l < L; l++) {
        float *an = ref_tensor(g, l, "attn_norm.weight"), *wq = ref_tensor(g, l, "attn_q.weight");
        float *wk = ref_tensor(g, l, "attn_k.weight"), *wv = ref_tensor(g, l, "attn_v.weight");
        float *bq = ref_tensor(g, l, "attn_q.bias"), *bk = ref_tensor(g, l, "attn_k.bias");
        float *bv = ref_tensor(g, l, "attn_v.bias"), *wo = ref_tensor(g, l, "attn_output.weight");
        float *qn = ref_tensor(g, l, "attn_q_norm.weight"),
              *kn = ref_tensor(g, l, "attn_k_norm.weight");
        float *pan = ref_tensor(g, l, "post_attention_norm.weight"),
              *fn = ref_tensor(g, l, "ffn_norm.weight");
        float *wg = ref_tensor(g, l, "ffn_gate.weight"), *wu = ref_tensor(g, l, "ffn_up.weight");
        float *wd = ref_tensor(g, l, "ffn_down.weight"),
              *pfn = ref_tensor(g, l, "post_ffw_norm.weight");
        int local = gemma && c->n_swa > 0 && l % 6 < 5;
        double base = local ? 10000.0 : c->rope_base;
        for (int t = 0; t < n; t++) {
            rmsnorm_d(h, x + (size_t)t * E, an, E, c->eps);
            double *qt = q + (size_t)t * H * d, *kt = k + (size_t)t * Hkv * d,
                   *vt = v + (size_t)t * Hkv * d;
            ref_mat(wq, h, qt, H * d, E);
            ref_mat(wk, h, kt, Hkv * d, E);
            ref_mat(wv, h, vt, Hkv * d, E);
            for (int i = 0; bq && i < H * d; i++) qt[i] += bq[i];
            for (int i = 0; bk && i < Hkv * d; i++) kt[i] += bk[i];
            for (int i = 0; bv && i < Hkv * d; i++) vt[i] += bv[i];
            for (int hh = 0; qn && hh < H; hh++) rmsnorm_d(qt + hh * d, qt + hh * d, qn, d, c->eps);
            for (int hh = 0; kn && hh < Hkv; hh++)
                rmsnorm_d(kt + hh * d, kt + hh * d, kn, d, c->eps);
            for (int hh = 0; hh < H; hh++) unrope(c, qt + hh * d, -t, base); /* rotate by +t */
            for (int hh = 0; hh < Hkv; hh++) unrope(c, kt + hh * d, -t, base);
        }
        memcpy(o->q + (size_t)l * n * H * d, q, (size_t)n * H * d * sizeof *q);
        memcpy(o->k + (size_t)l * n * Hkv * d, k, (size_t)n * Hkv * d * sizeof *k);
        for (int t = 0; t < n; t++) {
            for (int hh = 0; hh < H; hh++) {
                int kv = hh / (H / Hkv), u0 = local && t - c->n_swa + 1 > 0 ? t - c->n_swa + 1 : 0;
                double mx = -INFINITY, sum = 0;
                for (int u = u0; u <= t; u++) {
                    double s = 0;
                    for (int i = 0; i < d; i++)
                        s += q[((size_t)t * H + hh) * d + i] * k[((size_t)u * Hkv + kv) * d + i];
                    p[u] = s * c->attn_scale;
                    mx = fmax(mx, p[u]);
                }
                for (int u = u0; u <= t; u++) sum += (p[u] = exp(p[u] - mx));
                for (int i = 0; i < d; i++) {
                    double acc = 0;
                    for (int u = u0; u <= t; u++)
                        acc += p[u] / sum * v[((size_t)u * Hkv + kv) * d + i];
                    att[hh * d + i] = acc;
                }
            }
            double *xt = x + (size_t)t * E;
            ref_mat(wo, att, a, E, H * d);
            if (pan) rmsnorm_d(a, a, pan, E, c->eps);
            for (int i = 0; i < E; i++) xt[i] += a[i];
            rmsnorm_d(h, xt, fn, E, c->eps);
            ref_mat(wg, h, gt, F, E);
            ref_mat(wu, h, up, F, E);
            for (int i = 0; i < F; i++) {
                double z = gt[i];
                double act =
                    gemma ? 0.5 * z * (1 + tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)))
                          : z / (1 + exp(-z));
                gt[i] = act * up[i];
            }
            ref_mat(wd, gt, a, E, F);
            if (pfn) rmsnorm_d(a, a, pfn, E, c->eps);
            for (int i = 0; i < E; i++) xt[i] += a[i];
        }
        free(an);
        free(wq);
        free(wk);
        free(wv);
        free(bq);
        free(bk);
        free(bv);
        free(wo);
        free(qn);
        free(kn);
        free(pan);
        free(fn);
        free(wg);
        free(wu);
        free(wd);
        free(pfn);
    }
    float *on = tensor_f32(g, "output_norm.weight"), *out = tensor_f32(g, "output.weight");
    rmsnorm_d(h, x + (size_t)(n - 1) * E, on, E, c->eps);
    ref_mat(out ? out : emb, h, o->logits, c->n_vocab, E);
    free(on);
    free(out);
    free(emb);
    free(x);
    free(h);
    free(q);
    free(k);
    free(v);
    free(att);
    free(a);
    free(gt);
    free(up);
    free(p);
}

/* The sgemm pass agrees with the naive double one on every layer's Q and K and on the
 * logits, for each architecture (biases, GQA, q/k norm, post-norms, window, tied/untied). */
Test(model, forward_matches_naive_reference, .timeout = 300)
{
    for (int a = 0; a < 3; a++) {
        char path[512];
        model *m = testdata_tiny_open(testdata_archs[a], path, sizeof path);
        const model_config *c = model_config_get(m);
        int n = 14; /* > the tiny Gemma window of 8, so local layers really are windowed */
        int32_t *ids = tiny_ids(m, n, 17);
        ref_out r;
        ref_forward(m, ids, n, &r);
        capture_set cs;
        tiny_capture(m, ids, n, &cs);
        int H = c->n_head, Hkv = c->n_head_kv, d = c->d;
        for (int l = 0; l < c->n_layer; l++) {
            double num = 0, den = 0;
            for (int t = 0; t < n; t++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < d; i++) {
                        double want = r.q[(((size_t)l * n + t) * H + h) * d + i];
                        double got = cs.layers[l].q[((size_t)h * n + t) * d + i];
                        num += (want - got) * (want - got);
                        den += want * want;
                    }
            for (int t = 0; t < n; t++)
                for (int h = 0; h < Hkv; h++)
                    for (int i = 0; i < d; i++) {
                        double want = r.k[(((size_t)l * n + t) * Hkv + h) * d + i];
                        double got = cs.layers[l].k[((size_t)h * n + t) * d + i];
                        num += (want - got) * (want - got);
                        den += want * want;
                    }
            cr_assert(sqrt(num / den) < 1e-4, "%s layer %d: Q/K differ from the naive pass by %g",
                      testdata_archs[a], l, sqrt(num / den));
        }
        float *lg = malloc((size_t)c->n_vocab * sizeof *lg);
        forward_request req = {.tokens = ids, .n = n, .logits_last = lg};
        ef_error err;
        cr_assert_eq(model_forward(m, &req, &err), EF_OK, "%s", err.msg);
        double num = 0, den = 0;
        for (int i = 0; i < c->n_vocab; i++) {
            num += (r.logits[i] - lg[i]) * (r.logits[i] - lg[i]);
            den += r.logits[i] * r.logits[i];
        }
        cr_assert(sqrt(num / den) < 1e-4, "%s: logits differ from the naive pass by %g",
                  testdata_archs[a], sqrt(num / den));
        free(lg);
        free(r.q);
        free(r.k);
        free(r.logits);
        capture_free(&cs);
        free(ids);
        model_close(m);
    }
}
