/* model/forward.c — the forward pass, read top to bottom as the math of gguf-models.md
 * C.4 (gemma3) and E.3/F (qwen2, llama), with the choices of gemma2, qwen3 and phi3 taken
 * from the config (forward_load.c): the whole prompt is one batch, every projection one
 * sgemm against a matrix dequantised just before use (a fused matrix: one sgemm per part),
 * attention per head in blocks of query rows over the visible keys only. The capture hook
 * sees Q and K after biases, q/k norm and RoPE. Logits are produced in vocabulary tiles so
 * the embedding table is never expanded whole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "model/forward_impl.h"

/* Float compares may not trap here (we never test FP exceptions), which lets GCC turn the
 * clamps of fw_expf into selects and vectorise the softmax and activation loops; results
 * are unchanged. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#define FW_BLOCK 128       /* query rows per attention block */
#define FW_VOCAB_TILE 4096 /* vocabulary rows per logits tile */

/* Activations of one batch of n tokens; one allocation. */
typedef struct run_state {
    float *x;                           /* (n, n_embd) residual stream */
    float *xb;                          /* (n, n_embd) normed input of a block */
    float *xb2;                         /* (n, n_embd) block output */
    float *q;                           /* (n, H, d) */
    float *k;                           /* (n, Hkv, d) */
    float *v;                           /* (n, Hkv, d_v) */
    float *att_out;                     /* (n, H, d_v) */
    float *hb;                          /* (n, n_ff) gate, then activation */
    float *hb2;                         /* (n, n_ff) up */
    float *att;                         /* (FW_BLOCK, n) attention weights of one block */
    float *wbuf;                        /* (max_matrix) one dequantised weight matrix */
    float *rope_cos, *rope_sin;         /* (n, n_rot/2) global layers */
    float *rope_cos_swa, *rope_sin_swa; /* (n, n_rot/2) sliding-window layers */
    float *mem;
} run_state;

static double fw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fw_state_alloc(const model *m, int n, run_state *s)
{
    const model_config *c = &m->cfg;
    size_t N = (size_t)n, half = (size_t)c->n_rot / 2;
    size_t sizes[] = {
        N * c->n_embd,
        N * c->n_embd,
        N * c->n_embd,
        N * c->n_head * c->d,
        N * c->n_head_kv * c->d,
        N * c->n_head_kv * c->d_v,
        N * c->n_head * c->d_v,
        N * c->n_ff,
        N * c->n_ff,
        (size_t)FW_BLOCK * N,
        m->max_matrix,
        N * half,
        N * half,
        N * half,
        N * half,
    };
    float **ptrs[] = {
        &s->x,        &s->xb,           &s->xb2,         &s->q,   &s->k,    &s->v,
        &s->att_out,  &s->hb,           &s->hb2,         &s->att, &s->wbuf, &s->rope_cos,
        &s->rope_sin, &s->rope_cos_swa, &s->rope_sin_swa};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += (sizes[i] + 15) & ~(size_t)15;
    s->mem = aligned_alloc(64, total * sizeof(float));
    if (!s->mem) return -1;
    float *p = s->mem;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *ptrs[i] = p;
        p += (sizes[i] + 15) & ~(size_t)15;
    }
    return 0;
}

/* Dequantises a whole 2-D weight (rows of ne0) into dst, 16 rows per call, in one thread
 * (the sgemm that follows is what runs on every core). */
static int fw_dequant(const gguf_tensor *t, float *dst, ef_error *err)
{
    int ok;
    int64_t ne0 = (int64_t)t->ne[0], rows = (int64_t)gguf_tensor_rows(t);
    uint64_t rb = dequant_row_bytes(t->type, ne0, &ok);
    int failed = 0;
    for (int64_t r = 0; r < rows; r += 16) {
        int64_t cnt = rows - r < 16 ? rows - r : 16;
        ef_error e;
        if (dequant_row(t->type, t->data + (uint64_t)r * rb, dst + r * ne0, cnt * ne0, &e))
            failed = 1;
    }
    if (failed || !ok)
        return ef_fail(err, EF_ERROR, "tensor %s (type %s) could not be dequantised", t->name,
                       dequant_type_name(t->type) ? dequant_type_name(t->type) : "?");
    return EF_OK;
}

/* y_p (n, rows_p) = x (n, in) . W[r_p : r_p + rows_p]^T + bias[r_p : ...] for each part p
 * of W = t dequantised to (sum rows, in): a fused matrix (phi3's q|k|v, gate|up) is
 * dequantised once and multiplied part by part. */
static int fw_matmul_parts(run_state *s, const float *x, int n, const gguf_tensor *t,
                           const float *bias, int parts, float *const *ys, const int *rows,
                           ef_error *err)
{
    int in = (int)t->ne[0], r0 = 0;
    int rc = fw_dequant(t, s->wbuf, err);
    if (rc) return rc;
    for (int p = 0; p < parts; p++) {
        int out = rows[p];
        float *y = ys[p];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in,
                    s->wbuf + (size_t)r0 * in, in, 0.0f, y, out);
        if (bias)
            for (int t_ = 0; t_ < n; t_++)
                for (int j = 0; j < out; j++) y[(size_t)t_ * out + j] += bias[r0 + j];
        r0 += out;
    }
    return EF_OK;
}

/* y (n, out) = x (n, in) . W^T + bias, W = t dequantised to (out, in). */
static int fw_matmul(run_state *s, float *y, const float *x, int n, const gguf_tensor *t,
                     const float *bias, ef_error *err)
{
    int out = (int)t->ne[1];
    return fw_matmul_parts(s, x, n, t, bias, 1, &y, &out, err);
}

/* o = x / rms(x) * w over `size` values (sum of squares in double, as ggml). */
static void fw_rmsnorm(float *o, const float *x, const float *w, int size, float eps)
{
    double ss = 0.0;
    for (int i = 0; i < size; i++) ss += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(ss / size) + eps);
    for (int i = 0; i < size; i++) o[i] = x[i] * scale * w[i];
}

/* Rows of `rows` vectors of `size` each, stride `stride` floats apart: normalise in place
 * or from x to o. */
static void fw_rmsnorm_rows(float *o, const float *x, const float *w, int rows, int size,
                            size_t stride, float eps)
{
    for (int r = 0; r < rows; r++) fw_rmsnorm(o + r * stride, x + r * stride, w, size, eps);
}

/* cos/sin of position p times each frequency: theta_0 = p * freq_scale, theta_{i+1} =
 * theta_i * base^(-2/n_rot) (ggml's recurrence), divided by a factor per frequency when
 * the file has them: rope_freqs (llama 3), or LongRoPE's long factors when n exceeds the
 * original context and its short ones otherwise (phi3). cos and sin carry the attention
 * factor (1 unless LongRoPE's). */
static void fw_rope_table(const model *m, int n, float base, float freq_scale, float *cs, float *sn)
{
    const model_config *c = &m->cfg;
    int half = c->n_rot / 2;
    const float *ff = m->w.rope_freqs;
    if (!ff) ff = n > c->n_ctx_orig && m->w.rope_long ? m->w.rope_long : m->w.rope_short;
    float theta_scale = powf(base, -2.0f / (float)c->n_rot), ms = c->rope_attn_factor;
    for (int p = 0; p < n; p++) {
        float theta = (float)p * freq_scale;
        for (int i = 0; i < half; i++) {
            float th = ff ? theta / ff[i] : theta;
            cs[(size_t)p * half + i] = cosf(th) * ms;
            sn[(size_t)p * half + i] = sinf(th) * ms;
            theta *= theta_scale;
        }
    }
}

/* Rotates `heads` vectors of head dimension d at each position, in place. */
static void fw_rope(const model_config *c, float *x, int n, int heads, const float *cs,
                    const float *sn)
{
    int half = c->n_rot / 2, d = c->d;
    for (int t = 0; t < n; t++) {
        const float *ct = cs + (size_t)t * half, *st = sn + (size_t)t * half;
        for (int h = 0; h < heads; h++) {
            float *v = x + ((size_t)t * heads + h) * d;
            for (int i = 0; i < half; i++) {
                int i0 = c->rope_neox ? i : 2 * i, i1 = c->rope_neox ? i + half : 2 * i + 1;
                float x0 = v[i0], x1 = v[i1];
                v[i0] = x0 * ct[i] - x1 * st[i];
                v[i1] = x0 * st[i] + x1 * ct[i];
            }
        }
    }
}

/* exp(x) for the softmax and the activations: 2^k * e^r with |r| <= ln2/2 and a degree-6
 * polynomial (relative error about 2e-7), written without calls so loops vectorise. */
static inline float fw_expf(float x)
{
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    float k = (x * 1.44269504089f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = x - k * 0.693145751953125f - k * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f +
                                                  r * (0.0416666667f + r * (0.00833333333f +
                                                                            r * 0.00138888889f)))));
    union {
        int32_t i;
        float f;
    } scale = {.i = ((int32_t)k + 127) << 23};
    return p * scale.f;
}

/* Sum in double over 8 interleaved lanes (vectorisable, order fixed). */
static double fw_sum(const float *a, int n)
{
    double lane[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) lane[l] += a[j + l];
    for (; j < n; j++) lane[0] += a[j];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
           ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* GELU, tanh form: tanh(u) = 1 - 2 / (1 + e^(2u)). */
static inline float fw_gelu(float x)
{
    float u = 0.7978845608028654f * x * (1.0f + 0.044715f * x * x);
    return 0.5f * x * (2.0f - 2.0f / (1.0f + fw_expf(2.0f * u)));
}

static inline float fw_silu(float x) { return x / (1.0f + fw_expf(-x)); }

/* Causal (or windowed) attention of every query head; writes s->att_out. */
static void fw_attention(const model *m, run_state *s, int n, ef_mask mask)
{
    const model_config *c = &m->cfg;
    int H = c->n_head, Hkv = c->n_head_kv, G = H / Hkv, d = c->d, dv = c->d_v;
    for (int h = 0; h < H; h++) {
        int g = h / G;
        const float *qh = s->q + (size_t)h * d, *kg = s->k + (size_t)g * d;
        const float *vg = s->v + (size_t)g * dv;
        for (int i0 = 0; i0 < n; i0 += FW_BLOCK) {
            int i1 = i0 + FW_BLOCK < n ? i0 + FW_BLOCK : n, rows = i1 - i0;
            int j0 = ef_mask_first(mask, i0), nk = i1 - j0;
            /* att (rows, nk) = a * Q[i0:i1] . K[j0:i1]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, nk, d, (float)c->attn_scale,
                        qh + (size_t)i0 * H * d, H * d, kg + (size_t)j0 * Hkv * d, Hkv * d, 0.0f,
                        s->att, nk);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r, lo = ef_mask_first(mask, i) - j0, hi = i - j0;
                float *a = s->att + (size_t)r * nk;
                if (c->attn_softcap > 0) /* gemma2: c tanh(logit / c), before the softmax */
                    for (int j = lo; j <= hi; j++)
                        a[j] = c->attn_softcap * tanhf(a[j] / c->attn_softcap);
                float mx = a[lo];
                for (int j = lo + 1; j <= hi; j++) mx = a[j] > mx ? a[j] : mx;
                for (int j = lo; j <= hi; j++) a[j] = fw_expf(a[j] - mx);
                float inv = (float)(1.0 / fw_sum(a + lo, hi - lo + 1));
                for (int j = 0; j < lo; j++) a[j] = 0.0f;
                for (int j = lo; j <= hi; j++) a[j] *= inv;
                for (int j = hi + 1; j < nk; j++) a[j] = 0.0f;
            }
            /* out[i0:i1, h] (rows, dv) = att . V[j0:i1] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dv, nk, 1.0f, s->att, nk,
                        vg + (size_t)j0 * Hkv * dv, Hkv * dv, 0.0f,
                        s->att_out + (size_t)i0 * H * dv + (size_t)h * dv, H * dv);
        }
    }
}

/* Scores the final hidden rows xf (npos, n_embd) against the vocabulary tile by tile:
 * full logits of row 0 into `full` (optional), and -log p(target[r]) summed into *nll. */
static int fw_logits(model *m, run_state *s, const float *xf, int npos, float *full,
                     const int32_t *target, double *nll, ef_error *err)
{
    const model_config *c = &m->cfg;
    const gguf_tensor *out = m->w.output ? m->w.output : m->w.token_embd;
    int V = c->n_vocab, E = c->n_embd, rc = EF_OK;
    int T = FW_VOCAB_TILE;
    float *w = malloc((size_t)T * E * sizeof *w), *lg = malloc((size_t)T * npos * sizeof *lg);
    double *mx = malloc((size_t)npos * sizeof *mx), *sum = calloc((size_t)npos, sizeof *sum);
    double *tl = calloc((size_t)npos, sizeof *tl);
    (void)s;
    if (!w || !lg || !mx || !sum || !tl) {
        rc = ef_fail(err, EF_NOMEM, "out of memory for logits of %d positions", npos);
        goto cleanup;
    }
    for (int r = 0; r < npos; r++) mx[r] = -INFINITY;
    int ok;
    uint64_t rb = dequant_row_bytes(out->type, E, &ok);
    for (int v0 = 0; v0 < V; v0 += T) {
        int tv = V - v0 < T ? V - v0 : T, failed = 0;
        for (int r = 0; r < tv; r += 16) {
            int cnt = tv - r < 16 ? tv - r : 16;
            ef_error e;
            if (dequant_row(out->type, out->data + (uint64_t)(v0 + r) * rb, w + (size_t)r * E,
                            (int64_t)cnt * E, &e))
                failed = 1;
        }
        if (failed) {
            rc = ef_fail(err, EF_ERROR, "tensor %s could not be dequantised", out->name);
            goto cleanup;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, npos, tv, E, 1.0f, xf, E, w, E, 0.0f,
                    lg, tv);
        for (int r = 0; r < npos; r++) {
            float *l = lg + (size_t)r * tv;
            if (m->w.output_bias)
                for (int j = 0; j < tv; j++) l[j] += m->w.output_bias[v0 + j];
            if (c->final_softcap > 0) /* gemma2 */
                for (int j = 0; j < tv; j++)
                    l[j] = c->final_softcap * tanhf(l[j] / c->final_softcap);
            if (full && r == 0) memcpy(full + v0, l, (size_t)tv * sizeof *l);
            if (!nll) continue;
            double tmx = mx[r];
            for (int j = 0; j < tv; j++) tmx = l[j] > tmx ? l[j] : tmx;
            double acc = sum[r] * exp(mx[r] - tmx);
            for (int j = 0; j < tv; j++) acc += exp((double)l[j] - tmx);
            sum[r] = acc;
            mx[r] = tmx;
            if (target[r] >= v0 && target[r] < v0 + tv) tl[r] = l[target[r] - v0];
        }
    }
    if (nll)
        for (int r = 0; r < npos; r++) *nll += log(sum[r]) + mx[r] - tl[r];
cleanup:
    free(w);
    free(lg);
    free(mx);
    free(sum);
    free(tl);
    return rc;
}

static void fw_progress(const forward_request *req, int l, int L, double t0)
{
    if (req->progress && req->progress->fn)
        req->progress->fn(req->progress->user, req->progress_label, l + 1, L, req->n,
                          fw_now() - t0);
}

int model_forward(model *m, const forward_request *req, ef_error *err)
{
    const model_config *c = &m->cfg;
    const model_weights *w = &m->w;
    int n = req->n, E = c->n_embd, H = c->n_head, Hkv = c->n_head_kv, d = c->d;
    int need_out = req->logits_last || req->nll;
    run_state s = {0};
    int rc = EF_OK;
    double t0 = fw_now();

    if (n <= 0) return ef_fail(err, EF_ERROR, "forward: no tokens");
    for (int t = 0; t < n; t++)
        if (req->tokens[t] < 0 || req->tokens[t] >= c->n_vocab)
            return ef_fail(err, EF_ERROR,
                           "forward: token %d at position %d is outside the "
                           "%d-token vocabulary",
                           req->tokens[t], t, c->n_vocab);
    if (fw_state_alloc(m, n, &s))
        return ef_fail(err, EF_NOMEM, "forward: out of memory for the activations of %d tokens", n);

    /* embedding rows, decoded on lookup, scaled (gemma3: sqrt(n_embd)) */
    int failed = 0;
    for (int t = 0; t < n; t++) {
        ef_error e;
        float *x = s.x + (size_t)t * E;
        if (gguf_tensor_row(w->token_embd, (uint64_t)req->tokens[t], x, &e)) failed = 1;
        for (int i = 0; i < E && c->embd_scale != 1.0f; i++) x[i] *= c->embd_scale;
    }
    if (failed) {
        rc = ef_fail(err, EF_ERROR, "forward: could not decode rows of token_embd.weight");
        goto cleanup;
    }
    fw_rope_table(m, n, c->rope_base, c->rope_freq_scale, s.rope_cos, s.rope_sin);
    if (c->n_swa) fw_rope_table(m, n, c->rope_base_swa, 1.0f, s.rope_cos_swa, s.rope_sin_swa);

    for (int l = 0; l < c->n_layer; l++) {
        const layer_weights *lw = &w->layers[l];
        int local = model_layer_is_local(c, l);
        ef_mask mask = model_layer_mask(c, l);

        /* attention: h = norm(x); q, k, v projections (+ biases) */
        fw_rmsnorm_rows(s.xb, s.x, lw->attn_norm, n, E, (size_t)E, c->eps);
        if (lw->wqkv) {
            float *qkv[3] = {s.q, s.k, s.v};
            int rows[3] = {H * d, Hkv * d, Hkv * c->d_v};
            rc = fw_matmul_parts(&s, s.xb, n, lw->wqkv, lw->bqkv, 3, qkv, rows, err);
        } else if (!(rc = fw_matmul(&s, s.q, s.xb, n, lw->wq, lw->bq, err)) &&
                   !(rc = fw_matmul(&s, s.k, s.xb, n, lw->wk, lw->bk, err))) {
            rc = fw_matmul(&s, s.v, s.xb, n, lw->wv, lw->bv, err);
        }
        if (rc) goto cleanup;
        /* per-head q/k RMSNorm (gemma3, qwen3), then RoPE */
        if (lw->q_norm) fw_rmsnorm_rows(s.q, s.q, lw->q_norm, n * H, d, (size_t)d, c->eps);
        if (lw->k_norm) fw_rmsnorm_rows(s.k, s.k, lw->k_norm, n * Hkv, d, (size_t)d, c->eps);
        fw_rope(c, s.q, n, H, local ? s.rope_cos_swa : s.rope_cos,
                local ? s.rope_sin_swa : s.rope_sin);
        fw_rope(c, s.k, n, Hkv, local ? s.rope_cos_swa : s.rope_cos,
                local ? s.rope_sin_swa : s.rope_sin);

        if (req->capture) {
            for (int h = 0; h < H; h++) {
                int g = h / (H / Hkv);
                forward_qk qk = {
                    .layer = l,
                    .head = h,
                    .kv_head = g,
                    .n = n,
                    .d = d,
                    .q = s.q + (size_t)h * d,
                    .q_stride = (size_t)H * d,
                    .k = s.k + (size_t)g * d,
                    .k_stride = (size_t)Hkv * d,
                    .scale = c->attn_scale,
                    .softcap = c->attn_softcap,
                    .mask = mask,
                };
                if (req->capture(req->capture_user, &qk)) {
                    rc = ef_fail(err, EF_ERROR,
                                 "forward: the capture hook failed at layer %d head %d", l, h);
                    goto cleanup;
                }
            }
        }
        if (!need_out && l == c->n_layer - 1) {
            fw_progress(req, l, c->n_layer, t0);
            break; /* nothing downstream of the last Q/K is wanted */
        }

        fw_attention(m, &s, n, mask);
        if ((rc = fw_matmul(&s, s.xb2, s.att_out, n, lw->wo, lw->bo, err))) goto cleanup;
        if (lw->post_attn_norm)
            fw_rmsnorm_rows(s.xb2, s.xb2, lw->post_attn_norm, n, E, (size_t)E, c->eps);
        for (size_t i = 0; i < (size_t)n * E; i++) s.x[i] += s.xb2[i];

        /* feed-forward: gated GELU (gemma) or SwiGLU; gate and up fused in one matrix (phi3) */
        fw_rmsnorm_rows(s.xb, s.x, lw->ffn_norm, n, E, (size_t)E, c->eps);
        if (lw->w_gate) {
            if (!(rc = fw_matmul(&s, s.hb, s.xb, n, lw->w_gate, NULL, err)))
                rc = fw_matmul(&s, s.hb2, s.xb, n, lw->w_up, NULL, err);
        } else {
            float *gu[2] = {s.hb, s.hb2};
            int rows[2] = {c->n_ff, c->n_ff};
            rc = fw_matmul_parts(&s, s.xb, n, lw->w_up, NULL, 2, gu, rows, err);
        }
        if (rc) goto cleanup;
        size_t nf = (size_t)n * c->n_ff;
        if (c->gelu)
            for (size_t i = 0; i < nf; i++) s.hb[i] = fw_gelu(s.hb[i]) * s.hb2[i];
        else
            for (size_t i = 0; i < nf; i++) s.hb[i] = fw_silu(s.hb[i]) * s.hb2[i];
        if ((rc = fw_matmul(&s, s.xb2, s.hb, n, lw->w_down, NULL, err))) goto cleanup;
        if (lw->post_ffw_norm)
            fw_rmsnorm_rows(s.xb2, s.xb2, lw->post_ffw_norm, n, E, (size_t)E, c->eps);
        for (size_t i = 0; i < (size_t)n * E; i++) s.x[i] += s.xb2[i];
        fw_progress(req, l, c->n_layer, t0);
    }
    if (!need_out) goto cleanup;

    /* final norm, then logits for the wanted rows only */
    fw_rmsnorm_rows(s.xb, s.x, w->output_norm, n, E, (size_t)E, c->eps);
    if (req->logits_last &&
        (rc = fw_logits(m, &s, s.xb + (size_t)(n - 1) * E, 1, req->logits_last, NULL, NULL, err)))
        goto cleanup;
    if (req->nll) {
        int from = req->nll_from < 0 ? 0 : req->nll_from, cnt = n - 1 - from;
        *req->nll = 0.0;
        if (cnt > 0 && (rc = fw_logits(m, &s, s.xb + (size_t)from * E, cnt, NULL,
                                       req->tokens + from + 1, req->nll, err)))
            goto cleanup;
        if (req->nll_count) *req->nll_count = cnt > 0 ? cnt : 0;
    }
cleanup:
    free(s.mem);
    return rc;
}

int model_perplexity(model *m, const int32_t *tokens, int n, int ctx, int max_chunks, double *ppl,
                     int *scored, ef_error *err)
{
    int bos = tokenizer_bos(m->tok), chunks = n / ctx, rc = EF_OK;
    if (max_chunks > 0 && chunks > max_chunks) chunks = max_chunks;
    if (ctx < 4 || chunks < 1)
        return ef_fail(err, EF_UNSUPPORTED, "perplexity: %d tokens do not fill one chunk of %d", n,
                       ctx);
    int32_t *buf = malloc((size_t)ctx * sizeof *buf);
    if (!buf) return ef_fail(err, EF_NOMEM, "perplexity: out of memory");
    double total = 0.0;
    int count = 0;
    for (int ch = 0; ch < chunks; ch++) {
        memcpy(buf, tokens + (size_t)ch * ctx, (size_t)ctx * sizeof *buf);
        if (bos >= 0) buf[0] = bos;
        double nll = 0.0;
        int cnt = 0;
        forward_request req = {
            .tokens = buf, .n = ctx, .nll = &nll, .nll_from = ctx / 2 - 1, .nll_count = &cnt};
        if ((rc = model_forward(m, &req, err))) goto cleanup;
        total += nll;
        count += cnt;
    }
    *ppl = exp(total / count);
    if (scored) *scored = count;
cleanup:
    free(buf);
    return rc;
}
