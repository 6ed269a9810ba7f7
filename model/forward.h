/* model/forward.h — a float32 CPU forward pass (OpenBLAS sgemm) for GGUF models of the
 * architectures gemma2, gemma3, llama, phi3, qwen2 and qwen3, written like llama2.c's
 * forward(): a config (what each architecture does differently is a row of choices), the
 * weights (quantised, in the mapping; dequantised per matrix on use) and a run state.
 * It exists to capture Q and K exactly as they enter the attention logits (the capture
 * hook) and to score text (next-token logits, perplexity) so tests can tell a correct pass
 * from a broken one. Callers: model/capture.c, the tests. Math: gguf-models.md C, E, F;
 * gemma2, qwen3 and phi3 as llama.cpp's src/models/ build them (README "Real attention heads").
 */
#ifndef EF_MODEL_FORWARD_H
#define EF_MODEL_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

typedef enum {
    MODEL_ARCH_GEMMA3,
    MODEL_ARCH_LLAMA,
    MODEL_ARCH_QWEN2,
    MODEL_ARCH_QWEN3,
    MODEL_ARCH_GEMMA2,
    MODEL_ARCH_PHI3,
} model_arch;

/* "gemma3", "llama", ... as general.architecture spells it. */
const char *model_arch_name(model_arch a);

/* Hyper-parameters, read from the GGUF metadata and checked against the tensor shapes. */
typedef struct model_config {
    model_arch arch;
    int n_embd;    /* width of the residual stream */
    int n_layer;   /* L */
    int n_head;    /* H query heads */
    int n_head_kv; /* Hkv key/value heads; query head h uses KV head h / (H / Hkv) */
    int d;         /* head dimension of Q and K */
    int d_v;       /* head dimension of V */
    int n_ff;      /* FFN hidden width */
    int n_vocab;
    int n_rot;              /* rotated dimensions per head (<= d) */
    int rope_neox;          /* 1: pairs (i, i + n_rot/2) (all but llama); 0: (2i, 2i+1) (llama) */
    float rope_base;        /* global layers */
    float rope_base_swa;    /* sliding-window layers (gemma) */
    float rope_freq_scale;  /* global layers; 1 unless linear rope scaling */
    float rope_attn_factor; /* cos and sin are scaled by it (LongRoPE's attention factor), 1 */
    int n_ctx_orig;         /* LongRoPE: the long factors apply when n exceeds this */
    float eps;              /* RMSNorm epsilon */
    int n_swa;              /* sliding window w of the local layers, 0 = none */
    int swa_period;      /* layer l is local iff n_swa && (period == 1 || l % period < period - 1):
                            gemma3 6 (5 local, 1 global), gemma2 2 (even layers), 1 every layer
                            (a window declared by a llama or phi3 file, as Mistral trains it) */
    float embd_scale;    /* the embedding row is multiplied by this (gemma: sqrt(n_embd)) */
    double attn_scale;   /* a: logit = a * q . k (before any soft-capping) */
    float attn_softcap;  /* gemma2: the logit a q.k becomes c tanh(a q.k / c); 0 = none */
    float final_softcap; /* gemma2: output logits l become c tanh(l / c); 0 = none */
    int gelu;            /* 1: gated GELU (gemma); 0: SwiGLU */
} model_config;

typedef struct model model;

/* Opens a GGUF (mmap), reads the config, finds and shape-checks every weight, loads the
 * tokenizer. Errors name the file and the problem (EF_UNSUPPORTED for an architecture or
 * quant type this pass does not run). */
int model_open(const char *path, model **out, ef_error *err);
void model_close(model *m);

const model_config *model_config_get(const model *m);
const tokenizer *model_tokenizer(const model *m);
gguf_file *model_gguf(model *m);
/* Short name for results: the file name without directory and ".gguf". */
const char *model_name(const model *m);
/* One line a person reads on start: name, architecture, parameters and file size, layers,
 * heads, d and the tokenizer, e.g. "gemma-3-270m-q4_k_m: gemma3, 268.1 M parameters in
 * 253.1 MB, 18 layers x 4 query / 1 KV heads, d = 256, tokenizer spm (262144 tokens)". */
void model_describe(const model *m, char *buf, size_t len);
/* 1 if layer l uses the sliding window; the layer's mask and logit scale. */
int model_layer_is_local(const model_config *c, int layer);
ef_mask model_layer_mask(const model_config *c, int layer);

/* What the capture hook receives: one query head of one layer, all n positions.
 * q row t is q + t * q_stride (d floats), k row t is k + t * k_stride: exactly the vectors
 * of the logit a * q_t . k_u (after biases, q/k norm and RoPE; before any scale). The
 * pointers are valid only during the call. */
typedef struct forward_qk {
    int layer, head, kv_head;
    int n, d;
    const float *q;
    size_t q_stride;
    const float *k;
    size_t k_stride;
    double scale;
    double softcap; /* gemma2: softmax sees c tanh(scale q.k / c); 0 = plain logits */
    ef_mask mask;   /* causal, or window of w */
} forward_qk;

/* Called for every layer (in order) and every query head; nonzero aborts the pass. */
typedef int (*forward_capture_fn)(void *user, const forward_qk *qk);

/* Progress of a forward pass: called after each layer with the request's label (the text's
 * name, may be NULL), the layers done of all, the tokens and the seconds since the start.
 * The model layer never prints; the caller shows it (cli/). */
typedef struct forward_progress {
    void (*fn)(void *user, const char *label, int layers_done, int layers, int n, double seconds);
    void *user;
} forward_progress;

typedef struct forward_request {
    const int32_t *tokens; /* n ids, each < n_vocab */
    int n;
    forward_capture_fn capture; /* optional */
    void *capture_user;
    float *logits_last; /* optional: n_vocab logits of the last position */
    double *nll;        /* optional: sum of -log p(tokens[t+1] | tokens[..t]) for t in */
    int nll_from;       /*   [nll_from, n-1); *nll_count gets the number of terms */
    int *nll_count;
    const forward_progress *progress; /* optional */
    const char *progress_label;       /* handed to progress (e.g. the text name), may be NULL */
} forward_request;

/* Runs the whole sequence as one batch (positions 0..n-1, causal). */
int model_forward(model *m, const forward_request *req, ef_error *err);

/* Perplexity llama-perplexity style: consecutive chunks of `ctx` tokens from `tokens`
 * (the first of each replaced by BOS when the vocabulary has one), scoring the second half
 * of each chunk; at most max_chunks chunks (0 = all). */
int model_perplexity(model *m, const int32_t *tokens, int n, int ctx, int max_chunks, double *ppl,
                     int *scored, ef_error *err);

#endif
