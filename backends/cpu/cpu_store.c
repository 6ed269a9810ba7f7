/* backends/cpu/cpu_store.c — the one store of a masked energy row: the GEMM's values less
 * the row's shift on the visible keys, zeros on the others, the whole row written once
 * with streaming stores (a line written whole is not read first, and the row does not
 * evict the panel the next GEMM works on). Called by cpu_masked.c.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "cpu_internal.h"

/* row[j] for j in [lo, hi): vals[j - first] - c on first .. last, else 0; scalar, for the
 * ends of a row and for CPUs without AVX-512. */
static void store_span(float *row, int lo, int hi, const float *vals, int first, int last, float c)
{
    for (int j = lo; j < hi; j++) row[j] = j >= first && j <= last ? vals[j - first] - c : 0.0f;
}

__attribute__((target("avx512f"))) static void
store_row_avx512(float *row, int n, const float *vals, int first, int last, float c)
{
    int j = 0;
    while (j < n && ((uintptr_t)(row + j) & 63)) j++;
    store_span(row, 0, j, vals, first, last, c); /* up to the first 64-byte line */
    __m512 cc = _mm512_set1_ps(c);
    for (; j + 16 <= n; j += 16) {
        __m512 x;
        if (j + 15 < first || j > last) x = _mm512_setzero_ps();
        else if (j >= first && j + 15 <= last)
            x = _mm512_sub_ps(_mm512_loadu_ps(vals + (j - first)), cc);
        else { /* a line across first or last */ float t[16];
            for (int u = 0; u < 16; u++)
                t[u] = j + u >= first && j + u <= last ? vals[j + u - first] - c : 0.0f;
            x = _mm512_loadu_ps(t);
        }
        _mm512_stream_ps(row + j, x);
    }
    store_span(row, j, n, vals, first, last, c);
}

void cpu_store_row(float *row, int n, const float *vals, int first, int last, float c)
{
    if (__builtin_cpu_supports("avx512f")) {
        store_row_avx512(row, n, vals, first, last, c);
        return;
    }
    memset(row, 0, sizeof(float) * first);
    store_span(row, first, last + 1, vals, first, last, c);
    memset(row + last + 1, 0, sizeof(float) * (n - 1 - last));
}

void cpu_store_fence(void)
{
    _mm_sfence(); /* streaming stores are weakly ordered: done before what follows */
}
