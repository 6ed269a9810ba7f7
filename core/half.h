/* core/half.h — fp16 and bf16 conversions, round-to-nearest-even.
 * Used by the harness to round inputs and by the CPU backends to decode them; the GPU
 * kernels have their own (vload_half, bit shifts).
 */
#ifndef EF_HALF_H
#define EF_HALF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t ef_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float ef_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float -> bf16, nearest even; NaN stays NaN. */
static inline uint16_t ef_f32_to_bf16(float f)
{
    uint32_t u = ef_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
static inline float ef_bf16_to_f32(uint16_t h) { return ef_bits_f32((uint32_t)h << 16); }

/* float -> IEEE binary16, nearest even, overflow to inf, subnormals kept. */
static inline uint16_t ef_f32_to_f16(float f)
{
    uint32_t u = ef_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u;  /* NaN */
    if (a >= 0x477ff000u) return sign | 0x7c00u; /* >= 65520 rounds to inf */
    if (a < 0x38800000u) {                       /* below 2^-14: subnormal */
        /* value * 2^24 rounded to an integer is the subnormal mantissa */
        float m = ef_bits_f32(a) * 16777216.0f;
        return sign | (uint16_t)lrintf(m);
    }
    uint32_t r = a + 0x0fffu + ((a >> 13) & 1u); /* round mantissa to 10 bits */
    return sign | (uint16_t)((r - 0x38000000u) >> 13);
}
static inline float ef_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0)
        return ef_bits_f32(sign) == 0 && m == 0 ? ef_bits_f32(sign)
                                                : (sign ? -1.0f : 1.0f) * (float)m * 0x1p-24f;
    if (e == 31) return ef_bits_f32(sign | 0x7f800000u | (m << 13));
    return ef_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

#endif
