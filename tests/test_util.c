/* tests/test_util.c — see test_util.h. A program whose every test was skipped exits 77,
 * which meson reports as a skip. */
#include "test_util.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
    const char *why =
        be ? (*err.msg ? err.msg : "no device") : "backend not built into this efbench";
    if (ef_test_in_ci())
        cr_assert_fail("CI=true and the %s backend has no device: %s", backend, why);
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

void ef_test_expect_suite_passes(const ef_run *run)
{
    const ef_case *bad = NULL;
    for (int i = 0; i < run->case_count && !bad; i++)
        if (run->cases[i].status == EF_CASE_FAIL || run->cases[i].status == EF_CASE_ERROR)
            bad = &run->cases[i];
    char mask[32] = "";
    if (bad) ef_mask_format(bad->mask, mask, sizeof mask);
    cr_expect(bad == NULL,
              "%d failed, %d errors; first: %s%s%s %s %s n=%d d=%d source %s seed %llu: %s",
              run->counts[EF_CASE_FAIL], run->counts[EF_CASE_ERROR],
              bad ? ef_workload_name(bad->workload) : "", bad && bad->variant[0] ? "/" : "",
              bad ? bad->variant : "", mask, bad ? ef_precision_name(bad->precision) : "",
              bad ? bad->n : 0, bad ? bad->d : 0, bad ? bad->source : "",
              bad ? (unsigned long long)bad->seed : 0ull, bad ? bad->reasons : "");
    cr_expect_gt(run->counts[EF_CASE_PASS], 0, "no case passed");
    int seen[EF_WL_COUNT][EF_MASK_COUNT][EF_PREC_COUNT] = {{{0}}};
    for (int i = 0; i < run->case_count; i++) {
        const ef_case *c = &run->cases[i];
        if (c->status == EF_CASE_PASS && !c->variant[0] && (unsigned)c->mask.kind < EF_MASK_COUNT)
            seen[c->workload][c->mask.kind][c->precision] = 1;
    }
    for (int w = 0; w < EF_WL_COUNT; w++)
        for (int p = 0; p < EF_PREC_COUNT; p++)
            for (int m = 0; m < EF_MASK_COUNT; m++) {
                int masked = w == EF_WL_ENERGY || w == EF_WL_ROWSUM || w == EF_WL_COLENERGY;
                if (!masked && m != EF_MASK_FULL) continue;
                cr_expect(seen[w][m][p], "no passing case for %s, mask kind %d, %s",
                          ef_workload_name((ef_workload)w), m, ef_precision_name((ef_precision)p));
            }
}

void ef_test_expect_generic_launch(const char *backend)
{
    char path[] = "/tmp/efbench-generic-XXXXXX.ini";
    const char text[] =
        "[suite]\nname = generic\nseed = 9\ntarget_time = 0.01\nwarmup = 0\nmin_reps = 1\n"
        "max_reps = 1\n\n[cases column]\nsources = gaussian, sink\nlengths = 77, 200\ndims = 40\n"
        "masks = full, causal, window:16\nprecisions = fp32, bf16\n"
        "workloads = colenergy, ranktail\n";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    ef_run run;
    ef_run_config cfg = {.suite = path, .backends = backend, .max_block_rows = 64};
    ef_error err = {{0}};
    setenv("EF_GENERIC_LAUNCH", "1", 1);
    int rc = runner_run(&cfg, &run, &err);
    unsetenv("EF_GENERIC_LAUNCH");
    unlink(path);
    cr_assert_eq(rc, EF_OK, "runner_run: %s", err.msg);
    /* colenergy under 3 masks, ranktail (full field only) in row blocks: its streamed form */
    cr_expect_eq(run.case_count, 2 * 2 * 3 * 2 + 2 * 2 * 2, "cases: %d", run.case_count);
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        const char *want =
            c->workload == EF_WL_RANKTAIL ? "generic-wl_ranktail" : "generic-wl_colenergy";
        cr_expect_str_eq(c->path, want, "%s ran %s", backend, c->path);
        cr_expect_eq(c->status, EF_CASE_PASS, "%s n=%d: %s", c->path, c->n, c->reasons);
    }
    runner_free(&run);
}

void ef_test_run_mask_fault(const char *backend, const char *precisions, ef_run *run)
{
    char path[] = "/tmp/efbench-fault-XXXXXX.ini", text[512];
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    int len = snprintf(
        text, sizeof text,
        "[suite]\nname = fault\nseed = 7\ntarget_time = 0.01\nwarmup = 0\nmin_reps = 1\nmax_reps = 1\n\n"
        "[cases masked]\nsources = gaussian\nlengths = 64\ndims = 32\n"
        "masks = causal, window:8\nprecisions = %s\nworkloads = energy\n",
        precisions);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    ef_run_config cfg = {.suite = path, .backends = backend, .fault = EF_FAULT_MASK_OFF_BY_ONE};
    ef_error err = {{0}};
    int rc = runner_run(&cfg, run, &err);
    unlink(path);
    cr_assert_eq(rc, EF_OK, "runner_run: %s", err.msg);
}

void ef_test_fixture_open(ef_test_fixture *f, const char *backend, int n, int d, uint32_t seed)
{
    ef_error err = {{0}};
    ef_test_require_device(backend);
    f->b = ef_backend_find(backend);
    cr_assert_not_null(f->b);
    f->n = n;
    f->d = d;
    cr_assert_eq(f->b->device_open(0, &f->dev, &err), EF_OK, "%s", err.msg);
    size_t in = (size_t)n * d * 4;
    float *h = malloc(in);
    cr_assert_not_null(h);
    for (int i = 0; i < n * d; i++) {
        seed = seed * 1664525u + 1013904223u;
        h[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    cr_assert_eq(f->b->buffer_alloc(f->dev, in, &f->q, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f->b->buffer_alloc(f->dev, in, &f->k, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f->b->buffer_alloc(f->dev, (size_t)n * n * 4, &f->e, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f->b->buffer_alloc(f->dev, 2 * (size_t)d * d * 4 + (size_t)n * 8, &f->out, &err),
                 EF_OK, "%s", err.msg);
    ef_device_info info;
    cr_assert_eq(f->b->device_info(0, &info, &err), EF_OK, "%s", err.msg);
    f->out_dtype = info.out_dtype;
    f->bytes = (ef_buffer_bytes){
        .q = in, .k = in, .e = (size_t)n * n * 4, .out = 2 * (size_t)d * d * 4 + (size_t)n * 8};
    cr_assert_eq(f->b->buffer_upload(f->dev, f->q, 0, h, in, &err), EF_OK, "%s", err.msg);
    for (int i = 0; i < n * d; i++) h[i] = h[i] * 0.5f + 0.25f; /* keys with an offset */
    cr_assert_eq(f->b->buffer_upload(f->dev, f->k, 0, h, in, &err), EF_OK, "%s", err.msg);
    free(h);
}

void ef_test_fixture_close(ef_test_fixture *f)
{
    f->b->buffer_free(f->dev, f->out);
    f->b->buffer_free(f->dev, f->e);
    f->b->buffer_free(f->dev, f->k);
    f->b->buffer_free(f->dev, f->q);
    f->b->device_close(f->dev);
}

int ef_test_fixture_run(const ef_test_fixture *f, const ef_op *op, ef_run_result *res,
                        ef_error *err)
{
    ef_buffer_bytes have = f->bytes;
    /* an op may name another fixture buffer in a slot (the tests do): its real size */
    const ef_buffer *bufs[] = {f->q, f->k, f->e, f->out};
    const size_t sizes[] = {f->bytes.q, f->bytes.k, f->bytes.e, f->bytes.out};
    for (int i = 0; i < 4; i++) {
        if (op->aux == bufs[i]) have.aux = sizes[i];
        if (op->out == bufs[i]) have.out = sizes[i];
        if (op->e == bufs[i]) have.e = sizes[i];
    }
    return workload_run(f->b, f->dev, f->out_dtype, op, &have, res, err);
}

ef_op ef_test_energy_op(const ef_test_fixture *f, ef_mask mask, int row0, int rows)
{
    return (ef_op){.out_count = 0,
                   .workload = EF_WL_ENERGY,
                   .mask = mask,
                   .precision = EF_PREC_FP32,
                   .n = f->n,
                   .d = f->d,
                   .row0 = row0,
                   .rows = rows,
                   .scale = 0.125,
                   .q = f->q,
                   .k = f->k,
                   .e = f->e,
                   .out = f->out};
}

void ef_test_expect_row_blocks_match(const char *backend)
{
    ef_test_fixture f;
    ef_test_fixture_open(&f, backend, 203, 40, 11u);
    ef_error err = {{0}};
    ef_run_result res;
    const ef_mask masks[] = {{EF_MASK_FULL, 0}, {EF_MASK_CAUSAL, 0}, {EF_MASK_WINDOW, 9}};
    size_t bytes = (size_t)f.n * f.n * 4;
    float *whole = malloc(bytes), *blocks = malloc(bytes);
    cr_assert(whole && blocks);
    for (int m = 0; m < 3; m++) {
        ef_op op = ef_test_energy_op(&f, masks[m], 0, f.n);
        cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
        cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, whole, bytes, &err), EF_OK, "%s", err.msg);
        const int starts[] = {0, 37, 101, 202, 203}; /* uneven, none aligned to a tile */
        for (int b = 0; b < 4; b++) {
            op = ef_test_energy_op(&f, masks[m], starts[b], starts[b + 1] - starts[b]);
            cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
            cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, blocks + (size_t)starts[b] * f.n,
                                              (size_t)op.rows * f.n * 4, &err),
                         EF_OK, "%s", err.msg);
        }
        cr_expect(memcmp(whole, blocks, bytes) == 0,
                  "mask %d: row blocks differ from the whole field", m);
        /* masked: exact zeros above the diagonal and outside the window */
        for (int i = 0; i < f.n && m > 0; i++)
            for (int j = 0; j < f.n; j++)
                if (!ef_mask_visible(masks[m], i, j) && whole[(size_t)i * f.n + j] != 0.0f) {
                    cr_expect_fail("mask %d: E[%d][%d] = %g is not masked", m, i, j,
                                   whole[(size_t)i * f.n + j]);
                    i = f.n;
                    break;
                }
    }
    free(whole);
    free(blocks);
    ef_test_fixture_close(&f);
}

static int dir_has_suffix(const char *dir, const char *suffix)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -q '%s$'", dir, suffix);
    return system(cmd) == 0;
}

void ef_test_expect_tune_cached(const char *backend, const char *const *suffixes)
{
    char dir[] = "/tmp/efbench-cache-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CACHE_HOME", dir, 1);
    ef_test_fixture f;
    ef_test_fixture_open(&f, backend, 96, 32, 5u);
    ef_error err = {{0}};
    cr_assert_eq(f.b->tune(f.dev, &err), EF_OK, "%s", err.msg);
    ef_run_result tuned, cached;
    ef_op op = ef_test_energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 96);
    cr_assert_eq(ef_test_fixture_run(&f, &op, &tuned, &err), EF_OK, "%s", err.msg);
    ef_test_fixture_close(&f);

    char sub[512];
    snprintf(sub, sizeof sub, "%s/efbench/%s", dir, backend);
    struct stat st;
    cr_expect(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "no cache folder %s", sub);
    for (int i = 0; suffixes && suffixes[i]; i++)
        cr_expect(dir_has_suffix(sub, suffixes[i]), "no %s file in %s", suffixes[i], sub);

    ef_test_fixture_open(&f, backend, 96, 32, 5u); /* reopened: reads what was cached */
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 96);
    cr_assert_eq(ef_test_fixture_run(&f, &op, &cached, &err), EF_OK, "%s", err.msg);
    cr_expect_str_eq(cached.path, tuned.path, "the reopened device did not read the tuned tile");
    ef_test_fixture_close(&f);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    unsetenv("XDG_CACHE_HOME");
}

void ef_test_expect_bad_energy_refused(ef_test_fixture *f)
{
    ef_error err = {{0}};
    ef_run_result res;
    ef_op op = ef_test_energy_op(f, (ef_mask){EF_MASK_FULL, 0}, 0, f->n);
    op.n = 2 * f->n; /* e and q are too small for 2n */
    cr_expect_eq(ef_test_fixture_run(f, &op, &res, &err), EF_ERROR);
    cr_expect(strstr(err.msg, "buffer") != NULL, "message: %s", err.msg);
    op = ef_test_energy_op(f, (ef_mask){EF_MASK_FULL, 0}, f->n - 4, 8); /* rows past n */
    cr_expect_eq(ef_test_fixture_run(f, &op, &res, &err), EF_ERROR);
    op = ef_test_energy_op(f, (ef_mask){EF_MASK_FULL, 0}, 0, f->n);
    op.variant = "no-such-variant";
    cr_expect_eq(ef_test_fixture_run(f, &op, &res, &err), EF_UNSUPPORTED);
}

/* Every test skipped (no device outside CI): tell meson with exit status 77. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (stats->nb_tests > 0 && stats->tests_skipped == stats->nb_tests) exit(77);
}

/* Texts read from a scratch folder, freed when it is removed. */
static char **scratch_texts;
static size_t scratch_count;

void ef_test_scratch_make(char *dir, size_t len, const char *stem)
{
    snprintf(dir, len, "/tmp/efbench-%s-XXXXXX", stem);
    cr_assert(mkdtemp(dir), "mkdtemp failed for %s", dir);
}

void ef_test_scratch_remove(const char *dir)
{
    for (size_t i = 0; i < scratch_count; i++) free(scratch_texts[i]);
    free(scratch_texts);
    scratch_texts = NULL;
    scratch_count = 0;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

int ef_test_efbench(const char *dir, const char *env, const char *args)
{
    const char *exe = getenv("EF_BENCH_EXE");
    cr_assert(exe, "EF_BENCH_EXE is not set (run through meson test)");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && env %s '%s' %s >stdout 2>stderr", dir, env, exe, args);
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "efbench did not exit normally: %s", cmd);
    return WEXITSTATUS(st);
}

char *ef_test_read(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = malloc(len + 1);
    char **grown = realloc(scratch_texts, (scratch_count + 1) * sizeof *grown);
    cr_assert(buf && grown, "out of memory reading %s", path);
    scratch_texts = grown;
    scratch_texts[scratch_count++] = buf;
    size_t got = fread(buf, 1, len, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

int ef_test_exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}
