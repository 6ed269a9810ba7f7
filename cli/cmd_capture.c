/* cli/cmd_capture.c — `efbench capture --model M --text T --length N --out F`: the
 * command-line face of model/capture.c. Parses options, opens the model (the fetched
 * default or a GGUF path), captures (through the cache) and writes the safetensors file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "core/file.h"
#include "cli/progress.h"
#include "harness/outdir.h"
#include "harness/source_model.h"
#include "model/capture.h"

static void cc_usage(FILE *f)
{
    fprintf(
        f,
        "usage: efbench capture [--model M] --text T --length N --out F.safetensors [--seed S]\n"
        "\n"
        "Runs a GGUF model (architectures gemma2, gemma3, llama, phi3, qwen2, qwen3) on the\n"
        "first tokens of a text and writes every layer's Q and K, exactly as they enter the\n"
        "attention logits, as safetensors: F32 q.<layer> [n_head, n, d] and k.<layer>\n"
        "[n_head_kv, n, d] (query head h uses KV head h / (n_head / n_head_kv)), I32 tokens [n]\n"
        "(the ids fed: `efbench tokenize` prints them); string metadata model, text,\n"
        "text_hash, length, mask.<layer> (causal or window:<w>), scale.<layer> and, for\n"
        "gemma2, softcap.<layer>. `efbench run --qk F` and `efbench monitor --qk F` read it.\n"
        "\n"
        "  --model M    \"default\" (Gemma 3 270M Q4_K_M, fetched by model/fetch-default-model.sh\n"
        "               into $XDG_CACHE_HOME/efbench) or a GGUF path        [default]\n"
        "  --text T     a text name (%s,\n"
        "               %s) or a path to a UTF-8 file\n"
        "  --length N   positions: BOS (if the model adds one) then the first tokens of T\n"
        "  --out F      the safetensors file to write (replaced only when complete)\n"
        "  --seed S     seed of the generated texts csv and random            [0]\n"
        "  --help       this text\n"
        "\n"
        "Captures are cached under $XDG_CACHE_HOME/efbench/qk, so a second run is instant.\n"
        "Exit status: 0 written; 2 bad input, or the file could not be written (nothing written).\n",
        text_default_list, text_language_list);
}

/* --name VALUE or --name=VALUE; returns the value or NULL. */
static const char *cc_opt(int argc, char **argv, int *i, const char *name)
{
    size_t nl = strlen(name);
    if (strncmp(argv[*i], name, nl)) return NULL;
    if (argv[*i][nl] == '=') return argv[*i] + nl + 1;
    if (argv[*i][nl] || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

static double cc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_capture(int argc, char **argv)
{
    const char *model_arg = "default", *text = NULL, *out = NULL, *len_s = NULL, *seed_s = "0";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cc_usage(stdout);
            return 0;
        }
        if ((v = cc_opt(argc, argv, &i, "--model"))) model_arg = v;
        else if ((v = cc_opt(argc, argv, &i, "--text"))) text = v;
        else if ((v = cc_opt(argc, argv, &i, "--length"))) len_s = v;
        else if ((v = cc_opt(argc, argv, &i, "--out"))) out = v;
        else if ((v = cc_opt(argc, argv, &i, "--seed"))) seed_s = v;
        else {
            fprintf(stderr, "efbench capture: unknown or incomplete option '%s' (see --help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (!text || !len_s || !out) {
        fprintf(stderr, "efbench capture: --text, --length and --out are required (see --help)\n");
        return 2;
    }
    char *end;
    long n = strtol(len_s, &end, 10);
    if (*end || n < 1 || n > (1 << 20)) {
        fprintf(stderr, "efbench capture: --length '%s' is not a length between 1 and %d\n", len_s,
                1 << 20);
        return 2;
    }
    unsigned long long seed = strtoull(seed_s, &end, 10);
    if (*end || !*seed_s) {
        fprintf(stderr, "efbench capture: --seed '%s' is not a number\n", seed_s);
        return 2;
    }

    ef_error err;
    char path[1024];
    model *m = NULL;
    text_source t = {0};
    capture_set c = {0};
    int status = 2, rc, from_cache = 0; /* every failure: 2 (README.md, exit status) */
    if (!strcmp(model_arg, "default")) {
        struct stat st;
        if (source_model_default_path(path, sizeof path, &err)) goto fail;
        if (stat(path, &st)) {
            fprintf(stderr,
                    "efbench capture: the default model %s is not there; run "
                    "model/fetch-default-model.sh once (about 240 MB) or pass --model FILE.gguf\n",
                    path);
            return 2;
        }
        model_arg = path;
    }
    char folder[1024];
    snprintf(folder, sizeof folder, "%s", out);
    char *slash = strrchr(folder, '/'); /* the folder of --out */
    if (!slash) snprintf(folder, sizeof folder, ".");
    else if (slash == folder) folder[1] = '\0';
    else *slash = '\0';
    ef_error why;
    if (ef_file_check_regular(model_arg, &why)) { /* a FIFO would block the GGUF reader's open */
        ef_fail(&err, EF_ERROR, "model %s: %s", model_arg, why.msg);
        goto fail;
    }
    if (model_open(model_arg, &m, &err) || text_open(text, seed, &t, &err) ||
        outdir_check_writable(folder,
                              &err)) /* the folder of --out takes files, before the forward pass */
        goto fail;
    char desc[512];
    model_describe(m, desc, sizeof desc);
    /* what was loaded, on stdout with the result: stderr holds one line, an error's */
    printf("capture: %s\n", desc);
    fflush(stdout);
    double t0 = cc_now();
    if ((rc = capture_cached(m, &t, (int)n, &(forward_progress){.fn = progress_capture}, &c,
                             &from_cache, &err)))
        goto fail;
    double dt = cc_now() - t0;
    if ((rc = capture_write(&c, out, &err))) goto fail;
    const model_config *cfg = model_config_get(m);
    printf("wrote %s: %s on %s, %ld positions, %d layers, %d query / %d KV heads, d %d", out,
           c.model, c.text, n, c.n_layers, cfg->n_head, cfg->n_head_kv, cfg->d);
    /* three significant digits: one token in two seconds is 0.5 tokens/s, not "0" */
    if (from_cache) printf(" (from the cache)\n");
    else printf(" (%.2f s, %.3g tokens/s)\n", dt, dt > 0 ? (double)n / dt : 0.0);
    status = 0;
    goto cleanup;
fail:
    fprintf(stderr, "efbench capture: %s\n", err.msg);
cleanup:
    capture_free(&c);
    text_close(&t);
    model_close(m);
    return status;
}
