/* cli/cmd_tokenize.c — `efbench tokenize --model M --text T [--length N] [--json]`: the
 * token ids (and their pieces) that `capture` feeds a model, from the GGUF's tokenizer
 * alone (a vocabulary-only GGUF works too), so a capture can be reproduced elsewhere.
 * With --length the ids are exactly capture's (BOS, then the first N - 1 tokens of T);
 * without, the whole text.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "harness/source_model.h"
#include "model/gguf.h"
#include "model/texts.h"
#include "model/tokenizer.h"
#include "model/unicode.h"

static void tk_usage(FILE *f)
{
    fprintf(
        f,
        "usage: efbench tokenize [--model M] --text T [--length N] [--json] [--seed S]\n\n"
        "Prints the token ids a model is fed, with each token's piece as the vocabulary stores\n"
        "it, from the GGUF's tokenizer only (tokenizer.ggml.*; a vocabulary-only GGUF works).\n"
        "With --length N they are exactly the ids `efbench capture --length N` feeds (and\n"
        "stores as tensor `tokens`): BOS when the model adds one, then the first tokens of T.\n"
        "Without --length: every token of T.\n\n"
        "  --model M    \"default\" (Gemma 3 270M, model/fetch-default-model.sh) or a GGUF [default]\n"
        "  --text T     a text name (%s, or one of the\n"
        "               languages: %s) or a path to a UTF-8 file\n"
        "  --length N   positions, as capture counts them (needed for `random`)\n"
        "  --json       one JSON object: model, tokenizer, text, text_hash, n, ids, pieces\n"
        "  --seed S     seed of the generated texts csv and random                   [0]\n"
        "  --help       this text\n\n"
        "Tokenizers: SentencePiece (tokenizer.ggml.model llama) and byte-level BPE (gpt2)\n"
        "behind any of these tokenizer.ggml.pre values (llama.cpp's regex pre-tokenizers):\n",
        text_default_list, text_language_list);
    int col = 0;
    for (int i = 0; tokenizer_pre_supported(i); i++) {
        const char *p = tokenizer_pre_supported(i);
        int w = (int)strlen(p) + 2;
        if (col + w > 88) {
            fputc('\n', f);
            col = 0;
        }
        col += fprintf(f, "%s%s", col ? " " : "  ", p);
    }
    fprintf(f, "\n\nexit status: 0 printed, 2 bad input (unknown model, text or tokenizer)\n");
}

/* A piece as text a terminal or JSON can hold: valid UTF-8 stays, other bytes become
 * \xNN, and control characters \n, \t, \r, \xNN. Returns a malloc'd string. */
static char *tk_piece_text(const char *p, size_t len)
{
    char *o = malloc(4 * len + 1), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)p[i];
        int k = unicode_utf8_lead_len(c);
        if (c >= 0x80 && (size_t)k <= len - i && k > 1 &&
            unicode_utf8_valid(p + i, (size_t)k, NULL)) {
            memcpy(q, p + i, (size_t)k);
            q += k;
            i += (size_t)k;
            continue;
        }
        if (c == '\n') q += sprintf(q, "\\n");
        else if (c == '\t') q += sprintf(q, "\\t");
        else if (c == '\r') q += sprintf(q, "\\r");
        else if (c == '\\') q += sprintf(q, "\\\\");
        else if (c < 0x20 || c >= 0x7F) q += sprintf(q, "\\x%02X", c);
        else *q++ = (char)c;
        i++;
    }
    *q = 0;
    return o;
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"text", required_argument, 0, 't'},
                                         {"length", required_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'j'},
                                         {"seed", required_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model_arg = "default", *text = NULL;
    long n = 0;
    int json = 0, c;
    unsigned long long seed = 0;
    char *end;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 'm': model_arg = optarg; break;
            case 't': text = optarg; break;
            case 'n':
                n = strtol(optarg, &end, 10);
                if (*end || end == optarg || n < 1 || n > (1 << 20)) {
                    fprintf(stderr,
                            "efbench tokenize: --length '%s' is not a length between 1 and %d\n",
                            optarg, 1 << 20);
                    return EF_EXIT_USAGE;
                }
                break;
            case 'j': json = 1; break;
            case 'S':
                seed = strtoull(optarg, &end, 10);
                if (*end || end == optarg || *optarg == '-') {
                    fprintf(stderr, "efbench tokenize: --seed '%s' is not a number\n", optarg);
                    return EF_EXIT_USAGE;
                }
                break;
            case 'h': tk_usage(stdout); return EF_EXIT_OK;
            default:
                fprintf(stderr,
                        "efbench tokenize: unknown option or missing value '%s' (see "
                        "efbench tokenize --help)\n",
                        argv[optind - 1]);
                return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench tokenize: unexpected argument '%s'\n", argv[optind]);
        return EF_EXIT_USAGE;
    }
    if (!text) {
        fprintf(stderr, "efbench tokenize: --text is required (a name: %s, or a file)\n",
                text_default_list);
        return EF_EXIT_USAGE;
    }

    ef_error err;
    char path[1024];
    gguf_file *g = NULL;
    tokenizer *tok = NULL;
    text_source t = {0};
    int32_t *ids = NULL;
    int count = 0, status = EF_EXIT_USAGE, rc;
    struct stat st;
    if (!strcmp(model_arg, "default")) {
        if (source_model_default_path(path, sizeof path, &err)) goto fail;
        if (stat(path, &st)) {
            fprintf(stderr,
                    "efbench tokenize: the default model %s is not there; run "
                    "model/fetch-default-model.sh once (about 240 MB) or pass --model FILE.gguf\n",
                    path);
            return EF_EXIT_USAGE;
        }
        model_arg = path;
    }
    if ((rc = gguf_open(model_arg, &g, &err)) || (rc = tokenizer_load(g, &tok, &err)) ||
        (rc = text_open(text, seed, &t, &err))) {
        status = rc == EF_NOMEM ? EF_EXIT_FAIL : EF_EXIT_USAGE;
        goto fail;
    }
    if (t.random && !n) {
        fprintf(stderr, "efbench tokenize: text random has no end: give --length\n");
        goto cleanup;
    }
    rc = n ? text_tokens(&t, tok, (int)n, &ids, &err)
           : text_tokens_all(&t, tok, 0, &ids, &count, &err);
    if (rc) {
        status = rc == EF_NOMEM ? EF_EXIT_FAIL : EF_EXIT_USAGE;
        goto fail;
    }
    if (n) count = (int)n;

    const char *base = strrchr(model_arg, '/');
    base = base ? base + 1 : model_arg;
    json_t *doc = json ? json_object() : NULL, *jid = json ? json_array() : NULL;
    json_t *jpc = json ? json_array() : NULL;
    if (!json)
        printf("%s: tokenizer %s (%d tokens), text %s (hash %s), %d ids\n%8s %8s  %s\n", base,
               tokenizer_label(tok), tokenizer_n_vocab(tok), t.name, t.hash, count, "position",
               "id", "piece");
    for (int i = 0; i < count; i++) {
        size_t pl;
        const char *p = tokenizer_piece(tok, ids[i], &pl);
        char *pt = tk_piece_text(p ? p : "", p ? pl : 0);
        if (!pt) {
            ef_fail(&err, EF_NOMEM, "out of memory");
            status = EF_EXIT_FAIL;
            json_decref(doc), json_decref(jid), json_decref(jpc);
            goto fail;
        }
        if (json) { /* JSON escapes the piece itself when it is UTF-8 */
            json_array_append_new(jid, json_integer(ids[i]));
            json_array_append_new(jpc, p && unicode_utf8_valid(p, pl, NULL) ? json_stringn(p, pl)
                                                                            : json_string(pt));
        } else {
            printf("%8d %8d  %s\n", i, ids[i], pt);
        }
        free(pt);
    }
    if (json) {
        json_object_set_new(doc, "model", json_string(base));
        json_object_set_new(doc, "tokenizer", json_string(tokenizer_label(tok)));
        json_object_set_new(doc, "text", json_string(t.name));
        json_object_set_new(doc, "text_hash", json_string(t.hash));
        json_object_set_new(doc, "n", json_integer(count));
        json_object_set_new(doc, "ids", jid);
        json_object_set_new(doc, "pieces", jpc);
        json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    }
    status = EF_EXIT_OK;
    goto cleanup;
fail:
    fprintf(stderr, "efbench tokenize: %s\n", err.msg);
cleanup:
    free(ids);
    text_close(&t);
    tokenizer_free(tok);
    gguf_close(g);
    return status;
}
