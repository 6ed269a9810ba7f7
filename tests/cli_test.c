/* tests/cli_test.c — the efbench executable end to end: `run` writes JSON, CSV and
 * Markdown holding every documented field (results/README.md), exit statuses are 0 / 1 / 2
 * as documented, and bad input gives one clear line and writes nothing. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "cli"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 240);

/* `efbench ARGS` in dir (test_util.h); a file of dir, whole; whether it exists. */
static int efbench(const char *args) { return ef_test_efbench(dir, "", args); }
static char *slurp(const char *name) { return ef_test_read(dir, name); }
static int exists(const char *name) { return ef_test_exists(dir, name); }

/* A key holding a number (or, where `nullable`, null). */
static void expect_number(json_t *obj, const char *key, int nullable, const char *where)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(v, "%s: missing '%s'", where, key);
    cr_assert(json_is_number(v) || (nullable && json_is_null(v)), "%s: '%s' is not a number", where,
              key);
}

static void expect_string(json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_string(v) && *json_string_value(v), "%s: '%s' is not a non-empty string",
              where, key);
}

static void check_case(json_t *c, int i)
{
    char where[64];
    snprintf(where, sizeof where, "case %d", i);
    const char *strings[] = {"backend",   "device", "workload", "mask",
                             "precision", "source", "status"};
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
        expect_string(c, strings[k], where);
    expect_number(c, "n", 0, where);
    expect_number(c, "d", 0, where);
    expect_number(c, "seed", 0, where);
    expect_number(c, "gflops", 1, where);
    expect_number(c, "gbps", 1, where);
    cr_assert(json_is_array(json_object_get(c, "reasons")), "%s: reasons", where);
    const char *status = json_string_value(json_object_get(c, "status"));
    cr_assert(!strcmp(status, "pass") || !strcmp(status, "fail") ||
                  !strcmp(status, "unsupported") || !strcmp(status, "error"),
              "%s: status '%s'", where, status);
    json_t *t = json_object_get(c, "time_ms");
    cr_assert(json_is_object(t), "%s: time_ms", where);
    const char *tk[] = {"median", "min", "max", "reps"};
    for (int k = 0; k < 4; k++) expect_number(t, tk[k], 0, where);
    json_t *a = json_object_get(c, "accuracy");
    const char *ak[] = {"rel_fro_err", "max_abs_err", "bound_violations", "rows_checked",
                        "input_rel_err"};
    for (int k = 0; k < 5; k++) expect_number(a, ak[k], 1, where);
    json_t *v = json_object_get(c, "invariants");
    const char *vk[] = {"rowsum_rel", "rank_tail", "sv_rel_err", "pr_over_n", "v_max", "mu_k"};
    for (int k = 0; k < 6; k++) expect_number(v, vk[k], 1, where);
    json_t *ok = json_object_get(v, "bound_ok");
    cr_assert(json_is_boolean(ok) || json_is_null(ok), "%s: bound_ok", where);
    /* null exactly where the workload does not produce the invariant */
    const char *wl = json_string_value(json_object_get(c, "workload"));
    cr_assert_eq(json_is_number(json_object_get(v, "rank_tail")), strcmp(wl, "ranktail") == 0,
                 "%s: rank_tail", where);
    cr_assert_eq(json_is_number(json_object_get(v, "rowsum_rel")), strcmp(wl, "rowsum") == 0,
                 "%s: rowsum_rel", where);
    cr_assert_eq(json_is_number(json_object_get(v, "mu_k")), strcmp(wl, "leverage") == 0,
                 "%s: mu_k", where);
}

Test(cli, run_writes_every_field)
{
    char args[512];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --out '%s/out'",
             ef_test_suite_path("tiny.ini"), dir);
    cr_assert_eq(efbench(args), 0, "stderr: %s", slurp("stderr"));
    cr_assert(strstr(slurp("stdout"), "cases:"), "no summary printed");
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "results.json does not parse: %s", jerr.text);
    expect_number(doc, "format_version", 0, "header");
    expect_string(doc, "command_line", "header");
    expect_string(doc, "utc_time", "header");
    expect_string(json_object_get(doc, "tool"), "version", "tool");
    json_t *host = json_object_get(doc, "host");
    expect_string(host, "cpu", "host");
    expect_string(host, "os", "host");
    expect_number(host, "cores", 0, "host");
    expect_number(host, "memory_bytes", 0, "host");
    json_t *devices = json_object_get(doc, "devices");
    cr_assert_eq(json_array_size(devices), 1);
    const char *dk[] = {"backend", "name", "vendor", "driver_version", "api_version"};
    for (int k = 0; k < 5; k++) expect_string(json_array_get(devices, 0), dk[k], "device");
    json_t *cases = json_object_get(doc, "cases");
    cr_assert_gt(json_array_size(cases), 10);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        check_case(json_array_get(cases, i), (int)i);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(cases, i), "status")),
                         "pass");
    }
    /* the CSV has a header and one row per case; the Markdown names the device */
    char *csv = slurp("out/results.csv");
    cr_assert(csv);
    int lines = 0;
    for (char *p = csv; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, (int)json_array_size(cases) + 1);
    cr_assert(strstr(slurp("out/summary.md"), "| cpu |"), "summary.md lacks the device table");
    /* nothing half-written is left behind */
    cr_assert_eq(system("ls -a /tmp/efbench-cli-*/out | grep -q '\\.tmp$'") == 0, 0,
                 "a temporary file was left");
    json_decref(doc);
}

Test(cli, failing_check_exits_1)
{
    char args[512];
    snprintf(args, sizeof args,
             "run --suite '%s' --backend cpu --inject-fault mask-off-by-one --out '%s/out'",
             ef_test_suite_path("tiny.ini"), dir);
    cr_assert_eq(efbench(args), 1, "stderr: %s", slurp("stderr"));
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    cr_assert(doc);
    cr_assert_gt(json_integer_value(json_object_get(json_object_get(doc, "summary"), "fail")), 0);
    json_decref(doc);
}

/* Each bad input: exit 2, one line on stderr naming the problem, no results written. */
static void expect_usage_error(const char *args, const char *needle)
{
    char full[1024];
    snprintf(full, sizeof full, "%s --out '%s/out'", args, dir);
    cr_assert_eq(efbench(full), 2, "'%s' did not exit 2; stderr: %s", args, slurp("stderr"));
    char *err = slurp("stderr");
    cr_assert(strstr(err, needle), "stderr '%s' lacks '%s'", err, needle);
    cr_assert(strchr(err, '\n') == err + strlen(err) - 1, "stderr is not one line: '%s'", err);
    cr_assert(!exists("out"), "results were written for a bad input");
}

Test(cli, bad_inputs)
{
    char bad[512], args[1024];
    expect_usage_error("run --backend nosuch", "unknown backend 'nosuch'");
    expect_usage_error("run --suite /nonexistent/suite.ini", "/nonexistent/suite.ini");
    expect_usage_error("run --suite quick --device no-such-device", "no device matches");
    expect_usage_error("run --suite quick --precision fp8", "fp8");
    expect_usage_error("run --seed -4", "--seed");
    expect_usage_error("run --frobnicate", "frobnicate");
    snprintf(bad, sizeof bad, "%s/bad.ini", dir);
    FILE *f = fopen(bad, "w");
    fputs("[suite]\nname = bad\n[cases a]\nsources = gaussian\nlengths = 64, -3\n", f);
    fclose(f);
    snprintf(args, sizeof args, "run --suite '%s'", bad);
    expect_usage_error(args, "bad.ini:5:");
}

Test(cli, devices_json)
{
    cr_assert_eq(efbench("devices --json"), 0);
    json_t *doc = json_loads(slurp("stdout"), 0, NULL);
    cr_assert(doc, "devices --json is not JSON");
    json_t *backends = json_object_get(doc, "backends");
    int found = 0;
    for (size_t i = 0; i < json_array_size(backends); i++) {
        json_t *b = json_array_get(backends, i);
        const char *name = json_string_value(json_object_get(b, "name"));
        if (!strcmp(name, "ref") || !strcmp(name, "cpu")) {
            found++;
            cr_assert_eq(json_array_size(json_object_get(b, "devices")), 1);
        }
        /* a backend without devices says why */
        if (json_array_size(json_object_get(b, "devices")) == 0)
            expect_string(b, "absent_reason", name);
    }
    cr_assert_eq(found, 2);
    json_decref(doc);
}

Test(cli, help)
{
    cr_assert_eq(efbench("run --help"), 0);
    cr_assert(strstr(slurp("stdout"), "--suite"));
    cr_assert_eq(efbench("--help"), 0);
    cr_assert(strstr(slurp("stdout"), "devices"));
    cr_assert_eq(efbench("frobnicate"), 2);
}

/* A suite whose model is not there fails before any case runs: exit 2, nothing written. */
Test(cli, missing_model_is_an_input_error)
{
    char suite[512], cache[512], args[1024];
    snprintf(suite, sizeof suite, "%s/real.ini", dir);
    snprintf(cache, sizeof cache, "%s/empty-cache", dir);
    FILE *f = fopen(suite, "w");
    fputs("[cases synthetic]\nsources = gaussian\nlengths = 64\n"
          "[cases real]\nsources = model\nmodel = default\ntexts = gpl3\nlengths = 64\n",
          f);
    fclose(f);
    setenv("XDG_CACHE_HOME", cache, 1);
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu", suite);
    expect_usage_error(args, "fetch-default-model.sh");
    unsetenv("XDG_CACHE_HOME");
}
