/* model/forward_impl.h — private to model/forward*.c: the weights table and struct model.
 * Matrices stay quantised in the GGUF mapping; norms and biases (tiny) are copied to
 * float32 once at open, all in one allocation.
 */
#ifndef EF_MODEL_FORWARD_IMPL_H
#define EF_MODEL_FORWARD_IMPL_H

#include "model/forward.h"

typedef struct layer_weights {
    const gguf_tensor *wq;     /* (H*d, n_embd) rows of n_embd; NULL when wqkv is fused */
    const gguf_tensor *wk;     /* (Hkv*d, n_embd) */
    const gguf_tensor *wv;     /* (Hkv*d_v, n_embd) */
    const gguf_tensor *wqkv;   /* (H*d + Hkv*d + Hkv*d_v, n_embd): q, k, v rows (phi3) */
    const gguf_tensor *wo;     /* (n_embd, H*d_v) */
    const gguf_tensor *w_gate; /* (n_ff, n_embd); NULL when fused into w_up */
    const gguf_tensor *w_up;   /* (n_ff, n_embd), or (2 n_ff, n_embd): gate rows then up (phi3) */
    const gguf_tensor *w_down; /* (n_embd, n_ff) */
    float *attn_norm;          /* (n_embd) */
    float *ffn_norm;           /* (n_embd) */
    float *q_norm, *k_norm;    /* (d) gemma3, else NULL */
    float *post_attn_norm;     /* (n_embd) gemma3, else NULL */
    float *post_ffw_norm;      /* (n_embd) gemma3, else NULL */
    float *bq, *bk, *bv;       /* (H*d), (Hkv*d), (Hkv*d_v) qwen2 (optional), else NULL */
    float *bqkv;               /* (H*d + 2 Hkv*d) with wqkv (optional), else NULL */
    float *bo;                 /* (n_embd) attn_output.bias (optional), else NULL */
} layer_weights;

typedef struct model_weights {
    const gguf_tensor *token_embd; /* (n_vocab, n_embd): one row per token */
    const gguf_tensor *output;     /* (n_vocab, n_embd), or NULL: tied to token_embd */
    float *output_norm;            /* (n_embd) */
    float *output_bias;            /* (n_vocab) or NULL */
    float *rope_freqs;             /* (n_rot/2) angle divisors (llama 3) or NULL */
    float *rope_long, *rope_short; /* (n_rot/2) LongRoPE divisors (phi3), or NULL */
    layer_weights *layers;         /* (L) */
    float *pool;                   /* the one allocation behind every float* above */
} model_weights;

struct model {
    gguf_file *gguf;
    tokenizer *tok;
    model_config cfg;
    model_weights w;
    size_t max_matrix; /* elements of the largest per-layer matrix (dequant scratch) */
    char name[64];
};

#endif
