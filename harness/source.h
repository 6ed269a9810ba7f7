/* harness/source.h — where Q and K come from: the input-source interface.
 * A source yields heads (one Q, one K, n x d float32) for a requested length n. Synthetic
 * generators live in source_synth.c; real models (model/) and imported Q/K plug in through
 * the same table (source_model.c). The runner calls source_open / source_heads / source_close.
 */
#ifndef EF_SOURCE_H
#define EF_SOURCE_H

#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* One attention head's inputs. q and k are owned by the head (free with ef_head_free). */
typedef struct ef_head {
    int n, d;
    float *q;           /* (n, d) row-major, as the model forms logits */
    float *k;           /* (n, d) row-major */
    double scale;       /* a: 1/sqrt(d) unless the model says otherwise */
    int has_model_mask; /* 1 if the model's layer uses a known mask (model_mask) */
    ef_mask model_mask;
    char source[64];          /* "gaussian", "sink", ... or the model's name */
    char text[128];           /* input text name for model sources, "" for synthetic */
    int layer, head, kv_head; /* -1 for synthetic sources */
    uint64_t seed;            /* the seed this head was drawn with (synthetic, random texts) */
} ef_head;

void ef_head_free(ef_head *h);

/* The options a suite gives every source. */
typedef struct ef_source_args {
    uint64_t seed;
    int d;              /* head dimension for synthetic sources (models have their own) */
    int heads;          /* heads to yield per length; synthetic: independent draws;
                           models: the first `heads` query heads of each layer, -1 = all */
    const char *model;  /* model sources: "default" or a GGUF path (suite key `model`) */
    const char *texts;  /* model sources: comma list of text names or paths (`texts`) */
    const char *layers; /* model sources: "all" or a comma list of layer indices (`layers`) */
    const char *qk;     /* imported sources: a safetensors path (`--qk`), else NULL */
    const struct forward_progress *progress; /* model sources: the forward pass's progress */
} ef_source_args;

/* A kind of source. `spec` is the suite's word for it (e.g. "gaussian", "sink"). */
typedef struct ef_source_ops {
    const char *kind;
    /* Does this kind accept `spec`? */
    int (*accepts)(const char *spec);
    int (*open)(const char *spec, const ef_source_args *args, void **state, ef_error *err);
    /* Heads at length n: fills *heads (malloc'd array, *count entries). Returns EF_OK,
     * EF_UNSUPPORTED (text too short ...; the reason in err) or EF_ERROR. */
    int (*heads)(void *state, int n, ef_head **heads, int *count, ef_error *err);
    void (*close)(void *state);
    /* Optional, for the plan (harness/plan.c): the heads a length yields and their head
     * dimension, without building them (no forward pass). */
    void (*shape)(void *state, int *heads, int *d);
} ef_source_ops;

typedef struct ef_source {
    const ef_source_ops *ops;
    void *state;
    char spec[128];
} ef_source;

int source_open(const char *spec, const ef_source_args *args, ef_source *src, ef_error *err);
int source_heads(ef_source *src, int n, ef_head **heads, int *count, ef_error *err);
void source_close(ef_source *src);
/* Heads per length and head dimension of an open source, as its `heads` would give them;
 * *heads is 1 and *d 0 when the kind cannot say. */
void source_shape(const ef_source *src, int *heads, int *d);
void source_heads_free(ef_head *heads, int count);
/* 1 if some registered source kind accepts spec. */
int source_known(const char *spec);
/* 1 if the source takes its head dimension from the suite's `dims` (synthetic). */
int source_uses_dims(const char *spec);

/* The synthetic kinds (source_synth.c). */
extern const ef_source_ops ef_source_synthetic;

#endif
