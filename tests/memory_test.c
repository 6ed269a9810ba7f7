/* tests/memory_test.c — --max-memory: a budget below the whole field splits it into row
 * blocks and every workload still passes, ranktail too (streamed by subtraction) on every
 * backend, while a field in one buffer keeps ranktail's direct form; a budget the float64
 * reference alone exceeds is unsupported naming it; a bad size is exit 2 before any work. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "harness/reference.h"
#include "test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "memory"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(memory, .init = setup, .fini = teardown, .timeout = 300);

/* results.json of `run --suite blocks.ini --backend BACKEND --max-memory BYTES` into dir/out */
static json_t *run_on(const char *backend, double bytes, const char *out)
{
    char args[1024], path[600];
    snprintf(args, sizeof args,
             "run --suite '%s' --backend %s --no-peak --quiet --max-memory %.0f --out %s",
             ef_test_suite_path("blocks.ini"), backend, bytes, out);
    int st = ef_test_efbench(dir, "", args);
    cr_assert(st == 0 || st == 1, "exit %d: %s", st, ef_test_read(dir, "stderr"));
    snprintf(path, sizeof path, "%s/%s/results.json", dir, out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s: %s", path, jerr.text);
    return doc;
}

static json_t *run_with(double bytes, const char *out) { return run_on("cpu", bytes, out); }

static const char *status_of(json_t *c) { return json_string_value(json_object_get(c, "status")); }

/* the reference, the small buffers and the backend's own scratch (backend.h), then room
 * for about half the field (4 MB) of blocks.ini */
static double half_field_budget(const char *backend)
{
    int n = 1000, d = 16;
    const ef_backend *be = ef_backend_find(backend);
    ef_device *dev;
    ef_error err = {{0}};
    cr_assert(be, "%s", backend);
    cr_assert_eq(be->device_open(0, &dev, &err), EF_OK, "%s", err.msg);
    double scratch = be->scratch_bytes ? be->scratch_bytes(dev, n, d) : 0;
    be->device_close(dev);
    return reference_bytes(n, d, 32) + 4.0 * n * d * 8 + 8.0 * n * d * 4 + scratch +
           0.5 * n * n * 4;
}

static json_t *ranktail_case(json_t *doc)
{
    json_t *cases = json_object_get(doc, "cases"), *found = NULL;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        if (!strcmp(json_string_value(json_object_get(c, "workload")), "ranktail")) {
            cr_expect_null(found, "two ranktail cases");
            found = c;
        }
    }
    cr_assert(found, "no ranktail case");
    return found;
}

static double inv_of(json_t *c, const char *key)
{
    return json_number_value(json_object_get(json_object_get(c, "invariants"), key));
}

Test(memory, budget_splits_the_field)
{
    json_t *doc = run_with(half_field_budget("cpu"), "small");
    json_t *cases = json_object_get(doc, "cases");
    int passed = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *w = json_string_value(json_object_get(c, "workload"));
        cr_expect_str_eq(status_of(c), "pass", "%s %s: %s", w,
                         json_string_value(json_object_get(c, "mask")),
                         json_dumps(json_object_get(c, "reasons"), 0));
        passed++;
    }
    cr_expect_eq(passed, 9, "energy, rowsum, colenergy under 2 masks, gram, ranktail, leverage");
    json_decref(doc);
    /* without the budget the whole field fits and everything passes too */
    doc = run_with(1e10, "large");
    cases = json_object_get(doc, "cases");
    for (size_t i = 0; i < json_array_size(cases); i++)
        cr_expect_str_eq(status_of(json_array_get(cases, i)), "pass");
    json_decref(doc);
}

/* ranktail on `backend`: in row blocks it runs the streamed form (OpenCL's row-block
 * launcher, Vulkan's generic kernel) and passes against its O(sqrt u) bound; with the
 * field in one buffer it keeps the direct form: the whole-field launcher (`direct_path`)
 * and the direct bound, which is O(u), far below the streamed one. */
static void expect_ranktail_streamed(const char *backend, const char *blocked_path,
                                     const char *direct_path) /* paths: their beginnings */
{
    ef_test_require_device(backend);
    char out[64];
    snprintf(out, sizeof out, "%s-small", backend);
    json_t *doc = run_on(backend, half_field_budget(backend), out);
    json_t *c = ranktail_case(doc);
    cr_expect_str_eq(status_of(c), "pass", "%s: %s", backend,
                     json_dumps(json_object_get(c, "reasons"), 0));
    const char *got = json_string_value(json_object_get(c, "path"));
    cr_expect(strncmp(got, blocked_path, strlen(blocked_path)) == 0, "%s ran %s", backend, got);
    double blocked_bound = inv_of(c, "rank_tail_bound");
    cr_expect(inv_of(c, "rank_tail") <= blocked_bound, "%s", backend);
    json_decref(doc);
    snprintf(out, sizeof out, "%s-large", backend);
    doc = run_on(backend, 1e10, out);
    c = ranktail_case(doc);
    cr_expect_str_eq(status_of(c), "pass", "%s: %s", backend,
                     json_dumps(json_object_get(c, "reasons"), 0));
    got = json_string_value(json_object_get(c, "path"));
    cr_expect(strncmp(got, direct_path, strlen(direct_path)) == 0 && !strstr(got, "block"),
              "%s ran %s", backend, got);
    cr_expect(inv_of(c, "rank_tail_bound") < 0.1 * blocked_bound,
              "%s: the direct form's bound %g, streamed %g", backend, inv_of(c, "rank_tail_bound"),
              blocked_bound);
    json_decref(doc);
}

Test(memory, ranktail_streamed_ref)
{
    expect_ranktail_streamed("ref", "float64-blas", "float64-blas");
}
Test(memory, ranktail_streamed_cpu)
{
    expect_ranktail_streamed("cpu", "sgemm-project", "sgemm-project");
}
Test(memory, ranktail_streamed_opencl)
{
    expect_ranktail_streamed("opencl", "ranktail-block-", "ranktail-");
}
Test(memory, ranktail_streamed_vulkan)
{
    expect_ranktail_streamed("vulkan", "generic-wl_ranktail", "ranktail-explicit");
}

Test(memory, budget_below_the_reference)
{
    json_t *doc = run_with(1e6, "tiny");
    json_t *cases = json_object_get(doc, "cases");
    cr_assert(json_array_size(cases) > 0);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        cr_expect_str_eq(status_of(c), "unsupported");
        json_t *why = json_array_get(json_object_get(c, "reasons"), 0);
        cr_expect(why && strstr(json_string_value(why), "--max-memory"), "%s", json_dumps(c, 0));
    }
    json_decref(doc);
}

Test(memory, bad_sizes)
{
    static const char *const bad[] = {"0", "-4G", "4Q", "G", "1e400", "4GBx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "run --suite quick --backend cpu --max-memory %s --out x",
                 bad[i]);
        cr_expect_eq(ef_test_efbench(dir, "", args), 2, "%s", bad[i]);
        const char *err = ef_test_read(dir, "stderr");
        cr_expect(strstr(err, "--max-memory") && strchr(err, '\n')[1] == '\0', "%s", err);
    }
    cr_expect(!ef_test_exists(dir, "x"));
}
