/* tests/cpu_test.c — the float32 cpu backend (and the float64 ref backend) agree with the
 * reference on every workload x mask x precision, also when the field is split into row
 * blocks; a deliberately wrong mask makes the run fail with the energy check's reason. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness/runner.h"
#include "test_util.h"

static void run_suite(const char *backends, int max_block_rows, ef_fault fault, ef_run *run)
{
    ef_error err = {{0}};
    ef_run_config cfg = {.suite = ef_test_suite_path("cpu.ini"),
                         .backends = backends,
                         .max_block_rows = max_block_rows,
                         .fault = fault};
    cr_assert_eq(runner_run(&cfg, run, &err), EF_OK, "%s", err.msg);
}

static void expect_all_pass(const ef_run *run)
{
    for (int i = 0; i < run->case_count; i++) {
        const ef_case *c = &run->cases[i];
        char mask[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        cr_expect(c->status == EF_CASE_PASS, "%s %s %s %s n=%d %s: %s: %s",
                  run->devices[c->device].backend->name, ef_workload_name(c->workload), mask,
                  ef_precision_name(c->precision), c->n, c->source, ef_case_status_name(c->status),
                  c->reasons);
    }
    cr_assert_gt(run->counts[EF_CASE_PASS], 100);
}

Test(cpu, every_case_passes)
{
    ef_run run;
    run_suite("ref,cpu", 0, EF_FAULT_NONE, &run);
    expect_all_pass(&run);
    runner_free(&run);
}

Test(cpu, row_blocks_agree)
{
    ef_run run;
    run_suite("cpu", 32, EF_FAULT_NONE, &run);
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        cr_expect_eq(c->status, EF_CASE_PASS, "%s n=%d: %s", ef_workload_name(c->workload), c->n,
                     c->reasons);
    }
    runner_free(&run);
}

Test(cpu, wrong_mask_fails)
{
    ef_run run;
    run_suite("cpu", 0, EF_FAULT_MASK_OFF_BY_ONE, &run);
    int energy_failed = 0;
    for (int i = 0; i < run.case_count; i++) {
        const ef_case *c = &run.cases[i];
        if (c->mask.kind == EF_MASK_FULL) continue; /* the fault needs a mask */
        if (c->workload == EF_WL_ENERGY) {
            cr_expect_eq(c->status, EF_CASE_FAIL, "energy %s n=%d passed with a wrong mask",
                         c->source, c->n);
            energy_failed += c->status == EF_CASE_FAIL && strstr(c->reasons, "energy:") != NULL;
        }
        if (c->workload == EF_WL_ROWSUM)
            cr_expect_eq(c->status, EF_CASE_FAIL, "rowsum on a wrongly masked field passed");
    }
    cr_assert_gt(energy_failed, 0);
    cr_assert_gt(run.counts[EF_CASE_FAIL], 0);
    runner_free(&run);
}
