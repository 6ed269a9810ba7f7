/* report/results_load.h — reads results.json files written by `efbench run` (format:
 * results/README.md), refuses what is not one (another tool's JSON, another format
 * version), and merges any number of them into one set: devices identified across files,
 * every case, and the invariants of every input head. Tables and charts are left to
 * report_tables.c and report_charts.c; `efbench report` (cmd_report.c) calls it.
 */
#ifndef EF_RESULTS_LOAD_H
#define EF_RESULTS_LOAD_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* The format version this efbench reads. */
enum { RESULTS_FORMAT_VERSION = 1 };

/* The numeric invariants of a case's "invariants" / "reference" object and of an input's
 * "invariants" (results/README.md), in one array each; NAN where null. */
typedef enum {
    EF_INV_ROWSUM_REL,
    EF_INV_ROWSUM_BOUND,
    EF_INV_RANK_TAIL,
    EF_INV_RANK_TAIL_BOUND,
    EF_INV_SV_REL_ERR,
    EF_INV_SV_REL_BOUND,
    EF_INV_PR_OVER_N,
    EF_INV_V_MAX,
    EF_INV_MU_K,
    EF_INV_RANK_K,
    EF_INV_SRANK,
    EF_INV_BOUND_SLACK,
    EF_INV_COUNT
} ef_inv;
/* The JSON key of each ef_inv. */
extern const char *const results_inv_names[EF_INV_COUNT];

/* One merged file. Strings point into the file's JSON document (kept in ef_results);
 * "" where the file has none. */
typedef struct ef_result_file {
    char *path; /* as found (a directory's results.json included) */
    const char *tool_version, *utc_time, *command_line, *suite;
    const char *host_cpu, *host_os;
    int host_cores;
    int cases, pass, fail, unsupported, error;
    int has_inputs; /* it had a top-level "inputs" array */
} ef_result_file;

/* One device, merged across files: the same backend, device name, driver version and host
 * CPU is the same device. */
typedef struct ef_result_device {
    const char *backend, *name, *vendor, *driver, *api, *type, *host;
    double peak_gflops, peak_gbps; /* largest measured over its files; NAN unknown */
    int files;                     /* how many files it appears in */
} ef_result_device;

typedef struct ef_result_case {
    int file, device; /* indexes into files[] and devices[] */
    const char *workload, *variant, *mask, *precision, *source, *text, *status;
    int n, d;
    double ms, ms_min, ms_max;        /* time_ms median / min / max; NAN when not timed */
    double gflops, gbps, rel_fro_err; /* NAN when null */
    double peak_gflops, peak_gbps;    /* of this file's device entry; NAN unknown */
    double inv[EF_INV_COUNT];         /* "invariants": measured on the device's output */
} ef_result_case;

/* One input head (the top-level "inputs", or derived from cases[].reference). */
typedef struct ef_result_input {
    const char *source, *model, *text, *mask, *precision; /* model, text: "" when null */
    int layer, head, kv_head, n, d;                       /* -1 when null */
    uint64_t seed;
    double inv[EF_INV_COUNT];
} ef_result_input;

typedef struct ef_results {
    ef_result_file *files;
    ef_result_device *devices;
    ef_result_case *cases;
    ef_result_input *inputs;
    int file_count, device_count, case_count, input_count;
    json_t **docs; /* the parsed documents the strings point into */
    int doc_count;
    long long merge_compares; /* input records compared while merging: the merge's
                               * work, linear in the inputs (tests check it) */
} ef_results;

/* Load and merge `count` paths: results.json files, or directories searched recursively
 * for files named results.json. A path given twice (or a file inside a directory also
 * given) is read once. On any problem returns EF_ERROR with one line in err naming the
 * file and what is wrong (not JSON, another tool's JSON, format_version not 1 or differing
 * between files, a directory without results.json, no paths), and *out is empty. */
int results_load(const char *const *paths, int count, ef_results *out, ef_error *err);
void results_free(ef_results *r);

/* Median of the finite values of v[0..count) (NAN when none); reorders v. */
double results_median(double *v, int count);
/* Rank of a workload / mask / precision name for sorting: the documented order first
 * (energy .. leverage; full, causal, window:W by W; fp32, fp16, bf16), unknown names after. */
int results_workload_rank(const char *name);
long results_mask_rank(const char *name);
int results_precision_rank(const char *name);

#endif
