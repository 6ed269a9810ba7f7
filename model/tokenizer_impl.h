/* model/tokenizer_impl.h — private to model/tokenizer*.c: the vocabulary tables shared by
 * the SPM and BPE algorithms (string arena, hash lookup, merge ranks, user-defined token
 * index). Nobody else includes this.
 */
#ifndef EF_MODEL_TOKENIZER_IMPL_H
#define EF_MODEL_TOKENIZER_IMPL_H

#include "model/tokenizer.h"

/* Open-addressing table of (string in the arena) -> value. */
typedef struct tok_table {
    uint32_t *slots; /* value + 1, 0 = empty */
    uint64_t mask;
} tok_table;

/* Output list that grows. */
typedef struct tok_ids {
    int32_t *v;
    int n, cap;
} tok_ids;

struct tokenizer {
    tokenizer_kind kind;
    tokenizer_pre pre;
    char name[32];
    int n_vocab;
    char *arena;        /* all token texts, then all merge texts */
    uint64_t *tok_off;  /* (n_vocab + 1) offsets into arena */
    float *scores;      /* (n_vocab) */
    int32_t *types;     /* (n_vocab) */
    tok_table tok_index;
    int n_merges;
    uint64_t *merge_off; /* (n_merges + 1) */
    tok_table merge_index;
    int bos, eos, unk, add_bos, add_space_prefix;
    int byte_tok[256];   /* SPM: id of <0xXX>, or -1 */
    /* user-defined tokens by first byte, each bucket longest first */
    int *user_ids;       /* ids, grouped by first byte */
    int user_start[257]; /* bucket b = user_ids[user_start[b] .. user_start[b+1]) */
};

static inline const char *tok_text(const tokenizer *t, int id, size_t *len)
{
    *len = (size_t)(t->tok_off[id + 1] - t->tok_off[id]);
    return t->arena + t->tok_off[id];
}

int tok_lookup(const tokenizer *t, const char *s, size_t len);
/* Rank of the merge "left right", or -1. */
int tok_merge_rank(const tokenizer *t, const char *l, size_t ll, const char *r, size_t rl);
int tok_ids_push(tok_ids *o, int32_t id);

/* Encodes one raw fragment (no user-defined tokens inside) and appends the ids. */
int tok_spm_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out);
int tok_bpe_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out);

#endif
