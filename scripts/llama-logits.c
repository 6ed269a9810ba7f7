/* scripts/llama-logits.c — llama.cpp's logits of the last position of a GGUF on token ids:
 * `llama-logits MODEL ID...` prints one logit per line. Built and run against llama.cpp's
 * library by scripts/llama-logits-check.sh (a developer check, not part of efbench). */
#include <stdio.h>
#include <stdlib.h>
#include "llama.h"
int main(int argc, char **argv)
{
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *m = llama_model_load_from_file(argv[1], mp);
    if (!m) return 1;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 64;
    cp.n_threads = 1;
    struct llama_context *c = llama_init_from_model(m, cp);
    if (!c) return 1;
    int n = argc - 2;
    llama_token *t = malloc(n * sizeof *t);
    for (int i = 0; i < n; i++) t[i] = atoi(argv[2 + i]);
    if (llama_decode(c, llama_batch_get_one(t, n))) return 1;
    float *lg = llama_get_logits_ith(c, -1);
    int V = llama_vocab_n_tokens(llama_model_get_vocab(m));
    for (int i = 0; i < V; i++) printf("%.9g\n", lg[i]);
    return 0;
}
