/* report/report_charts.h — the charts of `efbench report`, drawn by gnuplot (terminal
 * svg) from the merged results: throughput vs n per device, accuracy vs precision, input
 * invariants vs length per text, a layer x head map of mu_K. Runs gnuplot as a
 * subprocess in a temporary directory; the caller writes the SVG text it hands back.
 * Called by cmd_report.c; report_tables.c lists the charts in the md and HTML pages.
 */
#ifndef EF_REPORT_CHARTS_H
#define EF_REPORT_CHARTS_H

#include "report/results_load.h"

typedef struct report_chart {
    char name[128]; /* file name in the output folder, e.g. throughput-energy-full.svg */
    char title[256];
    char *svg;      /* the SVG document; NULL when the chart was not drawn */
    char skip[256]; /* why it was not drawn (when svg is NULL) */
} report_chart;

typedef struct report_charts {
    int drawn;        /* charts with an SVG */
    char status[320]; /* "" when gnuplot ran; else e.g. "charts skipped: gnuplot not found" */
    report_chart *chart;
    int count;
} report_charts;

/* Draw every chart the results allow. gnuplot is $EF_GNUPLOT when set, else `gnuplot` on
 * PATH; when it is missing, out->status says so and no chart is drawn (EF_OK). A chart
 * with fewer than 2 points is not drawn; its `skip` says why. EF_ERROR only when the
 * temporary files cannot be written (err says why). */
int report_charts_make(const ef_results *r, report_charts *out, ef_error *err);
void report_charts_free(report_charts *c);

#endif
