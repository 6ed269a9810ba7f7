/* harness/peak.h — the measured peaks of the devices a run uses: each backend's optional
 * measure_peak, stored in the device's ef_device_info (peak_gflops, peak_gbps,
 * peak_method) so reports can give throughput as a share of the device's own peak.
 * Called by runner_run (when the config says measure_peak) and `efbench devices --peak`.
 */
#ifndef EF_PEAK_H
#define EF_PEAK_H

#include "backends/backend.h"
#include "harness/runner.h" /* ef_run, ef_progress_fn */

/* Measure the open device `dev` of backend `be` into info. EF_OK with the three fields
 * set; EF_UNSUPPORTED when the backend has no measure_peak (info untouched); else the
 * backend's code with err filled and info->peak_method "failed: <why>" (peaks 0). */
int peak_device_measure(const ef_backend *be, ef_device *dev, ef_device_info *info, ef_error *err);

/* Measure every device of `run` (open[i] is run->devices[i] opened). Backends without the
 * slot are skipped; a device whose measurement fails keeps peaks 0 with the reason in
 * peak_method: a peak is context, never a reason to stop a run. Each device measured, or
 * failed, is an EF_EVENT_PEAK to `progress` (may be NULL). Returns the number measured. */
int peak_measure_all(ef_run *run, ef_device **open, ef_progress_fn progress, void *user);

#endif
