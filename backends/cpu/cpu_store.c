/* backends/cpu/cpu_store.c — the two stores the masked energy field makes outside the
 * GEMM: a float run filled with one value (the shift -c_i the GEMM then adds to), and a
 * long run of zeros (the hidden keys). Both at the store rate of the widest vectors the
 * CPU has (a compiler's 16-byte loop reached half of it); long zero runs bypass the cache
 * with streaming stores, which write a line without reading it first. Called by
 * cpu_masked.c.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "cpu_internal.h"

typedef float v16 __attribute__((vector_size(16 * sizeof(float))));

/* Zero runs shorter than this go through memset (streaming stores pay off per line). */
enum { STREAM_MIN_FLOATS = 256 };

__attribute__((target_clones("avx512f", "avx2", "default"))) void cpu_fill(float *p, size_t count, float v)
{
    v16 x = (v16){0} + v;
    size_t j = 0;
    for (; j + 16 <= count; j += 16) memcpy(p + j, &x, sizeof x);
    for (; j < count; j++) p[j] = v;
}

__attribute__((target("avx512f"))) static void zero_stream(float *p, size_t count)
{
    while (((uintptr_t)p & 63) && count) *p++ = 0, count--;
    __m512 z = _mm512_setzero_ps();
    for (; count >= 16; count -= 16, p += 16) _mm512_stream_ps(p, z);
    while (count) *p++ = 0, count--;
}

void cpu_zero(float *p, size_t count)
{
    if (count >= STREAM_MIN_FLOATS && __builtin_cpu_supports("avx512f")) zero_stream(p, count);
    else memset(p, 0, sizeof(float) * count);
}

void cpu_store_fence(void)
{
    _mm_sfence(); /* streaming stores are weakly ordered: visible before what follows */
}
