/* tests/model_tokenizer_test.c — suite `model`: what stands before the forward pass, on the
 * tiny GGUFs of tests/model_testdata.c and hand-made vocabularies (no downloads): tokenizer
 * round trips (and Gemma's user-defined newline as its own token), the BPE pre-tokenizer's
 * pieces, the add_bos default per pre-tokenizer, and model_open's refusal of bad models with
 * a message naming the file. The forward pass itself is in model_forward_test.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/forward.h"
#include "model/gguf.h"
#include "model/tokenizer.h"
#include "model/unicode.h"
#include "tests/model_testdata.h"

TestSuite(model, .fini = testdata_tmp_cleanup);

/* ---- tokenizers ------------------------------------------------------------------- */

static const char *const round_trip_texts[] = {
    "Hello world",
    "the quick brown fox\n\njumps over 12 lazy dogs!",
    "caf\xC3\xA9 \xE2\x98\x95 na\xC3\xAFve \xE2\x80\x94 ok",
    "  leading spaces, trailing  ",
    "tabs\tand\r\nCRLF\n",
};

Test(model, tokenizer_round_trips)
{
    for (int a = 0; a < 3; a++) {
        char path[512];
        model *m = testdata_tiny_open(testdata_archs[a], path, sizeof path);
        const tokenizer *tok = model_tokenizer(m);
        for (size_t k = 0; k < sizeof round_trip_texts / sizeof round_trip_texts[0]; k++) {
            const char *s = round_trip_texts[k];
            int32_t *ids;
            int n;
            char *back;
            size_t bl;
            ef_error err;
            cr_assert_eq(tokenizer_encode(tok, s, strlen(s), 1, &ids, &n, &err), EF_OK, "%s",
                         err.msg);
            cr_assert(n > 0);
            if (tokenizer_bos(tok) >= 0) cr_assert_eq(ids[0], tokenizer_bos(tok));
            cr_assert_eq(tokenizer_decode(tok, ids, n, &back, &bl, &err), EF_OK, "%s", err.msg);
            cr_assert(bl == strlen(s) && !memcmp(back, s, bl), "%s: '%s' came back as '%s'",
                      testdata_archs[a], s, back);
            free(ids);
            free(back);
        }
        /* the user-defined "\n" of the Gemma vocabulary is split out as its own token */
        if (!strcmp(testdata_archs[a], "gemma3")) {
            int nl = tokenizer_find(tok, "\n", 1), *pn = &nl;
            int32_t *ids;
            int n;
            ef_error err;
            cr_assert(nl >= 0 && tokenizer_token_type(tok, nl) == TOKEN_TYPE_USER_DEFINED);
            cr_assert_eq(tokenizer_encode(tok, "a\nb", 3, 0, &ids, &n, &err), EF_OK);
            int seen = 0;
            for (int i = 0; i < n; i++) seen += ids[i] == *pn;
            cr_assert_eq(seen, 1);
            free(ids);
        }
        int32_t *ids;
        int n;
        ef_error err;
        cr_assert_eq(tokenizer_encode(tok, "ok\xFF\xFE", 4, 1, &ids, &n, &err), EF_ERROR);
        cr_assert(strstr(err.msg, "UTF-8") && strstr(err.msg, "offset 2"), "%s", err.msg);
        model_close(m);
    }
}

/* A hand-made byte-level vocabulary: the 256 byte symbols plus a few merges, to watch the
 * pre-tokenizer's piece boundaries (merges never cross them). */
static tokenizer *bpe_tiny(const char *pre)
{
    static char strs[256 + 4][8];
    const char *tokens[256 + 4];
    for (int b = 0; b < 256; b++) {
        int k = unicode_utf8_encode(unicode_byte_to_cp((unsigned char)b), strs[b]);
        strs[b][k] = 0;
        tokens[b] = strs[b];
    }
    tokens[256] = "\xC4\xA0\xC4\xA0"; /* "ĠĠ" */
    tokens[257] = "\xC4\xA0"
                  "b"; /* "Ġb" */
    tokens[258] = "12";
    tokens[259] = "xyz"; /* no merge builds it */
    const char *merges[] = {"\xC4\xA0 \xC4\xA0", "\xC4\xA0 b", "1 2"};
    tokenizer_vocab v = {.kind = TOKENIZER_BPE,
                         .pre = pre,
                         .n_vocab = 260,
                         .tokens = tokens,
                         .n_merges = 3,
                         .merges = merges,
                         .bos = -1,
                         .eos = -1,
                         .unk = -1};
    tokenizer *t;
    ef_error err;
    cr_assert_eq(tokenizer_init(&v, &t, &err), EF_OK, "%s", err.msg);
    return t;
}

static void expect_ids(tokenizer *t, const char *s, const int *want, int nwant)
{
    int32_t *ids;
    int n;
    ef_error err;
    cr_assert_eq(tokenizer_encode(t, s, strlen(s), 1, &ids, &n, &err), EF_OK, "%s", err.msg);
    int same = n == nwant;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    char got[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), " %d", ids[i]);
    cr_assert(same, "'%s' tokenised as%s", s, got);
    free(ids);
}

Test(model, bpe_pretokenizer_pieces)
{
    tokenizer *q = bpe_tiny("qwen2"), *l3 = bpe_tiny("llama3");
    /* "a  b": "a", " " (a space run gives its last space to the word), " b" */
    expect_ids(q, "a  b", (int[]){'a', 32 /* Ġ */, 257}, 3);
    /* "a   \nb": the run up to the newline is one piece: ĠĠ merges, then Ġ, Ċ */
    expect_ids(q, "a   \nb", (int[]){'a', 256, 32, 10 /* Ċ */, 'b'}, 5);
    /* digits: Qwen2 splits every digit, Llama 3 groups up to three */
    expect_ids(q, "1234", (int[]){'1', '2', '3', '4'}, 4);
    expect_ids(l3, "1234", (int[]){258, '3', '4'}, 3);
    /* a piece that is a token but no merge path: Llama 3 takes it whole (llama.cpp
     * ignore_merges), Qwen2 and smaug-bpe (same pattern as Llama 3) merge as usual */
    tokenizer *sm = bpe_tiny("smaug-bpe");
    expect_ids(l3, "xyz xyz", (int[]){259, 32, 'x', 'y', 'z'}, 5);
    expect_ids(q, "xyz", (int[]){'x', 'y', 'z'}, 3);
    expect_ids(sm, "xyz", (int[]){'x', 'y', 'z'}, 3);
    expect_ids(sm, "1234", (int[]){258, '3', '4'}, 3);
    tokenizer_free(sm);
    tokenizer_free(q);
    tokenizer_free(l3);
}

/* tokenizer.ggml.add_bos_token absent: llama.cpp adds BOS for the Llama 3 pre-tokenizer only
 * (among the BPE ones); present, the key decides. */
Test(model, bpe_add_bos_default_follows_pre)
{
    static const char *const pres[] = {"llama-bpe", "llama3", "qwen2", "gpt-2", "smaug-bpe"};
    static const int want_default[] = {1, 1, 0, 0, 0};
    const char *const tokens[] = {"a", "b", "ab", "<s>"};
    const char *const merges[] = {"a b"};
    for (int p = 0; p < 5; p++) {
        for (int key = -1; key <= 1; key++) {
            testdata_gguf *g = testdata_gguf_new();
            testdata_gguf_str(g, "tokenizer.ggml.model", "gpt2");
            testdata_gguf_str(g, "tokenizer.ggml.pre", pres[p]);
            testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", tokens, 4);
            testdata_gguf_arr_str(g, "tokenizer.ggml.merges", merges, 1);
            testdata_gguf_u32(g, "tokenizer.ggml.bos_token_id", 3);
            if (key >= 0) testdata_gguf_bool(g, "tokenizer.ggml.add_bos_token", key);
            char path[512];
            testdata_tmp_path(path, sizeof path, "bos.gguf");
            cr_assert_eq(testdata_gguf_write(g, path), 0);
            testdata_gguf_free(g);
            gguf_file *f;
            tokenizer *t;
            ef_error err;
            cr_assert_eq(gguf_open(path, &f, &err), EF_OK, "%s", err.msg);
            cr_assert_eq(tokenizer_load(f, &t, &err), EF_OK, "%s", err.msg);
            int want = key >= 0 ? key : want_default[p];
            cr_assert_eq(tokenizer_bos(t), want ? 3 : -1, "pre %s, key %d", pres[p], key);
            tokenizer_free(t);
            gguf_close(f);
            remove(path);
        }
    }
}

/* ---- bad models ---------------------------------------------------------------------- */

static void expect_open_error(testdata_gguf *g, const char *name, int want_rc, const char *what)
{
    char path[512];
    testdata_tmp_path(path, sizeof path, name);
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    model *m = NULL;
    ef_error err;
    int rc = model_open(path, &m, &err);
    cr_assert_eq(rc, want_rc, "%s: rc %d (%s)", name, rc, rc ? err.msg : "opened");
    cr_assert_null(m);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, what), "%s: message '%s' lacks '%s'", name,
              err.msg, what);
    remove(path);
}

static testdata_gguf *llama_meta(void)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_str(g, "general.architecture", "llama");
    testdata_gguf_u32(g, "llama.embedding_length", 256);
    testdata_gguf_u32(g, "llama.block_count", 1);
    testdata_gguf_u32(g, "llama.feed_forward_length", 512);
    testdata_gguf_u32(g, "llama.attention.head_count", 2);
    return g;
}

Test(model, model_open_rejects_bad_models)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_str(g, "general.architecture", "mamba");
    expect_open_error(g, "arch.gguf", EF_UNSUPPORTED, "architecture 'mamba' is not supported");

    g = llama_meta();
    float *v = calloc(300 * 10, sizeof *v);
    testdata_gguf_tensor(g, "token_embd.weight", 2, (uint64_t[]){300, 10}, DQ_TYPE_F32, v);
    expect_open_error(g, "shape.gguf", EF_ERROR,
                      "llama.embedding_length = 256, but token_embd.weight has rows of 300 values");

    g = llama_meta();
    uint8_t raw[84 * 10] = {0}; /* Q2_K blocks: a real type this pass does not decode */
    testdata_gguf_tensor_raw(g, "token_embd.weight", 2, (uint64_t[]){256, 10}, DQ_TYPE_Q2_K, raw,
                             sizeof raw);
    expect_open_error(g, "quant.gguf", EF_UNSUPPORTED, "token_embd.weight has type Q2_K");

    g = llama_meta();
    testdata_gguf_tensor(g, "token_embd.weight", 2, (uint64_t[]){256, 10}, DQ_TYPE_F32, v);
    expect_open_error(g, "missing.gguf", EF_ERROR,
                      "llama.block_count = 1, but the file has no tensor blk.0.attn_norm.weight");
    free(v);
}
