/* tests/fuzz/fuzz_tokenizer.c — libFuzzer target: the tokenizers on any text. The first
 * byte picks one of the micro models' vocabularies (gemma3 and llama: SentencePiece,
 * qwen2: byte-level BPE with the qwen2 pre-tokenizer) and whether BOS is added; the rest
 * is the text. Invalid UTF-8 must be an error; valid text must give ids inside the
 * vocabulary that decode without error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "model/forward.h"
#include "model/tokenizer.h"
#include "model/unicode.h"

static model *models[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char *const archs[] = {"gemma3", "llama", "qwen2"};
    char dir[] = "/tmp/efbench-fuzz-XXXXXX", path[64];
    if (!mkdtemp(dir)) abort();
    for (int i = 0; i < 3; i++) {
        ef_error err;
        snprintf(path, sizeof path, "%s/%s.gguf", dir, archs[i]);
        if (fuzz_micro_model(path, archs[i], 7) || model_open(path, &models[i], &err)) {
            fprintf(stderr, "fuzz_tokenizer: %s: %s\n", archs[i], err.msg);
            abort();
        }
        unlink(path); /* the mapping stays */
    }
    rmdir(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const tokenizer *tok = model_tokenizer(models[data[0] % 3]);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    int32_t *ids = NULL;
    int n = 0, V = tokenizer_n_vocab(tok);
    ef_error err;
    int rc = tokenizer_encode(tok, text, len, data[0] & 4, &ids, &n, &err);
    int valid = unicode_utf8_valid(text, len, NULL);
    if ((rc == EF_OK) != valid) abort(); /* exactly the invalid texts are refused */
    if (rc != EF_OK) return 0;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) abort();
    char *back;
    size_t blen;
    if (tokenizer_decode(tok, ids, n, &back, &blen, &err) != EF_OK) abort();
    free(back);
    free(ids);
    return 0;
}
