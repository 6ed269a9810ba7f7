/* shaders/opencl/energy.cl — the fused energy field, pasted once per input precision
 * (SUF, IN_T, LOAD_IN) and built once per tile shape (BM, BN, BK, TM, TN):
 *   E_ij = a q_i . kc_j - shift_i   for keys j visible from row i, 0 otherwise,
 * kc the centered keys and shift the per-row mean correction of the masked fields (both
 * from keys.cl). A workgroup computes a BM x BN block with (BN/TN) x (BM/TM) items, each a
 * TM x TN micro tile strided across the block (coalesced stores); blocks entirely outside
 * the mask are written as zeros without computing. Host side: backends/opencl/ocl_energy.c.
 */
#define WGX (BN / TN)
#define WGY (BM / TM)

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1)))
void KNAME(energy)(__global const IN_T *q, __global const float *kc,
                   __global const float *shift, int has_shift, __global float *e,
                   int n, int d, int row0, int rows, float scale,
                   int kind, int window, int extra)
{
    __local float As[BK][BM + 1];   /* q slice, k-major; +1: the transposing stores */
    __local float Bs[BK][BN + 1];   /* kc slice, k-major    hit distinct banks      */
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int lid = ty * WGX + tx;
    const int j0 = get_group_id(0) * BN;      /* first key of the block */
    const int r0 = get_group_id(1) * BM;      /* first row of the block, within e */
    const int i0 = row0 + r0;                 /* ... as a query index */
    const int imax = min(r0 + BM, rows) - 1 + row0;

    int outside = 0;
    if (kind != MASK_FULL && j0 > imax + extra) outside = 1;            /* above diagonal */
    if (kind == MASK_WINDOW && j0 + BN - 1 <= i0 - window) outside = 1; /* left of window */
    if (outside) {
        for (int mi = 0; mi < TM; mi++) {
            const int r = r0 + ty + mi * WGY;
            if (r >= rows) continue;
            for (int ni = 0; ni < TN; ni++) {
                const int j = j0 + tx + ni * WGX;
                if (j < n) e[(size_t)r * n + j] = 0.0f;
            }
        }
        return;
    }

    float acc[TM][TN];
    #pragma unroll
    for (int mi = 0; mi < TM; mi++)
        #pragma unroll
        for (int ni = 0; ni < TN; ni++) acc[mi][ni] = 0.0f;

    for (int k0 = 0; k0 < d; k0 += BK) {
        for (int t = lid; t < BM * BK; t += WGX * WGY) {
            const int m = t / BK, kk = t % BK, r = r0 + m, c = k0 + kk;
            As[kk][m] = r < rows && c < d ? LOAD_IN(q, (size_t)(row0 + r) * d + c) : 0.0f;
        }
        for (int t = lid; t < BN * BK; t += WGX * WGY) {
            const int m = t / BK, kk = t % BK, j = j0 + m, c = k0 + kk;
            Bs[kk][m] = j < n && c < d ? kc[(size_t)j * d + c] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
            #pragma unroll
            for (int mi = 0; mi < TM; mi++) a[mi] = As[kk][ty + mi * WGY];
            #pragma unroll
            for (int ni = 0; ni < TN; ni++) b[ni] = Bs[kk][tx + ni * WGX];
            #pragma unroll
            for (int mi = 0; mi < TM; mi++)
                #pragma unroll
                for (int ni = 0; ni < TN; ni++) acc[mi][ni] = fma(a[mi], b[ni], acc[mi][ni]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    #pragma unroll
    for (int mi = 0; mi < TM; mi++) {
        const int r = r0 + ty + mi * WGY;
        if (r >= rows) continue;
        const int i = row0 + r;
        const float sh = has_shift ? shift[r] : 0.0f;
        #pragma unroll
        for (int ni = 0; ni < TN; ni++) {
            const int j = j0 + tx + ni * WGX;
            if (j >= n) continue;
            e[(size_t)r * n + j] =
                ef_visible(kind, window, extra, i, j) ? fma(scale, acc[mi][ni], -sh) : 0.0f;
        }
    }
}

#undef WGX
#undef WGY
