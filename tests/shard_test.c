/* tests/shard_test.c — sharded runs: the quick suite run as 3 shards and merged holds the
 * case set and verdicts of the unsharded run with the same seed, each shard a complete
 * results folder that records its shard and the suite's hash; the plan is deterministic,
 * covers every group once and is balanced within one group of the best split; report
 * refuses a shard missing, twice there or from another suite version (one line, exit 2);
 * bad --shard / --shards are exit 2 before any work, and --dry-run does no work; the
 * SLURM task script maps the task's GPU to --device, resumes a requeued shard and passes a
 * failed case as success (with a stand-in efbench: no GPU or SLURM needed).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report/results_load.h"
#include "test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "shard"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(shard, .init = setup, .fini = teardown, .timeout = 600);

static int efbench(const char *args) { return ef_test_efbench(dir, "", args); }

/* The stderr of the last command: exactly one line, holding `needle`. */
static void expect_one_line(const char *needle)
{
    const char *err = ef_test_read(dir, "stderr");
    cr_assert(err, "no stderr");
    cr_expect(strstr(err, needle), "stderr lacks '%s': %s", needle, err);
    const char *nl = strchr(err, '\n');
    cr_expect(nl && nl[1] == '\0', "stderr is not one line: %s", err);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One string per case: what identifies it and its verdict, sorted. */
static char **case_keys(const char *const *paths, int count, int *n)
{
    ef_results r;
    ef_error err = {{0}};
    cr_assert_eq(results_load(paths, count, &r, &err), EF_OK, "%s", err.msg);
    char **keys = calloc((size_t)r.case_count + 1, sizeof *keys);
    for (int i = 0; i < r.case_count; i++) {
        const ef_result_case *c = &r.cases[i];
        char buf[512];
        snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%s|%s|%d|%d|%s", r.devices[c->device].backend,
                 c->workload, c->variant, c->mask, c->precision, c->source, c->text, c->n, c->d,
                 c->status);
        keys[i] = strdup(buf);
    }
    *n = r.case_count;
    results_free(&r);
    qsort(keys, (size_t)*n, sizeof *keys, key_cmp);
    return keys;
}

static json_t *load_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s: %s", path, jerr.text);
    return doc;
}

Test(shard, quick_merged_equals_unsharded)
{
    const char *common = "--suite quick --backend ref,cpu --no-peak --quiet --seed 11";
    char args[512];
    snprintf(args, sizeof args, "run %s --out whole", common);
    cr_assert_eq(efbench(args), 0, "%s", ef_test_read(dir, "stderr"));
    for (int i = 1; i <= 3; i++) {
        snprintf(args, sizeof args, "run %s --shard %d/3 --out s%d", common, i, i);
        cr_assert_eq(efbench(args), 0, "shard %d: %s", i, ef_test_read(dir, "stderr"));
        char name[64];
        snprintf(name, sizeof name, "s%d/results.json", i);
        json_t *doc = load_json(name), *whole = load_json("whole/results.json");
        char want[16];
        snprintf(want, sizeof want, "%d/3", i);
        cr_expect_str_eq(json_string_value(json_object_get(doc, "shard")), want);
        cr_expect_str_eq(
            json_string_value(json_object_get(json_object_get(doc, "suite"), "sha256")),
            json_string_value(json_object_get(json_object_get(whole, "suite"), "sha256")));
        cr_expect(json_array_size(json_object_get(doc, "cases")) > 0, "shard %d ran nothing", i);
        cr_expect(ef_test_exists(dir, name) &&
                  strstr(ef_test_read(dir, "s1/summary.md"), "- shard: 1/3"));
        json_decref(doc), json_decref(whole);
    }
    char whole_path[512], shard_path[3][512];
    snprintf(whole_path, sizeof whole_path, "%s/whole", dir);
    const char *shards[3];
    for (int i = 0; i < 3; i++)
        snprintf(shard_path[i], sizeof shard_path[i], "%s/s%d", dir, i + 1),
            shards[i] = shard_path[i];
    int nw, ns;
    const char *w[] = {whole_path};
    char **kw = case_keys(w, 1, &nw), **ks = case_keys(shards, 3, &ns);
    cr_assert_eq(ns, nw, "merged shards hold %d cases, the unsharded run %d", ns, nw);
    for (int i = 0; i < nw; i++) cr_assert_str_eq(ks[i], kw[i], "case %d differs", i);
    for (int i = 0; i < nw; i++) free(kw[i]), free(ks[i]);
    free(kw), free(ks);
    /* and report merges them as one run */
    cr_expect_eq(efbench("report s1 s2 s3 --out rep"), 0, "%s", ef_test_read(dir, "stderr"));
    cr_expect(strstr(ef_test_read(dir, "stdout"), "3 files"));
}

/* Two shards of tiny.ini into s1, s2 (and the suite at dir/suite.ini). */
static void tiny_shards(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/suite.ini'", ef_test_suite_path("tiny.ini"), dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(
        efbench("run --suite suite.ini --backend cpu --no-peak --quiet --shard 1/2 --out s1"), 0);
    cr_assert_eq(
        efbench("run --suite suite.ini --backend cpu --no-peak --quiet --shard 2/2 --out s2"), 0);
}

Test(shard, report_refuses_incomplete_sets)
{
    tiny_shards();
    cr_expect_eq(efbench("report s1 --out r1"), 2);
    expect_one_line("shard 2/2 of suite tiny is missing");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp -r '%s/s2' '%s/s2again'", dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(efbench("report s1 s2 s2again --out r2"), 2);
    expect_one_line("shard 2/2 of suite tiny is there twice");
    /* the suite edited between shards: another version */
    snprintf(cmd, sizeof cmd, "echo '; edited' >> '%s/suite.ini'", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(
        efbench("run --suite suite.ini --backend cpu --no-peak --quiet --shard 2/2 --out s2new"),
        0);
    cr_expect_eq(efbench("report s1 s2new --out r3"), 2);
    expect_one_line("is from another version of suite tiny");
    /* another seed */
    cr_assert_eq(
        efbench(
            "run --suite suite.ini --backend cpu --no-peak --quiet --seed 99 --shard 1/2 --out s1seed"),
        0);
    cr_expect_eq(efbench("report s1seed s2new --out r4"), 2);
    expect_one_line("with seed");
    cr_expect_eq(efbench("report s1 s2 --out r5"), 0, "%s", ef_test_read(dir, "stderr"));
}

Test(shard, plan_deterministic_complete_balanced)
{
    cr_assert_eq(efbench("plan --suite quick --shards 3 --json"), 0, "%s",
                 ef_test_read(dir, "stderr"));
    char *first = strdup(ef_test_read(dir, "stdout"));
    cr_assert_eq(efbench("plan --suite quick --shards 3 --json"), 0);
    cr_expect_str_eq(ef_test_read(dir, "stdout"), first, "two plans of one suite differ");
    json_error_t jerr;
    json_t *doc = json_loads(first, 0, &jerr);
    cr_assert(doc, "plan --json: %s", jerr.text);
    free(first);
    json_t *groups = json_object_get(doc, "groups");
    double load[3] = {0}, largest = 0, total = 0;
    int count[3] = {0};
    for (size_t i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        int s = (int)json_integer_value(json_object_get(g, "shard"));
        double sec = json_real_value(json_object_get(g, "seconds"));
        cr_assert(s >= 1 && s <= 3, "group %zu in shard %d", i, s);
        load[s - 1] += sec, count[s - 1]++, total += sec;
        if (sec > largest) largest = sec;
        cr_expect(json_real_value(json_object_get(g, "flops")) > 0 &&
                  json_real_value(json_object_get(g, "bytes")) > 0);
    }
    /* quick: 3 sources x 2 lengths x 3 masks x 3 precisions + 3 x 2 masks */
    cr_expect_eq(json_array_size(groups), 60);
    /* largest first to the least loaded: no shard exceeds the mean by more than one group */
    for (int s = 0; s < 3; s++) {
        cr_expect(count[s] > 0, "shard %d is empty", s + 1);
        cr_expect(load[s] <= total / 3 + largest * (1 + 1e-12), "shard %d: %g s of %g", s + 1,
                  load[s], total);
    }
    json_decref(doc);
    cr_expect_eq(efbench("plan --suite quick"), 0);
    cr_expect(strstr(ef_test_read(dir, "stdout"), "estimate:"));
}

Test(shard, bad_input_and_dry_run)
{
    static const struct {
        const char *args, *says;
    } bad[] = {
        {"run --suite quick --backend cpu --shard 0/3", "I must be from 1 to N"},
        {"run --suite quick --backend cpu --shard 4/3", "I must be from 1 to N"},
        {"run --suite quick --backend cpu --shard two", "expected I/N"},
        {"run --suite quick --backend cpu --shard 1/0", "N must be"},
        {"run --suite quick --backend cpu --shard 1/1000 --out x", "only 60 case groups"},
        {"plan --suite quick --shards 0", "--shards '0'"},
        {"plan --suite nosuchsuite", "nosuchsuite"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(efbench(bad[i].args), 2, "%s", bad[i].args);
        expect_one_line(bad[i].says);
    }
    cr_expect(!ef_test_exists(dir, "x"), "a refused run made its folder");
    cr_expect_eq(efbench("run --suite quick --backend cpu --no-peak --dry-run --out y"), 0);
    cr_expect(strstr(ef_test_read(dir, "stdout"), "estimate:"), "%s", ef_test_read(dir, "stdout"));
    cr_expect(!ef_test_exists(dir, "y"), "--dry-run made its folder");
}

/* The tasks of one SLURM array are one sharded run (results.json "sweep"), and two arrays
 * are two, even on the same devices. */
Test(shard, slurm_array_is_one_sweep)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/suite.ini'", ef_test_suite_path("tiny.ini"), dir);
    cr_assert_eq(system(cmd), 0);
    const char *run = "run --suite suite.ini --backend cpu --no-peak --quiet";
    char args[512];
    snprintf(args, sizeof args, "%s --shard 1/2 --out a1", run);
    cr_assert_eq(ef_test_efbench(dir, "SLURM_ARRAY_JOB_ID=41", args), 0);
    snprintf(args, sizeof args, "%s --shard 2/2 --out a2", run);
    cr_assert_eq(ef_test_efbench(dir, "SLURM_ARRAY_JOB_ID=41", args), 0);
    snprintf(args, sizeof args, "%s --shard 2/2 --out b2", run);
    cr_assert_eq(ef_test_efbench(dir, "SLURM_ARRAY_JOB_ID=42", args), 0);
    json_t *doc = load_json("a1/results.json");
    cr_expect_str_eq(json_string_value(json_object_get(doc, "sweep")), "slurm:41");
    json_decref(doc);
    cr_expect_eq(efbench("report a1 a2 --out r1"), 0, "%s", ef_test_read(dir, "stderr"));
    cr_expect_eq(efbench("report a1 b2 --out r2"), 2);
    expect_one_line("is missing");
}

/* scripts/slurm/shard.sh with EFBENCH a stand-in that answers `devices --json` with
 * `seen` GPUs and records the arguments of `run` (exiting `status`). Returns the script's
 * exit status; the arguments are then in DIR/args. */
static int shard_task(const char *gpu_env, int seen, int status, const char *options)
{
    static const char stand_in[] =
        "#!/bin/sh\n"
        "if [ \"$1\" = devices ]; then\n"
        "  printf '{\"backends\": [{\"devices\": ['\n"
        "  i=0; while [ $i -lt $FAKE_SEEN ]; do [ $i -gt 0 ] && printf ,; printf "
        "'{\"type\": \"gpu\"}'; i=$((i+1)); done\n"
        "  printf ']}, {\"devices\": [{\"type\": \"cpu\"}]}]}\\n'; exit 0\n"
        "fi\n"
        "shift; echo \"$*\" > \"$FAKE_DIR/args\"; exit $FAKE_STATUS\n";
    char path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/efbench-stand-in", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(stand_in, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -f args && chmod +x efbench-stand-in && env -u SLURM_STEP_GPUS -u "
             "SLURM_JOB_GPUS SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 "
             "SLURM_ARRAY_JOB_ID=7 SLURM_SUBMIT_DIR='%s' EFBENCH='%s' FAKE_DIR='%s' FAKE_SEEN=%d "
             "FAKE_STATUS=%d %s sh '%s/../scripts/slurm/shard.sh' %s >stdout 2>stderr",
             dir, dir, path, dir, seen, status, gpu_env, getenv("EF_SUITE_DIR"), options);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* What the stand-in's `run` was given, one line. */
static const char *task_args(void)
{
    const char *args = ef_test_read(dir, "args");
    cr_assert(args, "shard.sh did not run efbench: %s", ef_test_read(dir, "stderr"));
    return args;
}

Test(shard, slurm_task_maps_its_gpu)
{
    cr_assert(getenv("EF_SUITE_DIR"), "run by meson test (EF_SUITE_DIR)");
    char want[512];
    /* no GPU given: no --device; the task's shard and folder */
    cr_assert_eq(shard_task("", 0, 0, "--suite quick"), 0, "%s", ef_test_read(dir, "stderr"));
    snprintf(want, sizeof want, "--suite quick --shard 2/3 --out %s/results/slurm/7/shard-2\n",
             dir);
    cr_expect_str_eq(task_args(), want);
    /* the node hides the other GPUs (efbench sees as many as SLURM gave): the first */
    cr_assert_eq(shard_task("SLURM_STEP_GPUS=3", 1, 0, "--suite quick"), 0);
    cr_expect(strstr(task_args(), "--device gpu:0\n"), "%s", task_args());
    /* every GPU of the node is visible: SLURM's index of the task's first */
    cr_assert_eq(shard_task("SLURM_JOB_GPUS=2,3", 4, 0, "--suite quick"), 0);
    cr_expect(strstr(task_args(), "--device gpu:2\n"), "%s", task_args());
    /* the options choose a device: left alone */
    cr_assert_eq(shard_task("SLURM_JOB_GPUS=2", 4, 0, "--suite quick --device cpu:0"), 0);
    cr_expect(!strstr(task_args(), "gpu:"), "%s", task_args());
    /* a failed case is a verdict for the merged report; a refused run is not */
    cr_expect_eq(shard_task("", 0, 1, "--suite quick"), 0);
    cr_expect_eq(shard_task("", 0, 2, "--suite quick"), 2);
    /* requeued after a kill: the shard's folder has cases.jsonl, no results.json */
    char cmd[600];
    snprintf(
        cmd, sizeof cmd,
        "mkdir -p '%s/results/slurm/7/shard-2' && touch '%s/results/slurm/7/shard-2/cases.jsonl'",
        dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(shard_task("SLURM_STEP_GPUS=5", 1, 0, "--suite quick"), 0);
    snprintf(want, sizeof want, "--resume %s/results/slurm/7/shard-2 --device gpu:0\n", dir);
    cr_expect_str_eq(task_args(), want);
}
