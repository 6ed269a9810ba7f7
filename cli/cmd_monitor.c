/* cli/cmd_monitor.c — `efbench monitor`: the per-head key-incoherence monitor. Parses
 * options, analyses each checkpoint (monitor_run.c), prints the layer x head table and the
 * largest mu_K changes, writes the results (monitor_report.c). Exit 1 when a head is
 * flagged, 0 when none is, 2 on bad input.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "efbench/monitor.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "harness/monitor_run.h"
#include "harness/outdir.h"
#include "report/monitor_write.h"

#define MON_MAX_CK 64

static void mon_usage(FILE *f)
{
    fprintf(
        f,
        "usage: efbench monitor [--model M ...] [--qk F ...] --text T [options]\n\n"
        "The per-head key-incoherence monitor. For every layer x query head of a model on a text\n"
        "it computes, in float64, the leverage scores l_j of the centered keys and their\n"
        "coherence mu_K = (n/r) max_j l_j (r = rank of the centered keys: mu_K is the largest\n"
        "leverage as a multiple of the even share r/n, between 1 and n/r), and pr_over_n, the\n"
        "participation ratio over n of the full energy field's column energies\n"
        "c_j = a^2 k~_j^T (Q^T Q) k~_j (O(n d^2), no n x n field). The field is the full\n"
        "(unmasked) one of energy-field.md 4-6, whatever the layer's own mask. A head whose\n"
        "mu_K exceeds --max-mu is flagged. Several checkpoints of one model (same architecture,\n"
        "layers, heads and d) are compared: the relative change of every head's mu_K from one\n"
        "checkpoint to the next, the five largest, and a flag above --max-change.\n\n"
        "  --model M       a GGUF model (gemma2, gemma3, llama, phi3, qwen2, qwen3), or\n"
        "                  \"default\" (Gemma 3 270M, fetched by model/fetch-default-model.sh);\n"
        "                  repeat for checkpoints, oldest first. Q/K come through the capture\n"
        "                  cache                                                  [default]\n"
        "  --qk F          a checkpoint's Q/K imported from safetensors (README: `--qk` layout,\n"
        "                  e.g. from `efbench capture` or a PyTorch hook); repeatable, in order\n"
        "                  with --model; the file names its own text\n"
        "  --text T        the text for --model: a name (%s)\n"
        "                  or a path to a UTF-8 file\n"
        "  --length N      positions: BOS then the first tokens of T; N >= d + 2     [512]\n"
        "                  (--qk: the file's length, or a causal capture's first N)\n"
        "  --max-mu X      flag heads with mu_K > X (X >= 1), instead of the default rule:\n"
        "                  mu_K > 1 + %g (n/r - 1). mu_K runs from 1 (every key holds the\n"
        "                  even share r/n) to n/r (one key owns a direction alone); the rule\n"
        "                  flags a head whose most coherent key is more than %g%% of the way\n"
        "                  there, for any n and head size: mu_K > 1.85 at n/r = 2 (Gemma 3\n"
        "                  270M, n = 512), > 6.95 at n/r = 8 (d = 64). On the default texts\n"
        "                  it flags 8.7%% of Gemma 3 270M's heads and 1.0%% of SmolLM2-135M's\n"
        "                  (d = 64); a sink (one key x 30) is flagged at both sizes (README).\n"
        "  --max-change X  flag a head whose mu_K changes by more than X (relative,\n"
        "                  |mu_new - mu_old| / mu_old) between consecutive checkpoints   [%g]\n"
        "                  (changing the text moves a head's mu_K by 5%% typically, > 25%% in 1%%)\n"
        "  --out DIR       results folder: monitor.json, mu_k_<i>.svg heat maps        [results/monitor]\n"
        "  --json          print monitor.json on stdout instead of the table\n"
        "  --seed S        seed of the generated texts csv and random                 [0]\n"
        "  --quiet         no progress on stderr\n"
        "  --help          this text\n\n"
        "Heat maps need gnuplot (Debian: gnuplot-nox); without it they are skipped with a note\n"
        "and everything else is written. Files are written under temporary names and renamed\n"
        "when complete.\n"
        "exit status: 0 no head flagged, 1 a head flagged (mu_K or its change), 2 bad input\n"
        "(NaN/inf or degenerate Q/K included) or the results could not be written\n",
        text_default_list, MON_DEFAULT_EXCESS, 100 * MON_DEFAULT_EXCESS, EFM_DEFAULT_MAX_CHANGE);
}

typedef struct mon_cli {
    mon_source src[MON_MAX_CK];
    int n_src, models;
    const char *text, *out;
    int n, n_given, json, quiet;
    double max_mu, max_change;
    unsigned long long seed;
} mon_cli;

static int mon_number(const char *opt, const char *s, double lo, double *out)
{
    char *end;
    double x = strtod(s, &end);
    if (*end || end == s || !isfinite(x) || x < lo) {
        fprintf(stderr, "efbench monitor: %s '%s' is not a number >= %g\n", opt, s, lo);
        return EF_EXIT_USAGE;
    }
    *out = x;
    return EF_EXIT_OK;
}

/* Returns -1 to go on, else the exit status. */
static int mon_parse(int argc, char **argv, mon_cli *o)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},  {"qk", required_argument, 0, 'k'},
        {"text", required_argument, 0, 't'},   {"length", required_argument, 0, 'n'},
        {"max-mu", required_argument, 0, 'x'}, {"max-change", required_argument, 0, 'c'},
        {"out", required_argument, 0, 'o'},    {"json", no_argument, 0, 'j'},
        {"seed", required_argument, 0, 'S'},   {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 'm':
            case 'k':
                if (o->n_src == MON_MAX_CK) {
                    fprintf(stderr, "efbench monitor: more than %d checkpoints\n", MON_MAX_CK);
                    return EF_EXIT_USAGE;
                }
                o->src[o->n_src++] =
                    c == 'm' ? (mon_source){.model = optarg} : (mon_source){.qk = optarg};
                o->models += c == 'm';
                break;
            case 't': o->text = optarg; break;
            case 'n': {
                long n = strtol(optarg, &end, 10);
                if (*end || end == optarg || n < 3 || n > (1 << 20)) {
                    fprintf(stderr,
                            "efbench monitor: --length '%s' is not a length between 3 and %d\n",
                            optarg, 1 << 20);
                    return EF_EXIT_USAGE;
                }
                o->n = (int)n, o->n_given = 1;
                break;
            }
            case 'x':
                if (mon_number("--max-mu", optarg, 1, &o->max_mu)) return EF_EXIT_USAGE;
                break;
            case 'c':
                if (mon_number("--max-change", optarg, 0, &o->max_change)) return EF_EXIT_USAGE;
                break;
            case 'o': o->out = optarg; break;
            case 'j': o->json = 1; break;
            case 'q': o->quiet = 1; break;
            case 'S':
                o->seed = strtoull(optarg, &end, 10);
                if (*end || end == optarg || *optarg == '-') {
                    fprintf(stderr, "efbench monitor: --seed '%s' is not a number\n", optarg);
                    return EF_EXIT_USAGE;
                }
                break;
            case 'h': mon_usage(stdout); return EF_EXIT_OK;
            default:
                fprintf(stderr,
                        "efbench monitor: unknown option or missing value '%s' (see efbench "
                        "monitor --help)\n",
                        argv[optind - 1]);
                return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench monitor: unexpected argument '%s' (see efbench monitor --help)\n",
                argv[optind]);
        return EF_EXIT_USAGE;
    }
    if (o->n_src == 0) o->src[o->n_src++] = (mon_source){.model = "default"}, o->models = 1;
    if (o->models && !o->text) {
        fprintf(stderr,
                "efbench monitor: --text is required with --model (a name: %s, or a "
                "file)\n",
                text_default_list);
        return EF_EXIT_USAGE;
    }
    if (!o->models && o->text) {
        fprintf(stderr,
                "efbench monitor: --text applies to --model; a --qk file names its own text\n");
        return EF_EXIT_USAGE;
    }
    return -1;
}

/* The model's one line on start: what was loaded (size, architecture, tokenizer). */
static void mon_loaded(void *user, const char *description)
{
    (void)user;
    fprintf(stderr, "monitor: %s\n", description);
}

static void mon_progress(void *user, int done, int total)
{
    const char *label = user;
    fprintf(stderr, "\r\033[Kmonitor: %s: layer %d of %d analysed", label, done, total);
    fflush(stderr);
}

static void mon_print_checkpoint(const mon_report *r, int i)
{
    const mon_checkpoint *c = &r->ck[i];
    printf("%s%s (%s%s%d layers x %d query / %d KV heads, d %d) on %s, n = %d\n", i ? "\n" : "",
           c->name, c->arch, *c->arch ? ", " : "", c->n_layer, c->n_head, c->n_head_kv, c->d,
           c->text, c->n);
    printf("%5s %4s %3s %8s %8s %5s %9s %8s %6s  %s\n", "layer", "head", "kv", "mu_k", "limit",
           "rank", "pr_over_n", "v_max", "argmax", "flag");
    int flagged = 0;
    for (int k = 0; k < c->n_layer * c->n_head; k++) {
        const mon_head *h = &c->heads[k];
        printf("%5d %4d %3d %8.4f %8.4f %5d %9.4f %8.5f %6d  %s\n", h->layer, h->head, h->kv_head,
               h->mu_k, h->mu_limit, h->rank_k, h->pr_over_n, h->v_max, h->lev_argmax,
               h->flagged ? "FLAG" : "");
        flagged += h->flagged;
    }
    if (r->max_mu > 0)
        printf("flagged: %d of %d heads with mu_K > %g (--max-mu: a key's leverage above %g x "
               "the even share r/n)\n",
               flagged, c->n_layer * c->n_head, r->max_mu, r->max_mu);
    else
        printf("flagged: %d of %d heads with mu_K > 1 + %g (n/r - 1) (a key more than %g%% of "
               "the way from the even share r/n to owning a direction alone)\n",
               flagged, c->n_layer * c->n_head, MON_DEFAULT_EXCESS, 100 * MON_DEFAULT_EXCESS);
}

static void mon_print_changes(const mon_report *r)
{
    printf("\nlargest mu_K changes between consecutive checkpoints (flag: |change| > %g):\n",
           r->max_change);
    printf("%5s %4s %8s %9s %9s %9s  %s\n", "layer", "head", "ckpt", "mu_k_from", "mu_k_to",
           "change", "flag");
    for (int i = 0; i < r->n_top; i++) {
        const mon_change *x = &r->changes[r->top[i]];
        const mon_head *h = &r->ck[x->from].heads[x->index];
        char ck[24];
        snprintf(ck, sizeof ck, "%d->%d", x->from, x->from + 1);
        printf("%5d %4d %8s %9.4f %9.4f %+8.2f%%  %s\n", h->layer, h->head, ck, x->mu_old,
               x->mu_new, 100 * x->rel, x->flagged ? "FLAG" : "");
    }
    printf("changes flagged: %d of %d\n", r->flagged_change, r->n_changes);
}

int cmd_monitor(int argc, char **argv)
{
    mon_cli o = {.n = 512,
                 .max_mu = 0 /* the default rule */,
                 .max_change = EFM_DEFAULT_MAX_CHANGE,
                 .out = "results/monitor"};
    int status = mon_parse(argc, argv, &o);
    if (status >= 0) return status;

    ef_error err = {{0}};
    text_source t = {0};
    mon_checkpoint ck[MON_MAX_CK];
    mon_report r = {0};
    ef_outdir od = {.lock_fd = -1};
    int done = 0, rc, live = !o.quiet && isatty(STDERR_FILENO);
    status = EF_EXIT_USAGE;
    if (o.models && (rc = text_open(o.text, o.seed, &t, &err))) goto fail;
    /* every checkpoint checked before any is analysed or anything printed: bad input is
     * one line, whichever checkpoint it is in */
    for (int i = 0; i < o.n_src; i++) {
        mon_checkpoint shape;
        const mon_source *s = &o.src[i];
        if ((rc = mon_source_check(s, &t, s->qk && !o.n_given ? 0 : o.n, &shape, &err))) goto fail;
        if (i == 0) ck[0] = shape;
        else if ((rc = mon_checkpoints_match(&ck[0], &shape, &err))) goto fail;
    }
    if (outdir_open(o.out, &od, &err)) goto fail; /* writable and ours, before the analysis */
    for (; done < o.n_src; done++) {
        const mon_source *s = &o.src[done];
        char label[128];
        snprintf(label, sizeof label, "[%d/%d] %s", done + 1, o.n_src, s->qk ? s->qk : s->model);
        if (!o.quiet)
            fprintf(stderr, "monitor: %s: Q/K of every layer%s\n", label, live ? "" : " ...");
        mon_source with_line = *s; /* the forward pass's live line on a terminal */
        with_line.capture_progress = &(forward_progress){.fn = progress_capture};
        if (!o.quiet) with_line.loaded = mon_loaded;
        rc = mon_checkpoint_run(&with_line, &t, s->qk && !o.n_given ? 0 : o.n,
                                live ? mon_progress : NULL, label, &ck[done], &err);
        if (live) fprintf(stderr, "\r\033[K");
        if (!rc && done > 0) {
            rc = mon_checkpoints_match(&ck[0], &ck[done], &err);
            if (rc) mon_checkpoint_free(&ck[done]);
        }
        if (rc) goto fail;
        if (!o.quiet)
            fprintf(stderr, "monitor: %s: %d heads in %.1f s%s\n", label,
                    ck[done].n_layer * ck[done].n_head, ck[done].seconds,
                    ck[done].from_cache ? " (Q/K from the capture cache)" : "");
        double cap = (double)ck[done].n / ck[done].d; /* mu_K <= n/r, and r = d at full rank */
        if (!o.quiet && done == 0 && o.max_mu > 0 && o.max_mu >= cap) /* checkpoints share n, d */
            fprintf(stderr,
                    "monitor: note: with n = %d and d = %d a full-rank head has mu_K <= "
                    "n/d = %.3g, so --max-mu %g can flag only rank-deficient heads\n",
                    ck[done].n, ck[done].d, cap, o.max_mu);
    }
    if ((rc = mon_report_build(&r, ck, done, o.max_mu, o.max_change, &err)) ||
        (rc = mon_report_write(&r, o.out, &err)))
        goto fail;
    if (!r.heatmaps) fprintf(stderr, "efbench monitor: heat map skipped: %s\n", r.heatmap_note);
    if (o.json) {
        json_t *doc = mon_report_json(&r);
        json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(8));
        putchar('\n');
        json_decref(doc);
    } else {
        for (int i = 0; i < done; i++) mon_print_checkpoint(&r, i);
        if (done > 1) mon_print_changes(&r);
        printf("\nresults: %s/monitor.json%s\n", o.out, r.heatmaps ? " and mu_K heat maps" : "");
    }
    status = r.flagged_mu + r.flagged_change ? EF_EXIT_FAIL : EF_EXIT_OK;
    goto cleanup;
fail:
    fprintf(stderr, "efbench monitor: %s\n", err.msg);
cleanup:
    outdir_close(&od, status == EF_EXIT_USAGE);
    mon_report_free(&r);
    for (int i = 0; i < done; i++) mon_checkpoint_free(&ck[i]);
    text_close(&t);
    return status;
}
