/* harness/peak.c — the measured peaks of a run's devices through the backends'
 * measure_peak slots (see peak.h). The measuring itself is each backend's; this file only
 * calls it, stores the result and tells the caller what it did.
 */
#include "peak.h"

#include <stdio.h>
#include <string.h>

#include "core/host.h"

int peak_device_measure(const ef_backend *be, ef_device *dev, ef_device_info *info, ef_error *err)
{
    if (!be->measure_peak)
        return ef_fail(err, EF_UNSUPPORTED, "backend %s does not measure peaks", be->name);
    ef_peak p = {0};
    int rc = be->measure_peak(dev, &p, err);
    if (rc == EF_OK && !(p.gflops > 0 && p.gbps > 0))
        rc = ef_fail(err, EF_ERROR, "%s measured no peak (%g GFLOP/s, %g GB/s)", be->name, p.gflops,
                     p.gbps);
    if (rc != EF_OK) {
        info->peak_gflops = info->peak_gbps = 0;
        snprintf(info->peak_method, sizeof info->peak_method, "failed: %.86s", err->msg);
        return rc;
    }
    info->peak_gflops = p.gflops;
    info->peak_gbps = p.gbps;
    p.method[sizeof p.method - 1] = '\0';
    memcpy(info->peak_method, p.method, sizeof info->peak_method);
    return EF_OK;
}

int peak_measure_all(ef_run *run, ef_device **open, ef_progress_fn progress, void *user)
{
    int measured = 0;
    for (int i = 0; i < run->device_count; i++) {
        ef_run_device *d = &run->devices[i];
        if (!open[i] || !d->backend->measure_peak) continue;
        ef_error err = {{0}};
        double t0 = host_clock_ms();
        int rc = peak_device_measure(d->backend, open[i], &d->info, &err);
        if (rc == EF_OK) measured++;
        if (progress)
            progress(user, &(ef_event){.kind = EF_EVENT_PEAK,
                                       .run = run,
                                       .device = i,
                                       .ok = rc == EF_OK,
                                       .seconds = (host_clock_ms() - t0) / 1000.0,
                                       .msg = err.msg});
    }
    return measured;
}
