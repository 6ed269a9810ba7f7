/* tests/paper_test.c — what the paper suite relies on: every group's float64 invariants
 * recorded as a run input, the seeded device sample of heads (suite key device_heads), and
 * the "Invariants by model" section of summary.md computed from hand-made inputs whose
 * expected cells are worked out in the comments. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/results.h"
#include "report/summary.h"
#include "harness/suite.h"
#include "test_util.h"

static const char sample_suite[] =
    "[suite]\nname = sample\nseed = 7\ntarget_time = 0.001\nwarmup = 0\nmin_reps = 1\nmax_reps = 1\n"
    "[cases s]\nsources = gaussian, sink\nlengths = 64\ndims = 16\nheads = 4\ndevice_heads = 1\n"
    "masks = full, causal\nprecisions = fp32\nworkloads = energy, colenergy\n";

/* Write the sample suite to a temporary file, run it on the ref backend, remove the file. */
static void run_sample(ef_run *run)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/efbench-paper-XXXXXX.ini");
    int fd = mkstemps(path, 4);
    cr_assert(fd >= 0, "mkstemps failed");
    cr_assert_eq(write(fd, sample_suite, sizeof sample_suite - 1),
                 (ssize_t)(sizeof sample_suite - 1));
    close(fd);
    ef_run_config cfg = {.suite = path, .backends = "ref"};
    ef_error err = {{0}};
    int rc = runner_run(&cfg, run, &err);
    unlink(path);
    cr_assert_eq(rc, EF_OK, "run failed: %s", err.msg);
}

Test(paper, every_group_is_an_input_and_devices_run_a_seeded_sample)
{
    ef_run a, b;
    run_sample(&a);
    run_sample(&b);
    /* 2 sources x 4 heads x 2 masks = 16 groups, each with its reference invariants */
    cr_expect_eq(a.input_count, 16);
    int on = 0;
    for (int i = 0; i < a.input_count; i++) {
        on += a.inputs[i].on_devices;
        cr_expect(isfinite(a.inputs[i].inv.pr_over_n), "input %d has no PR/n", i);
        cr_expect(a.inputs[i].inv.rowsum_rel <= a.inputs[i].inv.rowsum_bound,
                  "input %d: reference row sum %g > bound %g", i, a.inputs[i].inv.rowsum_rel,
                  a.inputs[i].inv.rowsum_bound);
        /* the same seed picks the same heads */
        cr_expect_eq(a.inputs[i].on_devices, b.inputs[i].on_devices, "input %d sampled differently",
                     i);
    }
    /* one head per source (and length) on the devices, under both masks */
    cr_expect_eq(on, 2 * 2, "%d groups ran on the devices", on);
    /* each of those groups gives one case per workload on the one ref device */
    cr_expect_eq(a.case_count, on * 2);
    ef_results_meta meta = {.command_line = "test", .utc_time = "2026-11-28T00:00:00Z"};
    json_t *doc = results_json(&a, &meta);
    cr_expect_eq(json_array_size(json_object_get(doc, "inputs")), 16);
    json_t *first = json_array_get(json_object_get(doc, "inputs"), 0);
    cr_expect(json_is_boolean(json_object_get(first, "on_devices")));
    cr_expect(json_is_object(json_object_get(first, "invariants")));
    json_decref(doc);
    runner_free(&a);
    runner_free(&b);
}

Test(paper, device_heads_is_parsed_and_checked)
{
    ef_suite s;
    ef_error err = {{0}};
    cr_expect_eq(
        suite_parse_string(
            "[suite]\nname = x\n[cases a]\nsources = gaussian\nlengths = 64\ndevice_heads = all\n",
            "t.ini", &s, &err),
        EF_OK, "%s", err.msg);
    cr_expect_eq(s.sets[0].device_heads, -1);
    cr_expect_eq(
        suite_parse_string(
            "[suite]\nname = x\n[cases a]\nsources = gaussian\nlengths = 64\ndevice_heads = -2\n",
            "t.ini", &s, &err),
        EF_ERROR);
    cr_expect(strstr(err.msg, "device_heads"), "message does not name the key: %s", err.msg);
}

/* A real-model input with the given statistics; the mechanism residuals hold. */
static ef_input model_input(int layer, int head, const char *text, int n, double pr, double vmax,
                            double mu)
{
    ef_input in = {.layer = layer,
                   .head = head,
                   .kv_head = 0,
                   .n = n,
                   .d = 64,
                   .mask = {EF_MASK_FULL, 0},
                   .precision = EF_PREC_FP32,
                   .on_devices = 0};
    snprintf(in.source, sizeof in.source, "toy-model");
    snprintf(in.text, sizeof in.text, "%s", text);
    ef_invariants_clear(&in.inv);
    in.inv.rowsum_rel = 1e-16, in.inv.rowsum_bound = 1e-13;
    in.inv.rank_tail = 1e-16, in.inv.rank_tail_bound = 1e-12;
    in.inv.sv_rel_err = 1e-15, in.inv.sv_rel_bound = 1e-6;
    in.inv.pr_over_n = pr, in.inv.v_max = vmax, in.inv.mu_k = mu, in.inv.rank_k = 64;
    in.inv.bound_ok = 1, in.inv.bound_slack = 0.1;
    return in;
}

Test(paper, summary_counts_invariants_and_spreads_quantities)
{
    ef_input inputs[5] = {
        model_input(0, 0, "t1", 256, 0.2, 0.01, 1.5), model_input(0, 1, "t1", 256, 0.4, 0.02, 1.5),
        model_input(0, 2, "t2", 256, 0.6, 0.03, 2.0), model_input(0, 3, "t2", 256, 0.8, 0.5, 3.0),
        model_input(1, 0, "t1", 256, 0.5, 0.01, 1.2),
    };
    inputs[4].inv.rowsum_rel = 1e-12; /* above its bound 1e-13: a broken invariant */
    ef_run run;
    memset(&run, 0, sizeof run);
    run.inputs = inputs;
    run.input_count = 5;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    summary_paper_markdown(f, &run);
    fclose(f);
    cr_expect(strstr(text, "## Invariants by model: toy-model"), "%s", text);
    /* zero row sum: 5 checked, 4 hold, 1 fails; the worst ratio is 1e-12 / 1e-13 = 10 */
    cr_expect(strstr(text, "| zero row sum, full mask | 5 | 4 | 1 **(a bug: report it)** | 10 |"),
              "%s", text);
    cr_expect(strstr(text, "| link v_j <= l_j / srank on every column | 5 | 5 | 0 | — |"), "%s",
              text);
    /* layer 0, PR/n {0.2, 0.4, 0.6, 0.8}: median 0.5, p10 = 0.2 + 0.3 * 0.2 = 0.26, p90 0.74,
     * max 0.8; one sink (v_max 0.5 >= 0.1) */
    cr_expect(strstr(text, "| 0 | 4 | 0.5 [0.26, 0.74] 0.8 |"), "%s", text);
    cr_expect(
        strstr(
            text,
            "| 0 | 4 | 0.5 [0.26, 0.74] 0.8 | 0.025 [0.013, 0.359] 0.5 | 1.75 [1.5, 2.7] 3 | 0.1 [0.1, 0.1] 0.1 | 1 |"),
        "%s", text);
    /* text t1: layer 0 heads 0, 1 and layer 1 head 0 */
    cr_expect(strstr(text, "| t1 | 3 | 0.4 [0.24, 0.48] 0.5 |"), "%s", text);
    cr_expect(strstr(text, "- L0 H3, t2, n = 256: sink v_max 0.5, PR/n 0.8, mu_K 3"), "%s", text);
    /* mu_K is the KV head's: layer 0's shared KV head is listed once, with its largest */
    cr_expect(strstr(text, "- most coherent keys #1: L0 KV head 0, t2, n = 256: mu_K 3 (rank 64)"),
              "%s", text);
    cr_expect(
        strstr(text, "- most coherent keys #2: L0 KV head 0, t1, n = 256: mu_K 1.5 (rank 64)"),
        "%s", text);
    free(text);
}

/* Inputs grouped by the language and the script of their texts (model/texts.c). */
Test(paper, summary_groups_by_language_and_script)
{
    ef_input inputs[4] = {
        model_input(0, 0, "gpl3", 256, 0.2, 0.01, 1.5),
        model_input(0, 1, "debref-fr", 256, 0.4, 0.02, 1.5),
        model_input(0, 2, "debref-ja", 256, 0.6, 0.03, 2.0),
        model_input(0, 3, "fortunes-ru", 256, 0.8, 0.04, 3.0),
    };
    ef_run run;
    memset(&run, 0, sizeof run);
    run.inputs = inputs;
    run.input_count = 4;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    summary_paper_markdown(f, &run);
    fclose(f);
    cr_expect(strstr(text, "| language | inputs |"), "%s", text);
    cr_expect(strstr(text, "| script | inputs |"), "%s", text);
    /* one input each: the spread is the value itself */
    cr_expect(strstr(text, "| English | 1 | 0.2 [0.2, 0.2] 0.2 |"), "%s", text);
    cr_expect(strstr(text, "| French | 1 | 0.4 [0.4, 0.4] 0.4 |"), "%s", text);
    cr_expect(strstr(text, "| Russian | 1 | 0.8 [0.8, 0.8] 0.8 |"), "%s", text);
    cr_expect(strstr(text, "| Cyrillic | 1 | 0.8 [0.8, 0.8] 0.8 |"), "%s", text);
    cr_expect(strstr(text, "| Japanese (kanji and kana) | 1 | 0.6 [0.6, 0.6] 0.6 |"), "%s", text);
    /* Latin: gpl3 and debref-fr, PR/n {0.2, 0.4}: median 0.3 (interpolated), p10 0.22, p90 0.38 */
    cr_expect(strstr(text, "| Latin | 2 | 0.3 [0.22, 0.38] 0.4 |"), "%s", text);
    free(text);
}
