/* tests/vulkan_test.c — the Vulkan backend (suite `vulkan`): the vulkan.ini suite through
 * the runner must pass against the float64 reference with zero validation-layer errors,
 * in the GPU shape (shared-memory tiles, workgroup reductions) and in the CPU shape
 * (register tiles, texel-view loads), whichever the tuner would pick here; the off-by-one
 * mask fault must make the verifier fail in both; row blocks must reproduce the whole
 * field bit for bit; bad ops return codes; the autotune writes its cache.
 * Runs with EF_VK_VALIDATION=1 (Khronos validation layer) and EF_VK_TUNE=0 (no autotune
 * on first use; the shapes are forced by EF_VK_TILE). No device: skip, except CI.
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
    for (int i = 0; i < run.case_count; i++)
        reg += strncmp(run.cases[i].path, "reg-", 4) == 0;
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
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}

Test(vulkan, row_blocks_reproduce_the_whole_field_in_the_cpu_shape)
{
    vulkan_cpu_shape();
    ef_test_expect_row_blocks_match("vulkan");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}

Test(vulkan, generic_launch_passes_the_verifier)
{
    ef_test_expect_generic_launch("vulkan");
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
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
    op.variant = "coopmat-fp16";
    const char *offered = f.b->variant_name ? f.b->variant_name(f.dev, &op, 0) : NULL;
    if (!offered) cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED, "%s", err.msg);
    op.precision = EF_PREC_FP32;
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED);
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 32);
    op.workload = EF_WL_RANKTAIL; /* needs the whole full field */
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
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}

Test(vulkan, tune_writes_its_cache_and_open_reads_it)
{
    ef_test_expect_tune_cached("vulkan", NULL);
    cr_expect_eq(ef_vulkan_validation_errors(), 0, "validation layer: %s", ef_vulkan_validation_first());
}
