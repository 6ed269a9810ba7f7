/* harness/runner.h — runs a suite: sources x lengths x heads x masks x precisions x
 * workloads on every selected backend device, verifies each case against the float64
 * reference, times it, and collects the records the reporter writes.
 * Called by `efbench run` (harness/cmd_run.c) and by the tests.
 */
#ifndef EF_RUNNER_H
#define EF_RUNNER_H

#include <stdint.h>

#include "backends/backend.h"
#include "harness/suite.h"
#include "harness/verify.h"

typedef enum { EF_CASE_PASS, EF_CASE_FAIL, EF_CASE_UNSUPPORTED, EF_CASE_ERROR } ef_case_status;
const char *ef_case_status_name(ef_case_status s);

/* One device the run used, with what the report needs to name it. */
typedef struct ef_run_device {
    const ef_backend *backend;
    int index;
    ef_device_info info;
} ef_run_device;

/* One result record (one row of every output table). */
typedef struct ef_case {
    int device;                 /* index into ef_run.devices */
    ef_workload workload;
    char variant[32];           /* "" for the default */
    char path[64];              /* what the backend says ran */
    char note[128];             /* the backend's remark on it (why a faster path is off), or "" */
    ef_mask mask;
    ef_precision precision;
    int n, d;
    char source[64], text[128];
    int layer, head, kv_head;
    uint64_t seed;
    ef_timing time;             /* median/min/max/reps; reps 0 when not timed */
    double gflops, gbps;        /* from the workload table and the median; < 0 if none */
    ef_accuracy accuracy;
    ef_invariants invariants;   /* measured on the device's own output */
    ef_invariants reference;    /* the same, from the float64 reference */
    ef_case_status status;
    char reasons[1024];         /* "; "-separated */
} ef_case;

/* One input head under one mask and precision, with the invariants of its float64
 * reference: the statistics a paper reports. Every group whose reference was built has
 * one, whether or not its head also ran on the devices (suite key device_heads). */
typedef struct ef_input {
    char source[64], text[128];
    int layer, head, kv_head;   /* -1 for synthetic heads */
    int n, d;
    ef_mask mask;
    ef_precision precision;
    uint64_t seed;
    int on_devices;             /* 1 if the devices ran this group */
    ef_invariants inv;          /* of the float64 reference */
} ef_input;

typedef struct ef_run {
    ef_suite suite;
    ef_run_device devices[32];
    int device_count;
    char absent[1024];          /* backends that found no device, with why ("; "-separated) */
    ef_case *cases;
    int case_count, case_cap;
    int counts[4];              /* by ef_case_status */
    ef_input *inputs;
    int input_count, input_cap;
} ef_run;

enum { EF_PROGRESS_NONE, EF_PROGRESS_TERMINAL, EF_PROGRESS_LINES };

typedef struct ef_run_config {
    const char *suite;          /* a name under suites/ or a file path */
    const char *backends;       /* comma list; NULL: every backend compiled in */
    const char *device;         /* selector: name substring, index, or type; NULL: all */
    const char *precisions;     /* comma list overriding the suite's; NULL: the suite's */
    int has_seed;
    uint64_t seed;              /* overrides the suite's when has_seed */
    ef_fault fault;             /* tests only: inject a defect into every device run */
    int max_block_rows;         /* tests only: split E into blocks of at most this many rows */
    int progress;               /* EF_PROGRESS_*: how to show progress on stderr */
    const char *model;          /* --model: overrides the suite's `model` */
    const char *text;           /* --text: overrides the suite's `texts` */
    const char *qk;             /* --qk: imported Q/K (safetensors) replaces the suite's sources */
    int measure_peak;           /* measure each device's peaks first (harness/peak.h); efbench run
                                 * does unless --no-peak, the tests' runs do not */
} ef_run_config;

/* Run the suite. EF_OK when it ran (cases may still fail: see run->counts); EF_ERROR for
 * bad input (unknown backend or device, suite that does not parse) with err filled. */
int runner_run(const ef_run_config *cfg, ef_run *run, ef_error *err);
void runner_free(ef_run *run);

/* Select and open the devices cfg names (backends, device selector) into run->devices and
 * open[] (32 slots); an unknown backend, a named backend without devices, or a selector
 * matching nothing is EF_ERROR. Used by runner_run and `efbench tune`. */
int runner_devices_open(const ef_run_config *cfg, ef_run *run, ef_device **open, ef_error *err);
void runner_devices_close(ef_run *run, ef_device **open);

#endif
