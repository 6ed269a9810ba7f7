/* harness/case_run.h — runs one case group (head x mask x precision) on one device and
 * hands each finished case record to the runner. See case_run.c.
 */
#ifndef EF_CASE_RUN_H
#define EF_CASE_RUN_H

#include "harness/reference.h"
#include "harness/runner.h"
#include "harness/timing.h"

typedef struct ef_group_plan {
    const ef_workload *workloads; /* in the order to run them (workload_order: providers
                                     colenergy and gram before leverage) */
    int workload_count;
    ef_fault fault;
    ef_timing_plan timing;
    int max_block_rows; /* 0: as many rows as the device's largest buffer holds */
    double max_memory;  /* bytes the group may hold; 0: case_run_memory_budget's default */
} ef_group_plan;

/* What a group on a device of `info` may hold when --max-memory does not say, leaving room
 * for everything else: half of a GPU's memory; on a host device (type cpu), whose buffers
 * share the host with the float64 reference, a quarter of the host's. */
double case_run_memory_budget(const ef_device_info *info);

typedef int (*case_emit_fn)(void *ctx, const ef_case *c);

/* Runs every workload of plan; `tmpl` carries the fields common to the group (device,
 * source, n, d, mask, precision ...). Returns the first non-EF_OK from emit. */
int case_group_run(const ef_backend *be, ef_device *dev, const ef_device_info *info,
                   const ef_reference *ref, const ef_group_plan *plan, const ef_case *tmpl,
                   case_emit_fn emit, void *emit_ctx);

#endif
