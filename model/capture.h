/* model/capture.h — captured Q/K of a model on a text at one length (all layers, all
 * heads), the disk cache that makes a second run free, and the safetensors exchange
 * layout (README, issue 5 item 8): F32 `q.<layer>` [n_head, n, d], `k.<layer>`
 * [n_head_kv, n, d], I32 `tokens` [n] (the ids fed, optional on import), string metadata
 * `model`, `text`, `text_hash`, `length`, `mask.<layer>`, `scale.<layer>` and, where the
 * model caps its logits (gemma2), `softcap.<layer>`. Callers: harness/source_model.c,
 * cli/cmd_capture.c, the monitor, the tests.
 */
#ifndef EF_MODEL_CAPTURE_H
#define EF_MODEL_CAPTURE_H

#include <stddef.h>

#include "core/error.h"
#include "core/types.h"
#include "model/forward.h"
#include "model/texts.h"

typedef struct capture_layer {
    int layer; /* model layer index */
    int n_head, n_head_kv, n, d;
    float *q;       /* (n_head, n, d) */
    float *k;       /* (n_head_kv, n, d); query head h uses KV head h / (n_head / n_head_kv) */
    double scale;   /* logit = scale * q . k */
    double softcap; /* 0, or c: the softmax sees c tanh(logit / c) (gemma2) */
    ef_mask mask;   /* causal, or window of w */
} capture_layer;

typedef struct capture_set {
    char model[64];
    char text[128];
    char text_hash[17]; /* 64-bit FNV-1a of the text's bytes, hex ("" when unknown) */
    int n;              /* positions (rows of every q and k) */
    int32_t *tokens;    /* (n) the token ids fed, or NULL (imported without them) */
    int n_layers;
    capture_layer *layers; /* (n_layers), increasing layer index */
} capture_set;

void capture_free(capture_set *c);

/* Runs the forward pass on ids[0..n) and keeps every layer's Q and K (and a copy of the
 * ids); progress may be NULL. */
int capture_run(model *m, const int32_t *ids, int n, const char *text_name,
                const forward_progress *progress, capture_set *out, ef_error *err);

/* Writes the set in the exchange layout (atomically: nothing at `path` on failure). */
int capture_write(const capture_set *c, const char *path, ef_error *err);
/* Reads any file in the exchange layout (q/k of any float dtype); shape or metadata errors
 * name the file and tensor. */
int capture_read(const char *path, capture_set *out, ef_error *err);

/* ${XDG_CACHE_HOME:-$HOME/.cache}/efbench (no trailing slash). */
int capture_cache_dir(char *buf, size_t len, ef_error *err);

/* Q/K of model m on text t at length n: from the cache when present (key: model file
 * SHA-256, text hash, n, tokenizer), else computed and stored. *from_cache says which.
 * Text too short: EF_UNSUPPORTED. A cache that cannot be written is not an error. */
int capture_cached(model *m, const text_source *t, int n, const forward_progress *progress,
                   capture_set *out, int *from_cache, ef_error *err);

#endif
