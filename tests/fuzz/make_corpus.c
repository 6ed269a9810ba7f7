/* tests/fuzz/make_corpus.c — writes the seed corpora of the fuzz targets that read binary
 * files, from the tests' own builders: tests/fuzz/corpus/gguf/ (the micro models of
 * fuzz_util.c), safetensors/ (their 3-token Q/K captures in the exchange layout) and
 * tokenizer/ (texts behind the model-selecting byte). The suite and results seeds are
 * copies of suites/*.ini and tests/data/report. Run from the source root after a change to
 * the builders: build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "model/capture.h"
#include "model/forward.h"
#include "model/tokenizer.h"

static const char *const archs[] = {"gemma3", "llama", "qwen2"};

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(data, 1, len, f) != len;
    return fclose(f) || bad ? -1 : 0;
}

static int make_model_seeds(const char *root, int a)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/gguf/micro-%s.gguf", root, archs[a]);
    if (fuzz_micro_model(path, archs[a], 7)) return -1;
    model *m;
    ef_error err;
    if (model_open(path, &m, &err)) {
        fprintf(stderr, "make_corpus: %s\n", err.msg);
        return -1;
    }
    int32_t *ids = NULL;
    int n = 0;
    capture_set c;
    static const char text[] = "Hello world, the capital of France is Paris.";
    int rc = tokenizer_encode(model_tokenizer(m), text, sizeof text - 1, 1, &ids, &n, &err);
    if (!rc && n < 3) rc = ef_fail(&err, EF_ERROR, "%d tokens", n);
    if (!rc && !(rc = capture_run(m, ids, 3, "hello", NULL, &c, &err))) {
        snprintf(path, sizeof path, "%s/safetensors/qk-micro-%s.safetensors", root, archs[a]);
        rc = capture_write(&c, path, &err);
        capture_free(&c);
    }
    if (rc) fprintf(stderr, "make_corpus: %s: %s\n", archs[a], err.msg);
    free(ids);
    model_close(m);
    return rc;
}

static int make_text_seeds(const char *root)
{
    static const char *const texts[] = {
        "Hello world, the capital of France is Paris.\n",
        "int main(void) { return 0; }\n\tfor (i = 0; i < 10; i++) x += 42;\n",
        "Grüße aus Köln — 東京 — Москва — مرحبا — 🙂👍🏽\n",
        "  leading spaces, 12345 digits, UPPER lower MiXeD's don't\r\n\n\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (int sel = 0; sel < 3; sel++) {
            char path[1024], buf[256];
            buf[0] = (char)(sel | (i % 2 ? 4 : 0)); /* the model, and BOS on every other one */
            size_t len = strlen(texts[i]);
            memcpy(buf + 1, texts[i], len);
            snprintf(path, sizeof path, "%s/tokenizer/text-%zu-%s", root, i, archs[sel]);
            if (write_file(path, buf, len + 1)) return -1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    const char *subs[] = {"gguf", "safetensors", "tokenizer"};
    for (int i = 0; i < 3; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], subs[i]);
        mkdir(path, 0755);
    }
    for (int a = 0; a < 3; a++)
        if (make_model_seeds(argv[1], a)) return 1;
    return make_text_seeds(argv[1]) ? 1 : 0;
}
