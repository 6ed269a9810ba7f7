/* tests/fuzz/fuzz_results.c — libFuzzer target: any bytes as a results.json, through the
 * loader of `efbench report` and, when it is accepted, the report's tables rendered as
 * Markdown, HTML and CSV (to /dev/null; the gnuplot charts run an external program and are
 * left out). Errors are the expected outcome.
 */
#include <stdio.h>

#include "fuzz_util.h"
#include "report/report_charts.h"
#include "report/report_tables.h"
#include "report/results_load.h"

static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    if (fuzz_file_named(data, size, "results.json", path, sizeof path)) return 0;
    if (!sink) sink = fopen("/dev/null", "w");
    const char *paths[] = {path};
    ef_results r;
    ef_error err;
    if (results_load(paths, 1, &r, &err) == EF_OK) {
        report_tables t = {0};
        report_charts none = {0};
        if (report_tables_build(&r, &t, &err) == EF_OK && sink) {
            report_tables_md(sink, &t, &none);
            report_tables_html(sink, &t, &none);
            for (int i = 0; i < t.count; i++) report_tables_csv(sink, &t.table[i]);
        }
        report_tables_free(&t);
        results_free(&r);
    }
    return 0;
}
