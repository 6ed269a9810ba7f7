/* harness/runner.h — runs a suite: sources x lengths x heads x masks x precisions x
 * workloads on every selected backend device, verifies each case against the float64
 * reference, times it, and collects the records (harness/record.h) results.c writes.
 * Reports its progress through a callback; never prints.
 * Called by `efbench run` and `efbench tune` (cli/) and by the tests.
 */
#ifndef EF_RUNNER_H
#define EF_RUNNER_H

#include <stdint.h>

#include "backends/backend.h"
#include "harness/record.h"

/* What the engine tells its caller while it runs (cli/progress.c shows it). */
typedef enum {
    EF_EVENT_PEAK,    /* a device's peaks were measured, or failed: device, ok, seconds, msg */
    EF_EVENT_CASE,    /* a case record was added: c (run->cases holds it too)                */
    EF_EVENT_INPUT,   /* a group's float64 reference was built: input, on_devices           */
    EF_EVENT_CAPTURE, /* a model's forward pass finished a layer: label, layer, layers, n,  */
                      /* seconds                                                             */
    EF_EVENT_DONE,    /* the last case ran                                                   */
} ef_event_kind;

typedef struct ef_event {
    ef_event_kind kind;
    const ef_run *run;
    const ef_case *c;      /* CASE */
    const ef_input *input; /* INPUT */
    int device;            /* PEAK: index into run->devices */
    int ok;                /* PEAK: measured (1) or failed (0) */
    double seconds;        /* PEAK: time it took; CAPTURE: since the pass started */
    const char *msg;       /* PEAK: why it failed; CAPTURE: the text's name (may be NULL) */
    int layer, layers, n;  /* CAPTURE: layers done of all, tokens */
    int resumed;           /* CASE, INPUT: the record was read back from the checkpoint */
} ef_event;

typedef void (*ef_progress_fn)(void *user, const ef_event *ev);

typedef struct ef_run_config {
    const char *suite;      /* a name under suites/ or a file path */
    const char *backends;   /* comma list; NULL: every backend compiled in */
    const char *device;     /* selector: name substring, index, or type; NULL: all */
    const char *precisions; /* comma list overriding the suite's; NULL: the suite's */
    int has_seed;
    uint64_t seed;           /* overrides the suite's when has_seed */
    ef_fault fault;          /* tests only: inject a defect into every device run */
    int max_block_rows;      /* tests only: split E into blocks of at most this many rows */
    double max_memory;       /* --max-memory: bytes a case group may hold (reference, device
                              * buffers); sizes the field's row blocks. 0: a safe share of
                              * the host's and the device's memory (case_run.c) */
    ef_progress_fn progress; /* optional: told of every peak, case, input and capture step */
    void *progress_user;
    const char *model; /* --model: overrides the suite's `model` */
    const char *text;  /* --text: overrides the suite's `texts` */
    const char *qk;    /* --qk: imported Q/K (safetensors) replaces the suite's sources */
    int measure_peak;  /* measure each device's peaks first (harness/peak.h); efbench run
                        * does unless --no-peak, the tests' runs do not */
    int shard_index, shard_count;     /* --shard I/N: run only the case groups the plan gives
                                       * shard I - 1 of N (harness/plan.h); count 0: every group */
    struct ef_checkpoint *checkpoint; /* optional (harness/checkpoint.h): every record is
                                       * appended to it, and what it holds from an earlier session
                                       * is taken as it is instead of run again */
} ef_run_config;

/* Run the suite. EF_OK when it ran (cases may still fail: see run->counts); EF_ERROR for
 * bad input (unknown backend or device, suite that does not parse) with err filled, or
 * when the checkpoint cannot be written. runner_run = runner_open, runner_execute,
 * runner_close; `efbench run` calls them apart, to make its folder ready in between. */
int runner_run(const ef_run_config *cfg, ef_run *run, ef_error *err);
/* The suite cfg names with cfg's overrides (--seed, --precision, --qk) applied: what the
 * run will walk, for `efbench plan`. */
int runner_suite_load(const ef_run_config *cfg, ef_suite *suite, ef_error *err);
void runner_free(ef_run *run);

typedef struct ef_runner ef_runner;
/* Everything that can be refused before work: the suite, the overrides, the devices (opened)
 * and every source (opened once). *out is NULL on failure. */
int runner_open(const ef_run_config *cfg, ef_run *run, ef_runner **out, ef_error *err);
/* The plan of the opened run (its units, shards and estimates), for what `efbench run`
 * prints before the work. */
const struct ef_plan *runner_plan(const ef_runner *r);
/* The work: peaks (or the checkpoint's), then every case. */
int runner_execute(ef_runner *r, ef_error *err);
/* Close the devices; NULL is fine. run keeps its records (runner_free). */
void runner_close(ef_runner *r);

/* Select and open the devices cfg names (backends, device selector) into run->devices and
 * open[] (32 slots); an unknown backend, a named backend without devices, or a selector
 * matching nothing is EF_ERROR. Used by runner_run and `efbench tune`. */
int runner_devices_open(const ef_run_config *cfg, ef_run *run, ef_device **open, ef_error *err);
void runner_devices_close(ef_run *run, ef_device **open);

#endif
