/* backends/host_peak.h — the measured peaks of the two CPU backends (cpu: sgemm, ref:
 * dgemm), behind their measure_peak slots. See host_peak.c.
 */
#ifndef EF_HOST_PEAK_H
#define EF_HOST_PEAK_H

#include "backends/backend.h"

typedef enum { HOST_PEAK_SGEMM, HOST_PEAK_DGEMM } host_peak_gemm;

/* The host's achievable GEMM rate in the backend's own arithmetic (OpenBLAS sgemm or
 * dgemm, n^3 with n = 1024, 2048 on a large machine) and its copy bandwidth (memcpy on
 * every core, working set twice the last-level cache); medians of 3. */
int host_peak_measure(host_peak_gemm kind, ef_peak *out, ef_error *err);

#endif
