/* cli/cmd_report.c — `efbench report FILES...`: merge results.json files (or
 * directories of them) from any runs and machines into comparison tables (Markdown, CSV,
 * HTML) and gnuplot charts. Loading is results_load.c, tables report_tables.c and
 * report_render.c, charts report_charts.c; this file parses options, writes every output
 * to a temporary name and renames them only when all are complete, and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness/outdir.h"
#include "harness/results.h"
#include "report/report_charts.h"
#include "report/report_tables.h"
#include "report/results_load.h"

static void report_usage(FILE *f)
{
    fputs(
        "usage: efbench report FILES... [--format md|csv|html|all] [--out DIR]\n\n"
        "Merges results.json files written by `efbench run` (on any machines) into comparison\n"
        "tables: throughput by device (median over the inputs, % of measured peak, verification,\n"
        "noisy timings marked), accuracy, invariant residuals, the inputs' invariants and\n"
        "provenance; and charts drawn by gnuplot (svg), when it is installed. A directory is\n"
        "searched recursively for results.json files. Every file must be format_version 1.\n\n"
        "  --format LIST   comma list of md, csv, html, or all [md]\n"
        "                  md: report.md; csv: one file per table; html: report.html with the\n"
        "                  charts inline. The charts are also written as NAME.svg.\n"
        "  --out DIR       where to write the report [results/report]\n"
        "  --help          this text\n\n"
        "EF_GNUPLOT names the gnuplot to run (default: gnuplot on PATH).\n"
        "exit status: 0 the report was written, 2 usage or input error, or the report could not\n"
        "be written (one line naming the file)\n",
        f);
}

static int formats_parse(const char *list, int *formats)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *formats = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "md")) *formats |= REPORT_MD;
        else if (!strcmp(t, "csv")) *formats |= REPORT_CSV;
        else if (!strcmp(t, "html")) *formats |= REPORT_HTML;
        else if (!strcmp(t, "all")) *formats |= REPORT_MD | REPORT_CSV | REPORT_HTML;
        else return -1;
    }
    return *formats ? 0 : -1;
}

/* ---- all outputs appear together or not at all ---- */

typedef struct staged {
    char tmp[1200], final[1200];
} staged;

typedef struct stage {
    const char *dir;
    staged files[128];
    int count;
} stage;

static FILE *stage_open(stage *s, const char *name, ef_error *err)
{
    if (s->count == (int)(sizeof s->files / sizeof s->files[0])) {
        ef_fail(err, EF_ERROR, "too many output files (more than %d)", s->count);
        return NULL;
    }
    staged *f = &s->files[s->count];
    snprintf(f->final, sizeof f->final, "%s/%s", s->dir, name);
    snprintf(f->tmp, sizeof f->tmp, "%s/.%s.%ld.tmp", s->dir, name, (long)getpid());
    FILE *fp = fopen(f->tmp, "w");
    if (!fp) ef_fail(err, EF_ERROR, "cannot write %s: %s", f->tmp, strerror(errno));
    else s->count++;
    return fp;
}

static int stage_close(FILE *fp, stage *s, ef_error *err)
{
    if (ferror(fp) | fclose(fp))
        return ef_fail(err, EF_ERROR, "writing %s failed: %s", s->files[s->count - 1].tmp,
                       strerror(errno));
    return EF_OK;
}

/* Rename every file into place when rc is EF_OK; else remove the temporary files. */
static int stage_finish(stage *s, int rc, ef_error *err)
{
    for (int i = 0; i < s->count; i++) {
        if (rc == EF_OK && rename(s->files[i].tmp, s->files[i].final) != 0)
            rc = ef_fail(err, EF_ERROR, "cannot rename %s: %s", s->files[i].tmp, strerror(errno));
        if (rc != EF_OK) unlink(s->files[i].tmp);
    }
    return rc;
}

static int outputs_write(stage *s, int formats, const report_tables *t, const report_charts *ch,
                         ef_error *err)
{
    FILE *f;
    int rc = EF_OK;
    if (formats & REPORT_MD) {
        if (!(f = stage_open(s, "report.md", err))) return EF_ERROR;
        report_tables_md(f, t, ch);
        if ((rc = stage_close(f, s, err))) return rc;
    }
    if (formats & REPORT_HTML) {
        if (!(f = stage_open(s, "report.html", err))) return EF_ERROR;
        report_tables_html(f, t, ch);
        if ((rc = stage_close(f, s, err))) return rc;
    }
    for (int i = 0; (formats & REPORT_CSV) && i < t->count; i++) {
        if (!(t->table[i].formats & REPORT_CSV)) continue;
        char name[128];
        snprintf(name, sizeof name, "%s.csv", t->table[i].name);
        if (!(f = stage_open(s, name, err))) return EF_ERROR;
        report_tables_csv(f, &t->table[i]);
        if ((rc = stage_close(f, s, err))) return rc;
    }
    for (int i = 0; i < ch->count; i++) {
        if (!ch->chart[i].svg) continue;
        if (!(f = stage_open(s, ch->chart[i].name, err))) return EF_ERROR;
        fputs(ch->chart[i].svg, f);
        if ((rc = stage_close(f, s, err))) return rc;
    }
    return EF_OK;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = "results/report";
    int formats = REPORT_MD, c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 'f':
                if (formats_parse(optarg, &formats)) {
                    fprintf(
                        stderr,
                        "efbench report: --format '%s': expected a comma list of md, csv, html or all\n",
                        optarg);
                    return EF_EXIT_USAGE;
                }
                break;
            case 'o': out = optarg; break;
            case 'h': report_usage(stdout); return EF_EXIT_OK;
            default:
                fprintf(
                    stderr,
                    "efbench report: unknown option or missing value '%s' (see efbench report --help)\n",
                    argv[optind - 1]);
                return EF_EXIT_USAGE;
        }
    }
    ef_results res;
    ef_error err = {{0}};
    if (results_load((const char *const *)argv + optind, argc - optind, &res, &err) != EF_OK) {
        fprintf(stderr, "efbench report: %s\n", err.msg);
        return EF_EXIT_USAGE;
    }
    int status = EF_EXIT_USAGE;
    report_tables tables = {0};
    report_charts charts = {0};
    ef_outdir od = {.lock_fd = -1};
    if (outdir_open(out, &od, &err))
        goto fail; /* writable and ours, before the tables and charts */
    if (report_tables_build(&res, &tables, &err) || report_charts_make(&res, &charts, &err))
        goto fail;
    stage s = {.dir = out};
    if (stage_finish(&s, outputs_write(&s, formats, &tables, &charts, &err), &err)) goto fail;
    printf("report: %s\n", tables.headline);
    printf("written to %s/:%s%s%s", out, formats & REPORT_MD ? " report.md" : "",
           formats & REPORT_HTML ? " report.html" : "",
           formats & REPORT_CSV ? " and a CSV per table" : "");
    printf("%s%d chart%s (svg)\n", formats ? ", " : "", charts.drawn, charts.drawn == 1 ? "" : "s");
    if (*charts.status) printf("%s\n", charts.status);
    for (int i = 0; i < charts.count; i++)
        if (!charts.chart[i].svg)
            printf("chart %s not drawn: %s\n", charts.chart[i].name, charts.chart[i].skip);
    status = EF_EXIT_OK;
    goto cleanup;
fail:
    fprintf(stderr, "efbench report: %s\n", err.msg);
cleanup:
    outdir_close(&od, status != EF_EXIT_OK);
    report_charts_free(&charts);
    report_tables_free(&tables);
    results_free(&res);
    return status;
}
