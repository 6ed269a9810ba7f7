/* tests/model_vocab_test.c — suite `model`: the tokenizers against llama.cpp's own test
 * vectors. (1) Every ggml-vocab-*.gguf that llama.cpp ships with .inp/.out (texts and the
 * ids its tokenizer gives them) and that efbench runs: each text's ids must equal
 * llama.cpp's. (2) Pre-tokenizers without shipped vectors: GPT-2's vocabulary with
 * tokenizer.ggml.pre set to each of them, on a multilingual text, against the ids that
 * llama.cpp's tokenizer gave for the same file (tests/data/pretok/, made by
 * scripts/llama-tokenizer-vectors.sh). The vocabularies come from
 * scripts/fetch-llama-vocab.sh (.ci/run calls it); without them the tests skip, or fail
 * under CI=true.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/gguf.h"
#include "model/tokenizer.h"
#include "tests/model_testdata.h"
#include "tests/test_util.h"

TestSuite(vocab, .fini = testdata_tmp_cleanup);

#define VOCAB_SEP "\n__ggml_vocab_test__\n"

/* Directory of the fetched vocabularies; skips (fails in CI) when absent. */
static const char *vocab_dir(void)
{
    static char dir[1024];
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (x && *x) snprintf(dir, sizeof dir, "%s/efbench/llama-vocab", x);
    else snprintf(dir, sizeof dir, "%s/.cache/efbench/llama-vocab", home ? home : ".");
    struct stat st;
    if (stat(dir, &st)) {
        if (ef_test_in_ci())
            cr_assert_fail("CI=true and %s is missing (scripts/fetch-llama-vocab.sh fetches it)",
                           dir);
        cr_skip_test("%s is missing: run scripts/fetch-llama-vocab.sh (llama.cpp's vocabularies "
                     "and test vectors, about 75 MB from PyPI)",
                     dir);
    }
    return dir;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

static tokenizer *vocab_open(const char *path)
{
    gguf_file *f;
    tokenizer *t;
    ef_error err;
    cr_assert_eq(gguf_open(path, &f, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(tokenizer_load(f, &t, &err), EF_OK, "%s", err.msg);
    gguf_close(f);
    return t;
}

/* Compares one text's ids with a line of expected ids; returns 1 when equal, else prints
 * the first difference. */
static int ids_match(const char *what, const tokenizer *t, const char *s, size_t len,
                     const char *line)
{
    int32_t *ids;
    int n;
    ef_error err;
    cr_assert_eq(tokenizer_encode(t, s, len, 0, &ids, &n, &err), EF_OK, "%s: %s", what, err.msg);
    int k = 0, ok = 1;
    for (const char *p = line; ok;) {
        while (*p == ' ') p++;
        if (!*p || *p == '\n') break;
        long want = strtol(p, (char **)&p, 10);
        if (k >= n || ids[k] != want) {
            cr_log_error("%s: text '%.*s': id %d is %d, llama.cpp gives %ld", what,
                         (int)(len > 60 ? 60 : len), s, k, k < n ? ids[k] : -1, want);
            ok = 0;
        }
        k++;
    }
    if (ok && k != n) {
        cr_log_error("%s: text '%.*s': %d ids, llama.cpp gives %d", what,
                     (int)(len > 60 ? 60 : len), s, n, k);
        ok = 0;
    }
    free(ids);
    return ok;
}

/* Every text of NAME.inp gives the ids of the same line of NAME.out. */
static void expect_vectors(const char *name)
{
    const char *dir = vocab_dir();
    char path[1200], inp[1300], outp[1300];
    snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf", dir, name);
    snprintf(inp, sizeof inp, "%s.inp", path);
    snprintf(outp, sizeof outp, "%s.out", path);
    tokenizer *t = vocab_open(path);
    size_t il, ol;
    char *in = read_all(inp, &il), *out = read_all(outp, &ol);
    int tests = 0, bad = 0;
    char *line = out;
    for (size_t pos = 0; pos < il;) {
        char *next = strstr(in + pos, VOCAB_SEP);
        size_t end = next ? (size_t)(next - in) : il;
        cr_assert(line && *line, "%s: fewer lines in .out than texts in .inp", name);
        bad += !ids_match(name, t, in + pos, end - pos, line);
        tests++;
        line = strchr(line, '\n');
        if (line) line++;
        pos = next ? end + strlen(VOCAB_SEP) : il;
    }
    cr_log_info("%s (%s): %d texts, %d differ from llama.cpp", name, tokenizer_label(t), tests,
                bad);
    cr_assert_eq(bad, 0, "%s: %d of %d texts tokenised differently from llama.cpp", name, bad,
                 tests);
    cr_assert_gt(tests, 10);
    free(in);
    free(out);
    tokenizer_free(t);
}

/* BPE with each family of pre-tokenizer patterns llama.cpp ships vectors for. */
Test(vocab, llama_bpe) { expect_vectors("llama-bpe"); }
Test(vocab, qwen2) { expect_vectors("qwen2"); }
Test(vocab, qwen35) { expect_vectors("qwen35"); }
Test(vocab, gpt_2) { expect_vectors("gpt-2"); }
Test(vocab, mpt) { expect_vectors("mpt"); }
Test(vocab, starcoder) { expect_vectors("starcoder"); }
Test(vocab, refact) { expect_vectors("refact"); }
Test(vocab, command_r) { expect_vectors("command-r"); }
Test(vocab, falcon) { expect_vectors("falcon"); }
Test(vocab, deepseek_llm) { expect_vectors("deepseek-llm"); }
Test(vocab, deepseek_coder) { expect_vectors("deepseek-coder"); }
/* SentencePiece-style vocabularies (tokenizer.ggml.model "llama") */
Test(vocab, llama_spm) { expect_vectors("llama-spm"); }
Test(vocab, phi_3) { expect_vectors("phi-3"); }

/* ---- pre-tokenizers without shipped vectors ---------------------------------------- */

/* Copies GPT-2's vocabulary (tokens, types, merges) into a new GGUF whose
 * tokenizer.ggml.pre is `pre`: the file scripts/llama-tokenizer-vectors.sh feeds llama.cpp. */
static void write_gpt2_with_pre(const char *src, const char *pre, const char *dst)
{
    gguf_file *f;
    ef_error err;
    cr_assert_eq(gguf_open(src, &f, &err), EF_OK, "%s", err.msg);
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_str(g, "general.architecture", "gpt2");
    testdata_gguf_str(g, "tokenizer.ggml.model", "gpt2");
    testdata_gguf_str(g, "tokenizer.ggml.pre", pre);
    static const char *const arrays[] = {"tokenizer.ggml.tokens", "tokenizer.ggml.merges"};
    for (int a = 0; a < 2; a++) {
        int et;
        uint64_t count;
        const void *data;
        cr_assert_eq(gguf_get_arr(f, arrays[a], &et, &count, &data, &err), EF_OK, "%s", err.msg);
        const char **s = malloc(count * sizeof *s);
        char **own = malloc(count * sizeof *own);
        for (uint64_t i = 0; i < count; i++) {
            const char *p;
            size_t l;
            cr_assert_eq(gguf_arr_str(f, arrays[a], i, &p, &l, &err), EF_OK);
            own[i] = strndup(p, l);
            s[i] = own[i];
        }
        testdata_gguf_arr_str(g, arrays[a], s, count);
        for (uint64_t i = 0; i < count; i++) free(own[i]);
        free(own);
        free(s);
    }
    int et;
    uint64_t count;
    const void *data;
    cr_assert_eq(gguf_get_arr(f, "tokenizer.ggml.token_type", &et, &count, &data, &err), EF_OK);
    int32_t *types = malloc(count * sizeof *types);
    for (uint64_t i = 0; i < count; i++) {
        int64_t x;
        cr_assert_eq(gguf_arr_i64(f, "tokenizer.ggml.token_type", i, &x, &err), EF_OK);
        types[i] = (int32_t)x;
    }
    testdata_gguf_arr(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, count);
    free(types);
    uint32_t id;
    if (gguf_get_u32(f, "tokenizer.ggml.bos_token_id", &id, NULL) == EF_OK)
        testdata_gguf_u32(g, "tokenizer.ggml.bos_token_id", id);
    if (gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &id, NULL) == EF_OK)
        testdata_gguf_u32(g, "tokenizer.ggml.eos_token_id", id);
    gguf_close(f);
    cr_assert_eq(testdata_gguf_write(g, dst), 0, "writing %s", dst);
    testdata_gguf_free(g);
}

/* The pre-tokenizers of tests/data/pretok/<name>.ids and <name>.pairs.ids: each file's lines
 * are the ids llama.cpp gave the texts of tests/data/pretok/text.txt, one line per text. */
static const char *const pretok_names[] = {
    "smollm",
    "tekken",
    "deepseek-r1-qwen",
    "falcon3",
    "smaug-bpe",
    "gpt-4o",
    "dbrx",
    "stablelm2",
    "olmo",
    "codeshell",
    "exaone",
    "minerva-7b",
    "deepseek-v3",
    "bailingmoe",
    "seed-coder",
    "grok-2",
    "chameleon",
    "viking",
    "bloom",
    "jais-2",
    "default",
    "minicpm5",
    "exaone-moe",
    "laguna",
    "ufakzeka",
    "youtu",
    "spark2_5",
    "granite-embed-multi-97m",
    NULL,
};

/* The merge order of the "pairs" vocabulary: scrambled, so the pairs BPE takes first do not
 * line up with case or script boundaries (then a moved boundary would not show); ties by
 * (a, b). scripts/llama-tokenizer-vectors.sh sorts the same way. */
typedef struct pair_key {
    int key, a, b;
} pair_key;

static int pair_key_cmp(const void *x, const void *y)
{
    const pair_key *p = x, *q = y;
    if (p->key != q->key) return p->key < q->key ? -1 : 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* The "pairs" vocabulary behind pre-tokenizer `pre`: GPT-2's 256 byte symbols (its first
 * tokens), then every pair a b, merged in the scrambled order. */
static tokenizer *pairs_open(const char *gpt2, const char *pre)
{
    gguf_file *f;
    ef_error err;
    cr_assert_eq(gguf_open(gpt2, &f, &err), EF_OK, "%s", err.msg);
    enum { S = 256, V = S + S * S };
    static char sym[S][8];
    char **tok = malloc(V * sizeof *tok), **mer = malloc(S * S * sizeof *mer);
    for (int i = 0; i < S; i++) {
        const char *p;
        size_t l;
        cr_assert_eq(gguf_arr_str(f, "tokenizer.ggml.tokens", (uint64_t)i, &p, &l, &err), EF_OK);
        cr_assert(l < sizeof sym[i]);
        memcpy(sym[i], p, l);
        sym[i][l] = 0;
        tok[i] = sym[i];
    }
    gguf_close(f);
    pair_key *order = malloc(S * S * sizeof *order);
    for (int a = 0; a < S; a++)
        for (int b = 0; b < S; b++)
            order[a * S + b] = (pair_key){(a * 131 + b * 197 + (a * b) % 113) % 65521, a, b};
    qsort(order, S * S, sizeof *order, pair_key_cmp);
    for (int i = 0; i < S * S; i++) {
        int a = order[i].a, b = order[i].b;
        size_t la = strlen(sym[a]), lb = strlen(sym[b]);
        char *t = malloc(la + lb + 1), *m = malloc(la + lb + 2);
        memcpy(t, sym[a], la), memcpy(t + la, sym[b], lb + 1);
        memcpy(m, sym[a], la), m[la] = ' ', memcpy(m + la + 1, sym[b], lb + 1);
        tok[S + i] = t;
        mer[i] = m;
    }
    free(order);
    tokenizer_vocab v = {.kind = TOKENIZER_BPE,
                         .pre = pre,
                         .n_vocab = V,
                         .tokens = (const char *const *)tok,
                         .n_merges = S * S,
                         .merges = (const char *const *)mer,
                         .bos = -1,
                         .eos = -1,
                         .unk = -1};
    tokenizer *t;
    cr_assert_eq(tokenizer_init(&v, &t, &err), EF_OK, "%s", err.msg);
    for (int i = S; i < V; i++) free(tok[i]);
    for (int i = 0; i < S * S; i++) free(mer[i]);
    free(tok);
    free(mer);
    return t;
}

/* Each text of text.txt (separated as in llama.cpp's .inp files) against the same line of
 * `ids_file`. */
static int pretok_compare(const char *what, const tokenizer *t, const char *text, size_t tl,
                          const char *ids_file, int *lines)
{
    size_t il;
    char *ids = read_all(ids_file, &il);
    int bad = 0;
    const char *line = ids;
    *lines = 0;
    for (size_t pos = 0; pos < tl; (*lines)++) {
        const char *sep = strstr(text + pos, VOCAB_SEP);
        size_t end = sep ? (size_t)(sep - text) : tl;
        cr_assert(*line, "%s: fewer lines of ids than texts", what);
        bad += !ids_match(what, t, text + pos, end - pos, line);
        line = strchr(line, '\n');
        line = line ? line + 1 : "";
        pos = sep ? end + strlen(VOCAB_SEP) : tl;
    }
    free(ids);
    return bad;
}

Test(vocab, pretokenizers_against_llama_cpp, .timeout = 300)
{
    const char *dir = vocab_dir();
    const char *data = getenv("EF_TEST_DATA_DIR");
    cr_assert_not_null(data, "EF_TEST_DATA_DIR is not set (meson test sets it)");
    char src[1200], textp[1200];
    snprintf(src, sizeof src, "%s/ggml-vocab-gpt-2.gguf", dir);
    snprintf(textp, sizeof textp, "%s/pretok/text.txt", data);
    size_t tl;
    char *text = read_all(textp, &tl);
    int checked = 0;
    for (int p = 0; pretok_names[p]; p++) {
        char gg[512], idsp[1200], what[128];
        int lines, bad;
        testdata_tmp_path(gg, sizeof gg, "pretok.gguf");
        write_gpt2_with_pre(src, pretok_names[p], gg);
        tokenizer *t = vocab_open(gg);
        remove(gg);
        snprintf(idsp, sizeof idsp, "%s/pretok/%s.ids", data, pretok_names[p]);
        snprintf(what, sizeof what, "%s (GPT-2 vocabulary)", pretok_names[p]);
        bad = pretok_compare(what, t, text, tl, idsp, &lines);
        cr_assert_eq(bad, 0, "%s: %d of %d lines differ from llama.cpp", what, bad, lines);
        tokenizer_free(t);

        t = pairs_open(src, pretok_names[p]);
        snprintf(idsp, sizeof idsp, "%s/pretok/%s.pairs.ids", data, pretok_names[p]);
        snprintf(what, sizeof what, "%s (pairs vocabulary)", pretok_names[p]);
        bad = pretok_compare(what, t, text, tl, idsp, &lines);
        cr_assert_eq(bad, 0, "%s: %d of %d lines differ from llama.cpp", what, bad, lines);
        tokenizer_free(t);
        checked++;
    }
    cr_log_info("%d pre-tokenizers match llama.cpp on %s with both vocabularies", checked, textp);
    free(text);
}

/* An unknown pre-tokenizer is a clear error naming it; so is a name llama.cpp runs with
 * code of its own (kimi-k2), which efbench does not. */
Test(vocab, unknown_pretokenizer_is_refused)
{
    static const char *const bad[] = {"no-such-pre", "kimi-k2", "gpt2"};
    for (int i = 0; i < 3; i++) {
        const char *tokens[] = {"a", "b"};
        tokenizer_vocab v = {.kind = TOKENIZER_BPE,
                             .pre = bad[i],
                             .n_vocab = 2,
                             .tokens = tokens,
                             .bos = -1,
                             .eos = -1,
                             .unk = -1};
        tokenizer *t = NULL;
        ef_error err;
        cr_assert_eq(tokenizer_init(&v, &t, &err), EF_UNSUPPORTED, "%s accepted", bad[i]);
        cr_assert_null(t);
        cr_assert(strstr(err.msg, bad[i]) && strstr(err.msg, "not supported"), "%s", err.msg);
    }
    cr_assert_str_eq(tokenizer_pre_supported(0), "default");
    int n = 0;
    while (tokenizer_pre_supported(n)) n++;
    cr_assert_gt(n, 60, "only %d pre-tokenizer names", n);
}

/* A 100,000-letter word: the patterns with nested repeats (exaone-moe) backtrack over the
 * whole piece; the grown JIT stack holds it and every pattern still splits it (PCRE2's
 * default 32 KiB stack did not). */
Test(vocab, long_word_splits)
{
    static const char *const pres[] = {"exaone-moe", "tekken", "gpt-4o", "qwen2", "youtu"};
    static char sym[256][2];
    const char *tokens[256];
    for (int i = 0; i < 256; i++) {
        sym[i][0] = (char)(i < 0x21 ? '!' : i); /* printable stand-ins; ids by first match */
        tokens[i] = sym[i];
    }
    size_t n = 100000;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i++) s[i] = "Ab"[i % 2];
    for (int p = 0; p < 5; p++) {
        tokenizer_vocab v = {.kind = TOKENIZER_BPE,
                             .pre = pres[p],
                             .n_vocab = 128,
                             .tokens = tokens,
                             .bos = -1,
                             .eos = -1,
                             .unk = -1};
        tokenizer *t;
        ef_error err;
        int32_t *ids;
        int k;
        cr_assert_eq(tokenizer_init(&v, &t, &err), EF_OK, "%s", err.msg);
        cr_assert_eq(tokenizer_encode(t, s, n, 0, &ids, &k, &err), EF_OK, "%s: %s", pres[p],
                     err.msg);
        cr_assert_eq(k, (int)n, "%s: %d ids for %zu one-byte letters", pres[p], k, n);
        free(ids);
        tokenizer_free(t);
    }
    free(s);
}
