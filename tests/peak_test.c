/* tests/peak_test.c — measured peaks: every backend with a device measures a positive
 * fp32 FMA rate and copy bandwidth with a method; harness/peak.c stores them (or why not)
 * in the run's device info and skips backends without the slot. No timing threshold: a
 * check "the cpu sgemm peak >= its energy kernel's GFLOP/s at n = 256" was tried and
 * dropped, as on a loaded 2-core machine the two-thread peak fell to 43 GFLOP/s against
 * 34 for the small (less threaded) kernel: it can flake. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/peak.h"
#include "test_util.h"

/* measure_peak on every device of `backend` (skipped without one, failing under CI):
 * positive and finite figures and a method. */
static void expect_backend_peaks(const char *backend)
{
    ef_test_require_device(backend);
    const ef_backend *be = ef_backend_find(backend);
    cr_assert_not_null(be);
    cr_assert_not_null(be->measure_peak, "%s has no measure_peak", backend);
    ef_error err = {{0}};
    int count = be->device_count(&err);
    for (int i = 0; i < count; i++) {
        ef_device *dev = NULL;
        cr_assert_eq(be->device_open(i, &dev, &err), EF_OK, "%s %d: %s", backend, i, err.msg);
        ef_peak p = {0};
        int rc = be->measure_peak(dev, &p, &err);
        be->device_close(dev);
        cr_assert_eq(rc, EF_OK, "%s %d: %s", backend, i, err.msg);
        cr_log_info("%s %d: %.4g GFLOP/s, %.4g GB/s (%s)", backend, i, p.gflops, p.gbps, p.method);
        cr_expect(isfinite(p.gflops) && p.gflops > 0, "%s %d: %g GFLOP/s", backend, i, p.gflops);
        cr_expect(isfinite(p.gbps) && p.gbps > 0, "%s %d: %g GB/s", backend, i, p.gbps);
        cr_expect(p.method[0] != '\0' && memchr(p.method, '\0', sizeof p.method),
                  "%s %d: no method", backend, i);
    }
}

Test(peak, ref) { expect_backend_peaks("ref"); }
Test(peak, cpu) { expect_backend_peaks("cpu"); }
Test(peak, opencl) { expect_backend_peaks("opencl"); }
Test(peak, vulkan) { expect_backend_peaks("vulkan"); }

/* ---- harness/peak.c on stand-in backends: no slot, a failing slot ------------------- */

static int fake_peak_fail(ef_device *dev, ef_peak *out, ef_error *err)
{
    (void)dev, (void)out;
    return ef_fail(err, EF_ERROR, "the stand-in cannot measure");
}

Test(peak, harness_skips_and_reports_failures)
{
    static const ef_backend none = {.name = "none"},
                            failing = {.name = "failing", .measure_peak = fake_peak_fail};
    ef_run *run = calloc(1, sizeof *run);
    cr_assert_not_null(run);
    ef_device *open[32] = {(ef_device *)&none, (ef_device *)&failing}; /* never dereferenced */
    run->devices[0].backend = &none;
    run->devices[1].backend = &failing;
    run->devices[1].info.peak_gflops = 5; /* a failure clears stale values */
    run->device_count = 2;
    cr_expect_eq(peak_measure_all(run, open, NULL, NULL), 0);
    cr_expect_str_empty(run->devices[0].info.peak_method);
    cr_expect_eq(run->devices[0].info.peak_gflops, 0);
    cr_expect_eq(run->devices[1].info.peak_gflops, 0);
    cr_expect_str_eq(run->devices[1].info.peak_method, "failed: the stand-in cannot measure");
    free(run);
}

Test(peak, harness_fills_run_devices)
{
    ef_run *run = calloc(1, sizeof *run);
    ef_device *open[32] = {0};
    ef_error err = {{0}};
    cr_assert_not_null(run);
    ef_run_config cfg = {.backends = "ref,cpu"};
    cr_assert_eq(runner_devices_open(&cfg, run, open, &err), EF_OK, "%s", err.msg);
    cr_expect_eq(peak_measure_all(run, open, NULL, NULL), run->device_count);
    for (int i = 0; i < run->device_count; i++) {
        const ef_device_info *f = &run->devices[i].info;
        cr_expect_gt(f->peak_gflops, 0, "%s", run->devices[i].backend->name);
        cr_expect_gt(f->peak_gbps, 0, "%s", run->devices[i].backend->name);
        cr_expect(strstr(f->peak_method,
                         strcmp(run->devices[i].backend->name, "ref") ? "sgemm" : "dgemm"),
                  "%s: %s", run->devices[i].backend->name, f->peak_method);
    }
    runner_devices_close(run, open);
    free(run);
}
