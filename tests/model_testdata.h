/* tests/model_testdata.h — test helpers that WRITE small GGUF files: a seeded RNG, simple
 * quantisers for every type dequant.c reads, a GGUF builder (any metadata, raw or quantised
 * tensors), and tiny random-weight models of the architectures gemma3, llama and qwen2.
 * Used by tests/model_gguf_test.c and the forward-pass and tokenizer tests (part B); the
 * last section, which opens the tiny models, is for the Criterion tests only.
 */
#ifndef EF_TESTS_MODEL_TESTDATA_H
#define EF_TESTS_MODEL_TESTDATA_H

#include <stddef.h>
#include <stdint.h>

/* ---- seeded random numbers (splitmix64) ----------------------------------------- */

typedef struct testdata_rng {
    uint64_t s;
} testdata_rng;

void testdata_rng_seed(testdata_rng *r, uint64_t seed);
uint64_t testdata_rng_u64(testdata_rng *r);
double testdata_rng_uniform(testdata_rng *r); /* [0, 1) */
double testdata_rng_normal(testdata_rng *r);  /* N(0, 1) */

/* ---- quantisers -------------------------------------------------------------------- */

/* Encode n floats (a multiple of the type's block size) as `type` (DQ_TYPE_* of
 * model/dequant.h: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) into dst
 * (dequant_row_bytes(type, n) bytes). Plain round-to-nearest per block, not llama.cpp's
 * error search; dequant_row(quantize(x)) is close to x. Returns 0, or -1 for a type or n it
 * cannot encode. */
int testdata_quantize_row(int type, const float *x, void *dst, int64_t n);

/* ---- GGUF builder ------------------------------------------------------------------ */

typedef struct testdata_gguf testdata_gguf;

testdata_gguf *testdata_gguf_new(void);
void testdata_gguf_free(testdata_gguf *g);

/* Metadata, written in call order. Types are GGUF_TYPE_* of model/gguf.h. */
void testdata_gguf_u32(testdata_gguf *g, const char *key, uint32_t v);
void testdata_gguf_i32(testdata_gguf *g, const char *key, int32_t v);
void testdata_gguf_f32(testdata_gguf *g, const char *key, float v);
void testdata_gguf_bool(testdata_gguf *g, const char *key, int v);
void testdata_gguf_str(testdata_gguf *g, const char *key, const char *s);
/* Any scalar type: `bytes` little-endian bytes of the value (1, 2, 4 or 8). */
void testdata_gguf_scalar(testdata_gguf *g, const char *key, int type, const void *le,
                          size_t bytes);
/* Array of a fixed-size element type: count elements, packed little-endian in data. */
void testdata_gguf_arr(testdata_gguf *g, const char *key, int elem_type, const void *data,
                       uint64_t count);
void testdata_gguf_arr_str(testdata_gguf *g, const char *key, const char *const *s, uint64_t count);

/* A tensor from floats (ne[0]*ne[1]*ne[2]*ne[3] values, ne beyond n_dims = 1), encoded as
 * `type`. Returns 0, or -1 if the type cannot encode ne[0] values. */
int testdata_gguf_tensor(testdata_gguf *g, const char *name, int n_dims, const uint64_t *ne,
                         int type, const float *values);
/* A tensor from raw bytes (any type id, any byte count: for hostile files). */
void testdata_gguf_tensor_raw(testdata_gguf *g, const char *name, int n_dims, const uint64_t *ne,
                              int type, const void *data, size_t nbytes);

/* Layout alignment (default 32). The builder does not add general.alignment itself. */
void testdata_gguf_set_alignment(testdata_gguf *g, uint32_t alignment);

/* Hostile-file knobs: store `offset` as the data offset of tensor i (call order) instead
 * of the computed one; write `version` instead of 3. */
void testdata_gguf_set_offset(testdata_gguf *g, size_t i, uint64_t offset);
void testdata_gguf_set_version(testdata_gguf *g, uint32_t version);

/* The file image (malloc'd, caller frees) / the file itself. Tensor data is placed in call
 * order, each at the next multiple of the alignment. Return 0 or -1. */
int testdata_gguf_image(const testdata_gguf *g, uint8_t **buf, size_t *len);
int testdata_gguf_write(const testdata_gguf *g, const char *path);

/* ---- tiny models ------------------------------------------------------------------- */

/* quant_type for testdata_write_gguf: one DQ_TYPE_* for every weight matrix, or
 * TESTDATA_MIX_ALL: the matrices cycle through all eleven supported types. */
#define TESTDATA_MIX_ALL (-1)

/* Dimensions of the tiny model of an architecture. */
typedef struct testdata_dims {
    int n_layer;        /* gemma3 6 (layer 5 is global, 0-4 local), llama 2, qwen2 2  */
    int n_embd;         /* 256                                                         */
    int n_head;         /* 4                                                           */
    int n_head_kv;      /* gemma3 1, llama 2, qwen2 2                                  */
    int head_dim;       /* 32 (key_length = value_length = rope.dimension_count)      */
    int n_ff;           /* 512                                                         */
    int n_vocab;        /* size of tokenizer.ggml.tokens = token_embd ne1              */
    int n_ctx;          /* context_length 256                                          */
    int sliding_window; /* gemma3 8, else 0 (key absent)                               */
    float eps;          /* layer_norm_rms_epsilon: gemma3 1e-6, llama 1e-5, qwen2 1e-6 */
    float rope_base;    /* rope.freq_base: gemma3 1e6, llama 1e4, qwen2 1e6            */
} testdata_dims;

/* Dimensions for "gemma3", "llama" or "qwen2"; -1 for other names. */
int testdata_model_dims(const char *arch, testdata_dims *d);

/* Write a tiny random-weight model (seeded: same seed, same bytes) to path.
 *
 * Metadata (names as in shared/docs/gguf-models.md C.1 / E.1 / F):
 *   general.architecture, general.name ("efbench tiny <arch>"), general.quantization_version,
 *   <arch>.context_length, .embedding_length, .block_count, .feed_forward_length,
 *   .attention.head_count, .attention.head_count_kv, .attention.key_length,
 *   .attention.value_length, .attention.layer_norm_rms_epsilon, .rope.freq_base,
 *   .rope.dimension_count (llama), .attention.sliding_window (gemma3 only).
 * Tokenizer:
 *   gemma3: model "llama", pre "default", ids 0 <pad> 1 <eos> 2 <bos> 3 <unk> (control /
 *     unknown), 4..259 byte pieces <0x00>..<0xFF> (type 6), then "\n" (user-defined, type 4),
 *     then normal pieces ("▁", letters, digits, punctuation, merges such as "▁the",
 *     "Hello", "▁world") with scores; bos 2, eos 1, unk 3, pad 0, add_bos_token true,
 *     add_eos_token false, add_space_prefix false.
 *   llama: model "llama", 0 <unk> 1 <s> 2 </s>, 3..258 byte pieces, then the same normal
 *     pieces; bos 1, eos 2, unk 0; add_bos_token true; add_space_prefix absent (true).
 *   qwen2: model "gpt2", pre "qwen2", ids 0..255 the GPT-2 byte alphabet (printable bytes
 *     0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF first, then the other 68 mapped to U+0100...), then
 *     one token per merge ("Ġ t", "h e", "Ġt he", ... in tokenizer.ggml.merges), then
 *     <|endoftext|> <|im_start|> <|im_end|> (control); bos = eos = pad = <|endoftext|>,
 *     add_bos_token false. No scores.
 * Tensors (shapes [ne0, ne1]; E = n_embd, H·d, Hkv·d, F = n_ff, V = n_vocab):
 *   token_embd.weight [E, V], output_norm.weight [E], output.weight [E, V] (llama only;
 *   gemma3 and qwen2 are tied), and per layer N: blk.N.attn_norm.weight [E],
 *   attn_q.weight [E, H·d], attn_k.weight [E, Hkv·d], attn_v.weight [E, Hkv·d],
 *   attn_output.weight [H·d, E], ffn_norm.weight [E], ffn_gate.weight [E, F],
 *   ffn_up.weight [E, F], ffn_down.weight [F, E];
 *   gemma3 adds attn_q_norm.weight [d], attn_k_norm.weight [d], post_attention_norm.weight
 *   [E], post_ffw_norm.weight [E]; qwen2 adds attn_q.bias [H·d], attn_k.bias [Hkv·d],
 *   attn_v.bias [Hkv·d].
 * Values: matrices N(0, 1/ne0) encoded as quant_type (attn_output has ne0 = 128, so K-quants
 * fall back as llama.cpp does: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0); norms F32 around
 * 1 (Gemma's stored "+1" included), biases F32 N(0, 0.02^2).
 * Returns 0, or -1 (unknown arch or type, or the file could not be written). */
int testdata_write_gguf(const char *path, const char *arch, int quant_type, uint64_t seed);

/* The same with other dimensions (n_vocab is ignored: the vocabulary sets it), e.g. the
 * micro models of the fuzzers' seed corpus (tests/fuzz/); quant_type must encode rows of
 * n_embd, n_ff and n_head * head_dim values. */
int testdata_write_gguf_dims(const char *path, const char *arch, int quant_type, uint64_t seed,
                             const testdata_dims *dims);

/* Write n bytes to path (a file of the tests' own making); 0 on success. */
int testdata_write_bytes(const char *path, const void *bytes, size_t n);

/* Path of `name` inside a per-process temporary directory (created on first use under
 * $TMPDIR or /tmp). Returns buf. */
char *testdata_tmp_path(char *buf, size_t len, const char *name);
/* Remove that directory if it is empty (call from a suite's .fini). */
void testdata_tmp_cleanup(void);

/* ---- opening them (model_testdata_open.c: Criterion tests only) -------------------- */

/* The architectures of the tiny models: "gemma3", "llama", "qwen2". */
extern const char *const testdata_archs[3];

/* Write the tiny model of `arch` (matrices in every quant type, seed 1234) to path, a
 * testdata_tmp_path of len bytes, open it and remove the file (the mapping stays valid).
 * A write or open failure fails the calling test. */
struct model *testdata_tiny_open(const char *arch, char *path, size_t len);

#endif
