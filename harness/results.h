/* harness/results.h — writes a finished run as results.json and results.csv, with any
 * further files the caller renders (summary.md: report/summary.h), all atomically, and
 * builds the JSON document the CLI and tests read. Format: results/README.md.
 */
#ifndef EF_RESULTS_H
#define EF_RESULTS_H

#include <jansson.h>
#include <stdio.h>

#include "harness/record.h"

typedef struct ef_results_meta {
    const char *command_line;
    const char *utc_time; /* ISO 8601, UTC */
} ef_results_meta;

/* A further file of the results folder, rendered by a layer above the engine. */
typedef struct ef_results_file {
    const char *name; /* "summary.md" */
    void (*write)(FILE *f, const ef_run *run, const ef_results_meta *meta);
} ef_results_file;

json_t *results_json(const ef_run *run, const ef_results_meta *meta);
/* One case record / input record as results.json holds it (results/README.md). */
json_t *results_case_json(const ef_run *run, const ef_case *c);
json_t *results_input_json(const ef_input *in);
/* And back (the checkpoint, harness/checkpoint.c): every field, so that a record read back
 * writes the same JSON, CSV and Markdown; EF_ERROR naming the first field that is missing
 * or malformed. device_id must be below device_count. */
int results_case_parse(json_t *obj, int device_count, ef_case *c, ef_error *err);
int results_input_parse(json_t *obj, ef_input *in, ef_error *err);
/* Create `dir` if needed and write results.json, results.csv and the `extra_count` extra
 * files; none is visible until all are done (temporary names, renamed at the end). */
int results_write(const ef_run *run, const ef_results_meta *meta, const char *dir,
                  const ef_results_file *extra, int extra_count, ef_error *err);
void results_utc_now(char *buf, size_t len);
/* mkdir -p: create `path` and its missing parents (EF_ERROR naming the one that failed). */
int results_mkdir_p(const char *path, ef_error *err);

#endif
