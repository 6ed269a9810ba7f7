/* tests/test_util.h — helpers every Criterion test program shares: device requirements
 * (skip without a device, fail under CI=true), suite paths, the seed, and a scratch
 * folder for the tests that run the efbench executable. */
#ifndef EF_TEST_UTIL_H
#define EF_TEST_UTIL_H

#include <stdint.h>

#include "harness/runner.h"
#include "harness/source.h"
#include "harness/workload.h"

/* 1 when the environment says CI=true: a missing device is then a failure. */
int ef_test_in_ci(void);
/* Skip the calling test when `backend` is not built or finds no device; fail in CI. */
void ef_test_require_device(const char *backend);
/* Path of tests/suites/NAME (EF_TEST_SUITE_DIR). */
const char *ef_test_suite_path(const char *name);
/* The seed of the tests' random inputs: EF_TEST_SEED, else a fixed default; logged. */
uint64_t ef_test_seed(void);
/* A synthetic head from the registered generators (gaussian, sink, lowrank ...). */
void ef_test_head(const char *kind, int n, int d, uint64_t seed, ef_head *out);

/* Expect no case failed or errored (naming the first that did), and that every workload x
 * precision passed with the default kernel, under every mask for the workloads that read
 * a masked field (gram, ranktail and leverage are full-field only). */
void ef_test_expect_suite_passes(const ef_run *run);
/* colenergy and ranktail through the generic launch of backend.h (wl_colenergy,
 * wl_ranktail; EF_GENERIC_LAUNCH=1), colenergy under every mask, in row blocks of 64
 * (n = 77, 200), fp32 and bf16: every case passes the verifier and names the generic path. */
void ef_test_expect_generic_launch(const char *backend);
/* Run masked energy (causal, window:8; n = 64, d = 32) in `precisions` on `backend` with
 * the off-by-one mask fault; the caller checks that verification failed. */
void ef_test_run_mask_fault(const char *backend, const char *precisions, ef_run *run);

/* A device of `backend` opened directly, with seeded inputs: q (n x d fp32), k = q/2 + 1/4
 * (keys with an offset), e (n x n fp32) and out (2 d^2 + 2 n floats). */
typedef struct ef_test_fixture {
    const ef_backend *b;
    ef_device *dev;
    ef_buffer *q, *k, *e, *out;
    ef_buffer_bytes bytes; /* what each buffer holds (aux: none) */
    ef_dtype out_dtype;
    int n, d;
} ef_test_fixture;

void ef_test_fixture_open(ef_test_fixture *f, const char *backend, int n, int d, uint32_t seed);
void ef_test_fixture_close(ef_test_fixture *f);
/* Run op on the fixture's device as the engine does: the harness's layout check
 * (workload_op_check), then the backend's run. */
int ef_test_fixture_run(const ef_test_fixture *f, const ef_op *op, ef_run_result *res,
                        ef_error *err);
/* Energy computed in uneven row blocks equals the whole field bit for bit, under full,
 * causal and window masks, with exact zeros where the mask hides a key. */
void ef_test_expect_row_blocks_match(const char *backend);
/* `tune` writes the backend's cache folder under a fresh XDG_CACHE_HOME (with a file of
 * each suffix, NULL-terminated list or NULL), and a reopened device runs the tuned path. */
void ef_test_expect_tune_cached(const char *backend, const char *const *suffixes);
/* Energy ops the fixture's buffers cannot hold (n too large, rows past n) are EF_ERROR
 * naming the buffer, an unknown variant EF_UNSUPPORTED: codes, never a crash. */
void ef_test_expect_bad_energy_refused(ef_test_fixture *f);
/* An fp32 energy op on the fixture's buffers, scale 1/8. */
ef_op ef_test_energy_op(const ef_test_fixture *f, ef_mask mask, int row0, int rows);

/* A test's scratch folder: made fresh as /tmp/efbench-STEM-XXXXXX (dir holds len bytes),
 * removed with its files, which also frees every text ef_test_read returned. */
void ef_test_scratch_make(char *dir, size_t len, const char *stem);
void ef_test_scratch_remove(const char *dir);
/* `ENV efbench ARGS` (EF_BENCH_EXE, set by meson test) run in DIR, stdout and stderr in
 * DIR/stdout and DIR/stderr; the exit status (the test fails if it did not exit). */
int ef_test_efbench(const char *dir, const char *env, const char *args);
/* DIR/NAME whole, or NULL when missing; owned by the scratch folder (do not free). */
char *ef_test_read(const char *dir, const char *name);
int ef_test_exists(const char *dir, const char *name);

#endif
