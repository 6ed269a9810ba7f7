/* tests/model_gguf_test.c — suite `model`: the GGUF reader on tiny written files of every
 * architecture and type, on hostile ones (bad headers, metadata, tensors, every truncation,
 * random byte corruption), and on the real default model when it is already in the cache
 * (skipped otherwise; nothing is downloaded here).
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

static const int all_types[] = {
    DQ_TYPE_F32,  DQ_TYPE_F16,  DQ_TYPE_BF16, DQ_TYPE_Q8_0, DQ_TYPE_Q4_0, DQ_TYPE_Q4_1,
    DQ_TYPE_Q5_0, DQ_TYPE_Q5_1, DQ_TYPE_Q4_K, DQ_TYPE_Q5_K, DQ_TYPE_Q6_K,
};
#define N_TYPES ((int)(sizeof all_types / sizeof all_types[0]))

/* ---- GGUF reader on valid files ------------------------------------------------------ */

static gguf_file *open_ok(const char *path)
{
    gguf_file *f = NULL;
    ef_error err = {{0}};
    int rc = gguf_open(path, &f, &err);
    cr_assert_eq(rc, EF_OK, "gguf_open(%s): %s", path, err.msg);
    return f;
}

/* Every tensor of a tiny model decodes to finite values with the expected spread. */
static void check_tiny_model(const char *arch, int quant)
{
    char path[600], name[64];
    testdata_dims d;
    snprintf(name, sizeof name, "tiny-%s-%d.gguf", arch, quant);
    testdata_tmp_path(path, sizeof path, name);
    cr_assert_eq(testdata_write_gguf(path, arch, quant, 1234), 0, "writing %s", path);
    cr_assert_eq(testdata_model_dims(arch, &d), 0);
    gguf_file *f = open_ok(path);
    ef_error err;
    char key[96];
    uint32_t u;
    float v;
    cr_assert_str_eq(gguf_arch(f), arch);
    snprintf(key, sizeof key, "%s.block_count", arch);
    cr_assert_eq(gguf_get_u32(f, key, &u, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(u, (uint32_t)d.n_layer);
    snprintf(key, sizeof key, "%s.attention.head_count_kv", arch);
    cr_assert_eq(gguf_get_u32(f, key, &u, &err), EF_OK);
    cr_assert_eq(u, (uint32_t)d.n_head_kv);
    snprintf(key, sizeof key, "%s.rope.freq_base", arch);
    cr_assert_eq(gguf_get_f32(f, key, &v, &err), EF_OK);
    cr_assert_eq(v, d.rope_base);
    uint64_t n_tok;
    int et;
    cr_assert_eq(gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n_tok, NULL, &err), EF_OK);
    cr_assert_eq(et, GGUF_TYPE_STRING);
    const gguf_tensor *emb = gguf_tensor_find(f, "token_embd.weight");
    cr_assert_not_null(emb);
    cr_assert_eq(emb->ne[0], (uint64_t)d.n_embd);
    cr_assert_eq(emb->ne[1], n_tok, "token_embd rows = vocabulary size");
    const gguf_tensor *q = gguf_tensor_find(f, "blk.0.attn_q.weight");
    cr_assert_not_null(q);
    cr_assert(q->ne[0] == (uint64_t)d.n_embd && q->ne[1] == (uint64_t)(d.n_head * d.head_dim));
    cr_assert_eq(gguf_tensor_find(f, "output.weight") != NULL, !strcmp(arch, "llama"));
    cr_assert_eq(gguf_tensor_find(f, "blk.0.attn_q_norm.weight") != NULL, !strcmp(arch, "gemma3"));
    cr_assert_eq(gguf_tensor_find(f, "blk.0.attn_q.bias") != NULL, !strcmp(arch, "qwen2"));
    char last[64];
    snprintf(last, sizeof last, "blk.%d.ffn_down.weight", d.n_layer - 1);
    cr_assert_not_null(gguf_tensor_find(f, last));
    float *row = malloc(4096 * sizeof *row);
    for (uint64_t i = 0; i < gguf_tensor_count(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        double s2 = 0, s = 0;
        uint64_t rows = gguf_tensor_rows(t);
        for (uint64_t r = 0; r < rows; r++) {
            cr_assert_eq(gguf_tensor_row(t, r, row, &err), EF_OK, "%s: %s", t->name, err.msg);
            for (uint64_t c = 0; c < t->ne[0]; c++) {
                cr_assert(isfinite(row[c]), "%s row %llu", t->name, (unsigned long long)r);
                s += row[c];
                s2 += (double)row[c] * row[c];
            }
        }
        double nel = (double)rows * (double)t->ne[0], mean = s / nel;
        if (strstr(t->name, "norm.weight"))
            cr_assert(fabs(mean - 1.0) < 0.1, "%s mean %g", t->name, mean);
        else if (t->n_dims == 2) {
            double rms = sqrt(s2 / nel), want = 1.0 / sqrt((double)t->ne[0]);
            cr_assert(fabs(rms / want - 1.0) < 0.15, "%s (%s) rms %g, want %g", t->name,
                      dequant_type_name(t->type), rms, want);
        }
    }
    free(row);
    gguf_close(f);
    unlink(path);
}

Test(model, tiny_models_every_arch_mixed_types)
{
    check_tiny_model("gemma3", TESTDATA_MIX_ALL);
    check_tiny_model("llama", TESTDATA_MIX_ALL);
    check_tiny_model("qwen2", TESTDATA_MIX_ALL);
}

Test(model, tiny_model_every_single_type)
{
    for (int i = 0; i < N_TYPES; i++) check_tiny_model("llama", all_types[i]);
    check_tiny_model("qwen2", DQ_TYPE_Q4_K);
    check_tiny_model("gemma3", DQ_TYPE_Q8_0);
}

Test(model, tiny_model_mix_covers_every_type_and_is_deterministic)
{
    const char *arch[] = {"gemma3", "llama", "qwen2"};
    for (int a = 0; a < 3; a++) {
        char p1[600], p2[600];
        testdata_tmp_path(p1, sizeof p1, "mix1.gguf");
        testdata_tmp_path(p2, sizeof p2, "mix2.gguf");
        cr_assert_eq(testdata_write_gguf(p1, arch[a], TESTDATA_MIX_ALL, 99), 0);
        cr_assert_eq(testdata_write_gguf(p2, arch[a], TESTDATA_MIX_ALL, 99), 0);
        gguf_file *f1 = open_ok(p1), *f2 = open_ok(p2);
        cr_assert_str_eq(gguf_file_hash(f1), gguf_file_hash(f2), "same seed, same bytes");
        int seen[DQ_TYPE_COUNT] = {0};
        for (uint64_t i = 0; i < gguf_tensor_count(f1); i++) seen[gguf_tensor_at(f1, i)->type] = 1;
        for (int i = 0; i < N_TYPES; i++)
            cr_assert(seen[all_types[i]], "%s mix lacks %s", arch[a],
                      dequant_type_name(all_types[i]));
        gguf_close(f1);
        gguf_close(f2);
        unlink(p1);
        unlink(p2);
    }
}

/* Tensors written from known floats read back exactly as their quantised bytes decode. */
Test(model, reader_rows_equal_dequant_of_written_bytes)
{
    testdata_rng r;
    testdata_rng_seed(&r, 5);
    testdata_gguf *g = testdata_gguf_new();
    float x[512 * 3], want[512], got[512];
    for (int i = 0; i < 512 * 3; i++) x[i] = (float)testdata_rng_normal(&r);
    for (int ti = 0; ti < N_TYPES; ti++) {
        char name[32];
        uint64_t ne[3] = {512, 1, 3};
        snprintf(name, sizeof name, "t.%s", dequant_type_name(all_types[ti]));
        cr_assert_eq(testdata_gguf_tensor(g, name, 3, ne, all_types[ti], x), 0);
    }
    char path[600];
    testdata_tmp_path(path, sizeof path, "rows.gguf");
    testdata_gguf_set_alignment(g, 64);
    uint32_t a = 64;
    testdata_gguf_scalar(g, "general.alignment", GGUF_TYPE_UINT32, &a, 4);
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    gguf_file *f = open_ok(path);
    cr_assert_eq(gguf_alignment(f), 64u);
    ef_error err;
    uint8_t q[512 * 4];
    for (int ti = 0; ti < N_TYPES; ti++) {
        char name[32];
        snprintf(name, sizeof name, "t.%s", dequant_type_name(all_types[ti]));
        const gguf_tensor *t = gguf_tensor_find(f, name);
        cr_assert_not_null(t, "%s", name);
        cr_assert_eq(t->n_dims, 3);
        cr_assert_eq(gguf_tensor_rows(t), 3u);
        cr_assert_eq((uintptr_t)(t->data - (const uint8_t *)gguf_tensor_at(f, 0)->data) % 64, 0u);
        for (int row = 0; row < 3; row++) {
            testdata_quantize_row(all_types[ti], x + 512 * row, q, 512);
            dequant_row(all_types[ti], q, want, 512, &err);
            cr_assert_eq(gguf_tensor_row(t, (uint64_t)row, got, &err), EF_OK);
            cr_assert_arr_eq(got, want, sizeof got, "%s row %d", name, row);
        }
        float *all = malloc(3 * 512 * sizeof *all);
        cr_assert_eq(gguf_tensor_read_f32(t, all, &err), EF_OK);
        cr_assert_arr_eq(all + 1024, want, sizeof want);
        free(all);
        cr_assert_neq(gguf_tensor_row(t, 3, got, &err), EF_OK);
        cr_assert(strstr(err.msg, name), "%s", err.msg);
    }
    gguf_close(f);
    unlink(path);
}

Test(model, unsupported_tensor_type_opens_but_rows_fail_clearly)
{
    uint8_t data[84] = {0};
    uint64_t ne[2] = {256, 1};
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "blk.0.attn_q.weight", 2, ne, DQ_TYPE_Q2_K, data, sizeof data);
    char path[600];
    testdata_tmp_path(path, sizeof path, "q2k.gguf");
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    gguf_file *f = open_ok(path);
    const gguf_tensor *t = gguf_tensor_find(f, "blk.0.attn_q.weight");
    cr_assert(t && t->type == DQ_TYPE_Q2_K && t->nbytes == 84);
    float row[256];
    ef_error err;
    cr_assert_eq(gguf_tensor_row(t, 0, row, &err), EF_UNSUPPORTED);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "blk.0.attn_q.weight") &&
                  strstr(err.msg, "Q2_K"),
              "%s", err.msg);
    gguf_close(f);
    unlink(path);
}

Test(model, metadata_getters_check_types)
{
    testdata_gguf *g = testdata_gguf_new();
    uint8_t u8 = 200;
    int8_t i8 = -5;
    uint16_t u16 = 60000;
    int16_t i16 = -300;
    int64_t i64 = -7, big = (int64_t)1 << 40;
    uint64_t u64 = 12345;
    double f64 = 0.25;
    testdata_gguf_scalar(g, "k.u8", GGUF_TYPE_UINT8, &u8, 1);
    testdata_gguf_scalar(g, "k.i8", GGUF_TYPE_INT8, &i8, 1);
    testdata_gguf_scalar(g, "k.u16", GGUF_TYPE_UINT16, &u16, 2);
    testdata_gguf_scalar(g, "k.i16", GGUF_TYPE_INT16, &i16, 2);
    testdata_gguf_u32(g, "k.u32", 4000000000u);
    testdata_gguf_i32(g, "k.i32", 42);
    testdata_gguf_f32(g, "k.f32", 1.5f);
    testdata_gguf_bool(g, "k.bool", 1);
    testdata_gguf_str(g, "k.str", "hello");
    testdata_gguf_scalar(g, "k.u64", GGUF_TYPE_UINT64, &u64, 8);
    testdata_gguf_scalar(g, "k.i64", GGUF_TYPE_INT64, &i64, 8);
    testdata_gguf_scalar(g, "k.big", GGUF_TYPE_INT64, &big, 8);
    testdata_gguf_scalar(g, "k.f64", GGUF_TYPE_FLOAT64, &f64, 8);
    const char *strs[] = {"a", "", "ccc"};
    testdata_gguf_arr_str(g, "k.arr_str", strs, 3);
    int32_t ints[4] = {1, -2, 3, 2147483647};
    testdata_gguf_arr(g, "k.arr_i32", GGUF_TYPE_INT32, ints, 4);
    uint8_t bools[3] = {1, 0, 1};
    testdata_gguf_arr(g, "k.arr_bool", GGUF_TYPE_BOOL, bools, 3);
    testdata_gguf_arr(g, "k.arr_empty", GGUF_TYPE_FLOAT32, NULL, 0);
    testdata_gguf_str(g, "general.architecture", "llama");
    char path[600];
    testdata_tmp_path(path, sizeof path, "meta.gguf");
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    gguf_file *f = open_ok(path);
    ef_error err;
    uint32_t u;
    int32_t i;
    uint64_t w;
    float v;
    int b;
    cr_assert_eq(gguf_kv_count(f), 18u);
    cr_assert_eq(gguf_get_u32(f, "k.u8", &u, &err), EF_OK);
    cr_assert_eq(u, 200u);
    cr_assert_eq(gguf_get_u32(f, "k.u16", &u, &err), EF_OK);
    cr_assert_eq(u, 60000u);
    cr_assert_eq(gguf_get_u32(f, "k.u32", &u, &err), EF_OK);
    cr_assert_eq(u, 4000000000u);
    cr_assert_eq(gguf_get_u32(f, "k.i32", &u, &err), EF_OK);
    cr_assert_eq(u, 42u);
    cr_assert_eq(gguf_get_u32(f, "k.u64", &u, &err), EF_OK);
    cr_assert_eq(u, 12345u);
    cr_assert_eq(gguf_get_u32(f, "k.i8", &u, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "k.i8") && strstr(err.msg, "out of range") && strstr(err.msg, path),
              "%s", err.msg);
    cr_assert_eq(gguf_get_u32(f, "k.big", &u, &err), EF_ERROR);
    cr_assert_eq(gguf_get_u64(f, "k.big", &w, &err), EF_OK);
    cr_assert_eq(w, (uint64_t)1 << 40);
    cr_assert_eq(gguf_get_i32(f, "k.i16", &i, &err), EF_OK);
    cr_assert_eq(i, -300);
    cr_assert_eq(gguf_get_i32(f, "k.u32", &i, &err), EF_ERROR);
    cr_assert_eq(gguf_get_u32(f, "k.f32", &u, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "FLOAT32"), "%s", err.msg);
    cr_assert_eq(gguf_get_u32(f, "k.str", &u, &err), EF_ERROR);
    cr_assert_eq(gguf_get_f32(f, "k.f32", &v, &err), EF_OK);
    cr_assert_eq(v, 1.5f);
    cr_assert_eq(gguf_get_f32(f, "k.f64", &v, &err), EF_OK);
    cr_assert_eq(v, 0.25f);
    cr_assert_eq(gguf_get_f32(f, "k.i64", &v, &err), EF_OK);
    cr_assert_eq(v, -7.0f);
    cr_assert_eq(gguf_get_f32(f, "k.str", &v, &err), EF_ERROR);
    cr_assert_eq(gguf_get_bool(f, "k.bool", &b, &err), EF_OK);
    cr_assert_eq(b, 1);
    cr_assert_eq(gguf_get_bool(f, "k.u8", &b, &err), EF_ERROR);
    const char *s;
    size_t len;
    cr_assert_eq(gguf_get_str(f, "k.str", &s, &len, &err), EF_OK);
    cr_assert(len == 5 && !memcmp(s, "hello", 5));
    cr_assert_eq(gguf_get_str(f, "k.u8", &s, &len, &err), EF_ERROR);
    cr_assert_eq(gguf_get_str(f, "no.such.key", &s, &len, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "no.such.key") && strstr(err.msg, "missing"), "%s", err.msg);
    cr_assert_eq(gguf_get_str(f, "no.such.key", &s, &len, NULL), EF_ERROR, "NULL err allowed");
    cr_assert_str_eq(gguf_arch(f), "llama");
    int et;
    uint64_t count;
    const void *data;
    cr_assert_eq(gguf_get_arr(f, "k.arr_str", &et, &count, &data, &err), EF_OK);
    cr_assert(et == GGUF_TYPE_STRING && count == 3 && data == NULL);
    for (uint64_t k = 0; k < 3; k++) {
        cr_assert_eq(gguf_arr_str(f, "k.arr_str", k, &s, &len, &err), EF_OK);
        cr_assert(len == strlen(strs[k]) && !memcmp(s, strs[k], len));
    }
    cr_assert_eq(gguf_arr_str(f, "k.arr_str", 3, &s, &len, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "past the end"), "%s", err.msg);
    cr_assert_eq(gguf_arr_str(f, "k.arr_i32", 0, &s, &len, &err), EF_ERROR);
    cr_assert_eq(gguf_get_arr(f, "k.arr_i32", &et, &count, &data, &err), EF_OK);
    cr_assert(et == GGUF_TYPE_INT32 && count == 4 && data != NULL);
    int64_t iv;
    double dv;
    cr_assert_eq(gguf_arr_i64(f, "k.arr_i32", 1, &iv, &err), EF_OK);
    cr_assert_eq(iv, -2);
    cr_assert_eq(gguf_arr_f64(f, "k.arr_i32", 3, &dv, &err), EF_OK);
    cr_assert_eq(dv, 2147483647.0);
    cr_assert_eq(gguf_arr_i64(f, "k.arr_bool", 2, &iv, &err), EF_OK);
    cr_assert_eq(iv, 1);
    cr_assert_eq(gguf_arr_f64(f, "k.arr_str", 0, &dv, &err), EF_ERROR);
    cr_assert_eq(gguf_get_arr(f, "k.arr_empty", &et, &count, &data, &err), EF_OK);
    cr_assert_eq(count, 0u);
    cr_assert_eq(gguf_get_arr(f, "k.u8", &et, &count, &data, &err), EF_ERROR);
    cr_assert_eq(gguf_tensor_count(f), 0u);
    cr_assert_null(gguf_tensor_find(f, "x"));
    gguf_close(f);
    unlink(path);
}

/* ---- GGUF reader on hostile files -------------------------------------------------- */

/* A small valid file: metadata of several kinds, three tensors (F32, Q4_0, Q4_K). */
static testdata_gguf *small_gguf(void)
{
    testdata_gguf *g = testdata_gguf_new();
    const char *strs[] = {"<s>", "a", "b"};
    float sc[3] = {0, -1, -2};
    testdata_gguf_str(g, "general.architecture", "llama");
    testdata_gguf_u32(g, "llama.block_count", 1);
    testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", strs, 3);
    testdata_gguf_arr(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, sc, 3);
    float x[512];
    for (int i = 0; i < 512; i++) x[i] = (float)(i % 17) - 8.0f;
    uint64_t ne1[1] = {8}, ne2[2] = {32, 2}, ne3[2] = {256, 2};
    testdata_gguf_tensor(g, "a", 1, ne1, DQ_TYPE_F32, x);
    testdata_gguf_tensor(g, "b", 2, ne2, DQ_TYPE_Q4_0, x);
    testdata_gguf_tensor(g, "c", 2, ne3, DQ_TYPE_Q4_K, x);
    return g;
}

/* gguf_open must fail on the file, with a message naming it and containing `want`. */
static void expect_reject(const char *path, const char *want, const char *what)
{
    gguf_file *f = (gguf_file *)1;
    ef_error err = {{0}};
    int rc = gguf_open(path, &f, &err);
    cr_assert_neq(rc, EF_OK, "%s: accepted", what);
    cr_assert_null(f, "%s: *out not NULL on error", what);
    cr_assert(strstr(err.msg, path), "%s: message does not name the file: %s", what, err.msg);
    cr_assert(strstr(err.msg, want), "%s: message lacks '%s': %s", what, want, err.msg);
}

static void reject_builder(testdata_gguf *g, const char *want, const char *what)
{
    char path[600];
    testdata_tmp_path(path, sizeof path, "hostile.gguf");
    cr_assert_eq(testdata_gguf_write(g, path), 0);
    testdata_gguf_free(g);
    expect_reject(path, want, what);
    unlink(path);
}

static void reject_patched(size_t at, const void *bytes, size_t n, const char *want,
                           const char *what)
{
    testdata_gguf *g = small_gguf();
    uint8_t *img;
    size_t len;
    char path[600];
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    memcpy(img + at, bytes, n);
    testdata_tmp_path(path, sizeof path, "patched.gguf");
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    free(img);
    expect_reject(path, want, what);
    unlink(path);
}

Test(model, reader_rejects_bad_headers)
{
    uint32_t v;
    uint64_t w;
    reject_patched(0, "GGUG", 4, "magic", "wrong magic");
    v = 1;
    reject_patched(4, &v, 4, "version 1", "version 1");
    v = 4;
    reject_patched(4, &v, 4, "version 4", "version 4");
    v = 0x03000000u;
    reject_patched(4, &v, 4, "big-endian", "byte-swapped version");
    w = (uint64_t)1 << 40;
    reject_patched(8, &w, 8, "tensor_count", "absurd tensor count");
    reject_patched(16, &w, 8, "kv_count", "absurd kv count");
    w = 100000;
    reject_patched(8, &w, 8, "tensor_count", "tensor count beyond the file");
    reject_patched(16, &w, 8, "kv_count", "kv count beyond the file");
    w = UINT64_MAX;
    reject_patched(8, &w, 8, "tensor_count", "negative tensor count");
    /* first key length (at byte 24) absurd */
    w = (uint64_t)1 << 50;
    reject_patched(24, &w, 8, "1 GiB", "huge string length");
    w = 4096;
    reject_patched(24, &w, 8, "truncated", "string past the end");
    w = 0;
    reject_patched(24, &w, 8, "empty", "empty key");
}

Test(model, reader_rejects_bad_metadata)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_u32(g, "a", 1);
    testdata_gguf_u32(g, "a", 2);
    reject_builder(g, "duplicate metadata key 'a'", "duplicate key");

    g = testdata_gguf_new();
    uint32_t bad = 13;
    testdata_gguf_scalar(g, "x", (int)bad, &bad, 4);
    reject_builder(g, "invalid value type 13", "value type 13");

    g = testdata_gguf_new();
    uint8_t inner[12] = {4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    testdata_gguf_arr(g, "nested", GGUF_TYPE_ARRAY, inner, 0);
    reject_builder(g, "nested", "nested array");

    g = testdata_gguf_new();
    testdata_gguf_arr(g, "bad_elem", 77, NULL, 0);
    reject_builder(g, "invalid value type 77", "array element type 77");

    g = testdata_gguf_new();
    uint32_t dummy[2] = {0};
    testdata_gguf_arr(g, "huge", GGUF_TYPE_UINT32, dummy, 2);
    uint8_t *img;
    size_t len;
    char path[600];
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    /* count field: after magic, version, counts (24), key (8 + 4), type (4), elem type (4) */
    uint64_t count = (uint64_t)1 << 31;
    memcpy(img + 24 + 12 + 4 + 4, &count, 8);
    testdata_tmp_path(path, sizeof path, "huge.gguf");
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    expect_reject(path, "2^30", "array count 2^31");
    count = 1000;
    memcpy(img + 24 + 12 + 4 + 4, &count, 8);
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    expect_reject(path, "truncated", "array count past the end");
    free(img);
    unlink(path);

    g = small_gguf();
    uint32_t a = 48;
    testdata_gguf_scalar(g, "general.alignment", GGUF_TYPE_UINT32, &a, 4);
    reject_builder(g, "power of two", "alignment 48");

    g = small_gguf();
    uint64_t a64 = 32;
    testdata_gguf_scalar(g, "general.alignment", GGUF_TYPE_UINT64, &a64, 8);
    reject_builder(g, "UINT32", "alignment as u64");

    g = small_gguf();
    a = 0;
    testdata_gguf_scalar(g, "general.alignment", GGUF_TYPE_UINT32, &a, 4);
    reject_builder(g, "power of two", "alignment 0");
}

Test(model, reader_rejects_bad_tensors)
{
    uint8_t data[4096] = {0};
    testdata_gguf *g;
    uint64_t ne[4];

    g = testdata_gguf_new();
    ne[0] = 8;
    ne[1] = 1;
    ne[2] = 1;
    ne[3] = 1;
    testdata_gguf_tensor_raw(g, "five", 5, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "5 dimensions", "n_dims 5");

    g = testdata_gguf_new();
    ne[0] = UINT64_MAX;
    ne[1] = 1;
    testdata_gguf_tensor_raw(g, "neg", 2, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "negative", "negative dimension");

    g = testdata_gguf_new();
    ne[0] = (uint64_t)1 << 40;
    ne[1] = (uint64_t)1 << 40;
    testdata_gguf_tensor_raw(g, "huge", 2, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "overflows", "element count overflow");

    g = testdata_gguf_new();
    ne[0] = (uint64_t)1 << 30;
    ne[1] = (uint64_t)1 << 20;
    testdata_gguf_tensor_raw(g, "big", 2, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "outside the file", "absurd but representable size");

    g = testdata_gguf_new();
    ne[0] = 32;
    testdata_gguf_tensor_raw(g, "t99", 1, ne, 99, data, 32);
    reject_builder(g, "unknown ggml type 99", "type 99");

    g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "t4", 1, ne, 4, data, 32);
    reject_builder(g, "unknown ggml type 4", "removed type 4");

    g = testdata_gguf_new();
    ne[0] = 20;
    testdata_gguf_tensor_raw(g, "ragged", 1, ne, DQ_TYPE_Q4_0, data, 18);
    reject_builder(g, "not a multiple", "ne0 not a multiple of the block");

    g = testdata_gguf_new();
    ne[0] = 8;
    testdata_gguf_tensor_raw(g, "x", 1, ne, DQ_TYPE_F32, data, 32);
    testdata_gguf_tensor_raw(g, "x", 1, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "duplicate tensor name 'x'", "duplicate tensor");

    g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "0123456789012345678901234567890123456789012345678901234567890123",
                             1, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "longer than 63", "64-byte name");

    g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "a", 1, ne, DQ_TYPE_F32, data, 32);
    testdata_gguf_tensor_raw(g, "b", 1, ne, DQ_TYPE_F32, data, 32);
    testdata_gguf_set_offset(g, 1, 8);
    reject_builder(g, "alignment", "misaligned offset");

    g = testdata_gguf_new();
    ne[0] = 16;
    testdata_gguf_tensor_raw(g, "a", 1, ne, DQ_TYPE_F32, data, 64);
    testdata_gguf_tensor_raw(g, "b", 1, ne, DQ_TYPE_F32, data, 64);
    testdata_gguf_set_offset(g, 1, 32);
    reject_builder(g, "overlap", "overlapping tensors");

    g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "a", 1, ne, DQ_TYPE_F32, data, 64);
    testdata_gguf_set_offset(g, 0, 1u << 20);
    reject_builder(g, "outside the file", "offset past the end");

    g = testdata_gguf_new();
    ne[0] = 64;
    testdata_gguf_tensor_raw(g, "short", 1, ne, DQ_TYPE_F32, data, 100); /* needs 256 */
    reject_builder(g, "outside the file", "data cut short");
}

Test(model, reader_rejects_every_truncation)
{
    testdata_gguf *g = small_gguf();
    uint8_t *img;
    size_t len;
    char path[600];
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    testdata_tmp_path(path, sizeof path, "trunc.gguf");
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    gguf_close(open_ok(path));
    for (size_t n = 0; n < len; n++) {
        cr_assert_eq(testdata_write_bytes(path, img, n), 0);
        gguf_file *f = NULL;
        ef_error err = {{0}};
        cr_assert_neq(gguf_open(path, &f, &err), EF_OK, "prefix of %zu / %zu bytes accepted", n,
                      len);
        cr_assert(strstr(err.msg, path) &&
                      (strstr(err.msg, "truncated") || strstr(err.msg, "outside")),
                  "prefix %zu: %s", n, err.msg);
    }
    free(img);
    unlink(path);
    gguf_file *f = NULL;
    ef_error err;
    cr_assert_neq(gguf_open("/nonexistent/dir/x.gguf", &f, &err), EF_OK);
    cr_assert(strstr(err.msg, "/nonexistent/dir/x.gguf"), "%s", err.msg);
    cr_assert_neq(gguf_open("/tmp", &f, &err), EF_OK);
}

/* Random byte corruption: open either fails with a message or yields a file whose
 * metadata and tensors can all be read without crashing. */
Test(model, reader_survives_random_corruption, .timeout = 120)
{
    testdata_gguf *g = small_gguf();
    uint8_t *img, *bad;
    size_t len;
    char path[600];
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    bad = malloc(len);
    testdata_tmp_path(path, sizeof path, "fuzz.gguf");
    testdata_rng r;
    uint64_t seed = 20261128;
    testdata_rng_seed(&r, seed);
    float row[512];
    int opened = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(bad, img, len);
        int flips = 1 + (int)(testdata_rng_u64(&r) % 4);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)(testdata_rng_u64(&r) % len);
            uint64_t how = testdata_rng_u64(&r) % 4;
            bad[at] = how == 0 ? 0xFF : how == 1 ? 0 : (uint8_t)testdata_rng_u64(&r);
        }
        size_t n = testdata_rng_u64(&r) % 8 == 0 ? (size_t)(testdata_rng_u64(&r) % len) : len;
        cr_assert_eq(testdata_write_bytes(path, bad, n), 0);
        gguf_file *f = NULL;
        ef_error err = {{0}};
        if (gguf_open(path, &f, &err) != EF_OK) {
            cr_assert(err.msg[0] && strstr(err.msg, path),
                      "seed %llu iteration %d: bad message '%s'", (unsigned long long)seed, it,
                      err.msg);
            continue;
        }
        opened++;
        for (uint64_t i = 0; i < gguf_kv_count(f); i++) {
            const char *key = gguf_kv_key(f, i), *s;
            size_t sl;
            uint32_t u;
            float v;
            int et;
            uint64_t cnt;
            gguf_get_u32(f, key, &u, &err);
            gguf_get_f32(f, key, &v, &err);
            gguf_get_str(f, key, &s, &sl, &err);
            if (gguf_get_arr(f, key, &et, &cnt, NULL, &err) == EF_OK)
                for (uint64_t e = 0; e < cnt && e < 8; e++) {
                    gguf_arr_str(f, key, e, &s, &sl, &err);
                    double dv;
                    gguf_arr_f64(f, key, e, &dv, &err);
                }
        }
        for (uint64_t i = 0; i < gguf_tensor_count(f); i++) {
            const gguf_tensor *t = gguf_tensor_at(f, i);
            if (t->ne[0] > 512) continue;
            uint64_t rows = gguf_tensor_rows(t);
            for (uint64_t rr = 0; rr < rows && rr < 4; rr++) gguf_tensor_row(t, rr, row, &err);
        }
        gguf_close(f);
    }
    cr_log_info("random corruption: %d of 3000 corrupted files still opened", opened);
    free(bad);
    free(img);
    unlink(path);
}

/* ---- the real default model, if already fetched -------------------------------------- */

Test(model, real_gemma3_270m_if_cached)
{
    char path[1024];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(path, sizeof path, "%s/efbench/gemma-3-270m-q4_k_m.gguf", xdg);
    else
        snprintf(path, sizeof path, "%s/.cache/efbench/gemma-3-270m-q4_k_m.gguf", home ? home : "");
    if (access(path, R_OK) != 0) {
        cr_skip_test("%s not present (model/fetch-default-model.sh fetches it)", path);
        return;
    }
    gguf_file *f = open_ok(path);
    ef_error err;
    cr_assert_str_eq(gguf_arch(f), "gemma3");
    cr_assert_eq(gguf_tensor_count(f), 236u);
    int hist[DQ_TYPE_COUNT] = {0};
    for (uint64_t i = 0; i < gguf_tensor_count(f); i++) hist[gguf_tensor_at(f, i)->type]++;
    cr_assert(hist[DQ_TYPE_F32] == 109 && hist[DQ_TYPE_Q8_0] == 10 && hist[DQ_TYPE_Q5_0] == 81 &&
                  hist[DQ_TYPE_Q4_K] == 27 && hist[DQ_TYPE_Q6_K] == 9,
              "type histogram differs from B.5");
    const gguf_tensor *emb = gguf_tensor_find(f, "token_embd.weight");
    cr_assert(emb && emb->type == DQ_TYPE_Q8_0 && emb->ne[0] == 640 && emb->ne[1] == 262144);
    uint32_t u;
    cr_assert_eq(gguf_get_u32(f, "gemma3.attention.sliding_window", &u, &err), EF_OK);
    cr_assert_eq(u, 512u);
    const char *s;
    size_t len;
    cr_assert_eq(gguf_arr_str(f, "tokenizer.ggml.tokens", 2, &s, &len, &err), EF_OK);
    cr_assert(len == 5 && !memcmp(s, "<bos>", 5));
    float row[2048];
    cr_assert_eq(gguf_tensor_row(emb, 262143, row, &err), EF_OK);
    const gguf_tensor *down = gguf_tensor_find(f, "blk.0.ffn_down.weight");
    cr_assert(down && down->type == DQ_TYPE_Q6_K);
    cr_assert_eq(gguf_tensor_row(down, 639, row, &err), EF_OK);
    for (int i = 0; i < 2048; i++) cr_assert(isfinite(row[i]) && fabsf(row[i]) < 10);
    gguf_close(f);
}
