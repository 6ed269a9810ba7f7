/* tests/model_real_test.c — suite `model` on the real default model, Gemma 3 270M Q4_K_M,
 * when model/fetch-default-model.sh has put it in the efbench cache (skipped otherwise;
 * nothing is downloaded here): token ids of the spec, next-token predictions, perplexity
 * of the English texts, and a 2048-token capture (speed and memory reported, cache hit).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/capture.h"
#include "model/forward.h"
#include "harness/source_model.h"
#include "model/texts.h"

TestSuite(model);

#define PARIS 9079 /* "▁Paris" in the Gemma 3 vocabulary (gguf-models.md D.3) */

static model *real_open(void)
{
    char path[1024];
    ef_error err;
    struct stat st;
    cr_assert_eq(source_model_default_path(path, sizeof path, &err), EF_OK, "%s", err.msg);
    if (stat(path, &st))
        cr_skip_test("%s not present (model/fetch-default-model.sh fetches it)", path);
    model *m;
    cr_assert_eq(model_open(path, &m, &err), EF_OK, "%s", err.msg);
    return m;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void expect_tokens(const model *m, const char *s, const int32_t *want, int nwant)
{
    int32_t *ids;
    int n;
    ef_error err;
    cr_assert_eq(tokenizer_encode(model_tokenizer(m), s, strlen(s), 1, &ids, &n, &err), EF_OK, "%s",
                 err.msg);
    char got[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), " %d", ids[i]);
    int same = n == nwant;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    cr_assert(same, "'%s' tokenised as%s", s, got);
    free(ids);
}

Test(model, real_tokenizer_ids)
{
    model *m = real_open();
    expect_tokens(m, "The capital of France is", (int32_t[]){2, 818, 5279, 529, 7001, 563}, 6);
    expect_tokens(m, "Hello world", (int32_t[]){2, 9259, 1902}, 3);
    model_close(m);
}

/* The ids of the three largest logits after `prompt`. */
static void top3(model *m, const char *prompt, int out[3], float val[3])
{
    const model_config *c = model_config_get(m);
    int32_t *ids;
    int n;
    ef_error err;
    cr_assert_eq(tokenizer_encode(model_tokenizer(m), prompt, strlen(prompt), 1, &ids, &n, &err),
                 EF_OK);
    float *lg = malloc((size_t)c->n_vocab * sizeof *lg);
    forward_request req = {.tokens = ids, .n = n, .logits_last = lg};
    cr_assert_eq(model_forward(m, &req, &err), EF_OK, "%s", err.msg);
    for (int k = 0; k < 3; k++) {
        int best = -1;
        for (int i = 0; i < c->n_vocab; i++)
            if (best < 0 || lg[i] > lg[best]) best = i;
        out[k] = best;
        val[k] = lg[best];
        lg[best] = -INFINITY;
    }
    size_t l0, l1, l2;
    const tokenizer *tok = model_tokenizer(m);
    const char *p0 = tokenizer_piece(tok, out[0], &l0), *p1 = tokenizer_piece(tok, out[1], &l1),
               *p2 = tokenizer_piece(tok, out[2], &l2);
    cr_log_info("'%s' -> %d '%.*s' %.3f, %d '%.*s' %.3f, %d '%.*s' %.3f", prompt, out[0], (int)l0,
                p0, val[0], out[1], (int)l1, p1, val[1], out[2], (int)l2, p2, val[2]);
    fprintf(stderr, "model_real: '%s' -> '%.*s' %.3f, '%.*s' %.3f, '%.*s' %.3f\n", prompt, (int)l0,
            p0, val[0], (int)l1, p1, val[1], (int)l2, p2, val[2]);
    free(lg);
    free(ids);
}

/* gguf-models.md D.3 gives " Paris" as the greedy token after "The capital of France is"
 * for Gemma 3 270M in bf16, and says Q4_K_M "should agree but is not guaranteed". On this
 * Q4_K_M file it does not: " the" 19.09, " a" 18.55, " Paris" 18.27. llama.cpp itself
 * (0c1e570, built from llama-cpp-python 0.3.36, checked 2026-11-28) ranks the same three
 * in the same order on this file: " the" 19.39, " a" 18.77, " Paris" 18.31 with an f32
 * KV cache (its logits move by about 0.5 with its attention settings). So the spec's
 * prompt must give exactly llama.cpp's three best in order, and the unambiguous prompt
 * " Paris" as the argmax. */
Test(model, real_paris)
{
    model *m = real_open();
    int top[3];
    float val[3];
    top3(m, "The Eiffel Tower is located in the city of", top, val);
    cr_assert_eq(top[0], PARIS, "argmax after the Eiffel Tower prompt is %d, not Paris", top[0]);
    top3(m, "The capital of France is", top, val);
    cr_assert(
        top[0] == 506 && top[1] == 496 && top[2] == PARIS,
        "three best after 'The capital of France is' are %d %d %d; llama.cpp gives 506 (the) 496 (a) 9079 (Paris)",
        top[0], top[1], top[2]);
    top3(m, "The capital of France is Paris. The capital of Germany is", top, val);
    cr_assert_eq(top[0], 15687, "argmax after the Germany prompt is %d, not Berlin", top[0]);
    model_close(m);
}

/* llama-perplexity style (chunks of 512, second half scored), two chunks per text. A
 * broken pass scores in the thousands; prose on a working 270M model in the tens. */
Test(model, real_perplexity, .timeout = 600)
{
    model *m = real_open();
    static const char *const texts[] = {"gpl3", "debref", "fortunes"};
    for (int i = 0; i < 3; i++) {
        text_source t;
        ef_error err;
        int rc = text_open(texts[i], 0, &t, &err);
        if (rc == EF_UNSUPPORTED) {
            cr_log_warn("%s", err.msg);
            continue;
        }
        cr_assert_eq(rc, EF_OK, "%s", err.msg);
        int32_t *ids;
        int n;
        cr_assert_eq(text_tokens_all(&t, model_tokenizer(m), 64 << 10, &ids, &n, &err), EF_OK, "%s",
                     err.msg);
        double ppl, t0 = now_s();
        int scored;
        cr_assert_eq(model_perplexity(m, ids + 1, n - 1, 512, 2, &ppl, &scored, &err), EF_OK, "%s",
                     err.msg);
        cr_log_info("perplexity %s: %.2f over %d tokens (%.1f s)", texts[i], ppl, scored,
                    now_s() - t0);
        fprintf(stderr, "model_real: perplexity %s %.2f over %d tokens (%.1f s)\n", texts[i], ppl,
                scored, now_s() - t0);
        cr_assert(isfinite(ppl) && ppl > 1.0);
        if (i < 2) cr_assert(ppl < 100.0, "perplexity on %s is %.1f", texts[i], ppl);
        free(ids);
        text_close(&t);
    }
    model_close(m);
}

/* 2048 tokens of GPL-3: tokens/s and peak RSS reported (RSS must stay under 1.5 GB);
 * a second request is served from the cache, bit for bit. */
Test(model, real_capture_2048, .timeout = 600)
{
    model *m = real_open();
    char dir[512], cache[600];
    snprintf(dir, sizeof dir, "%s/efbench-real-test-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CACHE_HOME", dir, 1); /* the model is open; only the Q/K cache moves */
    text_source t;
    ef_error err;
    cr_assert_eq(text_open("gpl3", 0, &t, &err), EF_OK, "%s", err.msg);
    capture_set a, b;
    int hit;
    double t0 = now_s();
    cr_assert_eq(capture_cached(m, &t, 2048, 0, &a, &hit, &err), EF_OK, "%s", err.msg);
    double dt = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    cr_log_info("capture 2048 tokens: %.2f s, %.0f tokens/s, peak RSS %ld MB", dt, 2048 / dt,
                ru.ru_maxrss / 1024);
    fprintf(stderr, "model_real: capture 2048 tokens %.2f s (%.0f tokens/s), peak RSS %ld MB\n", dt,
            2048 / dt, ru.ru_maxrss / 1024);
    cr_assert_eq(hit, 0);
    cr_assert(ru.ru_maxrss < 1536L * 1024, "peak RSS %ld MB", ru.ru_maxrss / 1024);
    const model_config *c = model_config_get(m);
    cr_assert_eq(a.n_layers, c->n_layer);
    for (int l = 0; l < a.n_layers; l++) {
        ef_mask mk = a.layers[l].mask;
        cr_assert_eq(mk.kind, l % 6 == 5 ? EF_MASK_CAUSAL : EF_MASK_WINDOW, "layer %d", l);
        cr_assert_float_eq(a.layers[l].scale, 0.0625, 1e-12);
    }
    cr_assert_eq(capture_cached(m, &t, 2048, 0, &b, &hit, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(hit, 1, "the second capture did not come from the cache");
    for (int l = 0; l < a.n_layers; l++)
        cr_assert(
            !memcmp(a.layers[l].q, b.layers[l].q, (size_t)c->n_head * 2048 * c->d * sizeof(float)));
    capture_free(&a);
    capture_free(&b);
    text_close(&t);
    char cmd[700];
    snprintf(cache, sizeof cache, "%s", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    cr_assert_eq(system(cmd), 0);
    model_close(m);
}

/* Too-short and non-UTF-8 texts are refused with the reason; nothing is padded. */
Test(model, real_text_errors)
{
    model *m = real_open();
    char path[512];
    snprintf(path, sizeof path, "%s/efbench-short-%d.txt",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("Just a few words.\n", f);
    fclose(f);
    text_source t;
    ef_error err;
    cr_assert_eq(text_open(path, 0, &t, &err), EF_OK, "%s", err.msg);
    int32_t *ids;
    cr_assert_eq(text_tokens(&t, model_tokenizer(m), 128, &ids, &err), EF_UNSUPPORTED);
    cr_assert(strstr(err.msg, "fewer than"), "%s", err.msg);
    cr_assert_eq(text_tokens(&t, model_tokenizer(m), 4, &ids, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(ids[0], 2);
    free(ids);
    text_close(&t);
    f = fopen(path, "w");
    fputs("bad \xC3\x28 byte\n", f);
    fclose(f);
    cr_assert_eq(text_open(path, 0, &t, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "UTF-8") && strstr(err.msg, path), "%s", err.msg);
    remove(path);
    /* the generated and installed texts all load */
    for (int i = 0; text_default_names[i]; i++) {
        int rc = text_open(text_default_names[i], 1, &t, &err);
        if (rc == EF_UNSUPPORTED) {
            cr_log_warn("%s", err.msg);
            continue;
        }
        cr_assert_eq(rc, EF_OK, "%s: %s", text_default_names[i], err.msg);
        cr_assert_eq(text_tokens(&t, model_tokenizer(m), 1024, &ids, &err), EF_OK, "%s: %s",
                     text_default_names[i], err.msg);
        free(ids);
        text_close(&t);
    }
    model_close(m);
}
