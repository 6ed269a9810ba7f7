/* model/tokenizer.h — text -> token ids as a GGUF's vocabulary describes it, matching
 * llama.cpp: SentencePiece-style score merges with byte fallback (tokenizer.ggml.model
 * "llama": Gemma, TinyLlama, Phi-3) and GPT-2 byte-level BPE with merges ("gpt2": Qwen,
 * Llama 3, SmolLM, ...) behind any of llama.cpp's regex pre-tokenizers (tokenizer.ggml.pre,
 * run by PCRE2). Text is plain (special tokens in it are not parsed, except user-defined
 * ones, as llama.cpp does). Called by the model source, `efbench capture`/`tokenize`, tests.
 */
#ifndef EF_MODEL_TOKENIZER_H
#define EF_MODEL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "model/gguf.h"

/* Token types of tokenizer.ggml.token_type (GGUF numbering). */
enum {
    TOKEN_TYPE_NORMAL = 1,
    TOKEN_TYPE_UNKNOWN = 2,
    TOKEN_TYPE_CONTROL = 3,
    TOKEN_TYPE_USER_DEFINED = 4,
    TOKEN_TYPE_UNUSED = 5,
    TOKEN_TYPE_BYTE = 6,
};

typedef enum { TOKENIZER_SPM, TOKENIZER_BPE } tokenizer_kind;

typedef struct tokenizer tokenizer;

/* A vocabulary given as arrays (what tokenizer_load reads from a GGUF; tests build their
 * own). Strings are copied. scores may be NULL (all 0), types NULL (all normal), merges
 * NULL for SPM. Special ids are -1 when absent. */
typedef struct tokenizer_vocab {
    tokenizer_kind kind;
    const char *pre; /* BPE: a tokenizer.ggml.pre name ("qwen2", "llama-bpe", ...); NULL =
                        "default". Unused for SPM. */
    int n_vocab;
    const char *const *tokens;
    const size_t *token_lens; /* NULL: tokens are NUL-terminated */
    const float *scores;
    const int32_t *types;
    int n_merges;
    const char *const *merges; /* "left right" */
    const size_t *merge_lens;  /* NULL: NUL-terminated */
    int bos, eos, unk;
    int add_bos;          /* prepend BOS when encoding with add_special */
    int add_space_prefix; /* SPM: a space before the first raw fragment */
} tokenizer_vocab;

/* Unknown pre-tokenizer names are EF_UNSUPPORTED naming it. */
int tokenizer_init(const tokenizer_vocab *v, tokenizer **out, ef_error *err);

/* Reads tokenizer.ggml.* of an open GGUF. Unsupported models or pre-tokenizers and
 * inconsistent arrays are EF_UNSUPPORTED / EF_ERROR naming the file and key. */
int tokenizer_load(const gguf_file *f, tokenizer **out, ef_error *err);
void tokenizer_free(tokenizer *t);

/* Encodes text[0..len) (must be valid UTF-8: else EF_ERROR naming the byte offset).
 * With add_special, BOS is prepended when the vocabulary asks for it. *ids is malloc'd
 * (caller frees), *n its length. */
int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int add_special,
                     int32_t **ids, int *n, ef_error *err);

/* Decodes ids back to text (control tokens vanish, byte tokens are reassembled).
 * *text is malloc'd and NUL-terminated; *len excludes the NUL. */
int tokenizer_decode(const tokenizer *t, const int32_t *ids, int n, char **text, size_t *len,
                     ef_error *err);

int tokenizer_n_vocab(const tokenizer *t);
/* The BOS id that encode prepends, or -1 if this vocabulary adds none. */
int tokenizer_bos(const tokenizer *t);
int tokenizer_token_type(const tokenizer *t, int id);
/* Piece text of id as stored (not decoded); NULL for an id out of range. */
const char *tokenizer_piece(const tokenizer *t, int id, size_t *len);
/* Id of a piece, or -1. */
int tokenizer_find(const tokenizer *t, const char *piece, size_t len);
/* Identifies the algorithm and its version, e.g. "spm.1" or "bpe-qwen2.3" (cache keys). */
const char *tokenizer_name(const tokenizer *t);
/* What a person reads: "spm" or "bpe/<tokenizer.ggml.pre>", e.g. "bpe/smollm". */
const char *tokenizer_label(const tokenizer *t);
/* The i-th tokenizer.ggml.pre name efbench runs (i from 0), NULL past the last. */
const char *tokenizer_pre_supported(int i);

#endif
