/* tests/cli_model_test.c — suite `model`, the executable end to end on tiny GGUFs of
 * tests/model_testdata.c (no downloads): `efbench tokenize` prints the ids `capture`
 * feeds and stores (tensor `tokens`, metadata text_hash), a vocabulary-only GGUF is
 * enough for tokenize, `run --qk` reads files with and without `tokens`, the start line
 * names size, architecture and tokenizer, and bad input is one line and exit 2.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/capture.h"
#include "model/dequant.h"
#include "model/gguf.h"
#include "tests/model_testdata.h"
#include "tests/test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "climodel"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(climodel, .init = setup, .fini = teardown, .timeout = 240);

/* efbench in the scratch folder, its own cache there. */
static int efbench(const char *args)
{
    char env[400];
    snprintf(env, sizeof env, "XDG_CACHE_HOME='%s/cache'", dir);
    return ef_test_efbench(dir, env, args);
}

static char *slurp(const char *name) { return ef_test_read(dir, name); }

static void write_text(const char *name, const char *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(testdata_write_bytes(path, s, strlen(s)), 0);
}

static const char text[] =
    "Hello world, the quick brown fox jumps over 12 lazy dogs!\n"
    "The world says hello to the fox; the dogs say nothing at all.\n"
    "caf\xC3\xA9 \xE2\x98\x95 na\xC3\xAFve \xE2\x80\x94 the end of the text, for now.\n";

/* tokenize --length N --json gives exactly the ids of capture's `tokens` tensor, for an
 * SPM (gemma3, BOS first) and a BPE (qwen2, no BOS) vocabulary. */
Test(climodel, tokenize_equals_capture_tokens)
{
    static const char *const archs[] = {"gemma3", "qwen2"};
    write_text("t.txt", text);
    for (int a = 0; a < 2; a++) {
        char path[512], args[1024];
        snprintf(path, sizeof path, "%s/tiny.gguf", dir);
        cr_assert_eq(testdata_write_gguf(path, archs[a], DQ_TYPE_Q8_0, 5), 0);
        int n = 20;
        snprintf(args, sizeof args, "tokenize --model tiny.gguf --text t.txt --length %d --json",
                 n);
        cr_assert_eq(efbench(args), 0, "%s: %s", archs[a], slurp("stderr"));
        json_error_t je;
        json_t *doc = json_loads(slurp("stdout"), 0, &je);
        cr_assert_not_null(doc, "%s: tokenize --json is not JSON: %s", archs[a], je.text);
        json_t *ids = json_object_get(doc, "ids"), *pieces = json_object_get(doc, "pieces");
        cr_assert_eq(json_array_size(ids), (size_t)n);
        cr_assert_eq(json_array_size(pieces), (size_t)n);
        cr_assert_eq(json_integer_value(json_object_get(doc, "n")), n);

        snprintf(args, sizeof args,
                 "capture --model tiny.gguf --text t.txt --length %d --out qk.safetensors", n);
        cr_assert_eq(efbench(args), 0, "%s: %s", archs[a], slurp("stderr"));
        const char *said = slurp("stdout"); /* stderr is for the one error line */
        cr_assert(strstr(said, "capture: tiny: ") && strstr(said, archs[a]) &&
                      strstr(said, "M parameters in") && strstr(said, "tokenizer "),
                  "%s: no start line naming size, architecture and tokenizer: %s", archs[a], said);
        char qk[512];
        snprintf(qk, sizeof qk, "%s/qk.safetensors", dir);
        capture_set c;
        ef_error e;
        cr_assert_eq(capture_read(qk, &c, &e), EF_OK, "%s", e.msg);
        cr_assert_not_null(c.tokens, "%s: the capture has no tokens tensor", archs[a]);
        for (int i = 0; i < n; i++)
            cr_assert_eq(c.tokens[i], json_integer_value(json_array_get(ids, (size_t)i)),
                         "%s: position %d: capture fed %d, tokenize printed %lld", archs[a], i,
                         c.tokens[i], json_integer_value(json_array_get(ids, (size_t)i)));
        cr_assert_str_eq(c.text_hash, json_string_value(json_object_get(doc, "text_hash")));
        capture_free(&c);
        json_decref(doc);

        /* run --qk reads the file with its tokens (monitor_test covers files without) */
        write_text("qk.ini", "[suite]\nname = qk\nseed = 7\ntarget_time = 0.002\nwarmup = 0\n"
                             "min_reps = 1\nmax_reps = 2\n[cases q]\nsources = model\n"
                             "lengths = 20\nlayers = all\nheads = 1\nmasks = model\n"
                             "precisions = fp32\nworkloads = energy\n");
        snprintf(args, sizeof args,
                 "run --suite qk.ini --qk qk.safetensors --backend ref --out res-%s --no-peak",
                 archs[a]); /* a folder per run: one that holds a run is refused */
        cr_assert_eq(efbench(args), 0, "%s: run --qk: %s", archs[a], slurp("stderr"));
    }
}

/* A GGUF with nothing but the tokenizer keys: tokenize works, capture says why not. */
Test(climodel, tokenize_needs_only_the_vocabulary)
{
    testdata_gguf *g = testdata_gguf_new();
    const char *const tokens[] = {"H", "e", "l", "o", "He", "ll", "Hell", "Hello", "\xC4\xA0", "w"};
    const char *const merges[] = {"H e", "l l", "He ll", "Hell o"};
    testdata_gguf_str(g, "general.architecture", "llama");
    testdata_gguf_str(g, "tokenizer.ggml.model", "gpt2");
    testdata_gguf_str(g, "tokenizer.ggml.pre", "smollm");
    testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", tokens, 10);
    testdata_gguf_arr_str(g, "tokenizer.ggml.merges", merges, 4);
    char path[512];
    snprintf(path, sizeof path, "%s/vocab.gguf", dir);
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    write_text("h.txt", "Hello Hello");
    cr_assert_eq(efbench("tokenize --model vocab.gguf --text h.txt"), 0, "%s", slurp("stderr"));
    const char *out = slurp("stdout");
    cr_assert(strstr(out, "tokenizer bpe/smollm") && strstr(out, "3 ids"), "%s", out);
    cr_assert(strstr(out, "       0        7  Hello"), "%s", out); /* "Hello" is id 7 */
    cr_assert_eq(efbench("capture --model vocab.gguf --text h.txt --length 2 --out x.safetensors"),
                 2);
    cr_assert(strstr(slurp("stderr"), "missing"), "%s", slurp("stderr"));
}

/* Bad input: one line naming the problem, exit 2, nothing printed on stdout. */
Test(climodel, tokenize_bad_input)
{
    write_text("t.txt", text);
    write_text("bad.txt", "ok\xFF\xFE");
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.gguf", dir);
    cr_assert_eq(testdata_write_gguf(path, "llama", DQ_TYPE_Q8_0, 5), 0);
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"tokenize --model nope.gguf --text t.txt", "nope.gguf"},
        {"tokenize --model tiny.gguf --text no-such-text", "no-such-text"},
        {"tokenize --model tiny.gguf --text bad.txt", "UTF-8"},
        {"tokenize --model tiny.gguf --text t.txt --length 0", "--length"},
        {"tokenize --model tiny.gguf --text t.txt --length 100000", "fewer than"},
        {"tokenize --model tiny.gguf --text random", "--length"},
        {"tokenize --model tiny.gguf", "--text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(efbench(cases[i].args), 2, "%s: %s", cases[i].args, slurp("stderr"));
        const char *e = slurp("stderr");
        cr_assert(strstr(e, cases[i].says) && strchr(e, '\n') == e + strlen(e) - 1,
                  "%s: want one line naming '%s', got: %s", cases[i].args, cases[i].says, e);
        cr_assert_str_eq(slurp("stdout"), "", "%s printed on stdout", cases[i].args);
    }
}

/* capture --length 1: one token in any time is a positive rate, never "0 tokens/s". */
Test(climodel, capture_length_one_rate)
{
    write_text("t.txt", text);
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.gguf", dir);
    cr_assert_eq(testdata_write_gguf(path, "qwen2", DQ_TYPE_Q8_0, 5), 0);
    cr_assert_eq(efbench("capture --model tiny.gguf --text t.txt --length 1 --out one.safetensors"),
                 0, "%s", slurp("stderr"));
    const char *out = slurp("stdout"), *rate = strstr(out, " tokens/s");
    cr_assert_not_null(rate, "%s", out);
    const char *num = rate;
    while (num > out && num[-1] != ' ') num--;
    cr_assert_gt(strtod(num, NULL), 0.0, "rate printed as '%.*s'", (int)(rate - num), num);
}
