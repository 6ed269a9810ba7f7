/* harness/peak.c — the measured peaks of a run's devices through the backends'
 * measure_peak slots (see peak.h). The measuring itself is each backend's; this file only
 * calls it, stores the result and says what it did.
 */
#include "peak.h"

#include <stdio.h>
#include <string.h>

#include "backends/hostmem.h"

int peak_device_measure(const ef_backend *be, ef_device *dev, ef_device_info *info, ef_error *err)
{
    if (!be->measure_peak)
        return ef_fail(err, EF_UNSUPPORTED, "backend %s does not measure peaks", be->name);
    ef_peak p = {0};
    int rc = be->measure_peak(dev, &p, err);
    if (rc == EF_OK && !(p.gflops > 0 && p.gbps > 0))
        rc = ef_fail(err, EF_ERROR, "%s measured no peak (%g GFLOP/s, %g GB/s)", be->name,
                     p.gflops, p.gbps);
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

int peak_measure_all(ef_run *run, ef_device **open, int quiet)
{
    int measured = 0;
    for (int i = 0; i < run->device_count; i++) {
        ef_run_device *d = &run->devices[i];
        if (!open[i] || !d->backend->measure_peak) continue;
        ef_error err = {{0}};
        double t0 = host_clock_ms();
        int rc = peak_device_measure(d->backend, open[i], &d->info, &err);
        double s = (host_clock_ms() - t0) / 1000.0;
        if (rc == EF_OK) measured++;
        if (quiet) continue;
        if (rc == EF_OK)
            fprintf(stderr, "peak: %s %d (%s): %.4g GFLOP/s, %.4g GB/s in %.2f s (%s)\n",
                    d->backend->name, d->index, d->info.name, d->info.peak_gflops,
                    d->info.peak_gbps, s, d->info.peak_method);
        else
            fprintf(stderr, "peak: %s %d (%s): not measured: %s\n", d->backend->name, d->index,
                    d->info.name, err.msg);
    }
    return measured;
}
