/* tests/vulkan_test.c — the Vulkan backend (suite `vulkan`): the vulkan.ini suite through
 * the runner must pass against the float64 reference with zero validation-layer errors,
 * in the GPU shape (shared-memory tiles, workgroup reductions) and in the CPU shape
 * (register tiles, texel-view loads), whichever the tuner would pick here; the off-by-one
 * mask fault must make the verifier fail in both; row blocks must reproduce the whole
 * field bit for bit; bad ops return codes; the autotune writes its cache. Where the device
 * offers the cooperative-matrix variant (coopmat-khr: lavapipe from Mesa 26.1, GPUs), the
 * coopmat.ini suite passes with it, also as the default fp16 energy, and the tuner
 * measures its tiles; EF_TEST_COOPMAT=require (CI's Debian 13 leg) makes a device
 * without it a failure.
 * Runs with EF_VK_VALIDATION=1 (Khronos validation layer) and EF_VK_TUNE=0 (no autotune
 * on first use; the shapes are forced by EF_VK_TILE). No device: skip, except CI.
 */
#include <criterion/criterion.h>

#include <dirent.h>
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

/* Before any Vulkan instance exists: every test runs under the validation layer, with the
 * first valid candidate (the GPU shape) unless a test forces the CPU shape. */
static void vulkan_setup(void)
{
    setenv("EF_VK_VALIDATION", "1", 1);
    setenv("EF_VK_TUNE", "0", 1);
}

/* The CPU shape (vk_tune.c): register tiles of 8 x 4 per invocation, workgroups of 64
 * (whole subgroups for subgroup sizes 8 .. 64), k-chunks of 16, the CPU form of the
 * other passes. */
static void vulkan_cpu_shape(void) { setenv("EF_VK_TILE", "1 64 1 8 4 16 1", 1); }

TestSuite(vulkan, .init = vulkan_setup, .timeout = 600);

/* Skip unless device 0 offers coopmat-khr for fp16 inputs; under EF_TEST_COOPMAT=require
 * fail instead. *bf16: whether it also offers it for bf16. */
static void vulkan_require_coopmat(int *bf16)
{
    ef_test_require_device("vulkan");
    const ef_backend *b = ef_backend_find("vulkan");
    ef_device *dev = NULL;
    ef_device_info info;
    ef_error err = {{0}};
    cr_assert_eq(b->device_info(0, &info, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(b->device_open(0, &dev, &err), EF_OK, "%s", err.msg);
    ef_op probe = {.workload = EF_WL_ENERGY,
                   .mask = {EF_MASK_FULL, 0},
                   .precision = EF_PREC_FP16,
                   .n = 64,
                   .d = 64,
                   .rows = 64,
                   .scale = 0.125};
    const char *fp16 = b->variant_name(dev, &probe, 0);
    probe.precision = EF_PREC_BF16;
    const char *bf = b->variant_name(dev, &probe, 0);
    b->device_close(dev);
    *bf16 = bf && strcmp(bf, "coopmat-khr") == 0;
    if (fp16 && strcmp(fp16, "coopmat-khr") == 0) return;
    const char *req = getenv("EF_TEST_COOPMAT");
    if (req && strcmp(req, "require") == 0)
        cr_assert_fail("EF_TEST_COOPMAT=require, but %s offers no coopmat-khr for fp16: %s",
                       info.name, info.notes);
    const char *coop = strstr(info.notes, "cooperative matrix");
    cr_skip_test("%s offers no coopmat-khr for fp16 (%s)", info.name, coop ? coop : info.notes);
}

Test(vulkan, suite_passes_with_zero_validation_errors)
{
    ef_test_require_device("vulkan");
    ef_run_config cfg = {.suite = ef_test_suite_path("vulkan.ini"), .backends = "vulkan"};
    ef_run run;
    ef_error err = {{0}};
    cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
    ef_test_expect_suite_passes(&run);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %ld errors, first: %s",
                 ef_vulkan_validation_errors(), ef_vulkan_validation_first());
    runner_free(&run);
}

Test(vulkan, suite_passes_in_the_cpu_shape)
{
    ef_test_require_device("vulkan");
    vulkan_cpu_shape();
    ef_run_config cfg = {.suite = ef_test_suite_path("vulkan.ini"), .backends = "vulkan"};
    ef_run run;
    ef_error err = {{0}};
    cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
    ef_test_expect_suite_passes(&run);
    int reg = 0;
    for (int i = 0; i < run.case_count; i++) reg += strncmp(run.cases[i].path, "reg-", 4) == 0;
    cr_expect_gt(reg, 0, "no energy case ran the CPU shape (paths 'reg-...')");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %ld errors, first: %s",
                 ef_vulkan_validation_errors(), ef_vulkan_validation_first());
    runner_free(&run);
}

Test(vulkan, mask_off_by_one_fault_is_caught_in_the_cpu_shape)
{
    ef_test_require_device("vulkan");
    vulkan_cpu_shape();
    ef_run run;
    ef_test_run_mask_fault("vulkan", "fp32, bf16", &run);
    cr_expect_eq(run.counts[EF_CASE_FAIL], run.case_count,
                 "the off-by-one mask passed verification in %d of %d cases",
                 run.case_count - run.counts[EF_CASE_FAIL], run.case_count);
    cr_expect_gt(run.case_count, 0);
    for (int i = 0; i < run.case_count; i++)
        cr_expect(strstr(run.cases[i].path, "reg-") && strstr(run.cases[i].path, "fault"),
                  "path '%s' does not name the CPU shape and the fault", run.cases[i].path);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
    runner_free(&run);
}

Test(vulkan, mask_off_by_one_fault_is_caught)
{
    ef_test_require_device("vulkan");
    ef_run run;
    ef_test_run_mask_fault("vulkan", "fp32, fp16", &run);
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

/* ---- direct use of the backend table ---- */

Test(vulkan, row_blocks_reproduce_the_whole_field)
{
    ef_test_expect_row_blocks_match("vulkan");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}

Test(vulkan, row_blocks_reproduce_the_whole_field_in_the_cpu_shape)
{
    vulkan_cpu_shape();
    ef_test_expect_row_blocks_match("vulkan");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}

Test(vulkan, generic_launch_passes_the_verifier)
{
    ef_test_expect_generic_launch("vulkan");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}

Test(vulkan, bad_ops_return_codes)
{
    ef_test_fixture f;
    ef_test_fixture_open(&f, "vulkan", 64, 16, 3u);
    ef_error err = {{0}};
    ef_run_result res;
    ef_test_expect_bad_energy_refused(&f);
    ef_op op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    /* the cooperative-matrix variant: offered only where the device has it, refused
     * (not faked) elsewhere; fp32 inputs are never its business */
    op.variant = "coopmat-khr";
    const char *offered = f.b->variant_name ? f.b->variant_name(f.dev, &op, 0) : NULL;
    if (!offered)
        cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED, "%s", err.msg);
    op.precision = EF_PREC_FP32;
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED);
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 32);
    op.workload = EF_WL_RANKTAIL; /* defined on the full field only */
    op.aux = f.q;
    op.out = f.e;
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED);
    ef_buffer *huge = NULL;
    cr_expect_eq(f.b->buffer_alloc(f.dev, (size_t)1 << 62, &huge, &err), EF_NOMEM, "%s", err.msg);
    cr_expect_null(huge);
    /* the device still works after the refusals */
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    ef_test_fixture_close(&f);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}

Test(vulkan, tune_writes_its_cache_and_open_reads_it)
{
    ef_test_expect_tune_cached("vulkan", NULL);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}

/* ---- the cooperative-matrix variant ---- */

Test(vulkan, coopmat_suite_passes_with_zero_validation_errors)
{
    int bf16;
    vulkan_require_coopmat(&bf16);
    /* the CPU shape, and the first cooperative-matrix tile as the default fp16 energy (the
     * tuner's choice where it measures the tile faster) */
    setenv("EF_VK_TILE", "1 64 1 8 4 16 1 0 1 0 1", 1);
    ef_run_config cfg = {.suite = ef_test_suite_path("coopmat.ini"), .backends = "vulkan"};
    ef_run run;
    ef_error err = {{0}};
    cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
    for (int i = 0; i < run.case_count; i++) /* energy only: every case passes */
        cr_expect_eq(run.cases[i].status, EF_CASE_PASS, "%s %s n = %d d = %d: %s",
                     run.cases[i].variant, run.cases[i].path, run.cases[i].n, run.cases[i].d,
                     run.cases[i].reasons);
    /* the variant under every mask at n = 1024, in each precision it is offered for, and
     * the default fp16 energy on it */
    const char *masks[] = {"full", "causal", "window:1", "window:37"};
    for (int p = EF_PREC_FP16; p <= (bf16 ? EF_PREC_BF16 : EF_PREC_FP16); p++)
        for (int m = 0; m < 4; m++) {
            int seen = 0;
            for (int i = 0; i < run.case_count; i++) {
                const ef_case *c = &run.cases[i];
                char mask[32];
                ef_mask_format(c->mask, mask, sizeof mask);
                seen += c->n == 1024 && c->precision == (ef_precision)p &&
                        strcmp(mask, masks[m]) == 0 && strcmp(c->variant, "coopmat-khr") == 0 &&
                        strncmp(c->path, "coopmat-khr-", 12) == 0 && c->status == EF_CASE_PASS;
            }
            cr_expect_gt(seen, 0, "no passing coopmat-khr case at n = 1024, %s, %s",
                         ef_precision_name((ef_precision)p), masks[m]);
        }
    int as_default = 0;
    for (int i = 0; i < run.case_count; i++)
        as_default += !run.cases[i].variant[0] && run.cases[i].precision == EF_PREC_FP16 &&
                      strncmp(run.cases[i].path, "coopmat-khr-fp16-", 17) == 0;
    cr_expect_gt(as_default, 0, "the default fp16 energy never ran on cooperative matrices");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %ld errors, first: %s",
                 ef_vulkan_validation_errors(), ef_vulkan_validation_first());
    runner_free(&run);
}

Test(vulkan, coopmat_mask_off_by_one_fault_is_caught)
{
    int bf16;
    vulkan_require_coopmat(&bf16);
    ef_run run;
    ef_test_run_mask_fault("vulkan", bf16 ? "fp16, bf16" : "fp16", &run);
    int coop = 0;
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        if (strcmp(c->variant, "coopmat-khr") != 0) continue;
        coop++;
        cr_expect(strstr(c->path, "coopmat-khr-") && strstr(c->path, "fault"),
                  "path '%s' does not name the variant and the fault", c->path);
        cr_expect_eq(c->status, EF_CASE_FAIL, "the off-by-one mask passed verification in %s",
                     c->path);
    }
    cr_expect_gt(coop, 0, "no coopmat-khr case ran");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
    runner_free(&run);
}

/* The tuner times the cooperative-matrix tiles too: its cache line carries, per input
 * precision, the tile it kept (an index, >= 0 where the device offers the type) and
 * whether the default energy runs it. */
Test(vulkan, tune_measures_the_cooperative_matrix_tiles)
{
    int bf16;
    vulkan_require_coopmat(&bf16);
    char dir[256], sub[512];
    ef_test_scratch_make(dir, sizeof dir, "vk-coop-tune");
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("EF_VK_TILE");
    const ef_backend *b = ef_backend_find("vulkan");
    ef_device *dev = NULL;
    ef_error err = {{0}};
    cr_assert_eq(b->device_open(0, &dev, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(b->tune(dev, &err), EF_OK, "%s", err.msg);
    b->device_close(dev);
    snprintf(sub, sizeof sub, "%s/efbench/vulkan", dir);
    DIR *dp = opendir(sub);
    cr_assert_not_null(dp, "no cache folder %s", sub);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(dp))) {
        if (!strstr(de->d_name, ".tile")) continue;
        char path[1024], line[256] = "";
        snprintf(path, sizeof path, "%s/%s", sub, de->d_name);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s", path);
        cr_assert_not_null(fgets(line, sizeof line, f));
        fclose(f);
        int v[11];
        cr_assert_eq(sscanf(line, "%d %d %d %d %d %d %d %d %d %d %d", &v[0], &v[1], &v[2], &v[3],
                            &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]),
                     11, "cache line '%s' lacks the cooperative-matrix fields", line);
        cr_expect_geq(v[7], 0, "no fp16 tile kept: '%s'", line);
        cr_expect(v[8] == 0 || v[8] == 1, "'%s'", line);
        if (bf16) cr_expect_geq(v[9], 0, "no bf16 tile kept: '%s'", line);
        files++;
    }
    closedir(dp);
    cr_expect_eq(files, 1);
    ef_test_scratch_remove(dir);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s",
                 ef_vulkan_validation_first());
}
