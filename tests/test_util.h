/* tests/test_util.h — helpers every Criterion test program shares: device requirements
 * (skip without a device, fail under CI=true), suite paths, the seed. */
#ifndef EF_TEST_UTIL_H
#define EF_TEST_UTIL_H

#include <stdint.h>

#include "harness/runner.h"
#include "harness/source.h"

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

#endif
