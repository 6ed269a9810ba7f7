/* tests/model_arch_test.c — suite `model`: the architectures qwen3, gemma2, phi3 and a
 * Mistral-style llama (sliding window in the metadata) against an independent float64
 * numpy forward pass. tests/tiny_arch.py writes each tiny GGUF with the `gguf` package
 * (its writer and quantisers, not efbench's), efbench captures Q/K (with the token ids)
 * and the last logits, and tiny_arch.py recomputes both from the file through `gguf`'s
 * dequantiser: every layer's Q and K and the logits must agree within a float32 bound
 * (tiny_arch.py states it). Needs python3 with numpy and gguf (scripts/setup.sh makes
 * .venv); without them the tests skip, or fail under CI=true.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "model/capture.h"
#include "model/forward.h"
#include "tests/model_testdata.h"
#include "tests/test_util.h"

TestSuite(arch, .fini = testdata_tmp_cleanup);

/* The interpreter with numpy and gguf: EF_TEST_VENV/bin/python3 when it exists, else
 * python3; skips (fails in CI) when neither imports both. */
static const char *arch_python(void)
{
    static char py[1024];
    const char *venv = getenv("EF_TEST_VENV");
    struct stat st;
    snprintf(py, sizeof py, "%s/bin/python3", venv ? venv : ".venv");
    if (stat(py, &st)) snprintf(py, sizeof py, "python3");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s -c 'import numpy, gguf' 2>/dev/null", py);
    if (system(cmd) != 0) {
        if (ef_test_in_ci())
            cr_assert_fail("CI=true and %s cannot import numpy and gguf (scripts/setup.sh "
                           "installs them into .venv)",
                           py);
        cr_skip_test("%s cannot import numpy and gguf: run scripts/setup.sh (it makes .venv "
                     "with the gguf package) for the architecture tests",
                     py);
    }
    return py;
}

static const char *arch_script(void)
{
    static char path[1024];
    const char *data = getenv("EF_TEST_DATA_DIR");
    cr_assert_not_null(data, "EF_TEST_DATA_DIR is not set (meson test sets it)");
    snprintf(path, sizeof path, "%s/../tiny_arch.py", data);
    return path;
}

/* Runs `py tiny_arch.py ARGS`, its output into the test log; the exit status. */
static int arch_run(const char *py, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s %s 2>&1", py, arch_script(), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    char line[512];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        cr_log_info("tiny_arch.py: %s", line);
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Writes the tiny model, captures n seeded tokens, and lets tiny_arch.py check it. */
static void arch_check(const char *arch, const char *want_arch, int n)
{
    const char *py = arch_python();
    char gg[512], cap[512], lg[512], args[2048];
    testdata_tmp_path(gg, sizeof gg, "tiny-arch.gguf");
    testdata_tmp_path(cap, sizeof cap, "tiny-arch.safetensors");
    testdata_tmp_path(lg, sizeof lg, "tiny-arch.logits");
    snprintf(args, sizeof args, "write %s %s 4242", arch, gg);
    cr_assert_eq(arch_run(py, args), 0, "tiny_arch.py could not write the %s model", arch);

    model *m;
    ef_error err;
    cr_assert_eq(model_open(gg, &m, &err), EF_OK, "%s: %s", arch, err.msg);
    const model_config *c = model_config_get(m);
    cr_assert_str_eq(model_arch_name(c->arch), want_arch);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    testdata_rng r;
    testdata_rng_seed(&r, 99);
    for (int i = 0; i < n; i++) ids[i] = (int32_t)(testdata_rng_u64(&r) % 256); /* byte tokens */
    capture_set cs;
    cr_assert_eq(capture_run(m, ids, n, "tiny", NULL, &cs, &err), EF_OK, "%s", err.msg);
    cr_assert_not_null(cs.tokens);
    cr_assert(!memcmp(cs.tokens, ids, (size_t)n * sizeof *ids), "the capture holds other ids");
    cr_assert_eq(capture_write(&cs, cap, &err), EF_OK, "%s", err.msg);
    float *logits = malloc((size_t)c->n_vocab * sizeof *logits);
    forward_request req = {.tokens = ids, .n = n, .logits_last = logits};
    cr_assert_eq(model_forward(m, &req, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(testdata_write_bytes(lg, logits, (size_t)c->n_vocab * sizeof *logits), 0);

    snprintf(args, sizeof args, "check %s %s %s", gg, cap, lg);
    int rc = arch_run(py, args);
    cr_assert_eq(rc, 0,
                 "%s (n = %d): efbench's Q/K or logits differ from the numpy float64 "
                 "pass beyond the float32 bound (the log has each layer)",
                 arch, n);
    remove(gg);
    remove(cap);
    remove(lg);
    free(logits);
    free(ids);
    capture_free(&cs);
    model_close(m);
}

/* per-head RMS q/k norm, no bias, head_dim != n_embd / n_head */
Test(arch, qwen3) { arch_check("qwen3", "qwen3", 14); }
/* alternating window (5) on even layers, logit and final soft-capping, post-norms */
Test(arch, gemma2) { arch_check("gemma2", "gemma2", 14); }
/* fused q|k|v and gate|up; LongRoPE: short factors for n <= 8, long ones past it */
Test(arch, phi3_short_factors) { arch_check("phi3", "phi3", 6); }
Test(arch, phi3_long_factors) { arch_check("phi3", "phi3", 14); }
/* a llama file with attention.sliding_window: the window applies on every layer */
Test(arch, mistral_window) { arch_check("mistral", "llama", 14); }

/* gemma2's capture records its soft-capping; the masks follow the alternation. */
Test(arch, gemma2_masks_and_softcap)
{
    const char *py = arch_python();
    char gg[512], args[1024];
    testdata_tmp_path(gg, sizeof gg, "tiny-g2.gguf");
    snprintf(args, sizeof args, "write gemma2 %s 7", gg);
    cr_assert_eq(arch_run(py, args), 0);
    model *m;
    ef_error err;
    cr_assert_eq(model_open(gg, &m, &err), EF_OK, "%s", err.msg);
    const model_config *c = model_config_get(m);
    cr_assert_float_eq(c->attn_softcap, 2.0f, 1e-6);
    cr_assert_float_eq(c->final_softcap, 3.0f, 1e-6);
    for (int l = 0; l < c->n_layer; l++) {
        ef_mask mk = model_layer_mask(c, l);
        cr_assert_eq(mk.kind, l % 2 == 0 ? EF_MASK_WINDOW : EF_MASK_CAUSAL, "layer %d", l);
    }
    remove(gg);
    model_close(m);
}
