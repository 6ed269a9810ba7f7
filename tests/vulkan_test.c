/* tests/vulkan_test.c — the Vulkan backend (suite `vulkan`): the vulkan.ini suite through
 * the runner must pass against the float64 reference with zero validation-layer errors;
 * the off-by-one mask fault must make the verifier fail; row blocks must reproduce the
 * whole field bit for bit; bad ops return codes; the tile autotune writes its cache.
 * Runs with EF_VK_VALIDATION=1 (Khronos validation layer). No device: skip, except CI.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/vulkan/vk_validation.h"
#include "harness/runner.h"
#include "test_util.h"

/* Weak, so this program still links in a build without the Vulkan backend; it then skips
 * (or fails under CI) in ef_test_require_device before calling them. */
#pragma weak ef_vulkan_validation_errors
#pragma weak ef_vulkan_validation_first

/* Before any Vulkan instance exists: every test runs under the validation layer. */
static void vulkan_setup(void) { setenv("EF_VK_VALIDATION", "1", 1); }

TestSuite(vulkan, .init = vulkan_setup, .timeout = 600);

/* The first failing or erroring case, for the assertion message. */
static const ef_case *first_bad(const ef_run *run)
{
    for (int i = 0; i < run->case_count; i++)
        if (run->cases[i].status == EF_CASE_FAIL || run->cases[i].status == EF_CASE_ERROR)
            return &run->cases[i];
    return NULL;
}

Test(vulkan, suite_passes_with_zero_validation_errors)
{
    ef_test_require_device("vulkan");
    ef_run_config cfg = {.suite = ef_test_suite_path("vulkan.ini"), .backends = "vulkan"};
    ef_run run;
    ef_error err = {{0}};
    int rc = runner_run(&cfg, &run, &err);
    cr_assert_eq(rc, EF_OK, "runner_run: %s", err.msg);
    const ef_case *bad = first_bad(&run);
    char mask[32] = "";
    if (bad) ef_mask_format(bad->mask, mask, sizeof mask);
    cr_expect(bad == NULL, "%d failed, %d errors; first: %s %s %s n=%d d=%d source %s seed %llu: %s",
              run.counts[EF_CASE_FAIL], run.counts[EF_CASE_ERROR],
              bad ? ef_workload_name(bad->workload) : "", mask,
              bad ? ef_precision_name(bad->precision) : "", bad ? bad->n : 0, bad ? bad->d : 0,
              bad ? bad->source : "", bad ? (unsigned long long)bad->seed : 0ull,
              bad ? bad->reasons : "");
    cr_expect_gt(run.counts[EF_CASE_PASS], 0, "no case passed");
    /* every precision of every workload passed at least once, under every mask for the
     * workloads that read a masked field (the runner runs gram, ranktail and leverage on
     * the full field only) */
    int seen[EF_WL_COUNT][EF_MASK_COUNT][EF_PREC_COUNT] = {{{0}}};
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        if (c->status == EF_CASE_PASS && (unsigned)c->mask.kind < EF_MASK_COUNT)
            seen[c->workload][c->mask.kind][c->precision] = 1;
    }
    for (int w = 0; w < EF_WL_COUNT; w++)
        for (int p = 0; p < EF_PREC_COUNT; p++)
            for (int m = 0; m < EF_MASK_COUNT; m++) {
                int masked_ok = w == EF_WL_ENERGY || w == EF_WL_ROWSUM || w == EF_WL_COLENERGY;
                if (!masked_ok && m != EF_MASK_FULL) continue;
                cr_expect(seen[w][m][p], "no passing case for %s, mask kind %d, %s",
                          ef_workload_name((ef_workload)w), m,
                          ef_precision_name((ef_precision)p));
            }
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %ld errors, first: %s",
                 ef_vulkan_validation_errors(), ef_vulkan_validation_first());
    runner_free(&run);
}

Test(vulkan, mask_off_by_one_fault_is_caught)
{
    ef_test_require_device("vulkan");
    char path[] = "/tmp/efbench-vulkan-fault-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    const char *text =
        "[suite]\nname = vulkan-fault\nseed = 7\ntarget_time = 0.01\nwarmup = 0\n"
        "min_reps = 1\nmax_reps = 1\n\n"
        "[cases masked]\nsources = gaussian\nlengths = 64\ndims = 32\n"
        "masks = causal, window:8\nprecisions = fp32, fp16\nworkloads = energy\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ef_run_config cfg = {.suite = path, .backends = "vulkan", .fault = EF_FAULT_MASK_OFF_BY_ONE};
    ef_run run;
    ef_error err = {{0}};
    int rc = runner_run(&cfg, &run, &err);
    unlink(path);
    cr_assert_eq(rc, EF_OK, "runner_run: %s", err.msg);
    cr_expect_eq(run.counts[EF_CASE_FAIL], run.case_count,
                 "the off-by-one mask passed verification in %d of %d cases",
                 run.case_count - run.counts[EF_CASE_FAIL], run.case_count);
    cr_expect_gt(run.case_count, 0);
    for (int i = 0; i < run.case_count; i++)
        cr_expect(strstr(run.cases[i].path, "fault") != NULL, "path '%s' does not name the fault",
                  run.cases[i].path);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
    runner_free(&run);
}

/* ---- direct use of the backend table ------------------------------------------------- */

typedef struct vk_fixture {
    const ef_backend *b;
    ef_device *dev;
    ef_buffer *q, *k, *e;
    int n, d;
} vk_fixture;

static void fixture_open(vk_fixture *f, int n, int d, uint32_t seed)
{
    ef_error err = {{0}};
    ef_test_require_device("vulkan");
    f->b = ef_backend_find("vulkan");
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
    cr_assert_eq(f->b->buffer_upload(f->dev, f->q, 0, h, in, &err), EF_OK, "%s", err.msg);
    for (int i = 0; i < n * d; i++) h[i] = h[i] * 0.5f + 0.25f; /* keys with an offset */
    cr_assert_eq(f->b->buffer_upload(f->dev, f->k, 0, h, in, &err), EF_OK, "%s", err.msg);
    free(h);
}

static void fixture_close(vk_fixture *f)
{
    f->b->buffer_free(f->dev, f->e);
    f->b->buffer_free(f->dev, f->k);
    f->b->buffer_free(f->dev, f->q);
    f->b->device_close(f->dev);
}

static ef_op energy_op(const vk_fixture *f, ef_mask mask, int row0, int rows)
{
    return (ef_op){.workload = EF_WL_ENERGY, .mask = mask, .precision = EF_PREC_FP32,
                   .n = f->n, .d = f->d, .row0 = row0, .rows = rows, .scale = 0.125,
                   .q = f->q, .k = f->k, .e = f->e};
}

Test(vulkan, row_blocks_reproduce_the_whole_field)
{
    vk_fixture f;
    fixture_open(&f, 203, 40, 11u);
    ef_error err = {{0}};
    ef_run_result res;
    const ef_mask masks[] = {{EF_MASK_FULL, 0}, {EF_MASK_CAUSAL, 0}, {EF_MASK_WINDOW, 9}};
    size_t bytes = (size_t)f.n * f.n * 4;
    float *whole = malloc(bytes), *blocks = malloc(bytes);
    cr_assert(whole && blocks);
    for (int m = 0; m < 3; m++) {
        ef_op op = energy_op(&f, masks[m], 0, f.n);
        cr_assert_eq(f.b->run(f.dev, &op, &res, &err), EF_OK, "%s", err.msg);
        cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, whole, bytes, &err), EF_OK, "%s", err.msg);
        /* uneven blocks, none aligned to a tile */
        const int starts[] = {0, 37, 101, 202, 203};
        for (int b = 0; b < 4; b++) {
            op = energy_op(&f, masks[m], starts[b], starts[b + 1] - starts[b]);
            cr_assert_eq(f.b->run(f.dev, &op, &res, &err), EF_OK, "%s", err.msg);
            cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, blocks + (size_t)starts[b] * f.n,
                                              (size_t)op.rows * f.n * 4, &err), EF_OK, "%s", err.msg);
        }
        cr_expect(memcmp(whole, blocks, bytes) == 0, "mask %d: row blocks differ from the whole field", m);
    }
    free(whole);
    free(blocks);
    fixture_close(&f);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}

Test(vulkan, bad_ops_return_codes)
{
    vk_fixture f;
    fixture_open(&f, 64, 16, 3u);
    ef_error err = {{0}};
    ef_run_result res;
    ef_op op = energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    op.n = 128; /* e and q are too small for n = 128 */
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_ERROR);
    cr_expect(strstr(err.msg, "buffer") != NULL, "message: %s", err.msg);
    op = energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 60, 8); /* rows past n */
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_ERROR);
    op = energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    op.variant = "no-such-variant";
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_UNSUPPORTED);
    /* the cooperative-matrix variant: offered only where the device has it, refused
     * (not faked) elsewhere; fp32 inputs are never its business */
    op.variant = "coopmat-fp16";
    const char *offered = f.b->variant_name ? f.b->variant_name(f.dev, &op, 0) : NULL;
    if (!offered) cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_UNSUPPORTED, "%s", err.msg);
    op.precision = EF_PREC_FP32;
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_UNSUPPORTED);
    op = energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 32);
    op.workload = EF_WL_RANKTAIL; /* needs the whole full field */
    op.aux = f.q;
    op.out = f.e;
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_UNSUPPORTED);
    ef_buffer *huge = NULL;
    cr_expect_eq(f.b->buffer_alloc(f.dev, (size_t)1 << 62, &huge, &err), EF_NOMEM, "%s", err.msg);
    cr_expect_null(huge);
    /* the device still works after the refusals */
    op = energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    cr_expect_eq(f.b->run(f.dev, &op, &res, &err), EF_OK, "%s", err.msg);
    fixture_close(&f);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}

Test(vulkan, tune_writes_its_cache_and_open_reads_it)
{
    char dir[] = "/tmp/efbench-vulkan-cache-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CACHE_HOME", dir, 1);
    vk_fixture f;
    fixture_open(&f, 96, 32, 5u);
    ef_error err = {{0}};
    cr_assert_eq(f.b->tune(f.dev, &err), EF_OK, "%s", err.msg);
    ef_run_result tuned, cached;
    ef_op op = energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 96);
    cr_assert_eq(f.b->run(f.dev, &op, &tuned, &err), EF_OK, "%s", err.msg);
    fixture_close(&f);

    char sub[512];
    snprintf(sub, sizeof sub, "%s/efbench/vulkan", dir);
    struct stat st;
    cr_expect(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "no cache folder %s", sub);

    fixture_open(&f, 96, 32, 5u);
    op = energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 96);
    cr_assert_eq(f.b->run(f.dev, &op, &cached, &err), EF_OK, "%s", err.msg);
    cr_expect_str_eq(cached.path, tuned.path, "the reopened device did not read the tuned tile");
    fixture_close(&f);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}
