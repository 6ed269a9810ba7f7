/* report/summary_md.c — summary.md: provenance, the devices, throughput grouped by device
 * x workload x mask x precision x size (medians over the inputs), the invariants of every
 * input head from the float64 reference, and every case that did not pass. Per-case
 * figures stay in results.csv / results.json. Handed to results_write by cli/cmd_run.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "report/summary.h"
#include "version.h"
#include "core/sort.h"

static void fmt_num(char *buf, size_t len, double x, const char *fmt)
{
    if (isfinite(x) && x >= 0) snprintf(buf, len, fmt, x);
    else snprintf(buf, len, "—");
}

static int cmp_mask(ef_mask a, ef_mask b)
{
    return a.kind != b.kind ? (int)a.kind - (int)b.kind : a.window - b.window;
}

/* The throughput table's key: device, workload, variant, mask, precision, n, d. */
static int cmp_perf(const void *pa, const void *pb)
{
    const ef_case *a = *(const ef_case *const *)pa, *b = *(const ef_case *const *)pb;
    int r;
    if ((r = a->device - b->device) || (r = (int)a->workload - (int)b->workload) ||
        (r = strcmp(a->variant, b->variant)) || (r = cmp_mask(a->mask, b->mask)) ||
        (r = (int)a->precision - (int)b->precision) || (r = a->n - b->n) || (r = a->d - b->d))
        return r;
    return 0;
}

/* Median of the finite, non-negative values (NAN if none); sorts v. */
static double median_of(double *v, int count)
{
    int k = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(v[i]) && v[i] >= 0) v[k++] = v[i];
    if (!k) return NAN;
    ef_sort_doubles(v, k);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static void write_throughput(FILE *f, const ef_run *run)
{
    int n = run->case_count;
    const ef_case **order = malloc(sizeof *order * (n ? n : 1));
    double *ms = malloc(sizeof *ms * (n ? n : 1)), *gf = malloc(sizeof *gf * (n ? n : 1)),
           *gb = malloc(sizeof *gb * (n ? n : 1));
    if (!order || !ms || !gf || !gb) goto out;
    for (int i = 0; i < n; i++) order[i] = &run->cases[i];
    qsort(order, n, sizeof *order, cmp_perf);
    fputs(
        "## Throughput\n\nMedians over the inputs of each row; `pass` counts the cases that passed verification.\n\n"
        "| dev | workload | mask | prec | n | d | pass | median ms | GFLOP/s | GB/s | max rel err |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n",
        f);
    for (int i = 0; i < n;) {
        int j = i, pass = 0;
        double worst = NAN;
        for (; j < n && cmp_perf(&order[i], &order[j]) == 0; j++) {
            const ef_case *c = order[j];
            ms[j - i] = c->time.reps ? c->time.median_ms : NAN;
            gf[j - i] = c->gflops;
            gb[j - i] = c->gbps;
            pass += c->status == EF_CASE_PASS;
            if (isfinite(c->accuracy.rel_fro_err) && !(c->accuracy.rel_fro_err <= worst))
                worst = c->accuracy.rel_fro_err;
        }
        const ef_case *c = order[i];
        char mask[32], a[32], b[32], g[32], e[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        fmt_num(a, sizeof a, median_of(ms, j - i), "%.4g");
        fmt_num(g, sizeof g, median_of(gf, j - i), "%.4g");
        fmt_num(b, sizeof b, median_of(gb, j - i), "%.4g");
        fmt_num(e, sizeof e, worst, "%.2e");
        fprintf(f, "| %d | %s%s%s | %s | %s | %d | %d | %d/%d | %s | %s | %s | %s |\n", c->device,
                ef_workload_name(c->workload), *c->variant ? "/" : "", c->variant, mask,
                ef_precision_name(c->precision), c->n, c->d, pass, j - i, a, g, b, e);
        i = j;
    }
out:
    free(order);
    free(ms);
    free(gf);
    free(gb);
}

/* Beyond this many inputs the per-input table gives way to the aggregates (the paper
 * suite has thousands); every input stays in results.json `inputs`. */
#define MD_MAX_INPUT_ROWS 200

static void write_invariants(FILE *f, const ef_run *run)
{
    fputs("\n## Invariants of the inputs (float64 reference)\n\n", f);
    if (run->input_count > MD_MAX_INPUT_ROWS) {
        fprintf(
            f,
            "%d inputs: too many for a table here; each is in results.json `inputs`, and the real\n"
            "model heads are summarised by model below.\n",
            run->input_count);
        return;
    }
    fputs(
        "PR/n and v_max: spread of the column energy over key positions; mu_K: coherence of the centered\n"
        "keys (1 = spread, n/r = one key); link: min_j (l_j / srank - v_j), >= 0 when v_j <= l_j / srank holds.\n\n"
        "| input | n | d | mask | prec | rowsum_rel | PR/n | v_max | mu_K | rank K | srank | link |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
        f);
    for (int i = 0; i < run->input_count; i++) {
        const ef_input *c = &run->inputs[i];
        const ef_invariants *v = &c->inv;
        char mask[32], src[256], rs[32], pr[32], vm[32], mu[32], rk[16], sr[32], link[48];
        ef_mask_format(c->mask, mask, sizeof mask);
        if (c->layer >= 0)
            snprintf(src, sizeof src, "%.63s / %.100s L%d H%d", c->source, c->text, c->layer,
                     c->head);
        else snprintf(src, sizeof src, "%.63s (seed %llu)", c->source, (unsigned long long)c->seed);
        fmt_num(rs, sizeof rs, v->rowsum_rel, "%.1e");
        fmt_num(pr, sizeof pr, v->pr_over_n, "%.3f");
        fmt_num(vm, sizeof vm, v->v_max, "%.3g");
        fmt_num(mu, sizeof mu, v->mu_k, "%.3g");
        fmt_num(sr, sizeof sr, v->srank, "%.3g");
        if (v->rank_k >= 0) snprintf(rk, sizeof rk, "%d", v->rank_k);
        else snprintf(rk, sizeof rk, "—");
        if (v->bound_ok < 0) snprintf(link, sizeof link, "—");
        else
            snprintf(link, sizeof link, "%s %.2g", v->bound_ok ? "holds" : "FAILS", v->bound_slack);
        fprintf(f, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", src, c->n,
                c->d, mask, ef_precision_name(c->precision), rs, pr, vm, mu, rk, sr, link);
    }
}

void summary_markdown(FILE *f, const ef_run *run, const ef_results_meta *meta)
{
    fprintf(f, "# efbench results — suite `%s`\n\n", run->suite.name);
    fprintf(f, "- tool: efbench %s\n- date (UTC): %s\n- command: `%s`\n- seed: %llu\n", EF_VERSION,
            meta->utc_time, meta->command_line, (unsigned long long)run->suite.seed);
    if (run->shard_count) /* one shard's cases only: `efbench report` merges the shards */
        fprintf(f, "- shard: %d/%d of suite SHA-256 %.12s, plan %s\n", run->shard_index + 1,
                run->shard_count, run->suite.sha256, run->plan_hash);
    char cpu[256], os[256];
    host_cpu_model(cpu, sizeof cpu);
    host_os_name(os, sizeof os);
    fprintf(f, "- host: %s, %d cores, %.1f GiB, %s\n\n", cpu, host_cpu_count(),
            host_memory_bytes() / 1073741824.0, os);
    fputs("| # | backend | device | driver | API |\n|---|---|---|---|---|\n", f);
    for (int i = 0; i < run->device_count; i++) {
        const ef_run_device *d = &run->devices[i];
        fprintf(f, "| %d | %s | %s | %s | %s |\n", i, d->backend->name, d->info.name,
                d->info.driver_version, d->info.api_version);
    }
    if (*run->absent) fprintf(f, "\nNo device: %s\n", run->absent);
    fprintf(
        f,
        "\n**%d cases: %d pass, %d fail, %d unsupported, %d error.** Every case, with its accuracy and\n"
        "invariants on the device's own output, is in results.csv and results.json.\n\n",
        run->case_count, run->counts[EF_CASE_PASS], run->counts[EF_CASE_FAIL],
        run->counts[EF_CASE_UNSUPPORTED], run->counts[EF_CASE_ERROR]);
    write_throughput(f, run);
    write_invariants(f, run);
    summary_paper_markdown(f, run);
    int shown = 0;
    for (int i = 0; i < run->case_count; i++) {
        const ef_case *c = &run->cases[i];
        if (c->status == EF_CASE_PASS) continue;
        if (!shown++) fputs("\n## Not passed\n\n", f);
        char mask[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        fprintf(f, "- %s: dev %d %s%s%s %s %s n=%d d=%d %s%s%s: %s\n",
                ef_case_status_name(c->status), c->device, ef_workload_name(c->workload),
                *c->variant ? "/" : "", c->variant, mask, ef_precision_name(c->precision), c->n,
                c->d, c->source, *c->text ? "/" : "", c->text, c->reasons);
    }
}
