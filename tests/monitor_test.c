/* tests/monitor_test.c — suite `unit`: the efbench-monitor C API against the harness's
 * float64 reference (mu_K, leverage, column energies, PR/n) on seeded synthetic heads, its
 * flags (a sink key yes, Gaussian keys no), and `efbench monitor` end to end: exit status,
 * monitor.json, heat maps, checkpoint changes, and bad input (exit 2, one clear line).
 */
#include "efbench/monitor.h" /* first: the public header compiles alone */

#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/monitor_run.h"
#include "harness/reference.h"
#include "harness/verify.h"
#include "model/capture.h"
#include "tests/model_testdata.h"
#include "test_util.h"

#define U64 0x1p-53

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "monitor"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(monitor, .init = setup, .fini = teardown, .timeout = 240);

/* ---- the API against the reference ----------------------------------------------- */

static void reference_full(const ef_head *h, ef_reference *r)
{
    ef_reference_opts o = {.check_rows = 2, .full_check_max = 0, .seed = 1};
    ef_error err;
    cr_assert_eq(reference_build(h, (ef_mask){.kind = EF_MASK_FULL}, EF_PREC_FP32, &o, r, &err),
                 EF_OK, "%s", err.msg);
}

static const struct {
    const char *kind;
    int n, d;
} api_cases[] = {
    {"gaussian", 512, 64},
    {"sink", 512, 64},
    {"gaussian", 300, 32},
    {"sink", 200, 48},
};

/* Both routes take the same centered keys (ref_key_mean, ref_keys_center on the same
 * doubles) to the same thin SVD with the same rank rule; a float64 SVD's leverage is
 * accurate to gamma_{nd} s_1 / s_r (backward stability over the gap to the dropped
 * directions: the bound harness/verify.c holds the reference to), so two of them differ by
 * at most VERIFY_C times that, and mu_K = (n/r) max_j l_j by n/r times it. */
Test(monitor, mu_k_matches_reference)
{
    uint64_t seed = ef_test_seed();
    for (size_t c = 0; c < sizeof api_cases / sizeof api_cases[0]; c++) {
        int n = api_cases[c].n, d = api_cases[c].d;
        ef_head h;
        ef_reference r;
        ef_test_head(api_cases[c].kind, n, d, seed + c, &h);
        reference_full(&h, &r);
        double *lev = malloc(sizeof(double) * n), mu;
        int rank;
        char err[256];
        cr_assert_eq(efm_key_leverage(n, d, h.k, lev, &mu, &rank, err, sizeof err), EFM_OK, "%s",
                     err);
        cr_assert_eq(rank, r.rank_k, "%s n %d d %d: rank %d, reference %d", api_cases[c].kind, n, d,
                     rank, r.rank_k);
        double lev_tol = VERIFY_C * ef_gamma((double)n * d, U64) * r.sv_k1 / r.sv_kr;
        for (int j = 0; j < n; j++)
            cr_assert_leq(fabs(lev[j] - r.lev[j]), lev_tol, "%s: leverage %d: %.17g vs %.17g",
                          api_cases[c].kind, j, lev[j], r.lev[j]);
        double tol = (double)n / rank * lev_tol;
        cr_assert_leq(fabs(mu - r.inv.mu_k), tol,
                      "%s n %d d %d seed %llu: mu_K %.17g, reference "
                      "%.17g (tol %.3g)",
                      api_cases[c].kind, n, d, (unsigned long long)(seed + c), mu, r.inv.mu_k, tol);
        efm_head_stats s;
        cr_assert_eq(efm_head_analyze(n, d, h.q, h.k, h.scale, &s, err, sizeof err), EFM_OK, "%s",
                     err);
        cr_assert_eq(s.mu_k, mu, "efm_head_analyze and efm_key_leverage disagree");
        cr_assert_eq(s.rank_k, rank);
        cr_assert_eq(s.lev_max, lev[s.lev_argmax]);
        if (!strcmp(api_cases[c].kind, "sink")) cr_assert_eq(s.lev_argmax, 0, "the sink is key 0");
        cr_log_info("%s n %d d %d: mu_K %.4f (reference %.4f), rank %d", api_cases[c].kind, n, d,
                    mu, r.inv.mu_k, rank);
        free(lev);
        reference_free(&r);
        ef_head_free(&h);
    }
}

/* c_j = a^2 k~_j^T (Q^T Q) k~_j against the reference's sum over the explicit field's
 * column. Given the same centered keys, the reference's E_ij (dgemm, length d) is within
 * gamma_{d+1} b_ij of exact, b_ij = a |q_i|.|k~_j|, so its c_j within
 * (3 gamma_{d+1} + gamma_n) sum_i b_ij^2; the Gram route (dsyrk over n, dsymm and a dot over
 * d) within gamma_{n+2d+1} sum_i b_ij^2. Their difference: eps_j = VERIFY_C
 * gamma_{2n+3d+4} beta_j, beta_j = sum_i b_ij^2 = a^2 |k~_j|^T |Q|^T |Q| |k~_j|. PR/n =
 * S1^2 / (n S2) with S1 = sum c, S2 = sum c^2 then moves by at most the factor
 * (1 + E1/S1)^2 / (1 - E2/S2), E1 = sum eps, E2 = sum (2 c eps + eps^2). */
Test(monitor, pr_over_n_matches_reference)
{
    uint64_t seed = ef_test_seed();
    for (size_t c = 0; c < sizeof api_cases / sizeof api_cases[0]; c++) {
        int n = api_cases[c].n, d = api_cases[c].d;
        ef_head h;
        ef_reference r;
        ef_test_head(api_cases[c].kind, n, d, seed + 100 + c, &h);
        reference_full(&h, &r);
        double *col = malloc(sizeof(double) * n), pr, vmax;
        char err[256];
        cr_assert_eq(
            efm_column_energy_pr(n, d, h.q, h.k, h.scale, col, &pr, &vmax, err, sizeof err), EFM_OK,
            "%s", err);
        double g = ef_gamma(2.0 * n + 3.0 * d + 4, U64), s1 = 0, s2 = 0, e1 = 0, e2 = 0;
        for (int j = 0; j < n; j++) {
            double beta = 0;
            for (int i = 0; i < n; i++) {
                double b = 0;
                for (int e = 0; e < d; e++)
                    b += fabs(r.Q[(size_t)i * d + e]) * fabs(r.Kc[(size_t)j * d + e]);
                beta += r.a * r.a * b * b;
            }
            double eps = VERIFY_C * g * beta;
            cr_assert_leq(fabs(col[j] - r.col[j]), eps,
                          "%s: c_%d %.17g vs reference %.17g (eps %.3g)", api_cases[c].kind, j,
                          col[j], r.col[j], eps);
            s1 += r.col[j], s2 += r.col[j] * r.col[j];
            e1 += eps, e2 += 2 * r.col[j] * eps + eps * eps;
        }
        double factor = (1 + e1 / s1) * (1 + e1 / s1) / (1 - e2 / s2) - 1;
        cr_assert_leq(fabs(pr - r.inv.pr_over_n), factor * r.inv.pr_over_n,
                      "%s n %d d %d: PR/n "
                      "%.17g, reference %.17g (bound %.3g)",
                      api_cases[c].kind, n, d, pr, r.inv.pr_over_n, factor * r.inv.pr_over_n);
        cr_assert_leq(fabs(vmax - r.inv.v_max), (e1 + r.inv.v_max * e1) / (s1 - e1), "v_max");
        cr_log_info("%s n %d d %d: PR/n %.4f (reference %.4f, bound %.2g), v_max %.4f",
                    api_cases[c].kind, n, d, pr, r.inv.pr_over_n, factor * r.inv.pr_over_n, vmax);
        free(col);
        reference_free(&r);
        ef_head_free(&h);
    }
}

/* The default rule (mu_K > 1 + 0.85 (n/r - 1)) flags the sink (key 0 x 30) and not
 * Gaussian keys, at the head dimensions of small models (32, 64) and of the default model
 * (Gemma 3 270M: 256). */
Test(monitor, sink_flagged_gaussian_not)
{
    uint64_t seed = ef_test_seed();
    int dims[] = {32, 64, 256};
    cr_assert_float_eq(mon_mu_limit(512, 256, MON_DEFAULT_EXCESS), 1.85, 1e-12);
    cr_assert_float_eq(mon_mu_limit(512, 64, MON_DEFAULT_EXCESS), 6.95, 1e-12);
    for (int i = 0; i < 3; i++) {
        ef_head g, s;
        ef_test_head("gaussian", 512, dims[i], seed, &g);
        ef_test_head("sink", 512, dims[i], seed, &s);
        efm_head_stats a, b;
        char err[256];
        cr_assert_eq(efm_head_analyze(512, dims[i], g.q, g.k, g.scale, &a, err, sizeof err), EFM_OK,
                     "%s", err);
        cr_assert_eq(efm_head_analyze(512, dims[i], s.q, s.k, s.scale, &b, err, sizeof err), EFM_OK,
                     "%s", err);
        cr_log_info("n 512 d %d: gaussian mu_K %.3f PR/n %.3f, sink mu_K %.3f PR/n %.3f v_max %.3f",
                    dims[i], a.mu_k, a.pr_over_n, b.mu_k, b.pr_over_n, b.v_max);
        double la = mon_mu_limit(512, a.rank_k, MON_DEFAULT_EXCESS);
        double lb = mon_mu_limit(512, b.rank_k, MON_DEFAULT_EXCESS);
        cr_expect_leq(a.mu_k, la, "d %d: Gaussian keys flagged (mu_K %.3f > %.3f)", dims[i], a.mu_k,
                      la);
        cr_expect_gt(b.mu_k, lb, "d %d: the sink is not flagged (mu_K %.3f <= %.3f)", dims[i],
                     b.mu_k, lb);
        cr_expect_lt(b.pr_over_n, a.pr_over_n, "the sink should concentrate the column energy");
        ef_head_free(&g);
        ef_head_free(&s);
    }
}

Test(monitor, api_bad_input)
{
    ef_head h;
    ef_test_head("gaussian", 64, 16, ef_test_seed(), &h);
    double mu, pr, vm;
    int rank;
    char err[256] = "";
    cr_assert_eq(efm_key_leverage(16, 32, h.k, NULL, &mu, &rank, err, sizeof err), EFM_EINVAL);
    cr_assert(strstr(err, "d + 2"), "n < d: %s", err);
    cr_assert_eq(efm_key_leverage(17, 16, h.k, NULL, &mu, &rank, err, sizeof err), EFM_EINVAL,
                 "n = d + 1");
    cr_assert_eq(efm_key_leverage(64, 16, NULL, NULL, &mu, &rank, err, sizeof err), EFM_EINVAL);
    cr_assert(strstr(err, "NULL"), "%s", err);
    cr_assert_eq(efm_column_energy_pr(64, 16, h.q, h.k, 0.0, NULL, &pr, &vm, err, sizeof err),
                 EFM_EINVAL);
    cr_assert(strstr(err, "scale"), "%s", err);
    h.k[5 * 16 + 3] = NAN;
    cr_assert_eq(efm_key_leverage(64, 16, h.k, NULL, &mu, &rank, err, sizeof err), EFM_EINVAL);
    cr_assert(strstr(err, "k[5][3]"), "%s", err);
    cr_assert_eq(efm_key_leverage(64, 16, h.k, NULL, &mu, &rank, NULL, 0), EFM_EINVAL,
                 "no err buffer");
    /* all keys equal: rank 0, mu_K undefined (NAN), not an error */
    for (int i = 0; i < 64 * 16; i++) h.k[i] = 1.0f;
    cr_assert_eq(efm_key_leverage(64, 16, h.k, NULL, &mu, &rank, err, sizeof err), EFM_OK, "%s",
                 err);
    cr_assert(rank == 0 && isnan(mu), "rank %d mu %g", rank, mu);
    cr_assert(fabs(efm_mu_change(2.0, 2.5) - 0.25) < 1e-15 && isnan(efm_mu_change(NAN, 1)));
    ef_head_free(&h);
}

/* ---- `efbench monitor` ------------------------------------------------------------ */

/* `ENV efbench ARGS` in dir (test_util.h), the cache under dir; a file of dir, whole;
 * whether it exists. */
static int efbench_env(const char *env, const char *args)
{
    char full[1024];
    snprintf(full, sizeof full, "XDG_CACHE_HOME='%s/cache' %s", dir, env);
    return ef_test_efbench(dir, full, args);
}

static int efbench(const char *args) { return efbench_env("", args); }
static char *slurp(const char *name) { return ef_test_read(dir, name); }
static int exists(const char *name) { return ef_test_exists(dir, name); }

/* Exit 2 and one line on stderr (progress off) holding `what`. */
static void expect_bad_input(const char *args, const char *what)
{
    char quiet[1024];
    snprintf(quiet, sizeof quiet, "%s --quiet", args); /* no progress lines */
    cr_assert_eq(efbench(quiet), 2, "'%s' should be exit 2; stderr: %s", args, slurp("stderr"));
    const char *e = slurp("stderr");
    cr_assert(strstr(e, what), "'%s': stderr does not say '%s': %s", args, what, e);
    cr_assert(strchr(e, '\n') == e + strlen(e) - 1, "'%s': not one line: %s", args, e);
}

static json_t *load_json(const char *name)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, &je);
    cr_assert(doc, "%s: %s", path, je.text);
    return doc;
}

/* A Q/K file in the exchange layout, one layer: head i has the keys and queries of
 * synthetic `kinds[i]` (its own KV head), drawn with seed + i. */
static void write_qk(const char *name, const char *const *kinds, int count, int n, int d,
                     uint64_t seed)
{
    capture_set c = {.n = n, .n_layers = 1};
    capture_layer L = {.layer = 0,
                       .n_head = count,
                       .n_head_kv = count,
                       .n = n,
                       .d = d,
                       .scale = 1 / sqrt(d),
                       .mask = {.kind = EF_MASK_CAUSAL}};
    snprintf(c.model, sizeof c.model, "synthetic");
    snprintf(c.text, sizeof c.text, "seeded");
    L.q = malloc(sizeof(float) * count * n * d);
    L.k = malloc(sizeof(float) * count * n * d);
    for (int i = 0; i < count; i++) {
        ef_head h;
        ef_test_head(kinds[i], n, d, seed + i, &h);
        memcpy(L.q + (size_t)i * n * d, h.q, sizeof(float) * n * d);
        memcpy(L.k + (size_t)i * n * d, h.k, sizeof(float) * n * d);
        ef_head_free(&h);
    }
    c.layers = &L;
    char path[512];
    ef_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(capture_write(&c, path, &err), EF_OK, "%s", err.msg);
    free(L.q);
    free(L.k);
}

static json_t *head_json(json_t *doc, int ck, int i)
{
    json_t *cks = json_object_get(doc, "checkpoints");
    return json_array_get(json_object_get(json_array_get(cks, ck), "heads"), i);
}

Test(monitor, cli_flags_the_sink_head)
{
    const char *kinds[] = {"gaussian", "sink"};
    uint64_t seed = ef_test_seed();
    write_qk("qk.safetensors", kinds, 2, 256, 64, seed);
    cr_assert_eq(efbench("monitor --qk qk.safetensors --out out --quiet"), 1, "stderr: %s",
                 slurp("stderr"));
    const char *out = slurp("stdout");
    cr_assert(strstr(out, "FLAG") && strstr(out, "flagged: 1 of 2"), "stdout: %s", out);
    json_t *doc = load_json("out/monitor.json");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "flagged");
    cr_assert(json_is_null(json_object_get(doc, "max_mu")), "no --max-mu: max_mu is null");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "flag_rule")),
                     "mu_k > 1 + 0.85 (n/r - 1)");
    json_t *g = head_json(doc, 0, 0), *s = head_json(doc, 0, 1);
    cr_assert(json_is_false(json_object_get(g, "flagged")), "the Gaussian head is flagged");
    cr_assert(json_is_true(json_object_get(s, "flagged")), "the sink head is not flagged");
    cr_assert_eq(json_integer_value(json_object_get(s, "lev_argmax")), 0);
    const char *keys[] = {"mu_k", "pr_over_n", "v_max"};
    for (int k = 0; k < 3; k++)
        cr_assert(json_is_number(json_object_get(g, keys[k])), "%s", keys[k]);
    cr_assert(json_is_integer(json_object_get(g, "rank_k")));
    /* the CLI reports what the API computes */
    ef_head h;
    ef_test_head("sink", 256, 64, seed + 1, &h);
    efm_head_stats st;
    char err[256];
    cr_assert_eq(efm_head_analyze(256, 64, h.q, h.k, h.scale, &st, err, sizeof err), EFM_OK, "%s",
                 err);
    double mu = json_number_value(json_object_get(s, "mu_k"));
    cr_assert_leq(fabs(mu - st.mu_k), 1e-7 * st.mu_k, "monitor.json mu_k %.17g, API %.17g", mu,
                  st.mu_k);
    cr_assert_eq(json_integer_value(json_object_get(s, "rank_k")), st.rank_k);
    json_t *ck = json_array_get(json_object_get(doc, "checkpoints"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(ck, "kind")), "qk");
    cr_assert(json_integer_value(json_object_get(ck, "size")) > 0);
    cr_assert(strstr(json_string_value(json_object_get(ck, "path")), "qk.safetensors"));
    cr_assert_eq(json_integer_value(json_object_get(ck, "n")), 256);
    ef_head_free(&h);
    json_decref(doc);
    /* no temporary files left behind */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -a '%s/out' | grep -q tmp", dir);
    cr_assert_neq(system(cmd), 0, "a temporary file is left in out/");
}

Test(monitor, cli_gaussian_heads_pass)
{
    const char *kinds[] = {"gaussian", "gaussian", "gaussian"};
    write_qk("qk.safetensors", kinds, 3, 256, 64, ef_test_seed());
    cr_assert_eq(efbench("monitor --qk qk.safetensors --out out --json --quiet"), 0, "stderr: %s",
                 slurp("stderr"));
    json_error_t je;
    json_t *doc = json_loads(slurp("stdout"), 0, &je);
    cr_assert(doc, "--json did not print JSON: %s", je.text);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "ok");
    cr_assert_eq(json_array_size(json_object_get(
                     json_array_get(json_object_get(doc, "checkpoints"), 0), "heads")),
                 3);
    json_decref(doc);
    cr_assert(exists("out/monitor.json"));
    /* a lower --max-mu flags them all: exit 1 */
    cr_assert_eq(efbench("monitor --qk qk.safetensors --out out --max-mu 1 --quiet"), 1);
    cr_assert(strstr(slurp("stdout"), "flagged: 3 of 3"), "%s", slurp("stdout"));
}

/* Two checkpoints: head 1 turns into a sink. The change is listed first and flagged. */
Test(monitor, cli_checkpoint_changes)
{
    const char *before[] = {"gaussian", "gaussian"}, *after[] = {"gaussian", "sink"};
    uint64_t seed = ef_test_seed();
    write_qk("a.safetensors", before, 2, 256, 64, seed);
    write_qk("b.safetensors", after, 2, 256, 64, seed);
    cr_assert_eq(efbench("monitor --qk a.safetensors --qk a.safetensors --out out --quiet"), 0,
                 "same checkpoint twice: %s", slurp("stderr"));
    cr_assert(strstr(slurp("stdout"), "changes flagged: 0 of 2"), "%s", slurp("stdout"));
    /* --max-mu 1000: only the change can flag */
    cr_assert_eq(
        efbench("monitor --qk a.safetensors --qk b.safetensors --max-mu 1000 --out out --quiet"), 1,
        "stderr: %s", slurp("stderr"));
    cr_assert(strstr(slurp("stdout"), "changes flagged: 1 of 2"), "%s", slurp("stdout"));
    json_t *doc = load_json("out/monitor.json");
    json_t *top = json_object_get(doc, "top_changes");
    cr_assert_eq(json_array_size(top), 2);
    json_t *t0 = json_array_get(top, 0);
    cr_assert_eq(json_integer_value(json_object_get(t0, "head")), 1, "the sink head changed most");
    cr_assert(json_is_true(json_object_get(t0, "flagged")));
    cr_assert_gt(json_number_value(json_object_get(t0, "rel_change")), EFM_DEFAULT_MAX_CHANGE);
    cr_assert_eq(json_integer_value(json_object_get(t0, "from")), 0);
    cr_assert_eq(json_integer_value(json_object_get(t0, "to")), 1);
    cr_assert_eq(json_array_size(json_object_get(doc, "changes")), 2);
    cr_assert_eq(json_integer_value(json_object_get(doc, "flagged_change")), 1);
    json_decref(doc);
    /* a huge --max-change: nothing flagged */
    cr_assert_eq(
        efbench("monitor --qk a.safetensors --qk b.safetensors --max-mu 1000 --max-change 100 "
                "--out out --quiet"),
        0);
}

Test(monitor, cli_bad_input)
{
    const char *two[] = {"gaussian", "gaussian"}, *three[] = {"gaussian", "gaussian", "gaussian"};
    write_qk("two.safetensors", two, 2, 256, 64, 1);
    write_qk("three.safetensors", three, 3, 256, 64, 1);
    write_qk("short.safetensors", two, 2, 20, 64, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/text.txt", dir);
    cr_assert_eq(testdata_write_bytes(path, "a short text\n", 13), 0);
    expect_bad_input("monitor --model missing.gguf --text text.txt", "missing.gguf");
    expect_bad_input("monitor --qk missing.safetensors", "missing.safetensors");
    expect_bad_input("monitor --qk two.safetensors --qk three.safetensors", "different models");
    expect_bad_input("monitor --qk short.safetensors", "d + 2");
    expect_bad_input("monitor --qk two.safetensors --length 300", "only 256 positions");
    expect_bad_input("monitor --qk two.safetensors --max-mu 0.5", "--max-mu");
    expect_bad_input("monitor --qk two.safetensors --bogus", "--bogus");
    expect_bad_input("monitor --model missing.gguf", "--text");
    expect_bad_input("monitor --qk two.safetensors --text gpl3", "--text");
    cr_assert(!exists("results"), "bad input wrote results");
}

/* A tiny random-weight GGUF of tests/model_testdata.c and a text file of `bytes` bytes. */
static void tiny_inputs(const char *arch, const char *gguf, size_t bytes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, gguf);
    cr_assert_eq(testdata_write_gguf(path, arch, TESTDATA_MIX_ALL, 1234), 0, "writing %s", path);
    static const char words[] = "the quick brown fox jumps over the lazy dog, Hello world 12345. ";
    char *text = malloc(bytes + 1);
    for (size_t i = 0; i < bytes; i++) text[i] = words[i % (sizeof words - 1)];
    snprintf(path, sizeof path, "%s/text.txt", dir);
    cr_assert_eq(testdata_write_bytes(path, text, bytes), 0);
    free(text);
}

Test(monitor, cli_gguf_models)
{
    tiny_inputs("gemma3", "gemma3.gguf", 4000);
    tiny_inputs("llama", "llama.gguf", 4000);
    int rc = efbench("monitor --model gemma3.gguf --text text.txt --length 64 --out out");
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, slurp("stderr"));
    cr_assert(strstr(slurp("stderr"), "monitor: [1/1]"), "no progress on stderr: %s",
              slurp("stderr"));
    json_t *doc = load_json("out/monitor.json");
    json_t *ck = json_array_get(json_object_get(doc, "checkpoints"), 0);
    cr_assert_eq(json_array_size(json_object_get(ck, "heads")), 6 * 4, "6 layers x 4 heads");
    cr_assert_eq(strlen(json_string_value(json_object_get(ck, "sha256"))), 64);
    cr_assert_str_eq(json_string_value(json_object_get(ck, "kind")), "gguf");
    cr_assert_str_eq(json_string_value(json_object_get(ck, "text")), "text.txt");
    cr_assert_eq(json_integer_value(json_object_get(ck, "n")), 64);
    cr_assert_eq(json_integer_value(json_object_get(ck, "d")), 32);
    json_decref(doc);
    /* the second run reads the capture cache, and reports the same numbers */
    static char first[1 << 17];
    snprintf(first, sizeof first, "%s", slurp("stdout"));
    cr_assert_eq(efbench("monitor --model gemma3.gguf --text text.txt --length 64 --out out"), rc);
    cr_assert(strstr(slurp("stderr"), "capture cache"), "%s", slurp("stderr"));
    cr_assert_str_eq(slurp("stdout"), first);
    /* the same Q/K exported by `efbench capture` and imported: a checkpoint of the same
     * model (no architecture in the file), every head unchanged */
    cr_assert_eq(
        efbench("capture --model gemma3.gguf --text text.txt --length 64 --out cap.safetensors"), 0,
        "%s", slurp("stderr"));
    cr_assert_eq(
        efbench("monitor --model gemma3.gguf --qk cap.safetensors --text text.txt --length 64 "
                "--out out --quiet"),
        rc, "%s", slurp("stderr"));
    doc = load_json("out/monitor.json");
    json_t *top = json_array_get(json_object_get(doc, "top_changes"), 0);
    cr_assert_eq(json_number_value(json_object_get(top, "rel_change")), 0.0, "imported Q/K differ");
    cr_assert_eq(json_integer_value(json_object_get(doc, "flagged_change")), 0);
    json_decref(doc);
    /* checkpoints of different architectures / shapes */
    expect_bad_input("monitor --model gemma3.gguf --model llama.gguf --text text.txt --length 64",
                     "different models");
    /* the text too short, and a length below d + 2 */
    expect_bad_input("monitor --model gemma3.gguf --text text.txt --length 4000", "fewer than");
    expect_bad_input("monitor --model gemma3.gguf --text text.txt --length 20", "d + 2");
}

Test(monitor, cli_heat_map_or_note)
{
    const char *kinds[] = {"gaussian", "sink"};
    write_qk("qk.safetensors", kinds, 2, 256, 64, ef_test_seed());
    /* without gnuplot on PATH: a note, everything else written */
    cr_assert_eq(efbench_env("PATH=/nonexistent", "monitor --qk qk.safetensors --out out --quiet"),
                 1, "%s", slurp("stderr"));
    cr_assert(strstr(slurp("stderr"), "heat map skipped: gnuplot not found"), "%s",
              slurp("stderr"));
    cr_assert(exists("out/monitor.json") && !exists("out/mu_k_0.svg"));
    json_t *doc = load_json("out/monitor.json");
    cr_assert(json_is_null(
        json_object_get(json_array_get(json_object_get(doc, "checkpoints"), 0), "heatmap")));
    json_decref(doc);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        cr_log_warn("gnuplot is not installed: the SVG itself is not checked");
        return;
    }
    cr_assert_eq(efbench("monitor --qk qk.safetensors --qk qk.safetensors --out out --quiet"), 1);
    cr_assert(!strstr(slurp("stderr"), "skipped"), "%s", slurp("stderr"));
    cr_assert(exists("out/mu_k_0.svg") && exists("out/mu_k_1.svg"));
    cr_assert(strstr(slurp("out/mu_k_1.svg"), "<svg"), "not an SVG");
    doc = load_json("out/monitor.json");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(doc, "checkpoints"), 1), "heatmap")),
                     "mu_k_1.svg");
    json_decref(doc);
}
