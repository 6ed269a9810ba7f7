/* tests/opencl_test.c — the OpenCL backend (suite `opencl`, PoCL in CI): the opencl.ini
 * suite through the runner passes against the float64 reference; the off-by-one mask
 * fault makes the verifier fail; row blocks reproduce the whole field bit for bit; Gram
 * reductions are deterministic; the clBLAST variant agrees with the fused kernel; bad ops
 * return codes; tuning and the program cache write their files; the vector-access kernel,
 * the tensor-core fragment logic (emulated) and the forms the tuner does not pick here
 * (forced) pass. No device: skip, except CI.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "harness/runner.h"
#include "test_util.h"

static void opencl_setup(void) { ef_test_require_device("opencl"); }

TestSuite(opencl, .init = opencl_setup, .timeout = 600);

Test(opencl, suite_passes)
{
    ef_run_config cfg = {.suite = ef_test_suite_path("opencl.ini"), .backends = "opencl"};
    ef_run run;
    ef_error err = {{0}};
    cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
    ef_test_expect_suite_passes(&run);
    runner_free(&run);
}

Test(opencl, mask_off_by_one_fault_is_caught)
{
    ef_run run;
    ef_test_run_mask_fault("opencl", "fp32, bf16", &run);
    int ran = run.case_count - run.counts[EF_CASE_UNSUPPORTED];
    cr_expect_gt(ran, 0);
    cr_expect_eq(run.counts[EF_CASE_FAIL], ran,
                 "the off-by-one mask passed verification in %d of %d cases",
                 ran - run.counts[EF_CASE_FAIL], ran);
    for (int i = 0; i < run.case_count; i++)
        if (run.cases[i].status != EF_CASE_UNSUPPORTED)
            cr_expect(strstr(run.cases[i].path, "fault") != NULL,
                      "path '%s' does not name the fault", run.cases[i].path);
    runner_free(&run);
}

/* ---- direct use of the backend table ---- */

Test(opencl, generic_launch_passes_the_verifier) { ef_test_expect_generic_launch("opencl"); }

Test(opencl, row_blocks_reproduce_the_whole_field) { ef_test_expect_row_blocks_match("opencl"); }

Test(opencl, gram_is_deterministic_and_symmetric)
{
    ef_test_fixture f;
    ef_test_fixture_open(&f, "opencl", 1000, 40, 5u); /* several chunks along n */
    ef_error err = {{0}};
    ef_run_result res;
    ef_op op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, f.n);
    op.workload = EF_WL_GRAM;
    size_t bytes = 2 * (size_t)f.d * f.d * 4;
    float *a = malloc(bytes), *b = malloc(bytes);
    cr_assert(a && b);
    cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f.b->buffer_download(f.dev, f.out, 0, a, bytes, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f.b->buffer_download(f.dev, f.out, 0, b, bytes, &err), EF_OK, "%s", err.msg);
    cr_expect(memcmp(a, b, bytes) == 0, "two Gram runs differ");
    for (int m = 0; m < 2; m++)
        for (int x = 0; x < f.d; x++)
            for (int y = 0; y < x; y++)
                cr_expect_eq(a[m * f.d * f.d + x * f.d + y], a[m * f.d * f.d + y * f.d + x],
                             "Gram %d not symmetric at (%d, %d)", m, x, y);
    free(a);
    free(b);
    ef_test_fixture_close(&f);
}

Test(opencl, clblast_variant_agrees_with_the_fused_kernel)
{
    ef_test_fixture f;
    ef_test_fixture_open(&f, "opencl", 130, 24, 9u);
    ef_op probe = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, f.n);
    const char *name = f.b->variant_name ? f.b->variant_name(f.dev, &probe, 0) : NULL;
    if (!name) {
        ef_test_fixture_close(&f);
        cr_skip_test("built without clBLAST");
    }
    cr_assert_str_eq(name, "clblast");
    ef_error err = {{0}};
    ef_run_result res;
    size_t bytes = (size_t)f.n * f.n * 4;
    float *fused = malloc(bytes), *lib = malloc(bytes);
    cr_assert(fused && lib);
    ef_op op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, f.n);
    cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, fused, bytes, &err), EF_OK, "%s", err.msg);
    op.variant = "clblast";
    cr_assert_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    cr_expect(strstr(res.path, "clblast") != NULL, "path %s", res.path);
    cr_assert_eq(f.b->buffer_download(f.dev, f.e, 0, lib, bytes, &err), EF_OK, "%s", err.msg);
    double diff2 = 0, ref2 = 0;
    for (size_t i = 0; i < (size_t)f.n * f.n; i++) {
        diff2 += ((double)fused[i] - lib[i]) * ((double)fused[i] - lib[i]);
        ref2 += (double)fused[i] * fused[i];
    }
    /* two fp32 evaluations of a length-24 product: far below 1e-5 apart */
    cr_expect_lt(sqrt(diff2 / ref2), 1e-5, "clblast and fused differ by %g (relative)",
                 sqrt(diff2 / ref2));
    op.mask = (ef_mask){EF_MASK_CAUSAL, 0};
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED, "masked clblast: %s",
                 err.msg);
    free(fused);
    free(lib);
    ef_test_fixture_close(&f);
}

Test(opencl, bad_ops_return_codes)
{
    ef_test_fixture f;
    ef_test_fixture_open(&f, "opencl", 64, 16, 3u);
    ef_error err = {{0}};
    ef_run_result res;
    ef_test_expect_bad_energy_refused(&f);
    ef_op op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_CAUSAL, 0}, 0, 32);
    op.workload = EF_WL_RANKTAIL; /* defined on the full field only */
    op.aux = f.q;
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_UNSUPPORTED);
    ef_buffer *huge = NULL;
    cr_expect_eq(f.b->buffer_alloc(f.dev, (size_t)1 << 62, &huge, &err), EF_NOMEM, "%s", err.msg);
    cr_expect_null(huge);
    cr_expect(strstr(err.msg, "bytes") != NULL, "message: %s", err.msg);
    /* the device still works after the refusals */
    op = ef_test_energy_op(&f, (ef_mask){EF_MASK_FULL, 0}, 0, 64);
    cr_expect_eq(ef_test_fixture_run(&f, &op, &res, &err), EF_OK, "%s", err.msg);
    ef_test_fixture_close(&f);
}

Test(opencl, tune_and_program_cache_write_their_files)
{
    static const char *const files[] = {".tiles", ".bin", NULL}; /* tuned tiles, program binaries */
    ef_test_expect_tune_cached("opencl", files);
}

/* The tensor-core kernel's fragment logic, through its emulation (PoCL has no PTX): every
 * mask and both half precisions pass, with d % 8 == 0 (vector loads) and not, n below and
 * above one 128-row block; the off-by-one fault still fails. */
Test(opencl, tensor_core_fragments_emulated)
{
    setenv("EF_OPENCL_MMA", "emulate", 1);
    char path[] = "/tmp/efbench-opencl-mma-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    const char *text =
        "[suite]\nname = opencl-mma\nseed = 11\ntarget_time = 0.01\nwarmup = 0\n"
        "min_reps = 1\nmax_reps = 1\n\n"
        "[cases half]\nsources = gaussian, sink\nlengths = 97, 200\ndims = 40, 36\n"
        "masks = full, causal, window:16\nprecisions = fp16, bf16\nworkloads = energy\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    for (int fault = 0; fault < 2; fault++) {
        ef_run_config cfg = {.suite = path,
                             .backends = "opencl",
                             .fault = fault ? EF_FAULT_MASK_OFF_BY_ONE : EF_FAULT_NONE};
        ef_run run;
        ef_error err = {{0}};
        cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
        int mma = 0, masked = 0, masked_fail = 0;
        for (int i = 0; i < run.case_count; i++) {
            const ef_case *c = &run.cases[i];
            if (c->variant[0]) continue;
            mma += strstr(c->path, "mma-") != NULL;
            if (c->mask.kind != EF_MASK_FULL) {
                masked++;
                masked_fail += c->status == EF_CASE_FAIL;
            }
            if (!fault || c->mask.kind == EF_MASK_FULL)
                cr_expect_eq(c->status, EF_CASE_PASS, "fault %d %s: %s", fault, c->path,
                             c->reasons);
        }
        cr_expect_eq(mma, 48, "%d of 48 cases ran on the tensor-core path", mma);
        if (fault)
            cr_expect_eq(masked_fail, masked, "the fault passed %d masked cases",
                         masked - masked_fail);
        runner_free(&run);
    }
    unlink(path);
    unsetenv("EF_OPENCL_MMA");
}

/* The vector-access kernel (energy_vec.cl) through the runner, forced by EF_OPENCL_TILES:
 * every mask passes, with d % 4 == 0 (vector loads, register prefetch) and not (scalar). */
Test(opencl, vector_kernel_passes_the_verifier)
{
    setenv("EF_OPENCL_TILES", "64 64 16 8 8 1", 1);
    ef_error err = {{0}};
    char path[] = "/tmp/efbench-opencl-vec-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    const char *text =
        "[suite]\nname = opencl-vec\nseed = 13\ntarget_time = 0.01\nwarmup = 0\n"
        "min_reps = 1\nmax_reps = 1\n\n"
        "[cases vec]\nsources = gaussian, sink\nlengths = 150\ndims = 36, 22\n"
        "masks = full, causal, window:9\nprecisions = fp32, bf16\nworkloads = energy\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ef_run_config cfg = {.suite = path, .backends = "opencl"};
    ef_run run;
    int rc = runner_run(&cfg, &run, &err);
    unlink(path);
    cr_assert_eq(rc, EF_OK, "runner_run: %s", err.msg);
    int vec = 0;
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        if (c->variant[0]) continue;
        vec += strstr(c->path, "-v4-64x64x16-8x8") != NULL;
        cr_expect_eq(c->status, EF_CASE_PASS, "%s: %s", c->path, c->reasons);
    }
    cr_expect_eq(vec, 24, "%d of 24 cases ran the vector kernel", vec);
    runner_free(&run);
    unsetenv("EF_OPENCL_TILES");
}

/* Forms the tuner does not pick on PoCL, forced through EF_OPENCL_TILES / EF_OPENCL_PASSES:
 * the GPU-shaped scalar energy kernel with the group form of every pass, and the
 * CPU-shaped energy kernel on float8 with the item forms. Every case passes, with d not a
 * multiple of 16 (vector tails) and n not a multiple of any tile; ranktail too, on the
 * whole field and in row blocks of 64 (its streamed form). */
Test(opencl, forced_forms_pass_the_verifier)
{
    static const char *const forced[2][4] = {
        /* tiles, passes, energy path part, a pass path part */
        {"32 32 16 4 4 0", "0 0 0 0 0", "-32x32x16-4x4", "group"},
        {"48 16 1 6 8 2", "1 1 1 1 1", "-cpu-6x16-v8-g8", "rows"},
    };
    char path[] = "/tmp/efbench-opencl-forms-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0, "mkstemps");
    const char *text = "[suite]\nname = opencl-forms\nseed = 17\ntarget_time = 0.01\nwarmup = 0\n"
                       "min_reps = 1\nmax_reps = 1\n\n"
                       "[cases forms]\nsources = gaussian\nlengths = 150\ndims = 36, 22\n"
                       "masks = full, causal, window:9\nprecisions = fp32, bf16\n"
                       "workloads = energy, rowsum, colenergy, gram, leverage, ranktail\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    for (int f = 0; f < 2; f++) {
        setenv("EF_OPENCL_TILES", forced[f][0], 1);
        setenv("EF_OPENCL_PASSES", forced[f][1], 1);
        for (int blocks = 0; blocks < 2; blocks++) {
            ef_run_config cfg = {
                .suite = path, .backends = "opencl", .max_block_rows = 64 * blocks};
            ef_run run;
            ef_error err = {{0}};
            cr_assert_eq(runner_run(&cfg, &run, &err), EF_OK, "runner_run: %s", err.msg);
            int energy = 0, gram = 0, tail = 0;
            const char *tail_path = blocks ? "ranktail-block-" : "ranktail-";
            for (int i = 0; i < run.case_count; i++) {
                const ef_case *c = &run.cases[i];
                if (c->variant[0]) continue;
                energy += strstr(c->path, forced[f][2]) != NULL;
                gram += strncmp(c->path, "gram-", 5) == 0 && strstr(c->path, forced[f][3]);
                tail += strncmp(c->path, tail_path, strlen(tail_path)) == 0 &&
                        strstr(c->path, forced[f][3]);
                cr_expect_eq(c->status, EF_CASE_PASS, "%s: %s", c->path, c->reasons);
            }
            cr_expect_eq(energy, 12, "%d of 12 energy cases ran %s", energy, forced[f][2]);
            cr_expect_gt(gram, 0, "no gram case ran the %s form", forced[f][3]);
            cr_expect_eq(tail, 4, "%d of 4 ranktail cases ran %s%s", tail, tail_path, forced[f][3]);
            runner_free(&run);
        }
    }
    unlink(path);
    unsetenv("EF_OPENCL_PASSES");
}
