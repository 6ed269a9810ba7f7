/* backends/host_peak.c — measured peaks of the host for the cpu and ref backends: the
 * GEMM they run on (OpenBLAS sgemm for cpu, dgemm for ref: its accumulation is fp64) at
 * n = 1024 (2048 when that is too quick to time), and memory bandwidth as a memcpy split
 * over every core. Timed with the backends' monotonic clock: medians of 3 after a warm-up
 * (1 copy when one takes over 60 ms).
 * Called through the measure_peak slots of cpu_backend.c and ref_backend.c.
 */
#include "host_peak.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "core/sort.h"

#define HOST_PEAK_REPS 3
#define HOST_PEAK_MIB ((size_t)1 << 20)
#define HOST_PEAK_THREADS 64

/* One n^3 product C = A B, in milliseconds. */
static double host_gemm_once(host_peak_gemm kind, int n, const void *A, const void *B, void *C)
{
    double t0 = host_clock_ms();
    if (kind == HOST_PEAK_SGEMM)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f, C,
                    n);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
    return host_clock_ms() - t0;
}

/* GFLOP/s of the GEMM at n = 1024; at 2048 when a 1024 product takes under 10 ms. */
static int host_peak_gemm_rate(host_peak_gemm kind, double *gflops, int *n_out, ef_error *err)
{
    size_t es = kind == HOST_PEAK_SGEMM ? sizeof(float) : sizeof(double);
    for (int n = 1024;; n *= 2) {
        size_t count = (size_t)n * n;
        unsigned char *m = malloc(3 * count * es);
        if (!m)
            return ef_fail(err, EF_NOMEM, "peak: %zu bytes for three %d x %d matrices",
                           3 * count * es, n, n);
        for (size_t i = 0; i < 2 * count; i++) { /* A and B: small exact values */
            double v = (double)(i % 7) * 0.125 + 0.25;
            if (kind == HOST_PEAK_SGEMM) ((float *)m)[i] = (float)v;
            else ((double *)m)[i] = v;
        }
        void *A = m, *B = m + count * es, *C = m + 2 * count * es;
        double warm = host_gemm_once(kind, n, A, B, C), t[HOST_PEAK_REPS];
        if (warm < 10.0 && n < 2048) {
            free(m);
            continue;
        }
        for (int r = 0; r < HOST_PEAK_REPS; r++) t[r] = host_gemm_once(kind, n, A, B, C);
        free(m);
        double ms = ef_median_sort(t, HOST_PEAK_REPS);
        if (ms <= 0) return ef_fail(err, EF_ERROR, "peak: a %d^3 GEMM took no measurable time", n);
        *gflops = 2.0 * n * (double)n * n / (ms * 1e6);
        *n_out = n;
        return EF_OK;
    }
}

typedef struct host_copy_slice {
    unsigned char *dst;
    const unsigned char *src;
    size_t bytes;
} host_copy_slice;

static void *host_copy_thread(void *arg)
{
    host_copy_slice *s = arg;
    memcpy(s->dst, s->src, s->bytes);
    return NULL;
}

/* One copy of `bytes` split into `threads` slices, one thread each; ms, or < 0 if a
 * thread could not be started. */
static double host_copy_once(unsigned char *dst, const unsigned char *src, size_t bytes,
                             int threads)
{
    pthread_t tid[HOST_PEAK_THREADS];
    host_copy_slice s[HOST_PEAK_THREADS];
    size_t per = bytes / (size_t)threads / 64 * 64;
    int started = 0, ok = 1;
    double t0 = host_clock_ms();
    for (int i = 0; i < threads; i++) {
        size_t off = per * (size_t)i;
        s[i] = (host_copy_slice){dst + off, src + off, i == threads - 1 ? bytes - off : per};
        if (i == 0) continue; /* the caller's thread takes slice 0 */
        if (pthread_create(&tid[i], NULL, host_copy_thread, &s[i]) != 0) {
            ok = 0;
            break;
        }
        started = i;
    }
    if (ok) host_copy_thread(&s[0]);
    for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
    return ok ? host_clock_ms() - t0 : -1.0;
}

/* GB/s (bytes read + written) of a memcpy between two buffers of the last-level cache's
 * size (64 .. 256 MiB, at most 1/16 of memory: a copy streams through twice the cache,
 * which keeps none of it from one pass to the next), one thread per core. */
static int host_peak_copy_rate(double *gbps, size_t *bytes_out, int *threads_out, int *reps_out,
                               ef_error *err)
{
    long cache = sysconf(_SC_LEVEL3_CACHE_SIZE);
    size_t bytes =
        cache > 0 && (size_t)cache > 64 * HOST_PEAK_MIB ? (size_t)cache : 64 * HOST_PEAK_MIB;
    if (bytes > 256 * HOST_PEAK_MIB) bytes = 256 * HOST_PEAK_MIB;
    if (bytes > host_memory_bytes() / 16) bytes = (size_t)(host_memory_bytes() / 16);
    bytes = bytes / HOST_PEAK_MIB * HOST_PEAK_MIB;
    int threads = host_cpu_count();
    if (threads < 1) threads = 1;
    if (threads > HOST_PEAK_THREADS) threads = HOST_PEAK_THREADS;
    if (bytes == 0)
        return ef_fail(err, EF_UNSUPPORTED, "peak: too little memory for a copy buffer");
    unsigned char *src = malloc(bytes), *dst = malloc(bytes);
    int rc = EF_OK;
    if (!src || !dst) {
        rc = ef_fail(err, EF_NOMEM, "peak: two copy buffers of %zu bytes", bytes);
        goto cleanup;
    }
    memset(src, 1, bytes); /* touch the pages: untouched ones all map to one zero page */
    double t[HOST_PEAK_REPS];
    int ok = host_copy_once(dst, src, bytes, threads) >= 0; /* warm-up, touches dst */
    ok = ok && (t[0] = host_copy_once(dst, src, bytes, threads)) >= 0;
    int reps = ok && t[0] > 60.0 ? 1 : HOST_PEAK_REPS; /* a slow host still answers quickly */
    for (int r = 1; r < reps && ok; r++)
        ok = (t[r] = host_copy_once(dst, src, bytes, threads)) >= 0;
    if (!ok) {
        rc = ef_fail(err, EF_ERROR, "peak: could not start %d copy threads", threads);
        goto cleanup;
    }
    double ms = ef_median_sort(t, reps);
    if (ms <= 0) {
        rc = ef_fail(err, EF_ERROR, "peak: a copy of %zu bytes took no measurable time", bytes);
        goto cleanup;
    }
    *gbps = 2.0 * (double)bytes / (ms * 1e6);
    *bytes_out = bytes;
    *threads_out = threads;
    *reps_out = reps;
cleanup:
    free(dst);
    free(src);
    return rc;
}

int host_peak_measure(host_peak_gemm kind, ef_peak *out, ef_error *err)
{
    int n = 0, threads = 0, reps = 0, rc;
    size_t bytes = 0;
    if ((rc = host_peak_gemm_rate(kind, &out->gflops, &n, err))) return rc;
    if ((rc = host_peak_copy_rate(&out->gbps, &bytes, &threads, &reps, err))) return rc;
    snprintf(out->method, sizeof out->method,
             "%s %d^3 (OpenBLAS%s), memcpy %zu MiB x %d "
             "threads; medians of %d, %d",
             kind == HOST_PEAK_SGEMM ? "sgemm" : "dgemm", n,
             kind == HOST_PEAK_SGEMM ? "" : ", fp64", bytes / HOST_PEAK_MIB, threads,
             HOST_PEAK_REPS, reps);
    return EF_OK;
}
