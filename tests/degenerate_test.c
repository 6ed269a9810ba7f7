/* tests/degenerate_test.c — imported Q/K that cannot be measured are refused before any
 * work, with exit 2 and one line naming the file, tensor and head: every key the same
 * vector (the centered keys are zero, so mu_K and the field are undefined or zero), all
 * queries zero, a NaN or an infinity. Before, `monitor` reported mu_k null with status ok
 * and exit 0, and `run --qk` reported every case unsupported and exit 0. Also: `monitor`
 * on bad input prints only its error line, no progress line before it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/capture.h"
#include "test_util.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "degenerate"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(degenerate, .init = setup, .fini = teardown, .timeout = 120);

enum { N = 96, D = 16, HEADS = 2 };

typedef enum {
    QK_GAUSSIAN,
    QK_ZERO_KEYS,
    QK_CONSTANT_KEYS,
    QK_ZERO_QUERIES,
    QK_NAN,
    QK_INF,
    QK_ALL_NAN
} qk_kind;

/* One layer of HEADS query / HEADS KV heads of seeded Gaussian Q/K, with KV head 1 (and
 * query head 1) spoilt as `kind` says. */
static void write_qk(const char *name, qk_kind kind)
{
    capture_set c = {.n = N, .n_layers = 1};
    capture_layer L = {.layer = 0,
                       .n_head = HEADS,
                       .n_head_kv = HEADS,
                       .n = N,
                       .d = D,
                       .scale = 0.25,
                       .mask = {.kind = EF_MASK_CAUSAL}};
    snprintf(c.model, sizeof c.model, "synthetic");
    snprintf(c.text, sizeof c.text, "seeded");
    size_t per = (size_t)N * D;
    L.q = malloc(sizeof(float) * HEADS * per);
    L.k = malloc(sizeof(float) * HEADS * per);
    for (int h = 0; h < HEADS; h++) {
        ef_head g;
        ef_test_head("gaussian", N, D, 11 + h, &g);
        memcpy(L.q + h * per, g.q, sizeof(float) * per);
        memcpy(L.k + h * per, g.k, sizeof(float) * per);
        ef_head_free(&g);
    }
    float *k1 = L.k + per, *q1 = L.q + per;
    for (size_t i = 0; i < per; i++) {
        if (kind == QK_ZERO_KEYS) k1[i] = 0;
        if (kind == QK_CONSTANT_KEYS)
            k1[i] = 0.5f + (float)(i % D); /* one key vector at every position */
        if (kind == QK_ZERO_QUERIES) q1[i] = 0;
        if (kind == QK_ALL_NAN) L.q[i] = L.k[i] = k1[i] = q1[i] = NAN;
    }
    if (kind == QK_NAN) k1[5 * D + 3] = NAN;
    if (kind == QK_INF) q1[7 * D] = -INFINITY;
    c.layers = &L;
    char path[512];
    ef_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(capture_write(&c, path, &err), EF_OK, "%s", err.msg);
    free(L.q);
    free(L.k);
}

static char *slurp(const char *name) { return ef_test_read(dir, name); }

/* Exit 2, exactly one line on stderr holding every needle, nothing written into out/. */
static void expect_refused(const char *args, const char *n1, const char *n2)
{
    char full[1024];
    snprintf(full, sizeof full, "%s --out out", args);
    int rc = ef_test_efbench(dir, "", full);
    const char *e = slurp("stderr");
    cr_assert_eq(rc, 2, "'%s' exited %d, not 2; stderr: %s", args, rc, e);
    cr_assert(strchr(e, '\n') == e + strlen(e) - 1, "'%s': stderr is not one line: %s", args, e);
    cr_assert(strstr(e, n1), "'%s': stderr lacks '%s': %s", args, n1, e);
    if (n2) cr_assert(strstr(e, n2), "'%s': stderr lacks '%s': %s", args, n2, e);
    cr_assert(!ef_test_exists(dir, "out"), "'%s' wrote out/", args);
}

Test(degenerate, monitor_refuses_zero_and_constant_keys)
{
    write_qk("zero.safetensors", QK_ZERO_KEYS);
    write_qk("const.safetensors", QK_CONSTANT_KEYS);
    expect_refused("monitor --qk zero.safetensors", "zero.safetensors", "k.0");
    expect_refused("monitor --qk const.safetensors", "const.safetensors", "same key");
}

Test(degenerate, monitor_refuses_zero_queries)
{
    write_qk("q0.safetensors", QK_ZERO_QUERIES);
    expect_refused("monitor --qk q0.safetensors", "q0.safetensors", "q.0");
}

Test(degenerate, monitor_refuses_non_finite)
{
    write_qk("nan.safetensors", QK_NAN);
    write_qk("inf.safetensors", QK_INF);
    expect_refused("monitor --qk nan.safetensors", "nan.safetensors", "NaN");
    expect_refused("monitor --qk inf.safetensors", "inf.safetensors", "q.0");
}

Test(degenerate, run_refuses_non_finite_and_degenerate)
{
    char args[512];
    write_qk("allnan.safetensors", QK_ALL_NAN);
    write_qk("const.safetensors", QK_CONSTANT_KEYS);
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --qk allnan.safetensors",
             ef_test_suite_path("tiny.ini"));
    expect_refused(args, "allnan.safetensors", "NaN");
    snprintf(args, sizeof args, "run --suite '%s' --backend cpu --no-peak --qk const.safetensors",
             ef_test_suite_path("tiny.ini"));
    expect_refused(args, "const.safetensors", "same key");
}

/* The Gaussian file itself is fine: the spoilt head alone makes the others bad. */
Test(degenerate, healthy_file_runs)
{
    write_qk("ok.safetensors", QK_GAUSSIAN);
    int rc = ef_test_efbench(dir, "", "monitor --qk ok.safetensors --quiet --out out");
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, slurp("stderr"));
    cr_assert(ef_test_exists(dir, "out/monitor.json"));
}

/* Without --quiet, bad input still gets its one line and no progress line before it. */
Test(degenerate, monitor_bad_input_is_one_line_with_progress_on)
{
    write_qk("zero.safetensors", QK_ZERO_KEYS);
    write_qk("ok.safetensors", QK_GAUSSIAN);
    expect_refused("monitor --qk ok.safetensors --qk zero.safetensors", "zero.safetensors", NULL);
    expect_refused("monitor --qk ok.safetensors --qk missing.safetensors", "missing.safetensors",
                   NULL);
    expect_refused("monitor --qk ok.safetensors --length 200", "ok.safetensors", NULL);
}
