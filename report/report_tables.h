/* report/report_tables.h — the comparison tables of `efbench report`: devices,
 * throughput (workload x mask x precision x n x d by device), accuracy, invariant
 * residuals, the inputs' invariants and provenance, built once from the merged results
 * (report_tables.c) and written as Markdown, CSV (one file per table) or one self-contained
 * HTML page with the charts inline (report_render.c). Semantics: results/README.md,
 * "efbench report". Called by cmd_report.c.
 */
#ifndef EF_REPORT_TABLES_H
#define EF_REPORT_TABLES_H

#include <stdio.h>

#include "report/report_charts.h"
#include "report/results_load.h"

/* A case is noisy when (max - min) / median of its time_ms exceeds this. */
#define REPORT_NOISE_THRESHOLD 0.10
/* The mark of a throughput cell holding a noisy case. */
#define REPORT_NOISE_MARK "†"

enum { REPORT_MD = 1, REPORT_CSV = 2, REPORT_HTML = 4 };

/* One table of strings: row 0 is the header. */
typedef struct report_table {
    const char *name; /* CSV file stem, e.g. "throughput" */
    const char *title;
    char *note;     /* a paragraph under the title (legend); may be NULL */
    int formats;    /* REPORT_* it appears in */
    int cols, rows; /* rows counts the header */
    char **cell;    /* rows x cols */
} report_table;

typedef struct report_tables {
    report_table *table;
    int count;
    char headline[256]; /* "N files, M devices, K cases, I input heads" */
} report_tables;

int report_tables_build(const ef_results *r, report_tables *out, ef_error *err);
void report_tables_free(report_tables *t);

/* report_render.c: the whole Markdown page (charts linked as NAME.svg) / HTML page (charts inline).
 */
void report_tables_md(FILE *f, const report_tables *t, const report_charts *charts);
void report_tables_html(FILE *f, const report_tables *t, const report_charts *charts);
/* One table as CSV (RFC 4180 quoting); the file is "<table->name>.csv". */
void report_tables_csv(FILE *f, const report_table *table);

#endif
