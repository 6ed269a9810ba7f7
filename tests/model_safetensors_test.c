/* tests/model_safetensors_test.c — suite `model`: the safetensors exchange file (round
 * trip, the q.<layer> / k.<layer> layout, rejection of wrong shapes and corrupt files, no
 * file left behind on a failed write) and the SHA-256 that keys the capture cache.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "model/dequant.h"
#include "model/gguf.h"
#include "model/safetensors.h"
#include "tests/model_testdata.h"

TestSuite(model, .fini = testdata_tmp_cleanup);

/* ---- safetensors ----------------------------------------------------------------- */

typedef struct qk_fixture {
    float q0[4 * 5 * 8], k0[2 * 5 * 8], q1[4 * 5 * 8], k1[2 * 5 * 8];
    safetensors_out t[4];
    safetensors_kv meta[7];
} qk_fixture;

static void qk_fixture_init(qk_fixture *x)
{
    testdata_rng r;
    testdata_rng_seed(&r, 3);
    for (int i = 0; i < 160; i++) x->q0[i] = (float)testdata_rng_normal(&r), x->q1[i] = (float)i;
    for (int i = 0; i < 80; i++) x->k0[i] = (float)testdata_rng_normal(&r), x->k1[i] = -(float)i;
    x->t[0] = (safetensors_out){.name = "q.0", .n_dims = 3, .shape = {4, 5, 8}, .data = x->q0};
    x->t[1] = (safetensors_out){.name = "k.0", .n_dims = 3, .shape = {2, 5, 8}, .data = x->k0};
    x->t[2] = (safetensors_out){.name = "q.1", .n_dims = 3, .shape = {4, 5, 8}, .data = x->q1};
    x->t[3] = (safetensors_out){.name = "k.1", .n_dims = 3, .shape = {2, 5, 8}, .data = x->k1};
    x->meta[0] = (safetensors_kv){"model", "tiny"};
    x->meta[1] = (safetensors_kv){"text", "hello \"world\"\n\xc3\xa9"};
    x->meta[2] = (safetensors_kv){"length", "5"};
    x->meta[3] = (safetensors_kv){"mask.0", "window:3"};
    x->meta[4] = (safetensors_kv){"scale.0", "0.125"};
    x->meta[5] = (safetensors_kv){"mask.1", "causal"};
    x->meta[6] = (safetensors_kv){"scale.1", "0.0625"};
}

static safetensors_file *st_open_ok(const char *path)
{
    safetensors_file *f = NULL;
    ef_error err = {{0}};
    cr_assert_eq(safetensors_open(path, &f, &err), EF_OK, "%s", err.msg);
    return f;
}

Test(model, safetensors_round_trip_and_layout)
{
    qk_fixture x;
    qk_fixture_init(&x);
    char path[600];
    ef_error err = {{0}};
    testdata_tmp_path(path, sizeof path, "qk.safetensors");
    cr_assert_eq(safetensors_write(path, x.t, 4, x.meta, 7, &err), EF_OK, "%s", err.msg);
    safetensors_file *f = st_open_ok(path);
    cr_assert_eq(safetensors_tensor_count(f), 4u);
    cr_assert_eq(safetensors_meta_count(f), 7u);
    cr_assert_str_eq(safetensors_meta_get(f, "text"), x.meta[1].value);
    cr_assert_null(safetensors_meta_get(f, "nope"));
    const safetensors_tensor *t = safetensors_tensor_find(f, "q.0");
    cr_assert_not_null(t);
    cr_assert_str_eq(t->dtype, "F32");
    cr_assert(t->n_dims == 3 && t->shape[0] == 4 && t->shape[1] == 5 && t->shape[2] == 8);
    float got[160];
    cr_assert_eq(safetensors_tensor_read_f32(f, t, got, &err), EF_OK);
    cr_assert_arr_eq(got, x.q0, sizeof got);
    t = safetensors_tensor_find(f, "k.1");
    cr_assert_eq(safetensors_tensor_read_f32(f, t, got, &err), EF_OK);
    cr_assert_arr_eq(got, x.k1, 80 * sizeof(float));
    safetensors_qk_layer *L;
    int nl;
    cr_assert_eq(safetensors_qk_layout(f, &L, &nl, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(nl, 2);
    cr_assert(L[0].layer == 0 && L[0].n_head == 4 && L[0].n_head_kv == 2 && L[0].n == 5 &&
              L[0].d == 8 && L[0].scale == 0.125);
    cr_assert(L[0].mask.kind == EF_MASK_WINDOW && L[0].mask.window == 3);
    cr_assert(L[1].mask.kind == EF_MASK_CAUSAL && L[1].scale == 0.0625);
    free(L);
    safetensors_close(f);
    /* header is 8-aligned, as the format recommends */
    FILE *fp = fopen(path, "rb");
    uint8_t le[8];
    cr_assert_eq(fread(le, 1, 8, fp), 8u);
    fclose(fp);
    cr_assert_eq(le[0] % 8, 0);
    unlink(path);
}

/* Write the fixture with one change and expect the layout check to fail with `want`. */
static void layout_reject(qk_fixture *x, size_t n_meta, const char *want, const char *what)
{
    char path[600];
    ef_error err = {{0}};
    testdata_tmp_path(path, sizeof path, "bad-layout.safetensors");
    cr_assert_eq(safetensors_write(path, x->t, 4, x->meta, n_meta, &err), EF_OK, "%s", err.msg);
    safetensors_file *f = st_open_ok(path);
    safetensors_qk_layer *L = (safetensors_qk_layer *)1;
    int nl = -1;
    cr_assert_neq(safetensors_qk_layout(f, &L, &nl, &err), EF_OK, "%s accepted", what);
    cr_assert(L == NULL && nl == 0);
    cr_assert(strstr(err.msg, want) && strstr(err.msg, path), "%s: %s", what, err.msg);
    safetensors_close(f);
    unlink(path);
}

Test(model, safetensors_rejects_wrong_shapes)
{
    qk_fixture x;
    qk_fixture_init(&x);
    x.t[1].shape[1] = 4; /* k.0 has n = 4 */
    layout_reject(&x, 7, "n and d must agree", "n mismatch");
    qk_fixture_init(&x);
    x.t[0].shape[0] = 3; /* 3 query heads, 2 KV heads */
    layout_reject(&x, 7, "multiple", "heads not a multiple");
    qk_fixture_init(&x);
    x.t[0] = (safetensors_out){.name = "q.0", .n_dims = 2, .shape = {20, 8}, .data = x.q0};
    layout_reject(&x, 7, "3-D", "2-D q");
    qk_fixture_init(&x);
    x.t[3].name = "k.7"; /* layer 1 has q only, layer 7 k only */
    layout_reject(&x, 7, "no k.1", "unpaired q");
    qk_fixture_init(&x);
    x.meta[2].value = "6";
    layout_reject(&x, 7, "'length'", "length mismatch");
    qk_fixture_init(&x);
    x.meta[3].value = "sliding";
    layout_reject(&x, 7, "mask.0", "bad mask");
    qk_fixture_init(&x);
    x.meta[6].value = "-1";
    layout_reject(&x, 7, "scale.1", "negative scale");
    qk_fixture_init(&x);
    layout_reject(&x, 5, "mask.1", "missing mask");
}

static void st_reject_bytes(const uint8_t *b, size_t n, const char *want, const char *what)
{
    char path[600];
    testdata_tmp_path(path, sizeof path, "bad.safetensors");
    cr_assert_eq(testdata_write_bytes(path, b, n), 0);
    safetensors_file *f = (safetensors_file *)1;
    ef_error err = {{0}};
    cr_assert_neq(safetensors_open(path, &f, &err), EF_OK, "%s accepted", what);
    cr_assert_null(f);
    cr_assert(strstr(err.msg, want) && strstr(err.msg, path), "%s: %s", what, err.msg);
    unlink(path);
}

/* 8-byte length + header + data bytes. */
static size_t st_image(uint8_t *out, const char *header, size_t data_bytes)
{
    uint64_t n = strlen(header);
    memcpy(out, &n, 8);
    memcpy(out + 8, header, n);
    memset(out + 8 + n, 0, data_bytes);
    return 8 + n + data_bytes;
}

Test(model, safetensors_rejects_corrupt_files)
{
    uint8_t b[4096];
    size_t n;
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24);
    {
        char path[600];
        testdata_tmp_path(path, sizeof path, "ok.safetensors");
        cr_assert_eq(testdata_write_bytes(path, b, n), 0);
        safetensors_close(st_open_ok(path));
        unlink(path);
    }
    for (size_t cut = 0; cut < n; cut += 3) st_reject_bytes(b, cut, "", "truncated file");
    st_reject_bytes(b, n - 1, "past the end", "one data byte short");
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,24]}}", 24);
    st_reject_bytes(b, n, "need 32 bytes", "shape does not match offsets");
    n = st_image(b, "{\"a\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    st_reject_bytes(b, n, "unknown dtype", "unknown dtype");
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
    st_reject_bytes(b, n, "non-negative", "negative dimension");
    n = st_image(b,
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                 12);
    st_reject_bytes(b, n, "overlap", "overlapping tensors");
    n = st_image(b,
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                 16);
    st_reject_bytes(b, n, "JSON", "duplicate names");
    n = st_image(b, "{\"a\": [1, 2", 0);
    st_reject_bytes(b, n, "JSON", "broken JSON");
    n = st_image(b, "{\"__metadata__\":{\"x\":1}}", 0);
    st_reject_bytes(b, n, "not a string", "numeric metadata");
    n = st_image(
        b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
        8);
    st_reject_bytes(b, n, "", "absurd shape");
    uint64_t huge = (uint64_t)1 << 40;
    memcpy(b, &huge, 8);
    st_reject_bytes(b, 64, "absurd", "absurd header length");
    memset(b, 0, 16);
    b[0] = 4;
    memcpy(b + 8, "abcd", 4);
    st_reject_bytes(b, 12, "not a safetensors file", "not JSON");
}

Test(model, safetensors_write_failures_leave_nothing)
{
    qk_fixture x;
    qk_fixture_init(&x);
    char path[600];
    ef_error err = {{0}};
    testdata_tmp_path(path, sizeof path, "keep.safetensors");
    cr_assert_eq(safetensors_write(path, x.t, 2, x.meta, 1, &err), EF_OK);
    x.t[1].shape[0] = -1;
    cr_assert_neq(safetensors_write(path, x.t, 2, x.meta, 1, &err), EF_OK);
    cr_assert(strstr(err.msg, "k.0") && strstr(err.msg, path), "%s", err.msg);
    safetensors_file *f = st_open_ok(path); /* the earlier file is untouched */
    cr_assert_eq(safetensors_tensor_count(f), 2u);
    safetensors_close(f);
    qk_fixture_init(&x);
    x.t[1].name = "q.0";
    cr_assert_neq(safetensors_write(path, x.t, 2, x.meta, 1, &err), EF_OK);
    cr_assert(strstr(err.msg, "duplicate"), "%s", err.msg);
    cr_assert_neq(safetensors_write("/nonexistent/dir/x.safetensors", x.t, 1, NULL, 0, &err),
                  EF_OK);
    cr_assert(strstr(err.msg, "/nonexistent/dir/x.safetensors"), "%s", err.msg);
    unlink(path);
    /* no temporary files left next to it */
    char dir[600];
    testdata_tmp_path(dir, sizeof dir, "");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c tmp", dir);
    FILE *p = popen(cmd, "r");
    int count = -1;
    cr_assert_eq(fscanf(p, "%d", &count), 1);
    pclose(p);
    cr_assert_eq(count, 0, "temporary files left in %s", dir);
}

/* ---- SHA-256 (file hashes for the capture cache) ------------------------------------ */

/* gguf_file_hash (OpenSSL's libcrypto) names a model file exactly as coreutils' sha256sum
 * does, for every architecture's tiny model. */
Test(model, gguf_file_hash_matches_sha256sum)
{
    const char *arch[] = {"gemma3", "llama", "qwen2"};
    for (int a = 0; a < 3; a++) {
        char path[600], cmd[700], want[65] = "";
        testdata_tmp_path(path, sizeof path, "hash.gguf");
        cr_assert_eq(testdata_write_gguf(path, arch[a], TESTDATA_MIX_ALL, 5 + a), 0);
        snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        cr_assert_eq(fscanf(p, "%64s", want), 1, "sha256sum printed nothing");
        pclose(p);
        ef_error err = {{0}};
        gguf_file *f = NULL;
        cr_assert_eq(gguf_open(path, &f, &err), EF_OK, "%s", err.msg);
        const char *got = gguf_file_hash(f);
        cr_assert_not_null(got);
        cr_assert_str_eq(got, want, "%s", arch[a]);
        gguf_close(f);
    }
}
