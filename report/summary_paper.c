/* report/summary_paper.c — the "Invariants by model" section of summary.md, what a paper
 * reports: for the real model heads of a run (inputs with a layer), per model, how many
 * satisfy each mechanism invariant within its float64 rounding bound, and the
 * distribution of the model-level quantities (PR/n, v_max, mu_K, the link's slack) per
 * layer, per text, per language, per script and per length, with the heads that stand out. Reads
 * run->inputs only; called by summary_markdown (summary_md.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/summary.h"
#include "core/sort.h"
#include "model/texts.h"

/* A head is listed as a sink when one key column holds at least this fraction of the
 * field's energy (the even share is 1/n: 0.004 at n = 256). */
#define PAPER_SINK_VMAX 0.1

enum { Q_PR, Q_VMAX, Q_MU, Q_SLACK, Q_COUNT };
static const char *const quantity_names[Q_COUNT] = {"PR/n", "v_max", "mu_K", "link slack"};

static double quantity(const ef_input *in, int q)
{
    switch (q) {
        case Q_PR: return in->inv.pr_over_n;
        case Q_VMAX: return in->inv.v_max;
        case Q_MU: return in->inv.mu_k;
        default: return in->inv.bound_slack;
    }
}

/* Linear-interpolated percentile p in [0, 1] of sorted v[0..k). */
static double percentile(const double *v, int k, double p)
{
    double at = p * (k - 1);
    int lo = (int)floor(at), hi = lo + 1 < k ? lo + 1 : lo;
    return v[lo] + (at - lo) * (v[hi] - v[lo]);
}

/* "median [p10, p90] max" of the finite values, or "—". Sorts v. */
static void format_spread(char *buf, size_t len, double *v, int count)
{
    int k = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    if (!k) {
        snprintf(buf, len, "—");
        return;
    }
    ef_sort_doubles(v, k);
    snprintf(buf, len, "%.3g [%.3g, %.3g] %.3g", percentile(v, k, 0.5), percentile(v, k, 0.1),
             percentile(v, k, 0.9), v[k - 1]);
}

static int is_model_input(const ef_input *in, const char *model)
{
    return in->layer >= 0 && strcmp(in->source, model) == 0;
}

/* The model-level quantities are those of the full field, where the link holds. */
static int is_statistic(const ef_input *in, const char *model)
{
    return is_model_input(in, model) && in->mask.kind == EF_MASK_FULL;
}

/* One mechanism invariant: how many inputs were checked, how many held, and the largest
 * residual over its bound. kind 0 zero sum, 1 rank tail, 2 spectral route, 3 link. */
static void write_mechanism_row(FILE *f, const ef_run *run, const char *model, int kind,
                                int mask_kind, const char *label)
{
    int checked = 0, held = 0;
    double worst = 0;
    for (int i = 0; i < run->input_count; i++) {
        const ef_input *in = &run->inputs[i];
        if (!is_model_input(in, model) || (int)in->mask.kind != mask_kind) continue;
        const ef_invariants *v = &in->inv;
        double x = NAN, bound = NAN;
        if (kind == 0) x = v->rowsum_rel, bound = v->rowsum_bound;
        else if (kind == 1) x = v->rank_tail, bound = v->rank_tail_bound;
        else if (kind == 2) x = v->sv_rel_err, bound = v->sv_rel_bound;
        else if (v->bound_ok >= 0) x = v->bound_ok ? 0 : 1, bound = 1;
        if (!isfinite(x) || !isfinite(bound)) continue;
        checked++;
        held += kind == 3 ? v->bound_ok == 1 : x <= bound;
        if (kind != 3 && bound > 0 && x / bound > worst) worst = x / bound;
    }
    if (!checked) return;
    char ratio[32];
    if (kind == 3) snprintf(ratio, sizeof ratio, "—");
    else snprintf(ratio, sizeof ratio, "%.2g", worst);
    fprintf(f, "| %s | %d | %d | %d%s | %s |\n", label, checked, held, checked - held,
            checked - held ? " **(a bug: report it)**" : "", ratio);
}

static void write_mechanism(FILE *f, const ef_run *run, const char *model)
{
    fputs(
        "Mechanism invariants of the float64 reference, each judged against its rounding bound at\n"
        "u = 2^-53 (an input is one head on one text at one length). They hold for every model and\n"
        "input: a failure is a bug.\n\n"
        "| invariant | inputs checked | hold | fail | worst residual / bound |\n|---|---|---|---|---|\n",
        f);
    write_mechanism_row(f, run, model, 0, EF_MASK_FULL, "zero row sum, full mask");
    write_mechanism_row(f, run, model, 0, EF_MASK_CAUSAL, "zero row sum, causal mask");
    write_mechanism_row(f, run, model, 0, EF_MASK_WINDOW, "zero row sum, window mask");
    write_mechanism_row(f, run, model, 1, EF_MASK_FULL,
                        "rank <= d: rank tail (whole field checked)");
    write_mechanism_row(f, run, model, 2, EF_MASK_FULL, "spectrum: Gram route = QR route");
    write_mechanism_row(f, run, model, 3, EF_MASK_FULL, "link v_j <= l_j / srank on every column");
}

enum { BY_LAYER, BY_TEXT, BY_N, BY_LANGUAGE, BY_SCRIPT };

/* The name of the group of `in` when grouping by language or script. */
static const char *group_word(const ef_input *in, int key)
{
    return key == BY_LANGUAGE ? text_language(in->text) : text_script(in->text);
}

/* Is `in` a statistic of the row that `g` opened, grouping by `key`? */
static int same_group(const ef_input *in, const ef_input *g, const char *model, int key)
{
    if (!is_statistic(in, model)) return 0;
    switch (key) {
        case BY_LAYER: return in->layer == g->layer;
        case BY_TEXT: return strcmp(in->text, g->text) == 0;
        case BY_N: return in->n == g->n;
        default: return strcmp(group_word(in, key), group_word(g, key)) == 0;
    }
}

/* Does `in` open a row before `b` (the smallest key first)? */
static int group_before(const ef_input *in, const ef_input *b, int key)
{
    switch (key) {
        case BY_LAYER: return in->layer < b->layer;
        case BY_TEXT: return strcmp(in->text, b->text) < 0;
        case BY_N: return in->n < b->n;
        default: return strcmp(group_word(in, key), group_word(b, key)) < 0;
    }
}

/* Rows grouped by `key`, one cell per quantity. */
static void write_grouped(FILE *f, const ef_run *run, const char *model, int key)
{
    static const char *const key_names[] = {"layer", "text", "n", "language", "script"};
    int count = run->input_count;
    char *done = calloc(count ? count : 1, 1);
    double *v = malloc(sizeof(double) * (count ? count : 1));
    if (!done || !v) goto out;
    fprintf(
        f,
        "\n| %s | inputs | %s | %s | %s | %s | sinks (v_max >= %.2g) |\n|---|---|---|---|---|---|---|\n",
        key_names[key], quantity_names[0], quantity_names[1], quantity_names[2], quantity_names[3],
        PAPER_SINK_VMAX);
    for (;;) {
        /* the smallest key not yet written */
        int first = -1;
        for (int i = 0; i < count; i++) {
            const ef_input *in = &run->inputs[i];
            if (done[i] || !is_statistic(in, model)) continue;
            const ef_input *b = first >= 0 ? &run->inputs[first] : NULL;
            if (!b || group_before(in, b, key)) first = i;
        }
        if (first < 0) break;
        const ef_input *g = &run->inputs[first];
        int members = 0, sinks = 0;
        for (int i = 0; i < count; i++) {
            const ef_input *in = &run->inputs[i];
            if (!same_group(in, g, model, key)) continue;
            done[i] = 1;
            members++;
            sinks += in->inv.v_max >= PAPER_SINK_VMAX;
        }
        char name[160], cells[Q_COUNT][96];
        if (key == BY_TEXT) snprintf(name, sizeof name, "%s", g->text);
        else if (key == BY_LANGUAGE || key == BY_SCRIPT)
            snprintf(name, sizeof name, "%s", group_word(g, key));
        else snprintf(name, sizeof name, "%d", key == BY_LAYER ? g->layer : g->n);
        for (int q = 0; q < Q_COUNT; q++) {
            int k = 0;
            for (int i = 0; i < count; i++)
                if (same_group(&run->inputs[i], g, model, key))
                    v[k++] = quantity(&run->inputs[i], q);
            format_spread(cells[q], sizeof cells[q], v, k);
        }
        fprintf(f, "| %s | %d | %s | %s | %s | %s | %d |\n", name, members, cells[0], cells[1],
                cells[2], cells[3], sinks);
    }
out:
    free(done);
    free(v);
}

static int cmp_mu_desc(const void *a, const void *b)
{
    double x = (*(const ef_input *const *)a)->inv.mu_k, y = (*(const ef_input *const *)b)->inv.mu_k;
    return (x < y) - (x > y);
}

/* The sinks, the link failures, and the five most coherent keys. */
static void write_outliers(FILE *f, const ef_run *run, const char *model)
{
    int count = 0, listed = 0;
    const ef_input **order = malloc(sizeof *order * (run->input_count ? run->input_count : 1));
    if (!order) return;
    for (int i = 0; i < run->input_count; i++)
        if (is_statistic(&run->inputs[i], model) && isfinite(run->inputs[i].inv.mu_k))
            order[count++] = &run->inputs[i];
    fputs("\nHeads that stand out:\n\n", f);
    for (int i = 0; i < count; i++) {
        const ef_input *in = order[i];
        int sink = in->inv.v_max >= PAPER_SINK_VMAX, broken = in->inv.bound_ok == 0;
        if (!sink && !broken) continue;
        if (listed++ < 40)
            fprintf(f, "- L%d H%d, %s, n = %d: %s%s v_max %.3g, PR/n %.3g, mu_K %.3g\n", in->layer,
                    in->head, in->text, in->n, sink ? "sink" : "", broken ? " LINK FAILS" : "",
                    in->inv.v_max, in->inv.pr_over_n, in->inv.mu_k);
    }
    if (listed > 40) fprintf(f, "- ... and %d more (results.json `inputs`)\n", listed - 40);
    if (!listed)
        fprintf(f, "- no sink (no input with v_max >= %.2g) and no link failure\n",
                PAPER_SINK_VMAX);
    /* mu_K belongs to the keys: query heads sharing a KV head share it, list it once */
    qsort(order, count, sizeof *order, cmp_mu_desc);
    for (int i = 0, shown = 0; i < count && shown < 5; i++) {
        const ef_input *in = order[i];
        int dup = 0;
        for (int k = 0; k < i && !dup; k++)
            dup = order[k]->layer == in->layer && order[k]->kv_head == in->kv_head &&
                  order[k]->n == in->n && !strcmp(order[k]->text, in->text);
        if (dup) continue;
        fprintf(f, "- most coherent keys #%d: L%d KV head %d, %s, n = %d: mu_K %.3g (rank %d)\n",
                ++shown, in->layer, in->kv_head, in->text, in->n, in->inv.mu_k, in->inv.rank_k);
    }
    free(order);
}

void summary_paper_markdown(FILE *f, const ef_run *run)
{
    for (int i = 0; i < run->input_count; i++) {
        const ef_input *in = &run->inputs[i];
        if (in->layer < 0) continue;
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = run->inputs[k].layer >= 0 && !strcmp(run->inputs[k].source, in->source);
        if (seen) continue;
        int heads = 0, on_dev = 0;
        for (int k = 0; k < run->input_count; k++)
            if (is_model_input(&run->inputs[k], in->source))
                heads++, on_dev += run->inputs[k].on_devices;
        fprintf(
            f,
            "\n## Invariants by model: %s\n\n%d inputs (head x text x length x mask x precision) from the\n"
            "float64 reference; %d of them also ran on the devices.\n\n",
            in->source, heads, on_dev);
        write_mechanism(f, run, in->source);
        fprintf(
            f,
            "\nModel-level quantities of the full field, as median [p10, p90] max over the inputs of each\n"
            "row (PR/n near 1 and v_max near 1/n: variance spread over key positions; mu_K near 1:\n"
            "incoherent keys; link slack min_j (l_j/srank - v_j) >= 0 always).\n");
        write_grouped(f, run, in->source, BY_LAYER);
        write_grouped(f, run, in->source, BY_TEXT);
        write_grouped(f, run, in->source, BY_LANGUAGE);
        write_grouped(f, run, in->source, BY_SCRIPT);
        write_grouped(f, run, in->source, BY_N);
        write_outliers(f, run, in->source);
    }
}
