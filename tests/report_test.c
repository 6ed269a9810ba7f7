/* tests/report_test.c — `efbench report` end to end on the hand-written results of two
 * "machines" (tests/data/report/): the exact cells of the Markdown tables, one device
 * merged across files, a noisy and a failing cell marked, CSV, bad inputs refused with
 * exit 2 and one line naming the problem (nothing written), charts drawn by gnuplot as
 * well-formed SVG inline in the HTML, skipped with a message without gnuplot, and a chart
 * with one point refused. Runs the executable named by EF_BENCH_EXE (meson test).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/results_load.h"
#include "test_util.h"

static char dir[256], data[1024], file_a[1100], file_b[1100];

static void setup(void)
{
    ef_test_scratch_make(dir, sizeof dir, "report");
    /* the fixtures sit beside the test suites: tests/data/report */
    snprintf(data, sizeof data, "%s/../data/report", ef_test_suite_path(""));
    snprintf(file_a, sizeof file_a, "%s/machine-a/results.json", data);
    snprintf(file_b, sizeof file_b, "%s/machine-b/results.json", data);
}

static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);

/* `ENV efbench report ARGS` in dir (test_util.h); a file of dir, whole; whether it exists. */
static int report(const char *env, const char *args)
{
    char full[4200]; /* callers build args in up to 4096 bytes */
    snprintf(full, sizeof full, "report %s", args);
    return ef_test_efbench(dir, env, full);
}

static char *slurp(const char *name) { return ef_test_read(dir, name); }
static int exists(const char *name) { return ef_test_exists(dir, name); }

static void expect_in(const char *file, const char *needle)
{
    char *text = slurp(file);
    cr_assert(text, "%s was not written", file);
    cr_expect(strstr(text, needle), "%s lacks the line\n%s\n--- it holds:\n%s", file, needle, text);
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static int gnuplot_on_path(void) { return system("command -v gnuplot >/dev/null 2>&1") == 0; }

Test(report, markdown_cells)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s' --out '%s/out'", file_a, file_b, dir);
    cr_assert_eq(report("EF_GNUPLOT=/nonexistent/gnuplot", args), 0, "stderr: %s", slurp("stderr"));
    /* GPU X is in both files (same backend, name, driver, host CPU): one column; GPU Y its own */
    expect_in("out/report.md",
              "| workload | mask | prec | n | d | D1 cpu | D2 opencl | D3 vulkan |\n");
    expect_in(
        "out/report.md",
        "| D2 | opencl | Test GPU X | driver 1.0 | 1.2 | Test CPU 16-Core | 1000 | 200 | 2 |\n");
    expect_in("out/report.md",
              "| D3 | vulkan | Test GPU Y | driver 2.0 | 1.2 | Test CPU 16-Core | — | — | 1 |\n");
    /* medians over the inputs, % of the measured peak (B's peak for GPU X), pass counts */
    expect_in("out/report.md",
              "| energy | full | fp32 | 256 | 64 | 45 GFLOP/s (45% of peak) · 0.9 ms · pass 2/2 "
              "| 250 GFLOP/s (30% of peak) · 0.175 ms · pass 2/2 |  |\n");
    /* noisy (3.0 .. 4.0 ms around 3.5) and a failed case, marked */
    expect_in("out/report.md",
              "| energy | full | fp32 | 1024 | 64 | 60 GFLOP/s (60% of peak) · 3.5 ms · pass 1/1 † "
              "| **315 GFLOP/s (33% of peak) · 0.575 ms · FAIL: 1/2 pass** |  |\n");
    expect_in("out/report.md", "†: a case's time spread (max − min) / median exceeds 0.10.");
    /* a memory-bound workload against the bandwidth peak; no peak known: no % */
    expect_in(
        "out/report.md",
        "| rowsum | full | fp32 | 256 | 64 | 2.6 GFLOP/s (50% of peak GB/s) · 0.05 ms · pass 1/1 |");
    expect_in("out/report.md",
              "| energy | full | bf16 | 256 | 64 |  |  | 100 GFLOP/s · 0.4 ms · pass 1/1 |\n");
    /* accuracy, residuals, inputs (B's "inputs" merged with A's derived from cases) */
    expect_in("out/report.md", "| D2 | energy | fp32 | 4 | 2.00e-03 | 1.00e-07 |\n");
    expect_in("out/report.md", "| D3 | energy | bf16 | 1 | 4.00e-03 | 4.00e-03 |\n");
    expect_in("out/report.md", "| D1 | fp32 | 1.50e-07 / 2.50e-05 | — | — |\n");
    expect_in("out/report.md", "| gaussian | — | full | 256 | 2 | 0.500 | 3 |\n");
    expect_in("out/report.md", "| tinymodel | gpl3 | full | 512 | 4 | 0.400 | 3.25 |\n");
    /* provenance: each file with its commit, time, host and devices' drivers */
    char line[2048];
    snprintf(
        line, sizeof line,
        "| %s | v0.1-7-gabc1234 | 2026-11-21T12:30:00Z | Test CPU 16-Core, 16 cores, Debian GNU/Linux "
        "12 (bookworm), other kernel | report-fixture | 4 (4 pass, 0 fail, 0 unsupported, 0 error) | "
        "D2 (driver 1.0), D3 (driver 2.0) |\n",
        file_b);
    expect_in("out/report.md", line);
    char *md = slurp("out/report.md");
    cr_expect(!strstr(md, "| D4 |"), "a device was split in two");
    cr_expect(strstr(slurp("stdout"), "3 devices"));
    cr_expect_eq(system("ls -a /tmp/efbench-report-*/out | grep -q '\\.tmp$'") == 0, 0,
                 "a temporary file was left");
}

/* A directory is searched recursively and gives the same report as its files. */
Test(report, directory_same_as_files)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s' --out '%s/files'", file_a, file_b, dir);
    cr_assert_eq(report("EF_GNUPLOT=/nonexistent/gnuplot", args), 0, "stderr: %s", slurp("stderr"));
    snprintf(args, sizeof args, "'%s' '%s' --out '%s/dir'", data, file_a, dir);
    cr_assert_eq(report("EF_GNUPLOT=/nonexistent/gnuplot", args), 0, "stderr: %s", slurp("stderr"));
    char *a = slurp("files/report.md"), *b = slurp("dir/report.md");
    cr_assert(a && b);
    cr_expect_str_eq(a, b);
}

Test(report, csv_one_file_per_table)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s' --format csv --out '%s/out'", file_a, file_b, dir);
    cr_assert_eq(report("EF_GNUPLOT=/nonexistent/gnuplot", args), 0, "stderr: %s", slurp("stderr"));
    cr_expect(!exists("out/report.md") && !exists("out/report.html"), "csv only was asked for");
    expect_in("out/throughput.csv",
              "workload,variant,mask,precision,n,d,device,backend,device_name,cases,pass,failed,");
    expect_in(
        "out/throughput.csv",
        "\nenergy,,full,fp32,1024,64,D1,cpu,Test CPU 16-Core,1,1,0,0,60,8,3.5,0.6,FLOP/s,1,0.2857\n");
    expect_in(
        "out/throughput.csv",
        "\nenergy,,full,fp32,1024,64,D2,opencl,Test GPU X,2,1,1,0,315,42,0.575,0.33,FLOP/s,0,");
    expect_in("out/accuracy.csv", "\nD2,energy,fp32,4,2.00e-03,1.00e-07\n");
    expect_in("out/devices.csv", "\nD3,vulkan,Test GPU Y,driver 2.0,1.2,Test CPU 16-Core,,,1\n");
    cr_expect(exists("out/inputs.csv") && exists("out/invariants.csv") &&
              exists("out/provenance.csv"));
}

/* Each bad input: exit 2, one line on stderr naming the file and the problem, nothing written. */
static void expect_refused(const char *args, const char *needle, const char *needle2)
{
    char full[4096];
    snprintf(full, sizeof full, "%s --out '%s/out'", args, dir);
    cr_assert_eq(report("", full), 2, "'%s' did not exit 2; stderr: %s", args, slurp("stderr"));
    char *err = slurp("stderr");
    cr_expect(strstr(err, needle), "stderr '%s' lacks '%s'", err, needle);
    if (needle2) cr_expect(strstr(err, needle2), "stderr '%s' lacks '%s'", err, needle2);
    cr_expect(strchr(err, '\n') == err + strlen(err) - 1, "stderr is not one line: '%s'", err);
    cr_expect(!exists("out"), "a report was written for a bad input");
}

Test(report, bad_inputs)
{
    char args[4096], path[512];
    write_file("broken.json",
               "{\"format\": \"efbench-results\", \"format_version\": 1, \"cases\": [\n");
    snprintf(args, sizeof args, "'%s/broken.json'", dir);
    expect_refused(args, "broken.json: not JSON", NULL);

    write_file("other.json", "{\"format\": \"other-tool-results\", \"format_version\": 1}\n");
    snprintf(args, sizeof args, "'%s' '%s/other.json'", file_a, dir);
    expect_refused(args, "other.json: not an efbench results file", "other-tool-results");

    /* machine A's file, but format_version 2 */
    char cmd[2048];
    snprintf(
        cmd, sizeof cmd,
        "mkdir -p '%s/v2' && sed 's/\"format_version\": 1/\"format_version\": 2/' '%s' > '%s/v2/results.json'",
        dir, file_a, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(args, sizeof args, "'%s/v2/results.json'", dir);
    expect_refused(args, "v2/results.json: format_version 2 was written by a newer efbench", NULL);
    snprintf(args, sizeof args, "'%s' '%s/v2'", file_b, dir);
    expect_refused(args, "cannot merge results of different format versions",
                   "v2/results.json has format_version 2");

    snprintf(path, sizeof path, "%s/empty", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(args, sizeof args, "'%s'", path);
    expect_refused(args, "empty: empty directory, no results.json", NULL);
    snprintf(path, sizeof path, "%s/nothing", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    write_file("nothing/summary.md", "# not results\n");
    snprintf(args, sizeof args, "'%s'", path);
    expect_refused(args, "nothing: no results.json in this directory", NULL);

    expect_refused("", "no result files given", NULL);
    expect_refused("/nonexistent/results.json", "/nonexistent/results.json: No such file", NULL);
    snprintf(args, sizeof args, "'%s' --format pdf", file_a);
    expect_refused(args, "--format 'pdf'", NULL);
}

static int count_svgs(const char *sub, char names[][256], int max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    cr_assert(d, "cannot open %s", path);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".svg") && n < max)
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

Test(report, charts_with_gnuplot)
{
    if (!gnuplot_on_path()) {
        if (ef_test_in_ci())
            cr_assert_fail(
                "CI=true and gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)");
        cr_skip_test("gnuplot is not installed");
    }
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s' --format md,html --out '%s/out'", file_a, file_b, dir);
    cr_assert_eq(report("", args), 0, "stderr: %s", slurp("stderr"));
    char names[64][256];
    int n = count_svgs("out", names, 64);
    cr_expect_geq(n, 5, "only %d charts drawn", n);
    for (int i = 0; i < n; i++) {
        char cmd[1024];
        snprintf(
            cmd, sizeof cmd,
            "if command -v xmllint >/dev/null; then xmllint --noout '%s/out/%s'; "
            "else python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '%s/out/%s'; fi",
            dir, names[i], dir, names[i]);
        cr_expect_eq(system(cmd), 0, "%s is not well-formed XML", names[i]);
    }
    char *html = slurp("out/report.html");
    cr_assert(html);
    int inline_svgs = 0;
    for (char *p = html; (p = strstr(p, "<svg")); p++) inline_svgs++;
    cr_expect_eq(inline_svgs, n, "%d charts inline in the HTML, %d .svg files", inline_svgs, n);
    cr_expect(strstr(html, "<td class=\"fail\">"), "the failing cell is not marked in the HTML");
    expect_in(
        "out/report.md",
        "![Throughput: energy, full mask (median GFLOP/s over the inputs)](throughput-energy-full.svg)");
    expect_in("out/report.md",
              "mu_K by layer and head: tinymodel, full mask, n = 512 (largest length");
    cr_expect(exists("out/heatmap-mu-tinymodel.svg") && exists("out/inputs-mu-tinymodel.svg"));
    /* one length only: refused, and said */
    expect_in("stdout",
              "chart throughput-energy-causal.svg not drawn: fewer than 2 points (only n = 256)\n");
    expect_in(
        "stdout",
        "chart accuracy-leverage.svg not drawn: fewer than 2 points (only precision = fp32)\n");
    expect_in(
        "out/report.md",
        "- Throughput: energy, causal mask (median GFLOP/s over the inputs): fewer than 2 points "
        "(only n = 256)\n");
    cr_expect(!exists("out/throughput-energy-causal.svg"), "a one-point chart was drawn");
}

static void expect_charts_skipped(const char *env, const char *why)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s' --format md,html,csv --out '%s/out'", file_a, file_b,
             dir);
    cr_assert_eq(report(env, args), 0, "stderr: %s", slurp("stderr"));
    expect_in("stdout", why);
    expect_in("out/report.md", why);
    expect_in("out/report.html", why);
    expect_in("out/report.md", "| D2 | opencl | Test GPU X |");
    cr_expect(exists("out/throughput.csv"));
    char names[4][256];
    cr_expect_eq(count_svgs("out", names, 4), 0, "charts were written without gnuplot");
}

Test(report, charts_skipped_without_gnuplot)
{
    expect_charts_skipped("EF_GNUPLOT=/nonexistent/gnuplot",
                          "charts skipped: gnuplot not found (EF_GNUPLOT=/nonexistent/gnuplot)");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/out'", dir);
    cr_assert_eq(system(cmd), 0);
    expect_charts_skipped("PATH=/nonexistent", "charts skipped: gnuplot not found");
}

Test(report, help)
{
    cr_assert_eq(report("", "--help"), 0);
    expect_in("stdout", "--format");
}

/* A results.json of `count` distinct input heads (and no cases), written with jansson. */
static void write_inputs_file(const char *name, int count)
{
    json_t *inputs = json_array();
    for (int i = 0; i < count; i++)
        json_array_append_new(
            inputs, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:i,s:b,s:{s:f}}", "source",
                              "tiny", "model", "tiny", "text", "gpl3", "layer", i / 64, "head",
                              i % 64, "kv_head", 0, "n", 512, "d", 64, "mask", "full", "precision",
                              "fp32", "seed", 0, "on_devices", 0, "invariants", "mu_k", 1.5));
    json_t *doc = json_pack("{s:s,s:i,s:{s:s,s:s},s:s,s:{s:s},s:[],s:[],s:o}", "format",
                            "efbench-results", "format_version", 1, "tool", "name", "efbench",
                            "version", "test", "utc_time", "2026-12-03T00:00:00Z", "host", "cpu",
                            "test", "devices", "cases", "inputs", inputs);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
}

/* Merging is linear in the inputs: 100 000 input heads took 22 s when each new one was
 * compared with every one before it. Two files of the same N heads merge into N, with at
 * most one comparison per head (the one that finds its twin); the count is the merge's own
 * tally, so no clock is involved. */
Test(report, merge_is_linear_in_the_inputs)
{
    enum { N = 20000 };
    write_inputs_file("a.json", N);
    write_inputs_file("b.json", N);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    const char *paths[] = {a, b};
    ef_results r;
    ef_error err = {{0}};
    cr_assert_eq(results_load(paths, 2, &r, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(r.input_count, N, "the second file's heads are the first's");
    cr_assert_leq(r.merge_compares, 2LL * N, "%lld comparisons for 2 x %d heads", r.merge_compares,
                  N);
    results_free(&r);
}
