/* model/forward_load.c — model_open: GGUF -> config (gguf-models.md C.1/C.2, E.1, F) and
 * weights table, with every tensor's presence, shape and type checked up front so the
 * forward pass (forward.c) never meets a surprise. What each architecture does differently
 * is one row of arch_rows; the forward pass reads only the config it yields.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/forward_impl.h"

/* One row per architecture: its defaults and the parts of the block it uses (llama.cpp's
 * src/models/<arch>.cpp and gguf-models.md C, E, F). */
typedef struct arch_row {
    const char *name;
    model_arch arch;
    float eps;             /* RMSNorm epsilon when the key is absent */
    int rope_neox;         /* NEOX pairs (i, i + n_rot/2); else adjacent pairs (llama) */
    int embd_scale;        /* x *= sqrt(n_embd) after the lookup (gemma) */
    int qk_norm;           /* per-head RMSNorm of q and k, weights required (gemma3, qwen3) */
    int post_norms;        /* RMSNorm after attention and after the FFN (gemma) */
    int gelu;              /* gated GELU (gemma), else SwiGLU */
    int swa_period;        /* local-layer pattern when a window is set (see model_config) */
    int swa_default;       /* window when attention.sliding_window is absent (gemma2: 4096) */
    int wide_scale_layers; /* with this many layers a = 1/sqrt(n_embd/H), not 1/sqrt(d)
                              (gemma3 27B: 62, gemma2 27B: 46: query_pre_attn_scalar) */
    int softcap;           /* logit soft-capping, defaults 50 (attention) and 30 (output) */
} arch_row;

static const arch_row arch_rows[] = {
    {.name = "gemma3",
     .arch = MODEL_ARCH_GEMMA3,
     .eps = 1e-6f,
     .rope_neox = 1,
     .embd_scale = 1,
     .qk_norm = 1,
     .post_norms = 1,
     .gelu = 1,
     .swa_period = 6,
     .wide_scale_layers = 62},
    {.name = "llama", .arch = MODEL_ARCH_LLAMA, .eps = 1e-5f, .swa_period = 1},
    {.name = "qwen2", .arch = MODEL_ARCH_QWEN2, .eps = 1e-5f, .rope_neox = 1},
    {.name = "qwen3", .arch = MODEL_ARCH_QWEN3, .eps = 1e-6f, .rope_neox = 1, .qk_norm = 1},
    {.name = "gemma2",
     .arch = MODEL_ARCH_GEMMA2,
     .eps = 1e-6f,
     .rope_neox = 1,
     .embd_scale = 1,
     .post_norms = 1,
     .gelu = 1,
     .swa_period = 2,
     .swa_default = 4096,
     .wide_scale_layers = 46,
     .softcap = 1},
    {.name = "phi3", .arch = MODEL_ARCH_PHI3, .eps = 1e-5f, .rope_neox = 1, .swa_period = 1},
};
#define ARCH_ROWS ((int)(sizeof arch_rows / sizeof arch_rows[0]))

static const arch_row *ml_arch_row(model_arch a)
{
    for (int i = 0; i < ARCH_ROWS; i++)
        if (arch_rows[i].arch == a) return &arch_rows[i];
    return &arch_rows[0];
}

const char *model_arch_name(model_arch a) { return ml_arch_row(a)->name; }

static int ml_u32(const gguf_file *f, const char *arch, const char *key, int required, int def,
                  int *v, ef_error *err)
{
    char full[128];
    uint32_t u;
    snprintf(full, sizeof full, "%s.%s", arch, key);
    if (gguf_kv_find(f, full) < 0) {
        if (required)
            return ef_fail(err, EF_ERROR, "%s: metadata key %s is missing", gguf_path(f), full);
        *v = def;
        return EF_OK;
    }
    int rc = gguf_get_u32(f, full, &u, err);
    if (rc) return rc;
    if (u == 0 || u > (1u << 24))
        return ef_fail(err, EF_ERROR, "%s: %s = %u is out of range", gguf_path(f), full, u);
    *v = (int)u;
    return EF_OK;
}

static int ml_f32(const gguf_file *f, const char *arch, const char *key, float def, float *v,
                  ef_error *err)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    if (gguf_kv_find(f, full) < 0) {
        *v = def;
        return EF_OK;
    }
    int rc = gguf_get_f32(f, full, v, err);
    if (rc) return rc;
    if (!isfinite(*v)) return ef_fail(err, EF_ERROR, "%s: %s is not finite", gguf_path(f), full);
    return EF_OK;
}

static int ml_config(const gguf_file *f, model_config *c, ef_error *err)
{
    const char *arch = gguf_arch(f);
    const arch_row *row = NULL;
    int rc;
    for (int i = 0; i < ARCH_ROWS; i++)
        if (!strcmp(arch, arch_rows[i].name)) row = &arch_rows[i];
    if (!row)
        return ef_fail(err, EF_UNSUPPORTED,
                       "%s: architecture '%s' is not supported (gemma2, gemma3, llama, phi3, "
                       "qwen2, qwen3)",
                       gguf_path(f), arch);
    memset(c, 0, sizeof *c);
    c->arch = row->arch;
    if ((rc = ml_u32(f, arch, "embedding_length", 1, 0, &c->n_embd, err)) ||
        (rc = ml_u32(f, arch, "block_count", 1, 0, &c->n_layer, err)) ||
        (rc = ml_u32(f, arch, "feed_forward_length", 1, 0, &c->n_ff, err)) ||
        (rc = ml_u32(f, arch, "attention.head_count", 1, 0, &c->n_head, err)))
        return rc;
    if ((rc = ml_u32(f, arch, "attention.head_count_kv", 0, c->n_head, &c->n_head_kv, err)) ||
        (rc = ml_u32(f, arch, "attention.key_length", 0, c->n_embd / c->n_head, &c->d, err)) ||
        (rc = ml_u32(f, arch, "attention.value_length", 0, c->d, &c->d_v, err)) ||
        (rc = ml_u32(f, arch, "rope.dimension_count", 0, c->d, &c->n_rot, err)) ||
        (rc = ml_u32(f, arch, "context_length", 0, 1 << 20, &c->n_ctx_orig, err)) ||
        (rc = ml_u32(f, arch, "rope.scaling.original_context_length", 0, c->n_ctx_orig,
                     &c->n_ctx_orig, err)))
        return rc;
    if (c->n_head % c->n_head_kv)
        return ef_fail(err, EF_ERROR, "%s: head_count %d is not a multiple of head_count_kv %d",
                       gguf_path(f), c->n_head, c->n_head_kv);
    if (c->n_rot > c->d || c->n_rot % 2 || c->d % 2)
        return ef_fail(err, EF_ERROR, "%s: rope dimension %d does not fit head dimension %d",
                       gguf_path(f), c->n_rot, c->d);
    if (c->arch == MODEL_ARCH_LLAMA && c->n_rot != c->d)
        return ef_fail(err, EF_UNSUPPORTED, "%s: llama rope.dimension_count %d != head dim %d",
                       gguf_path(f), c->n_rot, c->d);
    if ((rc = ml_f32(f, arch, "attention.layer_norm_rms_epsilon", row->eps, &c->eps, err)) ||
        (rc = ml_f32(f, arch, "rope.freq_base", 10000.0f, &c->rope_base, err)) ||
        (rc = ml_f32(f, arch, "rope.freq_base_swa",
                     c->arch == MODEL_ARCH_GEMMA3 ? 10000.0f : c->rope_base, &c->rope_base_swa,
                     err)) ||
        (rc = ml_f32(f, arch, "rope.scaling.attn_factor", 1.0f, &c->rope_attn_factor, err)))
        return rc;
    c->rope_neox = row->rope_neox;
    c->gelu = row->gelu;
    c->rope_freq_scale = 1.0f;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    const char *st;
    size_t stl;
    if (gguf_get_str(f, key, &st, &stl, NULL) == EF_OK && stl == 6 && !memcmp(st, "linear", 6)) {
        float factor;
        if ((rc = ml_f32(f, arch, "rope.scaling.factor", 1.0f, &factor, err))) return rc;
        if (factor > 0) c->rope_freq_scale = 1.0f / factor;
    }
    c->embd_scale = row->embd_scale ? sqrtf((float)c->n_embd) : 1.0f;
    c->attn_scale = 1.0 / sqrt((double)c->d);
    if (row->wide_scale_layers && c->n_layer == row->wide_scale_layers)
        c->attn_scale = 1.0 / sqrt((double)c->n_embd / c->n_head);
    if (row->swa_period) {
        if ((rc = ml_u32(f, arch, "attention.sliding_window", 0, row->swa_default, &c->n_swa, err)))
            return rc;
        c->swa_period = row->swa_period;
        snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", arch);
        uint32_t p;
        if (gguf_get_u32(f, key, &p, NULL) == EF_OK && p > 0 && p < 1024) c->swa_period = (int)p;
        else if (gguf_kv_find(f, key) >= 0 && row->swa_period > 1)
            return ef_fail(err, EF_UNSUPPORTED,
                           "%s: %s is not a layer period (a per-layer "
                           "list is not supported)",
                           gguf_path(f), key);
    }
    if (row->softcap) {
        if ((rc = ml_f32(f, arch, "attn_logit_softcapping", 50.0f, &c->attn_softcap, err)) ||
            (rc = ml_f32(f, arch, "final_logit_softcapping", 30.0f, &c->final_softcap, err)))
            return rc;
        if (c->attn_softcap < 0 || c->final_softcap < 0)
            return ef_fail(err, EF_ERROR, "%s: negative logit soft-capping", gguf_path(f));
    }
    if (c->n_layer > 4096 || c->n_head > 4096 || c->d > 4096)
        return ef_fail(err, EF_ERROR, "%s: absurd model dimensions (L %d, H %d, d %d)",
                       gguf_path(f), c->n_layer, c->n_head, c->d);
    return EF_OK;
}

int model_layer_is_local(const model_config *c, int layer)
{
    if (c->n_swa <= 0 || c->swa_period < 1) return 0;
    return c->swa_period == 1 || layer % c->swa_period < c->swa_period - 1;
}

ef_mask model_layer_mask(const model_config *c, int layer)
{
    if (model_layer_is_local(c, layer)) return (ef_mask){EF_MASK_WINDOW, c->n_swa};
    return (ef_mask){EF_MASK_CAUSAL, 0};
}

/* Finds a tensor and checks its shape [ne0, ne1] (ne1 = 0: a vector). */
static int ml_tensor(const gguf_file *f, const char *name, uint64_t ne0, uint64_t ne1, int required,
                     const gguf_tensor **out, ef_error *err)
{
    const gguf_tensor *t = gguf_tensor_find(f, name);
    *out = NULL;
    if (!t) {
        if (!required) return EF_OK;
        return ef_fail(err, EF_ERROR, "%s: tensor %s is missing", gguf_path(f), name);
    }
    uint64_t want1 = ne1 ? ne1 : 1;
    if (t->ne[0] != ne0 || t->ne[1] != want1 || t->ne[2] != 1 || t->ne[3] != 1)
        return ef_fail(err, EF_ERROR,
                       "%s: tensor %s has shape [%llu, %llu, %llu, %llu], expected [%llu, %llu]",
                       gguf_path(f), name, (unsigned long long)t->ne[0],
                       (unsigned long long)t->ne[1], (unsigned long long)t->ne[2],
                       (unsigned long long)t->ne[3], (unsigned long long)ne0,
                       (unsigned long long)want1);
    if (!dequant_type_supported(t->type)) {
        const char *tn = dequant_type_name(t->type);
        return ef_fail(err, EF_UNSUPPORTED, "%s: tensor %s has type %s%s%d, which is not supported",
                       gguf_path(f), name, tn ? tn : "", tn ? " / id " : "id ", t->type);
    }
    *out = t;
    return EF_OK;
}

/* Every hyperparameter against the tensors that carry it, before anything is allocated:
 * a GGUF whose metadata claims more (or fewer) blocks, heads or dimensions than its tensors
 * hold is refused naming the key. Without this, absurd but in-range values (an embedding of
 * 2^24 in 4096 blocks) reached malloc as terabytes, and smaller ones were allocated. */
static int ml_hparams_check(const gguf_file *f, const model_config *c, ef_error *err)
{
    const char *arch = model_arch_name(c->arch), *path = gguf_path(f);
    const gguf_tensor *emb = gguf_tensor_find(f, "token_embd.weight"), *t;
    char name[96];
    if (emb->ne[0] != (uint64_t)c->n_embd)
        return ef_fail(
            err, EF_ERROR,
            "%s: %s.embedding_length = %d, but token_embd.weight has rows of %llu values", path,
            arch, c->n_embd, (unsigned long long)emb->ne[0]);
    int rc = ml_tensor(f, "token_embd.weight", c->n_embd, c->n_vocab, 1, &t, err); /* its type */
    if (rc) return rc;
    for (int l = 0; l <= c->n_layer; l++) { /* blocks 0 .. L-1, and no block L */
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        int present = gguf_tensor_find(f, name) != NULL;
        if (l < c->n_layer && !present)
            return ef_fail(err, EF_ERROR, "%s: %s.block_count = %d, but the file has no tensor %s",
                           path, arch, c->n_layer, name);
        if (l == c->n_layer && present)
            return ef_fail(err, EF_ERROR,
                           "%s: %s.block_count = %d, but the file has a block %d too (tensor %s)",
                           path, arch, c->n_layer, l, name);
    }
    snprintf(name, sizeof name, "%s.attention.key_length", arch);
    const char *d_key = gguf_kv_find(f, name) >= 0 ? "" : ", absent: embedding_length / head_count";
    if ((t = gguf_tensor_find(f, "blk.0.attn_q.weight")) && t->ne[1] != (uint64_t)c->n_head * c->d)
        return ef_fail(
            err, EF_ERROR,
            "%s: %s.attention.head_count %d x head dimension %d (%s.attention.key_length%s) "
            "= %llu query rows, but blk.0.attn_q.weight has %llu",
            path, arch, c->n_head, c->d, arch, d_key, (unsigned long long)c->n_head * c->d,
            (unsigned long long)t->ne[1]);
    if ((t = gguf_tensor_find(f, "blk.0.attn_k.weight")) &&
        t->ne[1] != (uint64_t)c->n_head_kv * c->d)
        return ef_fail(
            err, EF_ERROR,
            "%s: %s.attention.head_count_kv %d x head dimension %d (%s.attention.key_length%s) "
            "= %llu key rows, but blk.0.attn_k.weight has %llu",
            path, arch, c->n_head_kv, c->d, arch, d_key, (unsigned long long)c->n_head_kv * c->d,
            (unsigned long long)t->ne[1]);
    if ((t = gguf_tensor_find(f, "blk.0.attn_v.weight")) &&
        t->ne[1] != (uint64_t)c->n_head_kv * c->d_v)
        return ef_fail(
            err, EF_ERROR,
            "%s: %s.attention.head_count_kv %d x %s.attention.value_length %d = %llu value "
            "rows, but blk.0.attn_v.weight has %llu",
            path, arch, c->n_head_kv, arch, c->d_v, (unsigned long long)c->n_head_kv * c->d_v,
            (unsigned long long)t->ne[1]);
    if ((t = gguf_tensor_find(f, "blk.0.ffn_down.weight")) && t->ne[0] != (uint64_t)c->n_ff)
        return ef_fail(
            err, EF_ERROR,
            "%s: %s.feed_forward_length = %d, but blk.0.ffn_down.weight has rows of %llu values",
            path, arch, c->n_ff, (unsigned long long)t->ne[0]);
    return EF_OK;
}

/* Copies a vector tensor into the pool (dst), or sets *dst NULL when optional and absent. */
static int ml_vector(const gguf_file *f, const char *name, uint64_t n, int required, float **pool,
                     float **dst, ef_error *err)
{
    const gguf_tensor *t;
    int rc = ml_tensor(f, name, n, 0, required, &t, err);
    *dst = NULL;
    if (rc || !t) return rc;
    *dst = *pool;
    *pool += n;
    return gguf_tensor_read_f32(t, *dst, err);
}

static int ml_weights(model *m, ef_error *err)
{
    const gguf_file *f = m->gguf;
    const model_config *c = &m->cfg;
    const arch_row *row = ml_arch_row(c->arch);
    model_weights *w = &m->w;
    int L = c->n_layer, rc;
    uint64_t qw = (uint64_t)c->n_head * c->d, kw = (uint64_t)c->n_head_kv * c->d;
    uint64_t vw = (uint64_t)c->n_head_kv * c->d_v, ow = (uint64_t)c->n_head * c->d_v;
    /* norms (4 n_embd + 2 d), biases (q, k, v twice: split or fused; output) */
    uint64_t per_layer = 5 * (uint64_t)c->n_embd + 2 * (uint64_t)c->d + 2 * (qw + kw + vw);
    uint64_t total =
        per_layer * L + c->n_embd + 3 * (uint64_t)(c->n_rot / 2) + (uint64_t)c->n_vocab;
    /* the pool copies vectors the file holds (at 4.5 bits a value or more), so it is never
     * more than 8 x the file; beyond, some block's tensors do not match the checked ones */
    if ((double)total * sizeof(float) > 8.0 * (double)gguf_file_size(f))
        return ef_fail(err, EF_ERROR,
                       "%s: the norms and biases of %d blocks would need %.3g GB, more than the "
                       "%.3g MB file can hold",
                       gguf_path(f), L, (double)total * sizeof(float) * 1e-9,
                       (double)gguf_file_size(f) * 1e-6);
    w->pool = malloc(total * sizeof(float));
    w->layers = calloc((size_t)L, sizeof *w->layers);
    if (!w->pool || !w->layers)
        return ef_fail(err, EF_NOMEM, "%s: out of memory for %llu norm/bias floats", gguf_path(f),
                       (unsigned long long)total);
    float *pool = w->pool;
    if ((rc = ml_tensor(f, "token_embd.weight", c->n_embd, c->n_vocab, 1, &w->token_embd, err)) ||
        (rc = ml_tensor(f, "output.weight", c->n_embd, c->n_vocab, 0, &w->output, err)) ||
        (rc = ml_vector(f, "output_norm.weight", c->n_embd, 1, &pool, &w->output_norm, err)) ||
        (rc = ml_vector(f, "output.bias", c->n_vocab, 0, &pool, &w->output_bias, err)) ||
        (rc = ml_vector(f, "rope_freqs.weight", c->n_rot / 2, 0, &pool, &w->rope_freqs, err)) ||
        (rc = ml_vector(f, "rope_factors_long.weight", c->n_rot / 2, 0, &pool, &w->rope_long,
                        err)) ||
        (rc = ml_vector(f, "rope_factors_short.weight", c->n_rot / 2, 0, &pool, &w->rope_short,
                        err)))
        return rc;
    size_t max = 0;
    for (int l = 0; l < L; l++) {
        layer_weights *lw = &w->layers[l];
        char n[96];
#define ML_T(field, nm, a, b)                                        \
    snprintf(n, sizeof n, "blk.%d.%s", l, nm);                       \
    if ((rc = ml_tensor(f, n, a, b, 1, &lw->field, err))) return rc; \
    if ((size_t)(a) * (size_t)(b) > max) max = (size_t)(a) * (size_t)(b);
#define ML_V(field, nm, len, req)              \
    snprintf(n, sizeof n, "blk.%d.%s", l, nm); \
    if ((rc = ml_vector(f, n, len, req, &pool, &lw->field, err))) return rc;
#define ML_HAS(nm) (snprintf(n, sizeof n, "blk.%d.%s", l, nm), gguf_tensor_find(f, n) != NULL)
        if (ML_HAS("attn_qkv.weight")) { /* phi3: one matrix, q rows then k then v */
            ML_T(wqkv, "attn_qkv.weight", c->n_embd, qw + kw + vw);
            ML_V(bqkv, "attn_qkv.bias", qw + kw + vw, 0);
        } else {
            ML_T(wq, "attn_q.weight", c->n_embd, qw);
            ML_T(wk, "attn_k.weight", c->n_embd, kw);
            ML_T(wv, "attn_v.weight", c->n_embd, vw);
            ML_V(bq, "attn_q.bias", qw, 0);
            ML_V(bk, "attn_k.bias", kw, 0);
            ML_V(bv, "attn_v.bias", vw, 0);
        }
        ML_T(wo, "attn_output.weight", ow, c->n_embd);
        ML_V(bo, "attn_output.bias", c->n_embd, 0);
        if (ML_HAS("ffn_gate.weight")) {
            ML_T(w_gate, "ffn_gate.weight", c->n_embd, c->n_ff);
            ML_T(w_up, "ffn_up.weight", c->n_embd, c->n_ff);
        } else { /* phi3: gate and up rows in one matrix */
            ML_T(w_up, "ffn_up.weight", c->n_embd, 2 * (uint64_t)c->n_ff);
        }
        ML_T(w_down, "ffn_down.weight", c->n_ff, c->n_embd);
        ML_V(attn_norm, "attn_norm.weight", c->n_embd, 1);
        ML_V(ffn_norm, "ffn_norm.weight", c->n_embd, 1);
        ML_V(q_norm, "attn_q_norm.weight", c->d, row->qk_norm);
        ML_V(k_norm, "attn_k_norm.weight", c->d, row->qk_norm);
        ML_V(post_attn_norm, "post_attention_norm.weight", c->n_embd, row->post_norms);
        ML_V(post_ffw_norm, "post_ffw_norm.weight", c->n_embd, row->post_norms);
#undef ML_T
#undef ML_V
#undef ML_HAS
    }
    m->max_matrix = max;
    return EF_OK;
}

int model_open(const char *path, model **out, ef_error *err)
{
    *out = NULL;
    model *m = calloc(1, sizeof *m);
    if (!m) return ef_fail(err, EF_NOMEM, "%s: out of memory", path);
    int rc = gguf_open(path, &m->gguf, err);
    if (rc) goto fail;
    if ((rc = ml_config(m->gguf, &m->cfg, err))) goto fail;
    const gguf_tensor *emb = gguf_tensor_find(m->gguf, "token_embd.weight");
    if (!emb || emb->ne[1] == 0 || emb->ne[1] > INT32_MAX) {
        rc = ef_fail(err, EF_ERROR, "%s: tensor token_embd.weight is missing or empty", path);
        goto fail;
    }
    m->cfg.n_vocab = (int)emb->ne[1];
    if ((rc = ml_hparams_check(m->gguf, &m->cfg, err)) || (rc = ml_weights(m, err))) goto fail;
    if ((rc = tokenizer_load(m->gguf, &m->tok, err))) goto fail;
    if (tokenizer_n_vocab(m->tok) != m->cfg.n_vocab) {
        rc = ef_fail(err, EF_ERROR,
                     "%s: the tokenizer has %d tokens but token_embd.weight has %d rows", path,
                     tokenizer_n_vocab(m->tok), m->cfg.n_vocab);
        goto fail;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(m->name, sizeof m->name, "%s", base);
    size_t bl = strlen(m->name);
    if (bl > 5 && !strcmp(m->name + bl - 5, ".gguf")) m->name[bl - 5] = 0;
    *out = m;
    return EF_OK;
fail:
    model_close(m);
    return rc;
}

void model_close(model *m)
{
    if (!m) return;
    tokenizer_free(m->tok);
    free(m->w.pool);
    free(m->w.layers);
    gguf_close(m->gguf);
    free(m);
}

const model_config *model_config_get(const model *m) { return &m->cfg; }
const tokenizer *model_tokenizer(const model *m) { return m->tok; }
gguf_file *model_gguf(model *m) { return m->gguf; }
const char *model_name(const model *m) { return m->name; }

void model_describe(const model *m, char *buf, size_t len)
{
    const model_config *c = &m->cfg;
    double params = 0;
    for (uint64_t i = 0; i < gguf_tensor_count(m->gguf); i++) {
        const gguf_tensor *t = gguf_tensor_at(m->gguf, i);
        params += (double)t->ne[0] * (double)t->ne[1] * (double)t->ne[2] * (double)t->ne[3];
    }
    snprintf(buf, len,
             "%s: %s, %.1f M parameters in %.1f MB, %d layers x %d query / %d KV "
             "heads, d = %d, tokenizer %s (%d tokens)",
             m->name, model_arch_name(c->arch), params / 1e6, (double)gguf_file_size(m->gguf) / 1e6,
             c->n_layer, c->n_head, c->n_head_kv, c->d, tokenizer_label(m->tok), c->n_vocab);
}
