/* tests/model_testdata.c — writers of small GGUF files for the model tests: RNG, a GGUF
 * builder and tiny random models (the quantisers are in model_testdata_quant.c).
 * Test code: allocation failures abort the helper with -1, never crash silently.
 */
#include "tests/model_testdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "model/dequant.h"
#include "model/gguf.h"

/* ---- RNG ------------------------------------------------------------------------- */

void testdata_rng_seed(testdata_rng *r, uint64_t seed) { r->s = seed ^ 0x6a09e667f3bcc909ull; }

uint64_t testdata_rng_u64(testdata_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double testdata_rng_uniform(testdata_rng *r)
{
    return (double)(testdata_rng_u64(r) >> 11) * 0x1p-53;
}

double testdata_rng_normal(testdata_rng *r)
{
    double u = testdata_rng_uniform(r), v = testdata_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* ---- GGUF builder ------------------------------------------------------------------ */

typedef struct td_buf {
    uint8_t *p;
    size_t len, cap;
    int oom;
} td_buf;

static void td_put(td_buf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void td_u32(td_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    td_put(b, le, 4);
}

static void td_u64(td_buf *b, uint64_t v)
{
    td_u32(b, (uint32_t)v);
    td_u32(b, (uint32_t)(v >> 32));
}

static void td_gstr(td_buf *b, const char *s, size_t n)
{
    td_u64(b, n);
    td_put(b, s, n);
}

typedef struct td_tensor {
    char *name;
    int n_dims;
    uint64_t ne[4];
    int type;
    uint8_t *data;
    size_t nbytes;
    int has_offset;
    uint64_t offset;
} td_tensor;

struct testdata_gguf {
    td_buf kv;
    uint64_t n_kv;
    td_tensor *t;
    size_t n_t, cap_t;
    uint32_t alignment, version;
    int oom;
};

testdata_gguf *testdata_gguf_new(void)
{
    testdata_gguf *g = calloc(1, sizeof *g);
    if (g) {
        g->alignment = 32;
        g->version = 3;
    }
    return g;
}

void testdata_gguf_free(testdata_gguf *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_t; i++) {
        free(g->t[i].name);
        free(g->t[i].data);
    }
    free(g->t);
    free(g->kv.p);
    free(g);
}

void testdata_gguf_set_alignment(testdata_gguf *g, uint32_t alignment) { g->alignment = alignment; }
void testdata_gguf_set_version(testdata_gguf *g, uint32_t version) { g->version = version; }

void testdata_gguf_set_offset(testdata_gguf *g, size_t i, uint64_t offset)
{
    if (i < g->n_t) {
        g->t[i].has_offset = 1;
        g->t[i].offset = offset;
    }
}

static void td_key(testdata_gguf *g, const char *key, int type)
{
    td_gstr(&g->kv, key, strlen(key));
    td_u32(&g->kv, (uint32_t)type);
    g->n_kv++;
}

void testdata_gguf_scalar(testdata_gguf *g, const char *key, int type, const void *le, size_t bytes)
{
    td_key(g, key, type);
    td_put(&g->kv, le, bytes);
}

void testdata_gguf_u32(testdata_gguf *g, const char *key, uint32_t v)
{
    td_key(g, key, GGUF_TYPE_UINT32);
    td_u32(&g->kv, v);
}

void testdata_gguf_i32(testdata_gguf *g, const char *key, int32_t v)
{
    td_key(g, key, GGUF_TYPE_INT32);
    td_u32(&g->kv, (uint32_t)v);
}

void testdata_gguf_f32(testdata_gguf *g, const char *key, float v)
{
    td_key(g, key, GGUF_TYPE_FLOAT32);
    td_u32(&g->kv, ef_f32_bits(v));
}

void testdata_gguf_bool(testdata_gguf *g, const char *key, int v)
{
    uint8_t b = v != 0;
    td_key(g, key, GGUF_TYPE_BOOL);
    td_put(&g->kv, &b, 1);
}

void testdata_gguf_str(testdata_gguf *g, const char *key, const char *s)
{
    td_key(g, key, GGUF_TYPE_STRING);
    td_gstr(&g->kv, s, strlen(s));
}

static size_t td_elem_size(int t)
{
    static const size_t sz[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t >= 0 && t < GGUF_TYPE_COUNT ? sz[t] : 0;
}

void testdata_gguf_arr(testdata_gguf *g, const char *key, int elem_type, const void *data,
                       uint64_t count)
{
    td_key(g, key, GGUF_TYPE_ARRAY);
    td_u32(&g->kv, (uint32_t)elem_type);
    td_u64(&g->kv, count);
    td_put(&g->kv, data, (size_t)count * td_elem_size(elem_type));
}

void testdata_gguf_arr_str(testdata_gguf *g, const char *key, const char *const *s, uint64_t count)
{
    td_key(g, key, GGUF_TYPE_ARRAY);
    td_u32(&g->kv, GGUF_TYPE_STRING);
    td_u64(&g->kv, count);
    for (uint64_t i = 0; i < count; i++) td_gstr(&g->kv, s[i], strlen(s[i]));
}

static td_tensor *td_tensor_add(testdata_gguf *g, const char *name, int n_dims, const uint64_t *ne,
                                int type)
{
    if (g->n_t == g->cap_t) {
        size_t cap = g->cap_t ? 2 * g->cap_t : 16;
        td_tensor *t = realloc(g->t, cap * sizeof *t);
        if (!t) {
            g->oom = 1;
            return NULL;
        }
        g->t = t;
        g->cap_t = cap;
    }
    td_tensor *t = &g->t[g->n_t];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name) {
        g->oom = 1;
        return NULL;
    }
    g->n_t++;
    t->n_dims = n_dims;
    t->type = type;
    for (int i = 0; i < 4; i++) t->ne[i] = i < n_dims && ne ? ne[i] : 1;
    return t;
}

void testdata_gguf_tensor_raw(testdata_gguf *g, const char *name, int n_dims, const uint64_t *ne,
                              int type, const void *data, size_t nbytes)
{
    td_tensor *t = td_tensor_add(g, name, n_dims > 4 ? 4 : n_dims, ne, type);
    if (!t) return;
    t->n_dims = n_dims; /* may be > 4 for hostile files: the image writes the first 4 + zeros */
    t->data = malloc(nbytes ? nbytes : 1);
    if (!t->data) {
        g->oom = 1;
        return;
    }
    if (nbytes && data) memcpy(t->data, data, nbytes);
    else if (nbytes) memset(t->data, 0, nbytes);
    t->nbytes = nbytes;
}

int testdata_gguf_tensor(testdata_gguf *g, const char *name, int n_dims, const uint64_t *ne,
                         int type, const float *values)
{
    int ok;
    uint64_t rows = 1;
    for (int i = 1; i < n_dims; i++) rows *= ne[i];
    uint64_t rb = dequant_row_bytes(type, (int64_t)ne[0], &ok);
    if (!ok || !dequant_type_supported(type)) return -1;
    td_tensor *t = td_tensor_add(g, name, n_dims, ne, type);
    if (!t) return -1;
    t->nbytes = (size_t)(rb * rows);
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->data) {
        g->oom = 1;
        return -1;
    }
    for (uint64_t r = 0; r < rows; r++)
        if (testdata_quantize_row(type, values + r * ne[0], t->data + r * rb, (int64_t)ne[0]))
            return -1;
    return 0;
}

int testdata_gguf_image(const testdata_gguf *g, uint8_t **buf, size_t *len)
{
    td_buf b = {0};
    uint64_t a = g->alignment ? g->alignment : 32, off = 0;
    static const uint8_t zeros[64] = {0};
    *buf = NULL;
    *len = 0;
    if (g->oom || g->kv.oom) return -1;
    td_put(&b, "GGUF", 4);
    td_u32(&b, g->version);
    td_u64(&b, g->n_t);
    td_u64(&b, g->n_kv);
    td_put(&b, g->kv.p, g->kv.len);
    for (size_t i = 0; i < g->n_t; i++) {
        const td_tensor *t = &g->t[i];
        td_gstr(&b, t->name, strlen(t->name));
        td_u32(&b, (uint32_t)t->n_dims);
        for (int d = 0; d < t->n_dims; d++) td_u64(&b, d < 4 ? t->ne[d] : 1);
        td_u32(&b, (uint32_t)t->type);
        td_u64(&b, t->has_offset ? t->offset : off);
        off += (t->nbytes + a - 1) / a * a;
    }
    if (g->n_t) {
        while (b.len % a) td_put(&b, zeros, 1);
        for (size_t i = 0; i < g->n_t; i++) {
            td_put(&b, g->t[i].data, g->t[i].nbytes);
            while ((b.len % a) && i + 1 < g->n_t) td_put(&b, zeros, 1);
        }
    }
    if (b.oom) {
        free(b.p);
        return -1;
    }
    *buf = b.p;
    *len = b.len;
    return 0;
}

int testdata_gguf_write(const testdata_gguf *g, const char *path)
{
    uint8_t *img;
    size_t len;
    if (testdata_gguf_image(g, &img, &len)) return -1;
    FILE *fp = fopen(path, "wb");
    int rc = fp && fwrite(img, 1, len, fp) == len ? 0 : -1;
    if (fp && fclose(fp)) rc = -1;
    free(img);
    return rc;
}

/* ---- tiny models ------------------------------------------------------------------- */

int testdata_model_dims(const char *arch, testdata_dims *d)
{
    memset(d, 0, sizeof *d);
    d->n_embd = 256;
    d->n_head = 4;
    d->head_dim = 32;
    d->n_ff = 512;
    d->n_ctx = 256;
    if (!strcmp(arch, "gemma3")) {
        d->n_layer = 6;
        d->n_head_kv = 1;
        d->sliding_window = 8;
        d->eps = 1e-6f;
        d->rope_base = 1e6f;
    } else if (!strcmp(arch, "llama")) {
        d->n_layer = 2;
        d->n_head_kv = 2;
        d->eps = 1e-5f;
        d->rope_base = 1e4f;
    } else if (!strcmp(arch, "qwen2")) {
        d->n_layer = 2;
        d->n_head_kv = 2;
        d->eps = 1e-6f;
        d->rope_base = 1e6f;
    } else {
        return -1;
    }
    return 0;
}

/* Normal pieces of the SPM vocabularies ("\xe2\x96\x81" is U+2581, SentencePiece's space). */
#define TD_SP "\xe2\x96\x81"
static const char *const td_spm_pieces[] = {
    TD_SP TD_SP,    TD_SP "the",   TD_SP "Hello", TD_SP "world",
    TD_SP "of",     TD_SP "is",    TD_SP "a",     TD_SP "capital",
    TD_SP "France", TD_SP "Paris", TD_SP "th",    TD_SP "t",
    TD_SP "w",      TD_SP "c",     "Hello",       "Hell",
    "Hel",          "He",          "the",         "th",
    "he",           "in",          "er",          "an",
    "or",           "ld",          "ll",          "lo",
    "is",           "it",          "al",          "ap",
    "ca",           "ce",          "an",          "ra",
    "Fr",           "ri",          "Pa",          "wor",
};
static const char *const td_gpt2_merges[] = {
    "\xc4\xa0 t",
    "h e",
    "\xc4\xa0t he",
    "l l",
    "H e",
    "He ll",
    "Hell o",
    "o r",
    "\xc4\xa0 w",
    "\xc4\xa0w or",
    "l d",
    "\xc4\xa0wor ld",
    "\xc4\xa0 a",
    "i n",
    "\xc4\xa0 i",
    "\xc4\xa0i s",
    "\xc4\x8a \xc4\x8a",
    "\xc4\xa0 Hell",
    "\xc4\xa0 o",
    "\xc4\xa0o f",
};

static int td_tok_add(char **tok, float *score, int32_t *type, int *n, int max, const char *s,
                      float sc, int ty)
{
    if (*n == max || !(tok[*n] = strdup(s))) return -1;
    score[*n] = sc;
    type[*n] = ty;
    (*n)++;
    return 0;
}

/* Tokenizer metadata; *n_vocab set. Returns 0 or -1. */
static int td_vocab(testdata_gguf *g, const char *arch, int *n_vocab)
{
    enum { MAXV = 400 };
    char *tok[MAXV];
    float score[MAXV];
    int32_t type[MAXV];
    int n = 0, rc = -1;
    char tmp[64];
    size_t n_pieces = sizeof td_spm_pieces / sizeof td_spm_pieces[0];
    size_t n_merges = sizeof td_gpt2_merges / sizeof td_gpt2_merges[0];
#define TD_ADD(s, sc, ty)                                                                 \
    do {                                                                                  \
        if (td_tok_add(tok, score, type, &n, MAXV, (s), (sc), (ty))) goto cleanup_tokens; \
    } while (0)
    if (!strcmp(arch, "qwen2")) {
        int map[256], next = 256;
        for (int c = 0; c < 256; c++) {
            int printable = (c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || c >= 0xae;
            map[c] = printable ? c : next++;
        }
        for (int pass = 0; pass < 2; pass++) /* printable bytes first, as GPT-2's vocab */
            for (int c = 0; c < 256; c++) {
                if ((map[c] >= 256) != pass) continue;
                int cp = map[c];
                if (cp < 0x80) snprintf(tmp, sizeof tmp, "%c", cp);
                else snprintf(tmp, sizeof tmp, "%c%c", 0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
                TD_ADD(tmp, 0, 1);
            }
        for (size_t i = 0; i < n_merges; i++) {
            const char *m = td_gpt2_merges[i], *sp = strchr(m + 1, ' ');
            snprintf(tmp, sizeof tmp, "%.*s%s", (int)(sp - m), m, sp + 1);
            TD_ADD(tmp, 0, 1);
        }
        int eot = n;
        TD_ADD("<|endoftext|>", 0, 3);
        TD_ADD("<|im_start|>", 0, 3);
        TD_ADD("<|im_end|>", 0, 3);
        testdata_gguf_str(g, "tokenizer.ggml.model", "gpt2");
        testdata_gguf_str(g, "tokenizer.ggml.pre", "qwen2");
        testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", (const char *const *)tok, (uint64_t)n);
        testdata_gguf_arr(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, type, (uint64_t)n);
        testdata_gguf_arr_str(g, "tokenizer.ggml.merges", td_gpt2_merges, n_merges);
        testdata_gguf_u32(g, "tokenizer.ggml.bos_token_id", (uint32_t)eot);
        testdata_gguf_u32(g, "tokenizer.ggml.eos_token_id", (uint32_t)eot);
        testdata_gguf_u32(g, "tokenizer.ggml.padding_token_id", (uint32_t)eot);
        testdata_gguf_bool(g, "tokenizer.ggml.add_bos_token", 0);
    } else {
        int gemma = !strcmp(arch, "gemma3");
        if (gemma) {
            TD_ADD("<pad>", -1000, 3);
            TD_ADD("<eos>", -1000, 3);
            TD_ADD("<bos>", -1000, 3);
            TD_ADD("<unk>", -1000, 2);
        } else {
            TD_ADD("<unk>", 0, 2);
            TD_ADD("<s>", 0, 3);
            TD_ADD("</s>", 0, 3);
        }
        for (int c = 0; c < 256; c++) {
            snprintf(tmp, sizeof tmp, "<0x%02X>", c);
            TD_ADD(tmp, 0, 6);
        }
        if (gemma) TD_ADD("\n", -1000, 4);
        TD_ADD(TD_SP, -1.0f, 1);
        for (int c = 0; c < 26 + 26 + 10; c++) { /* letters and digits */
            snprintf(tmp, sizeof tmp, "%c",
                     c < 26   ? 'a' + c
                     : c < 52 ? 'A' + c - 26
                              : '0' + c - 52);
            TD_ADD(tmp, -2.0f - (float)c / 64.0f, 1);
        }
        for (const char *p = ".,!?'-:;()"; *p; p++) {
            snprintf(tmp, sizeof tmp, "%c", *p);
            TD_ADD(tmp, -3.0f, 1);
        }
        for (size_t i = 0; i < n_pieces; i++) {
            int dup = 0;
            for (int j = 0; j < n; j++) dup |= !strcmp(tok[j], td_spm_pieces[i]);
            if (!dup) TD_ADD(td_spm_pieces[i], -4.0f - (float)i / 8.0f, 1);
        }
        testdata_gguf_str(g, "tokenizer.ggml.model", "llama");
        testdata_gguf_str(g, "tokenizer.ggml.pre", "default");
        testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", (const char *const *)tok, (uint64_t)n);
        testdata_gguf_arr(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, score, (uint64_t)n);
        testdata_gguf_arr(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, type, (uint64_t)n);
        testdata_gguf_u32(g, "tokenizer.ggml.bos_token_id", gemma ? 2 : 1);
        testdata_gguf_u32(g, "tokenizer.ggml.eos_token_id", gemma ? 1 : 2);
        testdata_gguf_u32(g, "tokenizer.ggml.unknown_token_id", gemma ? 3 : 0);
        if (gemma) testdata_gguf_u32(g, "tokenizer.ggml.padding_token_id", 0);
        testdata_gguf_bool(g, "tokenizer.ggml.add_bos_token", 1);
        testdata_gguf_bool(g, "tokenizer.ggml.add_eos_token", 0);
        if (gemma) testdata_gguf_bool(g, "tokenizer.ggml.add_space_prefix", 0);
    }
#undef TD_ADD
    *n_vocab = n;
    rc = 0;
cleanup_tokens:
    for (int i = 0; i < n; i++) free(tok[i]);
    return rc;
}

/* The eleven types of TESTDATA_MIX_ALL, in cycling order. */
static const int td_all_types[] = {
    DQ_TYPE_Q4_K, DQ_TYPE_Q6_K, DQ_TYPE_Q5_0, DQ_TYPE_Q8_0, DQ_TYPE_Q5_K, DQ_TYPE_Q4_0,
    DQ_TYPE_Q4_1, DQ_TYPE_Q5_1, DQ_TYPE_F16,  DQ_TYPE_BF16, DQ_TYPE_F32,
};

/* llama.cpp's shape fallback when ne0 is not a multiple of 256 (gguf-models.md B.5). */
static int td_fallback(int type, uint64_t ne0)
{
    uint32_t be;
    dequant_type_block(type, &be, NULL);
    if (ne0 % be == 0) return type;
    if (type == DQ_TYPE_Q4_K) return DQ_TYPE_Q5_0;
    if (type == DQ_TYPE_Q5_K) return DQ_TYPE_Q5_1;
    if (type == DQ_TYPE_Q6_K) return DQ_TYPE_Q8_0;
    return DQ_TYPE_F16;
}

typedef struct td_model {
    testdata_gguf *g;
    testdata_rng rng;
    int quant, n_mat;
    float *buf;
} td_model;

/* A weight matrix [ne0, ne1] of N(0, 1/ne0) values. */
static int td_matrix(td_model *m, const char *name, uint64_t ne0, uint64_t ne1)
{
    int type = m->quant == TESTDATA_MIX_ALL
                   ? td_all_types[m->n_mat % (int)(sizeof td_all_types / sizeof td_all_types[0])]
                   : m->quant;
    if (td_fallback(type, ne0) == type) m->n_mat++; /* a fallback keeps the type for the next */
    float sd = 1.0f / sqrtf((float)ne0);
    for (uint64_t i = 0; i < ne0 * ne1; i++) m->buf[i] = sd * (float)testdata_rng_normal(&m->rng);
    uint64_t ne[2] = {ne0, ne1};
    return testdata_gguf_tensor(m->g, name, 2, ne, td_fallback(type, ne0), m->buf);
}

/* A 1-D F32 vector: centre + spread * N(0, 1). */
static int td_vector(td_model *m, const char *name, uint64_t n, float centre, float spread)
{
    for (uint64_t i = 0; i < n; i++)
        m->buf[i] = centre + spread * (float)testdata_rng_normal(&m->rng);
    return testdata_gguf_tensor(m->g, name, 1, &n, DQ_TYPE_F32, m->buf);
}

static void td_hparams(testdata_gguf *g, const char *arch, const testdata_dims *d)
{
    char key[96], name[64];
#define TD_KEY(k) (snprintf(key, sizeof key, "%s." k, arch), key)
    snprintf(name, sizeof name, "efbench tiny %s", arch);
    testdata_gguf_str(g, "general.architecture", arch);
    testdata_gguf_str(g, "general.name", name);
    testdata_gguf_u32(g, "general.quantization_version", 2);
    testdata_gguf_u32(g, TD_KEY("context_length"), (uint32_t)d->n_ctx);
    testdata_gguf_u32(g, TD_KEY("embedding_length"), (uint32_t)d->n_embd);
    testdata_gguf_u32(g, TD_KEY("block_count"), (uint32_t)d->n_layer);
    testdata_gguf_u32(g, TD_KEY("feed_forward_length"), (uint32_t)d->n_ff);
    testdata_gguf_u32(g, TD_KEY("attention.head_count"), (uint32_t)d->n_head);
    testdata_gguf_u32(g, TD_KEY("attention.head_count_kv"), (uint32_t)d->n_head_kv);
    testdata_gguf_u32(g, TD_KEY("attention.key_length"), (uint32_t)d->head_dim);
    testdata_gguf_u32(g, TD_KEY("attention.value_length"), (uint32_t)d->head_dim);
    testdata_gguf_f32(g, TD_KEY("attention.layer_norm_rms_epsilon"), d->eps);
    testdata_gguf_f32(g, TD_KEY("rope.freq_base"), d->rope_base);
    if (!strcmp(arch, "llama"))
        testdata_gguf_u32(g, TD_KEY("rope.dimension_count"), (uint32_t)d->head_dim);
    if (d->sliding_window)
        testdata_gguf_u32(g, TD_KEY("attention.sliding_window"), (uint32_t)d->sliding_window);
#undef TD_KEY
}

static int td_layer(td_model *m, const char *arch, const testdata_dims *d, int l)
{
    char nm[64];
    uint64_t E = (uint64_t)d->n_embd, Q = (uint64_t)(d->n_head * d->head_dim);
    uint64_t KV = (uint64_t)(d->n_head_kv * d->head_dim), F = (uint64_t)d->n_ff;
    int gemma = !strcmp(arch, "gemma3"), rc = 0;
#define TD_N(s) (snprintf(nm, sizeof nm, "blk.%d." s, l), nm)
    rc |= td_vector(m, TD_N("attn_norm.weight"), E, 1.0f, 0.1f);
    rc |= td_matrix(m, TD_N("attn_q.weight"), E, Q);
    rc |= td_matrix(m, TD_N("attn_k.weight"), E, KV);
    rc |= td_matrix(m, TD_N("attn_v.weight"), E, KV);
    if (!strcmp(arch, "qwen2")) {
        rc |= td_vector(m, TD_N("attn_q.bias"), Q, 0.0f, 0.02f);
        rc |= td_vector(m, TD_N("attn_k.bias"), KV, 0.0f, 0.02f);
        rc |= td_vector(m, TD_N("attn_v.bias"), KV, 0.0f, 0.02f);
    }
    if (gemma) {
        rc |= td_vector(m, TD_N("attn_q_norm.weight"), (uint64_t)d->head_dim, 1.0f, 0.1f);
        rc |= td_vector(m, TD_N("attn_k_norm.weight"), (uint64_t)d->head_dim, 1.0f, 0.1f);
    }
    rc |= td_matrix(m, TD_N("attn_output.weight"), Q, E);
    if (gemma) rc |= td_vector(m, TD_N("post_attention_norm.weight"), E, 1.0f, 0.1f);
    rc |= td_vector(m, TD_N("ffn_norm.weight"), E, 1.0f, 0.1f);
    rc |= td_matrix(m, TD_N("ffn_gate.weight"), E, F);
    rc |= td_matrix(m, TD_N("ffn_up.weight"), E, F);
    rc |= td_matrix(m, TD_N("ffn_down.weight"), F, E);
    if (gemma) rc |= td_vector(m, TD_N("post_ffw_norm.weight"), E, 1.0f, 0.1f);
#undef TD_N
    return rc;
}

int testdata_write_gguf(const char *path, const char *arch, int quant_type, uint64_t seed)
{
    testdata_dims d;
    if (testdata_model_dims(arch, &d)) return -1;
    return testdata_write_gguf_dims(path, arch, quant_type, seed, &d);
}

int testdata_write_gguf_dims(const char *path, const char *arch, int quant_type, uint64_t seed,
                             const testdata_dims *dims)
{
    testdata_dims d = *dims;
    td_model m = {0};
    int n_vocab = 0, rc = -1;
    if (quant_type != TESTDATA_MIX_ALL && !dequant_type_supported(quant_type)) return -1;
    m.g = testdata_gguf_new();
    if (!m.g) return -1;
    m.quant = quant_type;
    testdata_rng_seed(&m.rng, seed);
    td_hparams(m.g, arch, &d);
    if (td_vocab(m.g, arch, &n_vocab)) goto cleanup_gguf;
    d.n_vocab = n_vocab;
    size_t big = (size_t)d.n_embd * (size_t)(d.n_ff > n_vocab ? d.n_ff : n_vocab);
    m.buf = malloc(big * sizeof *m.buf);
    if (!m.buf) goto cleanup_gguf;
    if (td_matrix(&m, "token_embd.weight", (uint64_t)d.n_embd, (uint64_t)n_vocab)) goto cleanup_buf;
    for (int l = 0; l < d.n_layer; l++)
        if (td_layer(&m, arch, &d, l)) goto cleanup_buf;
    if (td_vector(&m, "output_norm.weight", (uint64_t)d.n_embd, 1.0f, 0.1f)) goto cleanup_buf;
    if (!strcmp(arch, "llama") &&
        td_matrix(&m, "output.weight", (uint64_t)d.n_embd, (uint64_t)n_vocab))
        goto cleanup_buf;
    rc = testdata_gguf_write(m.g, path);
cleanup_buf:
    free(m.buf);
cleanup_gguf:
    testdata_gguf_free(m.g);
    return rc;
}

static char td_tmp_dir[512];

void testdata_tmp_cleanup(void)
{
    if (td_tmp_dir[0] && strstr(td_tmp_dir, "efbench-model-test-")) rmdir(td_tmp_dir);
    td_tmp_dir[0] = '\0';
}

char *testdata_tmp_path(char *buf, size_t len, const char *name)
{
    char *dir = td_tmp_dir;
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof td_tmp_dir, "%s/efbench-model-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) snprintf(dir, sizeof td_tmp_dir, "%s", t && *t ? t : "/tmp");
    }
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

int testdata_write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    int bad = fwrite(bytes, 1, n, fp) != n;
    return fclose(fp) != 0 || bad ? -1 : 0;
}
