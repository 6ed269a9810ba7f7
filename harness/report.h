/* harness/report.h — writes a finished run as results.json, results.csv and summary.md
 * (atomically), and builds the JSON document the CLI and tests read. Format:
 * results/README.md.
 */
#ifndef EF_REPORT_H
#define EF_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "harness/runner.h"

typedef struct ef_report_meta {
    const char *command_line;
    const char *utc_time;   /* ISO 8601, UTC */
} ef_report_meta;

json_t *report_json(const ef_run *run, const ef_report_meta *meta);
/* Create `dir` if needed and write the three files; none is visible until all are done. */
int report_write(const ef_run *run, const ef_report_meta *meta, const char *dir, ef_error *err);
void report_utc_now(char *buf, size_t len);
/* mkdir -p: create `path` and its missing parents (EF_ERROR naming the one that failed). */
int report_mkdir_p(const char *path, ef_error *err);
/* summary.md: provenance, throughput by device x workload x size, the inputs' invariants,
 * what did not pass (report_md.c). */
void report_markdown(FILE *f, const ef_run *run, const ef_report_meta *meta);
/* The "Invariants by model" sections: per model of the run's real heads, the mechanism
 * invariants' pass counts and the model-level distributions (report_paper.c). */
void report_paper_markdown(FILE *f, const ef_run *run);

#endif
