/* tests/model_testdata_quant.c — testdata_quantize_row (model_testdata.h): round-to-nearest
 * quantisers for every type model/dequant.c reads, the inverse of its decoders, written from
 * the block layouts in shared/docs/gguf-models.md B.
 */
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "model/dequant.h"
#include "tests/model_testdata.h"

static void td_put_f16(uint8_t *p, float v)
{
    uint16_t h = ef_f32_to_f16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

static float td_f16_round(float v) { return ef_f16_to_f32(ef_f32_to_f16(v)); }

static int td_clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The value of largest magnitude (with its sign), and min / max of x[0..n). */
static void td_stats(const float *x, int n, float *amax_signed, float *mn, float *mx)
{
    float best = 0, lo = x[0], hi = x[0];
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > fabsf(best)) best = x[i];
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    *amax_signed = best;
    *mn = lo;
    *mx = hi;
}

static int td_q(float x, float d, int off, int hi) /* round(x/d) + off, clamped to [0, hi] */
{
    return d == 0 ? off : td_clamp((int)lrintf(x / d) + off, 0, hi);
}

static void td_q8_0(const float *x, uint8_t *b)
{
    float s, mn, mx;
    td_stats(x, 32, &s, &mn, &mx);
    float d = td_f16_round(fabsf(s) / 127.0f);
    td_put_f16(b, d);
    for (int k = 0; k < 32; k++) b[2 + k] = (uint8_t)(int8_t)(td_q(x[k], d, 128, 255) - 128);
}

/* Q4_0 (bits 4, offset 8) and Q5_0 (bits 5, offset 16): d = signed max / -offset. */
static void td_qx_0(const float *x, uint8_t *b, int bits)
{
    float s, mn, mx;
    int off = 1 << (bits - 1), hi = (1 << bits) - 1;
    td_stats(x, 32, &s, &mn, &mx);
    float d = td_f16_round(s / (float)-off);
    int q[32];
    for (int k = 0; k < 32; k++) q[k] = td_q(x[k], d, off, hi);
    td_put_f16(b, d);
    uint8_t *qs = b + (bits == 4 ? 2 : 6);
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 15) | (q[j + 16] & 15) << 4);
        qh |= (uint32_t)(q[j] >> 4) << j | (uint32_t)(q[j + 16] >> 4) << (j + 16);
    }
    if (bits == 5)
        for (int i = 0; i < 4; i++) b[2 + i] = (uint8_t)(qh >> (8 * i));
}

/* Q4_1 / Q5_1: d = (max - min) / levels, m = min. */
static void td_qx_1(const float *x, uint8_t *b, int bits)
{
    float s, mn, mx;
    int hi = (1 << bits) - 1;
    td_stats(x, 32, &s, &mn, &mx);
    float d = td_f16_round((mx - mn) / (float)hi), m = td_f16_round(mn);
    int q[32];
    for (int k = 0; k < 32; k++) q[k] = td_q(x[k] - m, d, 0, hi);
    td_put_f16(b, d);
    td_put_f16(b + 2, m);
    uint8_t *qs = b + (bits == 4 ? 4 : 8);
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 15) | (q[j + 16] & 15) << 4);
        qh |= (uint32_t)(q[j] >> 4) << j | (uint32_t)(q[j + 16] >> 4) << (j + 16);
    }
    if (bits == 5)
        for (int i = 0; i < 4; i++) b[4 + i] = (uint8_t)(qh >> (8 * i));
}

/* Pack eight 6-bit scales and mins as in B.3 (inverse of get_scale_min_k4). */
static void td_pack_k4(const int sc[8], const int m[8], uint8_t q[12])
{
    for (int i = 0; i < 4; i++) {
        q[i] = (uint8_t)((sc[i] & 63) | (sc[i + 4] >> 4) << 6);
        q[i + 4] = (uint8_t)((m[i] & 63) | (m[i + 4] >> 4) << 6);
        q[i + 8] = (uint8_t)((sc[i + 4] & 15) | (m[i + 4] & 15) << 4);
    }
}

/* Q4_K (bits 4) and Q5_K (bits 5): 8 sub-blocks of 32 with 6-bit scale and min. */
static void td_qx_k(const float *x, uint8_t *b, int bits)
{
    int hi = (1 << bits) - 1, sc[8], mq[8];
    float scale[8], mins[8], maxs = 0, maxm = 0;
    for (int i = 0; i < 8; i++) {
        float s, mn, mx;
        td_stats(x + 32 * i, 32, &s, &mn, &mx);
        if (mn > 0) mn = 0;
        scale[i] = (mx - mn) / (float)hi;
        mins[i] = -mn;
        if (scale[i] > maxs) maxs = scale[i];
        if (mins[i] > maxm) maxm = mins[i];
    }
    float d = td_f16_round(maxs / 63.0f), dmin = td_f16_round(maxm / 63.0f);
    for (int i = 0; i < 8; i++) {
        sc[i] = d > 0 ? td_clamp((int)lrintf(scale[i] / d), 0, 63) : 0;
        mq[i] = dmin > 0 ? td_clamp((int)lrintf(mins[i] / dmin), 0, 63) : 0;
    }
    td_put_f16(b, d);
    td_put_f16(b + 2, dmin);
    td_pack_k4(sc, mq, b + 4);
    uint8_t *qh = b + 16, *qs = b + (bits == 4 ? 16 : 48);
    if (bits == 5) memset(qh, 0, 32);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) {
            int i0 = 2 * c, i1 = 2 * c + 1;
            int q0 = td_q(x[64 * c + l] + dmin * (float)mq[i0], d * (float)sc[i0], 0, hi);
            int q1 = td_q(x[64 * c + 32 + l] + dmin * (float)mq[i1], d * (float)sc[i1], 0, hi);
            qs[32 * c + l] = (uint8_t)((q0 & 15) | (q1 & 15) << 4);
            if (bits == 5) qh[l] |= (uint8_t)((q0 >> 4) << (2 * c) | (q1 >> 4) << (2 * c + 1));
        }
}

/* Q6_K: 16 sub-blocks of 16 with int8 scales, 6-bit values offset by 32. */
static void td_q6_k(const float *x, uint8_t *b)
{
    float scale[16], maxa = 0;
    int sc[16];
    for (int i = 0; i < 16; i++) {
        float s, mn, mx;
        td_stats(x + 16 * i, 16, &s, &mn, &mx);
        scale[i] = s / -32.0f;
        if (fabsf(scale[i]) > maxa) maxa = fabsf(scale[i]);
    }
    float d = td_f16_round(maxa / 127.0f);
    for (int i = 0; i < 16; i++) sc[i] = d > 0 ? td_clamp((int)lrintf(scale[i] / d), -127, 127) : 0;
    uint8_t *ql = b, *qh = b + 128;
    memset(b, 0, 208);
    for (int i = 0; i < 16; i++) b[192 + i] = (uint8_t)(int8_t)sc[i];
    td_put_f16(b + 208, d);
    for (int e = 0; e < 256; e++) {
        int q = td_q(x[e], d * (float)sc[e / 16], 32, 63);
        int h = e / 128, w = e % 128, l = w % 32, quarter = w / 32;
        uint8_t *L = ql + 64 * h, *Hh = qh + 32 * h;
        /* quarter 0: ql[l] low, 1: ql[l+32] low, 2: ql[l] high, 3: ql[l+32] high */
        int li = l + (quarter & 1) * 32, shift = (quarter >> 1) * 4;
        L[li] |= (uint8_t)((q & 15) << shift);
        Hh[l] |= (uint8_t)((q >> 4) << (2 * quarter));
    }
}

int testdata_quantize_row(int type, const float *x, void *dst, int64_t n)
{
    uint32_t be, bb;
    uint8_t *b = dst;
    if (!dequant_type_supported(type) || !dequant_type_block(type, &be, &bb) || n % be) return -1;
    for (int64_t i = 0; i < n / be; i++, x += be, b += bb) {
        switch (type) {
            case DQ_TYPE_F32: memcpy(b, x, 4); break;
            case DQ_TYPE_F16: td_put_f16(b, x[0]); break;
            case DQ_TYPE_BF16: {
                uint16_t h = ef_f32_to_bf16(x[0]);
                b[0] = (uint8_t)h;
                b[1] = (uint8_t)(h >> 8);
                break;
            }
            case DQ_TYPE_Q8_0: td_q8_0(x, b); break;
            case DQ_TYPE_Q4_0: td_qx_0(x, b, 4); break;
            case DQ_TYPE_Q5_0: td_qx_0(x, b, 5); break;
            case DQ_TYPE_Q4_1: td_qx_1(x, b, 4); break;
            case DQ_TYPE_Q5_1: td_qx_1(x, b, 5); break;
            case DQ_TYPE_Q4_K: td_qx_k(x, b, 4); break;
            case DQ_TYPE_Q5_K: td_qx_k(x, b, 5); break;
            case DQ_TYPE_Q6_K: td_q6_k(x, b); break;
            default: return -1;
        }
    }
    return 0;
}
