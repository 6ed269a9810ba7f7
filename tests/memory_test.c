/* tests/memory_test.c — --max-memory: a budget below the whole field splits it into row
 * blocks, every streamed workload still passes and ranktail, which needs the whole field,
 * says so; a budget the float64 reference alone exceeds is unsupported naming it; a bad
 * size is exit 2 before any work. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness/reference.h"
#include "test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "memory"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(memory, .init = setup, .fini = teardown, .timeout = 300);

/* results.json of `run --suite blocks.ini --backend cpu --max-memory BYTES` into dir/out */
static json_t *run_with(double bytes, const char *out)
{
    char args[1024], path[600];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --quiet --max-memory %.0f --out %s",
             ef_test_suite_path("blocks.ini"), bytes, out);
    int st = ef_test_efbench(dir, "", args);
    cr_assert(st == 0 || st == 1, "exit %d: %s", st, ef_test_read(dir, "stderr"));
    snprintf(path, sizeof path, "%s/%s/results.json", dir, out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s: %s", path, jerr.text);
    return doc;
}

static const char *status_of(json_t *c) { return json_string_value(json_object_get(c, "status")); }

Test(memory, budget_splits_the_field)
{
    int n = 1000, d = 16;
    /* the reference and the small buffers, then room for about half the field (4 MB) */
    double budget = reference_bytes(n, d, 32) + 4.0 * n * d * 8 + 8.0 * n * d * 4 + 0.5 * n * n * 4;
    json_t *doc = run_with(budget, "small");
    json_t *cases = json_object_get(doc, "cases");
    int ranktail = 0, passed = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *w = json_string_value(json_object_get(c, "workload"));
        if (!strcmp(w, "ranktail")) {
            ranktail++;
            cr_expect_str_eq(status_of(c), "unsupported", "ranktail ran on a field in row blocks");
            json_t *why = json_array_get(json_object_get(c, "reasons"), 0);
            cr_expect(why && strstr(json_string_value(why), "whole n x n field"));
        } else {
            cr_expect_str_eq(status_of(c), "pass", "%s %s: %s", w, json_string_value(json_object_get(c, "mask")),
                             json_dumps(json_object_get(c, "reasons"), 0));
            passed++;
        }
    }
    cr_expect_eq(ranktail, 1);
    cr_expect_eq(passed, 8, "energy, rowsum, colenergy under 2 masks, gram, leverage");
    json_decref(doc);
    /* without the budget the whole field fits and ranktail passes too */
    doc = run_with(1e10, "large");
    cases = json_object_get(doc, "cases");
    for (size_t i = 0; i < json_array_size(cases); i++)
        cr_expect_str_eq(status_of(json_array_get(cases, i)), "pass");
    json_decref(doc);
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
        snprintf(args, sizeof args, "run --suite quick --backend cpu --max-memory %s --out x", bad[i]);
        cr_expect_eq(ef_test_efbench(dir, "", args), 2, "%s", bad[i]);
        const char *err = ef_test_read(dir, "stderr");
        cr_expect(strstr(err, "--max-memory") && strchr(err, '\n')[1] == '\0', "%s", err);
    }
    cr_expect(!ef_test_exists(dir, "x"));
}
