/* harness/record.h — what a run produces: the devices it used, one record per case (one
 * row of every output table) and one per input head (the invariants of its float64
 * reference). Filled by the runner, written by results.c, rendered by report/.
 */
#ifndef EF_RECORD_H
#define EF_RECORD_H

#include <stdint.h>

#include "backends/backend.h"
#include "harness/suite.h"
#include "harness/timing.h"
#include "harness/verify.h"

typedef enum { EF_CASE_PASS, EF_CASE_FAIL, EF_CASE_UNSUPPORTED, EF_CASE_ERROR } ef_case_status;
static inline const char *ef_case_status_name(ef_case_status s)
{
    static const char *const names[] = {"pass", "fail", "unsupported", "error"};
    return (unsigned)s < 4 ? names[s] : "?";
}

/* One device the run used, with what the report needs to name it. */
typedef struct ef_run_device {
    const ef_backend *backend;
    int index;
    ef_device_info info;
} ef_run_device;

/* One result record (one row of every output table). */
typedef struct ef_case {
    int device; /* index into ef_run.devices */
    ef_workload workload;
    char variant[32]; /* "" for the default */
    char path[64];    /* what the backend says ran */
    char note[128];   /* the backend's remark on it (why a faster path is off), or "" */
    ef_mask mask;
    ef_precision precision;
    int n, d;
    char source[64], text[128];
    int layer, head, kv_head;
    uint64_t seed;
    ef_timing time;      /* median/min/max/reps; reps 0 when not timed */
    double gflops, gbps; /* from the workload table and the median; < 0 if none */
    ef_accuracy accuracy;
    ef_invariants invariants; /* measured on the device's own output */
    ef_invariants reference;  /* the same, from the float64 reference */
    ef_case_status status;
    char reasons[1024]; /* "; "-separated */
} ef_case;

/* One input head under one mask and precision, with the invariants of its float64
 * reference: the statistics a paper reports. Every group whose reference was built has
 * one, whether or not its head also ran on the devices (suite key device_heads). */
typedef struct ef_input {
    char source[64], text[128];
    int layer, head, kv_head; /* -1 for synthetic heads */
    int n, d;
    ef_mask mask;
    ef_precision precision;
    uint64_t seed;
    int on_devices;    /* 1 if the devices ran this group */
    ef_invariants inv; /* of the float64 reference */
} ef_input;

typedef struct ef_run {
    ef_suite suite;
    ef_run_device devices[32];
    int device_count;
    char absent[1024]; /* backends that found no device, with why ("; "-separated) */
    ef_case *cases;
    int case_count, case_cap;
    int counts[4]; /* by ef_case_status */
    ef_input *inputs;
    int input_count, input_cap;
    int shard_index, shard_count; /* --shard I/N: I - 1 and N; shard_count 0: not sharded */
    char plan_hash[17];           /* the plan's (harness/plan.h): shards of one run share it */
    char sweep[64];               /* what ties the shards of one sharded run together (a SLURM
                                   * array's job id), "" when unknown: set by the caller */
} ef_run;

#endif
