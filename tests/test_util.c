/* tests/test_util.c — see test_util.h. A program whose every test was skipped exits 77,
 * which meson reports as a skip. */
#include "test_util.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ef_test_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

void ef_test_require_device(const char *backend)
{
    const ef_backend *be = ef_backend_find(backend);
    ef_error err = {{0}};
    int count = be ? be->device_count(&err) : 0;
    if (count > 0) return;
    const char *why = be ? (*err.msg ? err.msg : "no device") : "backend not built into this efbench";
    if (ef_test_in_ci()) cr_assert_fail("CI=true and the %s backend has no device: %s", backend, why);
    cr_skip_test("the %s backend has no device: %s", backend, why);
}

const char *ef_test_suite_path(const char *name)
{
    static char path[1024];
    const char *dir = getenv("EF_TEST_SUITE_DIR");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/suites", name);
    return path;
}

uint64_t ef_test_seed(void)
{
    const char *s = getenv("EF_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 20261128;
    cr_log_info("seed %" PRIu64 " (set EF_TEST_SEED to change)", seed);
    return seed;
}

void ef_test_head(const char *kind, int n, int d, uint64_t seed, ef_head *out)
{
    ef_source src;
    ef_error err = {{0}};
    ef_source_args args = {.seed = seed, .d = d, .heads = 1};
    cr_assert_eq(source_open(kind, &args, &src, &err), EF_OK, "%s", err.msg);
    ef_head *heads;
    int count;
    cr_assert_eq(source_heads(&src, n, &heads, &count, &err), EF_OK, "%s", err.msg);
    *out = heads[0];
    free(heads); /* the head's arrays now belong to *out */
    source_close(&src);
}

/* Every test skipped (no device outside CI): tell meson with exit status 77. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (stats->nb_tests > 0 && stats->tests_skipped == stats->nb_tests) exit(77);
}
