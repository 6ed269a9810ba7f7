/* tests/fuzz/fuzz_gguf.c — libFuzzer target: any bytes as a GGUF file. The reader walks
 * every metadata value and tensor row; a file model_open accepts then has its tokenizer
 * encode and decode a sentence and runs a 3-token forward pass (the seed corpus holds the
 * micro models of fuzz_util.c, so mutations stay near files that get that far). Any crash,
 * leak, sanitizer report or hang is a finding; error returns are the expected outcome.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "model/capture.h"
#include "model/forward.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

static void walk_metadata(const gguf_file *g)
{
    for (uint64_t i = 0; i < gguf_kv_count(g); i++) {
        const char *key = gguf_kv_key(g, i), *s;
        size_t len;
        uint32_t u;
        float f;
        int elem;
        uint64_t count;
        const void *data;
        double x;
        gguf_get_u32(g, key, &u, NULL);
        gguf_get_f32(g, key, &f, NULL);
        gguf_get_str(g, key, &s, &len, NULL);
        if (gguf_get_arr(g, key, &elem, &count, &data, NULL) == EF_OK && count > 0) {
            gguf_arr_str(g, key, count - 1, &s, &len, NULL);
            gguf_arr_f64(g, key, 0, &x, NULL);
        }
    }
}

static void walk_tensors(const gguf_file *g)
{
    for (uint64_t i = 0; i < gguf_tensor_count(g); i++) {
        const gguf_tensor *t = gguf_tensor_at(g, i);
        if (gguf_tensor_find(g, t->name) == NULL) abort(); /* every tensor is found by name */
        if (t->ne[0] == 0 || t->ne[0] > (1u << 16) || gguf_tensor_rows(t) == 0) continue;
        float *row = malloc(t->ne[0] * sizeof *row);
        if (!row) continue;
        gguf_tensor_row(t, gguf_tensor_rows(t) - 1, row, NULL);
        free(row);
    }
}

static void run_model(const char *path)
{
    model *m;
    ef_error err;
    if (model_open(path, &m, &err) != EF_OK) return;
    const tokenizer *tok = model_tokenizer(m);
    static const char text[] = "Hello world, the capital of France is Paris.\n";
    int32_t *ids = NULL;
    int n = 0;
    if (tokenizer_encode(tok, text, sizeof text - 1, 1, &ids, &n, &err) == EF_OK) {
        char *back;
        size_t len;
        if (tokenizer_decode(tok, ids, n, &back, &len, &err) == EF_OK) free(back);
        if (n >= 3) {
            capture_set c;
            if (capture_run(m, ids, 3, "fuzz", NULL, &c, &err) == EF_OK) capture_free(&c);
        }
        free(ids);
    }
    model_close(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return 0;
    gguf_file *g;
    ef_error err;
    if (gguf_open(path, &g, &err) == EF_OK) {
        walk_metadata(g);
        walk_tensors(g);
        gguf_close(g);
        run_model(path);
    }
    close(fd);
    return 0;
}
