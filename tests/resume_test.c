/* tests/resume_test.c — nothing is lost when a run dies, and a folder is never shared:
 * a run killed with SIGKILL mid-suite (at a known case: EF_TEST_STOP_AFTER_CASES stops it
 * there, no clock involved), its last checkpoint line torn, continued with --resume, ends
 * with the case set and verdicts of an uninterrupted run and keeps the cases it recorded;
 * --resume refuses another suite, seed or version with the reason; stale temporary files
 * are removed; a second run into a held folder exits 2 naming the holder's pid; an
 * unwritable or full output folder is exit 2 for run, report and capture alike, before any
 * work where it can be known before.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/results.h"
#include "test_util.h"
#include "model/dequant.h"
#include "tests/model_testdata.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "resume"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(resume, .init = setup, .fini = teardown, .timeout = 300);

static int efbench(const char *args) { return ef_test_efbench(dir, "", args); }
static char *slurp(const char *name) { return ef_test_read(dir, name); }
static int exists(const char *name) { return ef_test_exists(dir, name); }

/* The suite of these tests: tiny.ini copied into the scratch folder (a test edits it). */
static const char *suite_copy(void)
{
    static char path[512];
    char cmd[1200];
    snprintf(path, sizeof path, "%s/suite.ini", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ef_test_suite_path("tiny.ini"), path);
    cr_assert_eq(system(cmd), 0);
    return path;
}

/* `efbench ARGS` in dir with EF_TEST_STOP_AFTER_CASES=stop_after: returns the pid of the
 * process, stopped (SIGSTOP) after that many cases were recorded. */
static pid_t run_stopped(const char *args, int stop_after)
{
    char cmd[4096], n[32];
    snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' %s >stopped.out 2>stopped.err", dir,
             getenv("EF_BENCH_EXE"), args);
    snprintf(n, sizeof n, "%d", stop_after);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        setenv("EF_TEST_STOP_AFTER_CASES", n, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, WUNTRACED), pid);
    cr_assert(WIFSTOPPED(st), "the run did not stop after %d cases (exit %d): %s", stop_after,
              WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp("stopped.err"));
    return pid;
}

static void kill_stopped(pid_t pid)
{
    int st;
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static json_t *load(const char *name)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, &je);
    cr_assert(doc, "%s: %s", path, je.text);
    return doc;
}

/* One case as the comparison sees it: which case it is, and its verdict. */
static void case_id(json_t *c, char *buf, size_t len)
{
    const char *variant = json_string_value(json_object_get(c, "variant"));
    snprintf(buf, len, "%s/%lld %s%s%s %s %s n=%lld d=%lld %s seed=%lld: %s",
             json_string_value(json_object_get(c, "backend")),
             json_integer_value(json_object_get(c, "device_id")),
             json_string_value(json_object_get(c, "workload")), variant ? "/" : "",
             variant ? variant : "", json_string_value(json_object_get(c, "mask")),
             json_string_value(json_object_get(c, "precision")),
             json_integer_value(json_object_get(c, "n")),
             json_integer_value(json_object_get(c, "d")),
             json_string_value(json_object_get(c, "source")),
             json_integer_value(json_object_get(c, "seed")),
             json_string_value(json_object_get(c, "status")));
}

/* Cases recorded in DIR/cases.jsonl (lines holding "case"). */
static json_t *recorded_cases(const char *name)
{
    char path[512], line[1 << 16];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    json_t *out = json_array();
    while (fgets(line, sizeof line, f)) {
        json_t *rec = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
        if (rec && json_object_get(rec, "case"))
            json_array_append(out, json_object_get(rec, "case"));
        json_decref(rec);
    }
    fclose(f);
    return out;
}

Test(resume, sigkill_then_resume_matches_an_uninterrupted_run)
{
    enum {
        STOP = 21
    }; /* the first group (12 cases on ref and cpu) whole, the second's ref part
          done and its cpu part half done */
    const char *suite = suite_copy();
    char args[1024];
    snprintf(args, sizeof args, "run --suite '%s' --backend ref,cpu --no-peak --quiet --out full",
             suite);
    cr_assert_eq(efbench(args), 0, "%s", slurp("stderr"));

    snprintf(args, sizeof args, "run --suite '%s' --backend ref,cpu --no-peak --quiet --out part",
             suite);
    kill_stopped(run_stopped(args, STOP));
    json_t *before = recorded_cases("part/cases.jsonl");
    cr_assert_eq(json_array_size(before), STOP, "the killed run recorded %zu cases",
                 json_array_size(before));
    cr_assert(!exists("part/results.json"));
    /* a write the kill cut short, and a temporary file of a writer that died */
    FILE *f = fopen((snprintf(args, sizeof args, "%s/part/cases.jsonl", dir), args), "a");
    fputs("{\"case\": {\"backend\": \"cp", f);
    fclose(f);
    f = fopen((snprintf(args, sizeof args, "%s/part/.results.json.99999.tmp", dir), args), "w");
    fputs("{", f);
    fclose(f);

    cr_assert_eq(efbench("run --resume part --quiet"), 0, "%s", slurp("stderr"));
    cr_assert(!exists("part/.results.json.99999.tmp"), "the stale temporary file is still there");
    cr_assert(!exists("part/.lock"), "the lock file was left behind");

    json_t *a = load("full/results.json"), *b = load("part/results.json");
    json_t *ca = json_object_get(a, "cases"), *cb = json_object_get(b, "cases");
    cr_assert_eq(json_array_size(ca), json_array_size(cb));
    for (size_t i = 0; i < json_array_size(ca); i++) {
        char x[512], y[512];
        case_id(json_array_get(ca, i), x, sizeof x);
        case_id(json_array_get(cb, i), y, sizeof y);
        cr_assert_str_eq(x, y, "case %zu differs", i);
    }
    cr_assert_eq(json_array_size(json_object_get(a, "inputs")),
                 json_array_size(json_object_get(b, "inputs")));
    cr_assert(json_equal(json_object_get(a, "summary"), json_object_get(b, "summary")));
    /* the final files name the session that began the run */
    cr_assert(strstr(json_string_value(json_object_get(b, "command_line")), "--out part"));
    /* the recorded cases were kept, not run again: same timings to the last digit */
    for (size_t i = 0; i < STOP; i++) {
        json_t *rec = json_array_get(before, i);
        char x[512];
        case_id(rec, x, sizeof x);
        int found = 0;
        for (size_t j = 0; j < json_array_size(cb) && !found; j++) {
            char y[512];
            case_id(json_array_get(cb, j), y, sizeof y);
            if (strcmp(x, y)) continue;
            found = 1;
            /* results.json keeps 8 significant digits, the checkpoint 17: a rerun's timing
             * would differ far more than that rounding */
            json_t *t0 = json_object_get(rec, "time_ms"),
                   *t1 = json_object_get(json_array_get(cb, j), "time_ms");
            const char *keys[] = {"median", "min", "max"};
            for (int k = 0; k < 3; k++) {
                double u = json_number_value(json_object_get(t0, keys[k])),
                       v = json_number_value(json_object_get(t1, keys[k]));
                cr_assert_leq(fabs(u - v), 1e-7 * fabs(u),
                              "recorded case %s was run again (%s %.17g, now %.17g)", x, keys[k], u,
                              v);
            }
            cr_assert_eq(json_integer_value(json_object_get(t0, "reps")),
                         json_integer_value(json_object_get(t1, "reps")));
        }
        cr_assert(found, "recorded case %s is not in the results", x);
    }
    /* the CSV: a row per case */
    int rows = 0;
    for (const char *p = slurp("part/results.csv"); *p; p++) rows += *p == '\n';
    cr_assert_eq(rows, (int)json_array_size(cb) + 1);
    json_decref(a), json_decref(b), json_decref(before);
}

/* The reason is one line on stderr, exit 2. */
static void expect_refused(const char *args, const char *what)
{
    int rc = efbench(args);
    const char *e = slurp("stderr");
    cr_assert_eq(rc, 2, "'%s' exited %d: %s", args, rc, e);
    cr_assert(strstr(e, what), "'%s': stderr lacks '%s': %s", args, what, e);
    cr_assert(strchr(e, '\n') == e + strlen(e) - 1, "'%s': not one line: %s", args, e);
}

Test(resume, refuses_another_suite_seed_or_version)
{
    const char *suite = suite_copy();
    char args[1024], cmd[2048];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --quiet --out part",
             suite);
    kill_stopped(run_stopped(args, 3));
    expect_refused("run --resume part --seed 8 --quiet", "seed");
    expect_refused("run --resume part --backend ref --quiet", "--backend");
    expect_refused("run --resume nowhere --quiet", "cases.jsonl");
    /* the suite edited since */
    snprintf(cmd, sizeof cmd, "sed -i 's/max_reps = 2/max_reps = 3/' '%s'", suite);
    cr_assert_eq(system(cmd), 0);
    expect_refused("run --resume part --quiet", "changed");
    snprintf(cmd, sizeof cmd, "sed -i 's/max_reps = 3/max_reps = 2/' '%s'", suite);
    cr_assert_eq(system(cmd), 0);
    /* another efbench began it */
    snprintf(cmd, sizeof cmd,
             "sed -i '1s/\"efbench\":\"[^\"]*\"/\"efbench\":\"v0.0-other\"/' '%s/part/cases.jsonl'",
             dir);
    cr_assert_eq(system(cmd), 0);
    expect_refused("run --resume part --quiet", "v0.0-other");
    /* a fresh run into a folder holding a run would overwrite it */
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --quiet --out part",
             suite);
    expect_refused(args, "--resume");
}

Test(resume, second_run_into_a_held_folder_exits_2_naming_the_holder)
{
    const char *suite = suite_copy();
    char args[1024], pid_s[32];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --quiet --out out",
             suite);
    pid_t holder = run_stopped(args, 2);
    snprintf(pid_s, sizeof pid_s, "pid %d", (int)holder);
    expect_refused(args, pid_s);
    snprintf(args, sizeof args, "report '%s/../data/report/machine-a/results.json' --out out",
             ef_test_suite_path(""));
    expect_refused(args, pid_s);
    kill_stopped(holder);
    /* the lock died with its holder: the folder can be continued */
    cr_assert_eq(efbench("run --resume out --quiet"), 0, "%s", slurp("stderr"));
}

/* Known before any work: exit 2, one line, not after the cases (it was exit 1 after 55 s). */
Test(resume, unwritable_out_refused_before_work)
{
    char args[1024];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --out /proc/efbench-out",
             ef_test_suite_path("tiny.ini"));
    expect_refused(args, "/proc/efbench-out");
    cr_assert_eq(slurp("stdout")[0], '\0', "cases ran: %s", slurp("stdout"));
    snprintf(args, sizeof args, "report '%s/../data/report' --out /proc/efbench-out",
             ef_test_suite_path(""));
    expect_refused(args, "/proc/efbench-out");
}

/* A full disk while writing, simulated with a file-size limit (SIGXFSZ ignored, so writes
 * past it fail with EFBIG): run (its checkpoint or final files), report and capture all
 * exit 2 with one line; before, run exited 1 and the others 2. */
static void expect_full(const char *limit_kb, const char *args, const char *what)
{
    char env[512];
    snprintf(
        env, sizeof env,
        "XDG_CACHE_HOME='%s/cache' bash -c \"trap '' XFSZ; ulimit -f %s; exec \\\"\\$0\\\" \\\"\\$@\\\"\"",
        dir, limit_kb);
    int rc = ef_test_efbench(dir, env, args);
    const char *e = slurp("stderr");
    cr_assert_eq(rc, 2, "'%s' under %s KB exited %d: %s", args, limit_kb, rc, e);
    cr_assert(strstr(e, what), "'%s': stderr lacks '%s': %s", args, what, e);
    cr_assert(strchr(e, '\n') == e + strlen(e) - 1, "'%s': not one line: %s", args, e);
}

Test(resume, full_disk_is_exit_2_for_every_command)
{
    char args[1024], path[512];
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --quiet --out small",
             ef_test_suite_path("tiny.ini"));
    expect_full("2", args, "small");  /* the probe (4 KB) does not fit */
    expect_full("24", args, "small"); /* the checkpoint fills it mid-run */
    snprintf(args, sizeof args, "report '%s/../data/report' --format all --out rep",
             ef_test_suite_path(""));
    expect_full("8", args, "rep");
    snprintf(path, sizeof path, "%s/tiny.gguf", dir);
    cr_assert_eq(testdata_write_gguf(path, "llama", DQ_TYPE_Q8_0, 5), 0);
    snprintf(path, sizeof path, "%s/text.txt", dir);
    cr_assert_eq(testdata_write_bytes(path, "Hello world, the capital of France is Paris. ", 45),
                 0);
    expect_full("8", "capture --model tiny.gguf --text text.txt --length 8 --out qk.safetensors",
                "qk.safetensors");
}

/* A record read back writes the JSON it was read from: every field, the nulls (NAN, -1,
 * "") and the reasons joined with "; " included. Seeded records of every status. */
Test(resume, records_round_trip)
{
    ef_run run = {.device_count = 2};
    run.devices[0] = (ef_run_device){.backend = ef_backend_find("ref"), .index = 0};
    run.devices[1] = (ef_run_device){.backend = ef_backend_find("cpu"), .index = 0};
    uint64_t seed = ef_test_seed();
    for (int i = 0; i < 64; i++) {
        ef_case c;
        memset(&c, 0, sizeof c);
        ef_accuracy_clear(&c.accuracy);
        ef_invariants_clear(&c.invariants);
        ef_invariants_clear(&c.reference);
        uint64_t x = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        c.device = i % 2, c.workload = (ef_workload)(i % EF_WL_COUNT),
        c.precision = (ef_precision)(i % EF_PREC_COUNT);
        c.mask =
            i % 3 == 2 ? (ef_mask){EF_MASK_WINDOW, 1 + i} : (ef_mask){(ef_mask_kind)(i % 3), 0};
        c.n = 64 + i, c.d = 16, c.seed = x >> 12, c.status = (ef_case_status)(i % 4);
        c.layer = c.head = c.kv_head = i % 2 ? i : -1;
        snprintf(c.source, sizeof c.source, i % 2 ? "tiny-model" : "gaussian");
        if (i % 2) snprintf(c.text, sizeof c.text, "gpl3");
        if (i % 5 == 0) snprintf(c.variant, sizeof c.variant, "clblast");
        snprintf(c.path, sizeof c.path, "path-%d", i);
        if (i % 4)
            c.time = (ef_timing){.median_ms = 1.0 / (i + 3),
                                 .min_ms = 0.9 / (i + 3),
                                 .max_ms = 1.1 / (i + 3),
                                 .reps = i + 1};
        c.gflops = i % 3 ? 123.456789012345 * i : -1, c.gbps = i % 3 ? -1 : 9.87654321e-3 * i;
        c.accuracy.rel_fro_err = i % 2 ? ldexp(1.0, -20 - i) : NAN;
        c.accuracy.rows_checked = i % 3 ? 64 : -1, c.accuracy.bound_violations = i % 7;
        c.invariants.mu_k = i % 2 ? 1.0 + 1.0 / 3 : NAN, c.invariants.rank_k = i % 3 ? 16 : -1;
        c.invariants.bound_ok = i % 3 - 1, c.reference.pr_over_n = 0.1 * i;
        if (c.status != EF_CASE_PASS)
            snprintf(c.reasons, sizeof c.reasons, "first reason %d; second; third", i);
        json_t *a = results_case_json(&run, &c);
        ef_case back;
        ef_error err = {{0}};
        cr_assert_eq(results_case_parse(a, run.device_count, &back, &err), EF_OK, "case %d: %s", i,
                     err.msg);
        json_t *b = results_case_json(&run, &back);
        char *sa = json_dumps(a, JSON_SORT_KEYS | JSON_REAL_PRECISION(17)),
             *sb = json_dumps(b, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        cr_assert_str_eq(sa, sb, "case %d does not round-trip", i);
        free(sa), free(sb), json_decref(a), json_decref(b);

        ef_input in = {.layer = c.layer,
                       .head = c.head,
                       .kv_head = c.kv_head,
                       .n = c.n,
                       .d = c.d,
                       .mask = c.mask,
                       .precision = c.precision,
                       .seed = c.seed,
                       .on_devices = i % 2,
                       .inv = c.invariants};
        snprintf(in.source, sizeof in.source, "%s", c.source);
        snprintf(in.text, sizeof in.text, "%s", c.text);
        ef_input in2;
        a = results_input_json(&in);
        cr_assert_eq(results_input_parse(a, &in2, &err), EF_OK, "input %d: %s", i, err.msg);
        b = results_input_json(&in2);
        cr_assert(json_equal(a, b), "input %d does not round-trip", i);
        json_decref(a), json_decref(b);
    }
    /* what cannot be read back is refused with the field's name */
    ef_case c;
    ef_error err = {{0}};
    json_t *bad = json_pack("{s:i,s:s}", "device_id", 5, "workload", "energy");
    cr_assert_eq(results_case_parse(bad, run.device_count, &c, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "device_id"), "%s", err.msg);
    json_decref(bad);
}
