/* backends/cpu/cpu_inputs.c — what every product of the cpu backend reads: Q and K as
 * float32 (fp16/bf16 decoded with vector conversions: the scalar decoder took longer than
 * a masked field's GEMM), the keys centered over all n, and the scratch buffers the
 * device keeps from one dispatch to the next. Called by cpu_energy.c, cpu_masked.c and
 * cpu_backend.c.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

/* bf16 is the top half of a float. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
decode_bf16(const uint16_t *h, size_t count, float *dst)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)h[i] << 16;
        memcpy(dst + i, &u, sizeof u);
    }
}

/* fp16 through the F16C conversion, exact for every half (subnormals included). */
__attribute__((target("avx,f16c"))) static void decode_f16(const uint16_t *h, size_t count,
                                                           float *dst)
{
    size_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
    if (i < count) hostmem_decode_f32(EF_PREC_FP16, h + i, count - i, dst + i);
}

static void decode(ef_precision p, const void *src, size_t count, float *dst)
{
    if (p == EF_PREC_BF16) decode_bf16(src, count, dst);
    /* every AVX2 CPU has F16C (Ivy Bridge came first); clang's builtin does not know "f16c" */
    else if (p == EF_PREC_FP16 && __builtin_cpu_supports("avx2")) decode_f16(src, count, dst);
    else hostmem_decode_f32(p, src, count, dst);
}

void *cpu_scratch(ef_device *dev, int slot, size_t bytes, ef_error *err)
{
    if (dev->scratch_bytes[slot] >= bytes) return dev->scratch[slot];
    free(dev->scratch[slot]);
    dev->scratch[slot] = malloc(bytes ? bytes : 1);
    dev->scratch_bytes[slot] = dev->scratch[slot] ? bytes : 0;
    if (!dev->scratch[slot])
        ef_fail(err, EF_NOMEM, "cpu scratch of %zu bytes: out of memory", bytes);
    return dev->scratch[slot];
}

/* Sum of the n rows of X (n x d) into s[d], in double: one rounding per addend at
 * u = 2^-53, far inside the log2(n) + 2 float roundings backend.h allows a key mean. */
static void column_sums(const float *X, int n, int d, double *s)
{
    for (int c = 0; c < d; c++) s[c] = 0;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) s[c] += X[(size_t)j * d + c];
}

int cpu_inputs_get(ef_device *dev, const ef_op *op, int want_kc, cpu_inputs *in, ef_error *err)
{
    int n = op->n, d = op->d;
    size_t nd = (size_t)n * d;
    *in = (cpu_inputs){.q = (const float *)op->q->data, .k = (const float *)op->k->data};
    if (op->precision != EF_PREC_FP32) {
        float *q = cpu_scratch(dev, CPU_SCRATCH_Q, nd * sizeof(float), err);
        if (!q) return EF_NOMEM;
        decode(op->precision, op->q->data, nd, q);
        in->q = q;
    }
    if (!want_kc && op->precision == EF_PREC_FP32) return EF_OK;
    float *k = cpu_scratch(dev, CPU_SCRATCH_K, nd * sizeof(float), err);
    double *kbar = cpu_scratch(dev, CPU_SCRATCH_PREFIX, (size_t)d * sizeof(double), err);
    if (!k || !kbar) return EF_NOMEM;
    if (op->precision == EF_PREC_FP32) memcpy(k, op->k->data, nd * sizeof(float));
    else decode(op->precision, op->k->data, nd, k);
    in->k = k;
    if (!want_kc) return EF_OK;
    column_sums(k, n, d, kbar);
    float *mean = cpu_scratch(dev, CPU_SCRATCH_MEAN, (size_t)d * sizeof(float), err);
    if (!mean) return EF_NOMEM;
    for (int c = 0; c < d; c++) mean[c] = (float)(kbar[c] / n); /* one rounding */
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) k[(size_t)j * d + c] -= mean[c];
    in->kc = k;
    return EF_OK;
}
