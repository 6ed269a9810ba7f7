/* harness/timing.c — see timing.h. Wall clock decides how many repetitions to run; the
 * figures reported are the device times each repetition returned.
 */
#include "timing.h"

#include <stdlib.h>

#include "core/host.h"
#include "core/sort.h"

int timing_measure(const ef_timing_plan *plan, timing_rep_fn rep, void *ctx, ef_timing *out,
                   ef_error *err)
{
    double ms, start = host_clock_ms();
    int rc;
    *out = (ef_timing){0};
    do { /* warm-up: caches, clocks, lazily built kernels */
        if ((rc = rep(ctx, &ms, err)) != EF_OK) return rc;
    } while (host_clock_ms() - start < plan->warmup_s * 1e3);

    int cap = plan->max_reps, count = 0;
    double *t = malloc(sizeof(double) * cap);
    if (!t) return ef_fail(err, EF_NOMEM, "timing: out of memory");
    start = host_clock_ms();
    while (count < cap &&
           (count < plan->min_reps || host_clock_ms() - start < plan->target_s * 1e3)) {
        if ((rc = rep(ctx, &t[count], err)) != EF_OK) {
            free(t);
            return rc;
        }
        count++;
    }
    ef_sort_doubles(t, count);
    out->reps = count;
    out->min_ms = t[0];
    out->max_ms = t[count - 1];
    out->median_ms = count % 2 ? t[count / 2] : 0.5 * (t[count / 2 - 1] + t[count / 2]);
    free(t);
    return EF_OK;
}
