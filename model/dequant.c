/* model/dequant.c — decode rows of ggml-typed tensor data into float32.
 * Formulas: shared/docs/gguf-models.md B.1-B.3 (block layouts and element placement).
 * Pure functions on byte buffers; bounds are the caller's (gguf.c checks them). Every
 * multi-byte field is read with memcpy, so src may be unaligned.
 */
#include "model/dequant.h"

#include <string.h>

#include "core/half.h"

typedef struct dq_type_info {
    const char *name;
    uint32_t block_elems, block_bytes;
    int supported;
} dq_type_info;

/* ggml's enum ggml_type; removed ids (4, 5, 31-33, 36-38) stay empty. */
static const dq_type_info dq_types[DQ_TYPE_COUNT] = {
    [0] = {"F32", 1, 4, 1},         [1] = {"F16", 1, 2, 1},         [2] = {"Q4_0", 32, 18, 1},
    [3] = {"Q4_1", 32, 20, 1},      [6] = {"Q5_0", 32, 22, 1},      [7] = {"Q5_1", 32, 24, 1},
    [8] = {"Q8_0", 32, 34, 1},      [9] = {"Q8_1", 32, 36, 0},      [10] = {"Q2_K", 256, 84, 0},
    [11] = {"Q3_K", 256, 110, 0},   [12] = {"Q4_K", 256, 144, 1},   [13] = {"Q5_K", 256, 176, 1},
    [14] = {"Q6_K", 256, 210, 1},   [15] = {"Q8_K", 256, 292, 0},   [16] = {"IQ2_XXS", 256, 66, 0},
    [17] = {"IQ2_XS", 256, 74, 0},  [18] = {"IQ3_XXS", 256, 98, 0}, [19] = {"IQ1_S", 256, 50, 0},
    [20] = {"IQ4_NL", 32, 18, 0},   [21] = {"IQ3_S", 256, 110, 0},  [22] = {"IQ2_S", 256, 82, 0},
    [23] = {"IQ4_XS", 256, 136, 0}, [24] = {"I8", 1, 1, 0},         [25] = {"I16", 1, 2, 0},
    [26] = {"I32", 1, 4, 0},        [27] = {"I64", 1, 8, 0},        [28] = {"F64", 1, 8, 0},
    [29] = {"IQ1_M", 256, 56, 0},   [30] = {"BF16", 1, 2, 1},       [34] = {"TQ1_0", 256, 54, 0},
    [35] = {"TQ2_0", 256, 66, 0},   [39] = {"MXFP4", 32, 17, 0},
};

const char *dequant_type_name(int type)
{
    if (type < 0 || type >= DQ_TYPE_COUNT) return NULL;
    return dq_types[type].name;
}

int dequant_type_block(int type, uint32_t *block_elems, uint32_t *block_bytes)
{
    uint32_t be = 0, bb = 0;
    if (type >= 0 && type < DQ_TYPE_COUNT && dq_types[type].name) {
        be = dq_types[type].block_elems;
        bb = dq_types[type].block_bytes;
    }
    if (block_elems) *block_elems = be;
    if (block_bytes) *block_bytes = bb;
    return be != 0;
}

int dequant_type_supported(int type)
{
    return type >= 0 && type < DQ_TYPE_COUNT && dq_types[type].supported;
}

uint64_t dequant_row_bytes(int type, int64_t n, int *ok)
{
    uint32_t be, bb;
    if (ok) *ok = 0;
    if (n < 0 || !dequant_type_block(type, &be, &bb) || n % be != 0) return 0;
    uint64_t blocks = (uint64_t)n / be;
    if (blocks > UINT64_MAX / bb) return 0;
    if (ok) *ok = 1;
    return blocks * bb;
}

/* ---- little-endian field readers -------------------------------------------------- */

static inline float dq_f16(const uint8_t *p)
{
    return ef_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

static inline uint32_t dq_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- scalar types ------------------------------------------------------------------ */

static void dq_row_f32(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = ef_bits_f32(dq_u32(s + 4 * i));
}

static void dq_row_f16(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = dq_f16(s + 2 * i);
}

static void dq_row_bf16(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = ef_bf16_to_f32((uint16_t)(s[2 * i] | (s[2 * i + 1] << 8)));
}

/* ---- 32-element legacy blocks (B.2) ----------------------------------------------- */

static void dq_row_q8_0(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK; b++, s += 34, y += DQ_QK) {
        float d = dq_f16(s);
        const int8_t *qs = (const int8_t *)(s + 2);
        for (int k = 0; k < DQ_QK; k++) y[k] = (float)qs[k] * d;
    }
}

static void dq_row_q4_0(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK; b++, s += 18, y += DQ_QK) {
        float d = dq_f16(s);
        const uint8_t *qs = s + 2;
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((qs[j] & 0x0F) - 8) * d;
            y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
        }
    }
}

static void dq_row_q4_1(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK; b++, s += 20, y += DQ_QK) {
        float d = dq_f16(s), m = dq_f16(s + 2);
        const uint8_t *qs = s + 4;
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(qs[j] & 0x0F) * d + m;
            y[j + 16] = (float)(qs[j] >> 4) * d + m;
        }
    }
}

static void dq_row_q5_0(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK; b++, s += 22, y += DQ_QK) {
        float d = dq_f16(s);
        uint32_t qh = dq_u32(s + 2);
        const uint8_t *qs = s + 6;
        for (int j = 0; j < 16; j++) {
            int lo = (qs[j] & 0x0F) | (int)((qh >> j) & 1) << 4;
            int hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)(lo - 16) * d;
            y[j + 16] = (float)(hi - 16) * d;
        }
    }
}

static void dq_row_q5_1(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK; b++, s += 24, y += DQ_QK) {
        float d = dq_f16(s), m = dq_f16(s + 2);
        uint32_t qh = dq_u32(s + 4);
        const uint8_t *qs = s + 8;
        for (int j = 0; j < 16; j++) {
            int lo = (qs[j] & 0x0F) | (int)((qh >> j) & 1) << 4;
            int hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)lo * d + m;
            y[j + 16] = (float)hi * d + m;
        }
    }
}

/* ---- K-quants (B.3) ------------------------------------------------------------------ */

/* 6-bit scale and min of sub-block i (0..7) from the 12 packed bytes. */
static inline void dq_scale_min_k4(int i, const uint8_t *q, int *sc, int *m)
{
    if (i < 4) {
        *sc = q[i] & 63;
        *m = q[i + 4] & 63;
    } else {
        *sc = (q[i + 4] & 0x0F) | ((q[i - 4] >> 6) << 4);
        *m = (q[i + 4] >> 4) | ((q[i] >> 6) << 4);
    }
}

static void dq_row_q4_k(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK_K; b++, s += 144, y += DQ_QK_K) {
        float d = dq_f16(s), dmin = dq_f16(s + 2);
        const uint8_t *scales = s + 4, *qs = s + 16;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            dq_scale_min_k4(2 * c, scales, &sc0, &m0);
            dq_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
            float d0 = d * (float)sc0, mm0 = dmin * (float)m0;
            float d1 = d * (float)sc1, mm1 = dmin * (float)m1;
            for (int l = 0; l < 32; l++) {
                uint8_t q = qs[32 * c + l];
                y[64 * c + l] = d0 * (float)(q & 0x0F) - mm0;
                y[64 * c + 32 + l] = d1 * (float)(q >> 4) - mm1;
            }
        }
    }
}

static void dq_row_q5_k(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK_K; b++, s += 176, y += DQ_QK_K) {
        float d = dq_f16(s), dmin = dq_f16(s + 2);
        const uint8_t *scales = s + 4, *qh = s + 16, *qs = s + 48;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            dq_scale_min_k4(2 * c, scales, &sc0, &m0);
            dq_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
            float d0 = d * (float)sc0, mm0 = dmin * (float)m0;
            float d1 = d * (float)sc1, mm1 = dmin * (float)m1;
            for (int l = 0; l < 32; l++) {
                uint8_t q = qs[32 * c + l];
                int lo = (q & 0x0F) + (((qh[l] >> (2 * c)) & 1) ? 16 : 0);
                int hi = (q >> 4) + (((qh[l] >> (2 * c + 1)) & 1) ? 16 : 0);
                y[64 * c + l] = d0 * (float)lo - mm0;
                y[64 * c + 32 + l] = d1 * (float)hi - mm1;
            }
        }
    }
}

static void dq_row_q6_k(const uint8_t *s, float *y, int64_t n)
{
    for (int64_t b = 0; b < n / DQ_QK_K; b++, s += 210, y += DQ_QK_K) {
        const uint8_t *ql = s, *qh = s + 128;
        const int8_t *sc = (const int8_t *)(s + 192);
        float d = dq_f16(s + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *l1 = ql + 64 * h, *h1 = qh + 32 * h;
            const int8_t *s1 = sc + 8 * h;
            float *yy = y + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((l1[l] & 0x0F) | ((h1[l] >> 0) & 3) << 4) - 32;
                int q2 = ((l1[l + 32] & 0x0F) | ((h1[l] >> 2) & 3) << 4) - 32;
                int q3 = ((l1[l] >> 4) | ((h1[l] >> 4) & 3) << 4) - 32;
                int q4 = ((l1[l + 32] >> 4) | ((h1[l] >> 6) & 3) << 4) - 32;
                yy[l] = d * (float)s1[is + 0] * (float)q1;
                yy[l + 32] = d * (float)s1[is + 2] * (float)q2;
                yy[l + 64] = d * (float)s1[is + 4] * (float)q3;
                yy[l + 96] = d * (float)s1[is + 6] * (float)q4;
            }
        }
    }
}

/* ---- dispatch --------------------------------------------------------------------- */

int dequant_row(int type, const void *src, float *dst, int64_t n, ef_error *err)
{
    uint32_t be = 0, bb = 0;
    if (!dequant_type_block(type, &be, &bb)) {
        if (type >= 0 && type < DQ_TYPE_COUNT)
            return ef_fail(err, EF_UNSUPPORTED, "ggml type %d was removed from ggml", type);
        return ef_fail(err, EF_UNSUPPORTED, "unknown ggml type %d", type);
    }
    if (!dq_types[type].supported)
        return ef_fail(err, EF_UNSUPPORTED,
                       "ggml type %s (%d) cannot be dequantised by efbench (supported: F32, "
                       "F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
                       dq_types[type].name, type);
    if (n < 0 || n % be != 0)
        return ef_fail(err, EF_ERROR, "%lld %s values are not a whole number of %u-value blocks",
                       (long long)n, dq_types[type].name, be);
    const uint8_t *s = src;
    switch (type) {
        case DQ_TYPE_F32: dq_row_f32(s, dst, n); break;
        case DQ_TYPE_F16: dq_row_f16(s, dst, n); break;
        case DQ_TYPE_BF16: dq_row_bf16(s, dst, n); break;
        case DQ_TYPE_Q8_0: dq_row_q8_0(s, dst, n); break;
        case DQ_TYPE_Q4_0: dq_row_q4_0(s, dst, n); break;
        case DQ_TYPE_Q4_1: dq_row_q4_1(s, dst, n); break;
        case DQ_TYPE_Q5_0: dq_row_q5_0(s, dst, n); break;
        case DQ_TYPE_Q5_1: dq_row_q5_1(s, dst, n); break;
        case DQ_TYPE_Q4_K: dq_row_q4_k(s, dst, n); break;
        case DQ_TYPE_Q5_K: dq_row_q5_k(s, dst, n); break;
        case DQ_TYPE_Q6_K: dq_row_q6_k(s, dst, n); break;
        default:
            return ef_fail(err, EF_UNSUPPORTED, "ggml type %s has no decoder", dq_types[type].name);
    }
    return EF_OK;
}
