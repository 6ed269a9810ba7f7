/* tests/model_gguf_test.c — suite `model`: dequantisation against the block formulas,
 * the GGUF reader on tiny written files and on hostile ones (including random byte
 * corruption), safetensors round trips and rejections, and the real default model when it
 * is already in the cache (skipped otherwise; nothing is downloaded here).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/half.h"
#include "model/dequant.h"
#include "model/gguf.h"
#include "model/safetensors.h"
#include "model/sha256.h"
#include "tests/model_testdata.h"

TestSuite(model, .fini = testdata_tmp_cleanup);

static const int all_types[] = {
    DQ_TYPE_F32, DQ_TYPE_F16, DQ_TYPE_BF16, DQ_TYPE_Q8_0, DQ_TYPE_Q4_0, DQ_TYPE_Q4_1,
    DQ_TYPE_Q5_0, DQ_TYPE_Q5_1, DQ_TYPE_Q4_K, DQ_TYPE_Q5_K, DQ_TYPE_Q6_K,
};
#define N_TYPES ((int)(sizeof all_types / sizeof all_types[0]))

/* ---- reference decoding, one element at a time, straight from gguf-models.md B ------ */

static float f16_at(const uint8_t *p) { return ef_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

/* 6-bit scale (want_min = 0) or min (1) of sub-block i, as in the B.3 table. */
static int k4_field(const uint8_t *s, int i, int want_min)
{
    if (i < 4) return want_min ? s[i + 4] & 63 : s[i] & 63;
    return want_min ? (s[i + 4] >> 4) | ((s[i] >> 6) << 4)
                    : (s[i + 4] & 0x0F) | ((s[i - 4] >> 6) << 4);
}

/* Element k of one block of `type` at b. */
static float ref_element(int type, const uint8_t *b, int k)
{
    int j = k % 16, high = k >= 16;
    switch (type) {
    case DQ_TYPE_F32: { float v; memcpy(&v, b + 4 * k, 4); return v; }
    case DQ_TYPE_F16: return f16_at(b + 2 * k);
    case DQ_TYPE_BF16: return ef_bf16_to_f32((uint16_t)(b[2 * k] | b[2 * k + 1] << 8));
    case DQ_TYPE_Q8_0: return (float)(int8_t)b[2 + k] * f16_at(b);
    case DQ_TYPE_Q4_0: {
        int q = high ? b[2 + j] >> 4 : b[2 + j] & 0xF;
        return (float)(q - 8) * f16_at(b);
    }
    case DQ_TYPE_Q4_1: {
        int q = high ? b[4 + j] >> 4 : b[4 + j] & 0xF;
        return (float)q * f16_at(b) + f16_at(b + 2);
    }
    case DQ_TYPE_Q5_0: {
        uint32_t qh = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
        int q = (high ? b[6 + j] >> 4 : b[6 + j] & 0xF) | (int)((qh >> k) & 1) << 4;
        return (float)(q - 16) * f16_at(b);
    }
    case DQ_TYPE_Q5_1: {
        uint32_t qh = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
        int q = (high ? b[8 + j] >> 4 : b[8 + j] & 0xF) | (int)((qh >> k) & 1) << 4;
        return (float)q * f16_at(b) + f16_at(b + 2);
    }
    case DQ_TYPE_Q4_K:
    case DQ_TYPE_Q5_K: {
        int c = k / 64, hi = (k % 64) / 32, l = k % 32, sub = 2 * c + hi;
        const uint8_t *qs = b + (type == DQ_TYPE_Q4_K ? 16 : 48);
        int q = hi ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 0xF;
        if (type == DQ_TYPE_Q5_K && ((b[16 + l] >> sub) & 1)) q += 16;
        return f16_at(b) * (float)k4_field(b + 4, sub, 0) * (float)q -
               f16_at(b + 2) * (float)k4_field(b + 4, sub, 1);
    }
    case DQ_TYPE_Q6_K: {
        int h = k / 128, w = k % 128, quarter = w / 32, l = w % 32;
        uint8_t ql = b[64 * h + l + 32 * (quarter & 1)];
        int lo4 = (quarter >> 1) ? ql >> 4 : ql & 0xF;
        int hi2 = (b[128 + 32 * h + l] >> (2 * quarter)) & 3;
        int sc = (int8_t)b[192 + 8 * h + l / 16 + 2 * quarter];
        return f16_at(b + 208) * (float)sc * (float)((lo4 | hi2 << 4) - 32);
    }
    }
    return NAN;
}

/* Random block bytes whose f16 scale fields are finite and moderate. */
static void random_block(int type, uint8_t *b, uint32_t bytes, testdata_rng *r)
{
    for (uint32_t i = 0; i < bytes; i++) b[i] = (uint8_t)testdata_rng_u64(r);
    uint16_t h;
#define SET_F16(off) (h = ef_f32_to_f16((float)(testdata_rng_uniform(r) * 2 - 1)), \
                      b[off] = (uint8_t)h, b[(off) + 1] = (uint8_t)(h >> 8))
    switch (type) {
    case DQ_TYPE_F16:
        for (uint32_t i = 0; i < bytes; i += 2) SET_F16(i);
        break;
    case DQ_TYPE_F32:
        for (uint32_t i = 0; i < bytes; i += 4) {
            float v = (float)testdata_rng_normal(r);
            memcpy(b + i, &v, 4);
        }
        break;
    case DQ_TYPE_BF16:
        for (uint32_t i = 1; i < bytes; i += 2) b[i] &= 0xBF; /* keep exponents small */
        break;
    case DQ_TYPE_Q4_1: case DQ_TYPE_Q5_1: case DQ_TYPE_Q4_K: case DQ_TYPE_Q5_K:
        SET_F16(0);
        SET_F16(2);
        break;
    case DQ_TYPE_Q6_K: SET_F16(208); break;
    default: SET_F16(0); break;
    }
#undef SET_F16
}

Test(model, dequant_matches_formulas_element_by_element)
{
    testdata_rng r;
    uint8_t blocks[4 * 256 * 4];
    float got[4 * 256];
    for (int ti = 0; ti < N_TYPES; ti++) {
        int type = all_types[ti];
        uint32_t be, bb;
        cr_assert(dequant_type_block(type, &be, &bb));
        uint32_t per = be == 1 ? 64 : be, nblk = be == 1 ? 1 : 4; /* 64 scalars or 4 blocks */
        for (uint64_t seed = 1; seed <= 50; seed++) {
            testdata_rng_seed(&r, seed * 131 + (uint64_t)type);
            for (uint32_t i = 0; i < nblk; i++)
                random_block(type, blocks + i * bb * (be == 1 ? per : 1), bb * (be == 1 ? per : 1), &r);
            ef_error err = {{0}};
            int64_t n = (int64_t)per * nblk;
            cr_assert_eq(dequant_row(type, blocks, got, n, &err), EF_OK, "%s: %s",
                         dequant_type_name(type), err.msg);
            for (int64_t k = 0; k < n; k++) {
                uint32_t blk = (uint32_t)(k / per), kk = (uint32_t)(k % per);
                const uint8_t *b = blocks + (be == 1 ? 0 : blk * bb);
                float want = ref_element(type, b, (int)(be == 1 ? k : kk));
                cr_assert(got[k] == want || (isnan(got[k]) && isnan(want)),
                          "%s seed %llu element %lld: got %.9g want %.9g", dequant_type_name(type),
                          (unsigned long long)seed, (long long)k, got[k], want);
            }
        }
    }
}

/* Put f16 v at p. */
static void put_f16(uint8_t *p, float v)
{
    uint16_t h = ef_f32_to_f16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

Test(model, dequant_hand_built_legacy_blocks)
{
    uint8_t b[34];
    float y[32];
    ef_error err;
    /* Q4_0: d = 0.5, qs[j] = j | (15 - j) << 4: first half (j - 8)/2, second (7 - j)/2. */
    put_f16(b, 0.5f);
    for (int j = 0; j < 16; j++) b[2 + j] = (uint8_t)(j | (15 - j) << 4);
    cr_assert_eq(dequant_row(DQ_TYPE_Q4_0, b, y, 32, &err), EF_OK);
    for (int j = 0; j < 16; j++) {
        cr_assert_eq(y[j], (float)(j - 8) * 0.5f, "Q4_0 element %d", j);
        cr_assert_eq(y[j + 16], (float)(7 - j) * 0.5f, "Q4_0 element %d", j + 16);
    }
    /* Q8_0: d = 0.25, qs[k] = k - 16. */
    put_f16(b, 0.25f);
    for (int k = 0; k < 32; k++) b[2 + k] = (uint8_t)(int8_t)(k - 16);
    cr_assert_eq(dequant_row(DQ_TYPE_Q8_0, b, y, 32, &err), EF_OK);
    for (int k = 0; k < 32; k++) cr_assert_eq(y[k], (float)(k - 16) * 0.25f, "Q8_0 element %d", k);
    /* Q5_0: nibbles 0, only bit 3 and bit 20 of qh set: elements 3 and 20 are (16-16)*d = 0,
     * all others (0-16)*d. */
    memset(b, 0, sizeof b);
    put_f16(b, 1.0f);
    b[2] = 1 << 3;
    b[4] = 1 << 4; /* bit 20 */
    cr_assert_eq(dequant_row(DQ_TYPE_Q5_0, b, y, 32, &err), EF_OK);
    for (int k = 0; k < 32; k++)
        cr_assert_eq(y[k], (k == 3 || k == 20) ? 0.0f : -16.0f, "Q5_0 element %d", k);
    /* Q4_1: d = 2, m = -1, all nibbles 15 except qs[5] low = 0: element 5 = -1, rest 29. */
    put_f16(b, 2.0f);
    put_f16(b + 2, -1.0f);
    memset(b + 4, 0xFF, 16);
    b[4 + 5] = 0xF0;
    cr_assert_eq(dequant_row(DQ_TYPE_Q4_1, b, y, 32, &err), EF_OK);
    for (int k = 0; k < 32; k++) cr_assert_eq(y[k], k == 5 ? -1.0f : 29.0f, "Q4_1 element %d", k);
    /* Q5_1: m = 0.5, d = 1, qh all ones, nibbles 0: every element 16.5. */
    put_f16(b, 1.0f);
    put_f16(b + 2, 0.5f);
    memset(b + 4, 0xFF, 4);
    memset(b + 8, 0, 16);
    cr_assert_eq(dequant_row(DQ_TYPE_Q5_1, b, y, 32, &err), EF_OK);
    for (int k = 0; k < 32; k++) cr_assert_eq(y[k], 16.5f, "Q5_1 element %d", k);
}

Test(model, dequant_scalar_types)
{
    const uint16_t h[] = {0x3C00, 0xC000, 0x0001, 0x7C00, 0x8000, 0x3555};
    const float hv[] = {1.0f, -2.0f, 0x1p-24f, INFINITY, -0.0f, 0.333251953125f};
    uint8_t b[16];
    float y[8];
    ef_error err;
    for (int i = 0; i < 6; i++) {
        b[2 * i] = (uint8_t)h[i];
        b[2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
    cr_assert_eq(dequant_row(DQ_TYPE_F16, b, y, 6, &err), EF_OK);
    for (int i = 0; i < 6; i++) cr_assert_eq(y[i], hv[i], "F16 %04x", h[i]);
    cr_assert(signbit(y[4]));
    const uint16_t bf[] = {0x3F80, 0xC040, 0x0000};
    for (int i = 0; i < 3; i++) {
        b[2 * i] = (uint8_t)bf[i];
        b[2 * i + 1] = (uint8_t)(bf[i] >> 8);
    }
    cr_assert_eq(dequant_row(DQ_TYPE_BF16, b, y, 3, &err), EF_OK);
    cr_assert(y[0] == 1.0f && y[1] == -3.0f && y[2] == 0.0f);
    float f[2] = {3.5f, -0.125f};
    memcpy(b + 1, f, 8); /* unaligned source */
    cr_assert_eq(dequant_row(DQ_TYPE_F32, b + 1, y, 2, &err), EF_OK);
    cr_assert(y[0] == 3.5f && y[1] == -0.125f);
}

/* Pack eight 6-bit scales/mins by the B.3 table (independently of the test helpers). */
static void pack_k4_scales(const int sc[8], const int m[8], uint8_t s[12])
{
    memset(s, 0, 12);
    for (int i = 0; i < 8; i++) {
        if (i < 4) {
            s[i] |= (uint8_t)(sc[i] & 63);
            s[i + 4] |= (uint8_t)(m[i] & 63);
        } else {
            s[i + 4] |= (uint8_t)((sc[i] & 15) | (m[i] & 15) << 4);
            s[i - 4] |= (uint8_t)((sc[i] >> 4) << 6);
            s[i] |= (uint8_t)((m[i] >> 4) << 6);
        }
    }
}

Test(model, dequant_k_quant_scales_all_subblocks)
{
    uint8_t b[176];
    float y[256];
    int sc[8], m[8];
    ef_error err;
    for (int i = 0; i < 8; i++) {
        sc[i] = 8 * i + 7;  /* 7 .. 63: sub-blocks 4..7 need the high two bits */
        m[i] = 63 - 8 * i;  /* 63 .. 7 */
    }
    for (int t = 0; t < 2; t++) {
        int type = t ? DQ_TYPE_Q5_K : DQ_TYPE_Q4_K;
        memset(b, 0, sizeof b);
        put_f16(b, 1.0f);
        put_f16(b + 2, 0.5f);
        pack_k4_scales(sc, m, b + 4);
        uint8_t *qs = b + (t ? 48 : 16);
        memset(qs, 0x11, 128); /* every 4-bit value 1 */
        cr_assert_eq(dequant_row(type, b, y, 256, &err), EF_OK);
        for (int k = 0; k < 256; k++) {
            int i = k / 32;
            cr_assert_eq(y[k], (float)sc[i] * 1.0f - 0.5f * (float)m[i], "%s element %d",
                         dequant_type_name(type), k);
        }
    }
}

/* Position test: one quantised value differs from the rest; only its element changes. */
Test(model, dequant_k_quant_positions)
{
    uint8_t b[210];
    float y[256];
    ef_error err;
    int sc[8] = {1, 1, 1, 1, 1, 1, 1, 1}, m[8] = {0};
    for (int k = 0; k < 256; k++) {
        int c = k / 64, hi = (k % 64) / 32, l = k % 32;
        /* Q4_K: all nibbles 0 except element k's = 5 */
        memset(b, 0, 144);
        put_f16(b, 1.0f);
        pack_k4_scales(sc, m, b + 4);
        b[16 + 32 * c + l] = (uint8_t)(hi ? 5 << 4 : 5);
        cr_assert_eq(dequant_row(DQ_TYPE_Q4_K, b, y, 256, &err), EF_OK);
        for (int e = 0; e < 256; e++) cr_assert_eq(y[e], e == k ? 5.0f : 0.0f, "Q4_K k %d e %d", k, e);
        /* Q5_K: nibbles 0, only element k's fifth bit */
        memset(b, 0, 176);
        put_f16(b, 1.0f);
        pack_k4_scales(sc, m, b + 4);
        b[16 + l] = (uint8_t)(1 << (2 * c + hi));
        cr_assert_eq(dequant_row(DQ_TYPE_Q5_K, b, y, 256, &err), EF_OK);
        for (int e = 0; e < 256; e++) cr_assert_eq(y[e], e == k ? 16.0f : 0.0f, "Q5_K k %d e %d", k, e);
        /* Q6_K: every value 32 (zero) except element k = 33; scales 1..16 per sub-block */
        int h = k / 128, w = k % 128, quarter = w / 32, ll = w % 32;
        memset(b, 0, 210);
        memset(b + 128, 0xAA, 64); /* high two bits 2 everywhere: 6-bit value 32 = zero */
        for (int i = 0; i < 16; i++) b[192 + i] = (uint8_t)(i + 1);
        put_f16(b + 208, 1.0f);
        int li = 64 * h + ll + 32 * (quarter & 1);
        b[li] |= (uint8_t)((quarter >> 1) ? 1 << 4 : 1);
        cr_assert_eq(dequant_row(DQ_TYPE_Q6_K, b, y, 256, &err), EF_OK);
        for (int e = 0; e < 256; e++) {
            float want = e == k ? (float)(e / 16 + 1) : 0.0f;
            cr_assert_eq(y[e], want, "Q6_K k %d e %d", k, e);
        }
    }
}

Test(model, quantize_dequantize_round_trip)
{
    /* relative RMS error bounds for N(0,1) data and the simple helper quantisers */
    const double bound[] = {0, 1e-3, 8e-3, 0.012, 0.12, 0.12, 0.06, 0.06, 0.12, 0.06, 0.04};
    testdata_rng r;
    float x[1024], y[1024];
    uint8_t q[1024 * 4];
    for (int ti = 0; ti < N_TYPES; ti++) {
        int type = all_types[ti];
        testdata_rng_seed(&r, 7 + (uint64_t)type);
        for (int i = 0; i < 1024; i++) x[i] = (float)testdata_rng_normal(&r);
        cr_assert_eq(testdata_quantize_row(type, x, q, 1024), 0);
        ef_error err;
        cr_assert_eq(dequant_row(type, q, y, 1024, &err), EF_OK);
        double e2 = 0, x2 = 0;
        for (int i = 0; i < 1024; i++) {
            e2 += (double)(x[i] - y[i]) * (x[i] - y[i]);
            x2 += (double)x[i] * x[i];
        }
        double rel = sqrt(e2 / x2);
        cr_assert(rel <= bound[ti], "%s: relative RMS error %.4g > %.4g (seed %d)",
                  dequant_type_name(type), rel, bound[ti], 7 + type);
    }
}

Test(model, dequant_rejects_unsupported_types)
{
    uint8_t b[512] = {0};
    float y[256];
    ef_error err;
    cr_assert_eq(dequant_row(DQ_TYPE_Q2_K, b, y, 256, &err), EF_UNSUPPORTED);
    cr_assert(strstr(err.msg, "Q2_K"), "%s", err.msg);
    cr_assert_eq(dequant_row(4, b, y, 32, &err), EF_UNSUPPORTED);
    cr_assert(strstr(err.msg, "4"), "%s", err.msg);
    cr_assert_eq(dequant_row(99, b, y, 32, &err), EF_UNSUPPORTED);
    cr_assert(strstr(err.msg, "99"), "%s", err.msg);
    cr_assert_neq(dequant_row(DQ_TYPE_Q4_0, b, y, 20, &err), EF_OK);
    cr_assert(strstr(err.msg, "Q4_0"), "%s", err.msg);
    int ok;
    cr_assert_eq(dequant_row_bytes(DQ_TYPE_Q6_K, 512, &ok), 420u);
    cr_assert(ok);
    dequant_row_bytes(DQ_TYPE_Q6_K, 100, &ok);
    cr_assert(!ok);
}

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
            cr_assert(seen[all_types[i]], "%s mix lacks %s", arch[a], dequant_type_name(all_types[i]));
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
              strstr(err.msg, "Q2_K"), "%s", err.msg);
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

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
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

static void reject_patched(size_t at, const void *bytes, size_t n, const char *want, const char *what)
{
    testdata_gguf *g = small_gguf();
    uint8_t *img;
    size_t len;
    char path[600];
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    memcpy(img + at, bytes, n);
    testdata_tmp_path(path, sizeof path, "patched.gguf");
    write_bytes(path, img, len);
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
    write_bytes(path, img, len);
    expect_reject(path, "2^30", "array count 2^31");
    count = 1000;
    memcpy(img + 24 + 12 + 4 + 4, &count, 8);
    write_bytes(path, img, len);
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
    ne[0] = 8; ne[1] = 1; ne[2] = 1; ne[3] = 1;
    testdata_gguf_tensor_raw(g, "five", 5, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "5 dimensions", "n_dims 5");

    g = testdata_gguf_new();
    ne[0] = UINT64_MAX; ne[1] = 1;
    testdata_gguf_tensor_raw(g, "neg", 2, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "negative", "negative dimension");

    g = testdata_gguf_new();
    ne[0] = (uint64_t)1 << 40; ne[1] = (uint64_t)1 << 40;
    testdata_gguf_tensor_raw(g, "huge", 2, ne, DQ_TYPE_F32, data, 32);
    reject_builder(g, "overflows", "element count overflow");

    g = testdata_gguf_new();
    ne[0] = (uint64_t)1 << 30; ne[1] = (uint64_t)1 << 20;
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
    write_bytes(path, img, len);
    gguf_close(open_ok(path));
    for (size_t n = 0; n < len; n++) {
        write_bytes(path, img, n);
        gguf_file *f = NULL;
        ef_error err = {{0}};
        cr_assert_neq(gguf_open(path, &f, &err), EF_OK, "prefix of %zu / %zu bytes accepted", n, len);
        cr_assert(strstr(err.msg, path) && (strstr(err.msg, "truncated") || strstr(err.msg, "outside")),
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
        write_bytes(path, bad, n);
        gguf_file *f = NULL;
        ef_error err = {{0}};
        if (gguf_open(path, &f, &err) != EF_OK) {
            cr_assert(err.msg[0] && strstr(err.msg, path), "seed %llu iteration %d: bad message '%s'",
                      (unsigned long long)seed, it, err.msg);
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
    x->t[0] = (safetensors_out){"q.0", 3, {4, 5, 8}, x->q0};
    x->t[1] = (safetensors_out){"k.0", 3, {2, 5, 8}, x->k0};
    x->t[2] = (safetensors_out){"q.1", 3, {4, 5, 8}, x->q1};
    x->t[3] = (safetensors_out){"k.1", 3, {2, 5, 8}, x->k1};
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
    x.t[0] = (safetensors_out){"q.0", 2, {20, 8}, x.q0};
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
    write_bytes(path, b, n);
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
        write_bytes(path, b, n);
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
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    st_reject_bytes(b, n, "overlap", "overlapping tensors");
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
    st_reject_bytes(b, n, "JSON", "duplicate names");
    n = st_image(b, "{\"a\": [1, 2", 0);
    st_reject_bytes(b, n, "JSON", "broken JSON");
    n = st_image(b, "{\"__metadata__\":{\"x\":1}}", 0);
    st_reject_bytes(b, n, "not a string", "numeric metadata");
    n = st_image(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8);
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
    cr_assert_neq(safetensors_write("/nonexistent/dir/x.safetensors", x.t, 1, NULL, 0, &err), EF_OK);
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

Test(model, sha256_known_vectors_both_paths)
{
    static const char *const want[4] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    };
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    const char *msg[3] = {"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    char hex[65];
    for (int path = 0; path < 2; path++) {
        sha256_force_portable(path);
        for (int i = 0; i < 3; i++) {
            sha256_hex(msg[i], strlen(msg[i]), hex);
            cr_assert_str_eq(hex, want[i], "portable=%d vector %d", path, i);
        }
        sha256_hex(million, 1000000, hex);
        cr_assert_str_eq(hex, want[3], "portable=%d million a", path);
    }
    /* any chunking of the input, either path, same digest */
    testdata_rng r;
    testdata_rng_seed(&r, 11);
    for (int i = 0; i < 1000000; i++) million[i] = (char)testdata_rng_u64(&r);
    char ref[65];
    sha256_force_portable(1);
    sha256_hex(million, 777777, ref);
    for (int trial = 0; trial < 20; trial++) {
        sha256_force_portable(trial & 1);
        sha256_ctx c;
        uint8_t dg[32];
        sha256_init(&c);
        for (size_t at = 0; at < 777777;) {
            size_t n = (size_t)(testdata_rng_u64(&r) % 5000);
            if (n > 777777 - at) n = 777777 - at;
            sha256_update(&c, million + at, n);
            at += n;
        }
        sha256_final(&c, dg);
        sha256_digest_hex(dg, hex);
        cr_assert_str_eq(hex, ref, "trial %d", trial);
    }
    sha256_force_portable(0);
    free(million);
}

/* ---- the real default model, if already fetched -------------------------------------- */

Test(model, real_gemma3_270m_if_cached)
{
    char path[1024];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(path, sizeof path, "%s/efbench/gemma-3-270m-q4_k_m.gguf", xdg);
    else snprintf(path, sizeof path, "%s/.cache/efbench/gemma-3-270m-q4_k_m.gguf", home ? home : "");
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
              hist[DQ_TYPE_Q4_K] == 27 && hist[DQ_TYPE_Q6_K] == 9, "type histogram differs from B.5");
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
