/* tests/model_dequant_test.c — suite `model`: dequantisation of every supported GGUF type
 * against the block formulas of gguf-models.md, element by element and position by
 * position, on hand-built and random blocks; unsupported types are clear errors.
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
        case DQ_TYPE_F32: {
            float v;
            memcpy(&v, b + 4 * k, 4);
            return v;
        }
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
            uint32_t qh =
                (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
            int q = (high ? b[6 + j] >> 4 : b[6 + j] & 0xF) | (int)((qh >> k) & 1) << 4;
            return (float)(q - 16) * f16_at(b);
        }
        case DQ_TYPE_Q5_1: {
            uint32_t qh =
                (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
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
#define SET_F16(off)                                                                   \
    (h = ef_f32_to_f16((float)(testdata_rng_uniform(r) * 2 - 1)), b[off] = (uint8_t)h, \
     b[(off) + 1] = (uint8_t)(h >> 8))
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
        case DQ_TYPE_Q4_1:
        case DQ_TYPE_Q5_1:
        case DQ_TYPE_Q4_K:
        case DQ_TYPE_Q5_K:
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
                random_block(type, blocks + i * bb * (be == 1 ? per : 1), bb * (be == 1 ? per : 1),
                             &r);
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
        sc[i] = 8 * i + 7; /* 7 .. 63: sub-blocks 4..7 need the high two bits */
        m[i] = 63 - 8 * i; /* 63 .. 7 */
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
        for (int e = 0; e < 256; e++)
            cr_assert_eq(y[e], e == k ? 5.0f : 0.0f, "Q4_K k %d e %d", k, e);
        /* Q5_K: nibbles 0, only element k's fifth bit */
        memset(b, 0, 176);
        put_f16(b, 1.0f);
        pack_k4_scales(sc, m, b + 4);
        b[16 + l] = (uint8_t)(1 << (2 * c + hi));
        cr_assert_eq(dequant_row(DQ_TYPE_Q5_K, b, y, 256, &err), EF_OK);
        for (int e = 0; e < 256; e++)
            cr_assert_eq(y[e], e == k ? 16.0f : 0.0f, "Q5_K k %d e %d", k, e);
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
