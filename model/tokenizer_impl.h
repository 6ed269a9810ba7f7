/* model/tokenizer_impl.h — private to model/tokenizer*.c: the vocabulary tables shared by
 * the SPM and BPE algorithms (string arena, hash lookup, merge ranks, user-defined token
 * index) and the BPE pre-tokenizer rows (tokenizer_pre.c). Nobody else includes this.
 */
#ifndef EF_MODEL_TOKENIZER_IMPL_H
#define EF_MODEL_TOKENIZER_IMPL_H

#include "model/tokenizer.h"

/* Open-addressing table of (string in the arena) -> value. */
typedef struct tok_table {
    uint32_t *slots; /* value + 1, 0 = empty */
    uint64_t mask;
} tok_table;

/* A BPE pre-tokenizer: the tokenizer.ggml.pre names llama.cpp gives it, its patterns
 * (applied in order, each to the pieces of the previous one) and its flags. */
typedef struct tok_pre_row {
    const char *const *names; /* NULL-terminated; names[0] names the row */
    const char *const *regex; /* NULL-terminated */
    int ignore_merges;        /* a piece that is a token is taken whole (llama.cpp)       */
    int add_bos;              /* BOS when tokenizer.ggml.add_bos_token is absent          */
} tok_pre_row;

/* The row of a tokenizer.ggml.pre value, or NULL. */
const tok_pre_row *tok_pre_find(const char *name, size_t len);
int tok_pre_count(void);
const tok_pre_row *tok_pre_at(int i);

/* Byte spans of the text. */
typedef struct tok_piece {
    size_t off, len;
} tok_piece;
typedef struct tok_pieces {
    tok_piece *p;
    size_t n, cap;
} tok_pieces;

/* A row's patterns compiled by PCRE2 (UTF, UCP, JIT). */
typedef struct tok_pre tok_pre;
int tok_pre_compile(const tok_pre_row *row, tok_pre **out, ef_error *err);
void tok_pre_free(tok_pre *p);
const tok_pre_row *tok_pre_row_of(const tok_pre *p);
/* Splits s[0..len) (valid UTF-8) into pieces; out->p is reallocated (caller frees). */
int tok_pre_split(const tok_pre *p, const char *s, size_t len, tok_pieces *out, ef_error *err);

/* Output list that grows. */
typedef struct tok_ids {
    int32_t *v;
    int n, cap;
} tok_ids;

struct tokenizer {
    tokenizer_kind kind;
    tok_pre *pre;   /* BPE: the compiled pre-tokenizer; NULL for SPM */
    char name[48];  /* cache key: algorithm, pre-tokenizer, version */
    char label[48]; /* "spm" or "bpe/<tokenizer.ggml.pre>" */
    int n_vocab;
    char *arena;       /* all token texts, then all merge texts */
    uint64_t *tok_off; /* (n_vocab + 1) offsets into arena */
    float *scores;     /* (n_vocab) */
    int32_t *types;    /* (n_vocab) */
    tok_table tok_index;
    int n_merges;
    uint64_t *merge_off; /* (n_merges + 1) */
    tok_table merge_index;
    int bos, eos, unk, add_bos, add_space_prefix;
    int byte_tok[256]; /* SPM: id of <0xXX>, or -1 */
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

/* Encodes one raw fragment (no user-defined tokens inside) and appends the ids; SPM: 0 or
 * -1 (out of memory). */
int tok_spm_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out);
/* BPE: EF_OK, or an EF_* code with err filled. */
int tok_bpe_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out, ef_error *err);

#endif
