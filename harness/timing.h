/* harness/timing.h — the one timing protocol: warm up, then repetitions until a target
 * time and a minimum count, each repetition timed by the device's own timer; median, min,
 * max and the count. Called by the case runner.
 */
#ifndef EF_TIMING_H
#define EF_TIMING_H

#include "core/error.h"

/* Timing of one case (harness/timing.c). reps == 0: not timed. */
typedef struct ef_timing {
    double median_ms, min_ms, max_ms;
    int reps;
} ef_timing;

/* One repetition: run it and return the device time in *ms. */
typedef int (*timing_rep_fn)(void *ctx, double *ms, ef_error *err);

typedef struct ef_timing_plan {
    double warmup_s; /* wall-clock seconds of warm-up (at least one run) */
    double target_s; /* the timed repetitions last at least this long (wall clock) */
    int min_reps, max_reps;
} ef_timing_plan;

int timing_measure(const ef_timing_plan *plan, timing_rep_fn rep, void *ctx, ef_timing *out,
                   ef_error *err);

#endif
