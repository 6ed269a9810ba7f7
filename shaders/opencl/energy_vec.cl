/* shaders/opencl/energy_vec.cl — the fused energy field with vector memory access, the
 * GPU form of energy.cl (same arguments and results; chosen per device by the autotune).
 * Pasted once per input precision (SUF, IN_T, LOAD_IN, LOAD_IN4); built per tile shape
 * (BM, BN, BK, TM, TN; TM, TN even, BK a multiple of 4). Each item holds two TM/2-row
 * halves (ty*TM/2 and BM/2 + ty*TM/2) times two TN/2-column halves, so its operands are
 * contiguous in local memory (vector reads) and its stores contiguous (vstore4). Global
 * loads read 4 consecutive k of a row (d % 4 == 0; scalar otherwise), the next k-slice
 * into registers while the current one is multiplied, and store them transposed; rows
 * padded by 4 floats keep those stores off shared banks and 16-byte aligned. Every loop
 * over a register array is unrolled (_Pragma in the macros): a loop left rolled indexes the
 * array at run time and puts it in (slow) local memory, as ptx-check.sh showed for sm_90.
 * Host side: backends/opencl/ocl_energy.c.
 */
#define WGX (BN / TN)
#define WGY (BM / TM)
#define HM (TM / 2)
#define HN (TN / 2)
#define PAD 4

#define WG (WGX * WGY)
#define LA ((BM * BK / 4 + WG - 1) / WG)   /* float4 loads per item per slice: q */
#define LB ((BN * BK / 4 + WG - 1) / WG)   /*                                   kc */

/* Registers pa, pb <- the k-slice at kb (4 consecutive k of a row per float4). */
#define EF_FETCH(kb)                                                                       \
    _Pragma("unroll") for (int s = 0; s < LA; s++) {                                       \
        const int t = lid + s * WG, m = t / (BK / 4), r = r0 + m;                          \
        const int c = (kb) + 4 * (t % (BK / 4));                                           \
        pa[s] = t < BM * BK / 4 && r < rows && c < d                                       \
                    ? LOAD_IN4(q, (size_t)(row0 + r) * d + c) : (float4)(0.0f);            \
    }                                                                                      \
    _Pragma("unroll") for (int s = 0; s < LB; s++) {                                       \
        const int t = lid + s * WG, m = t / (BK / 4), j = j0 + m;                          \
        const int c = (kb) + 4 * (t % (BK / 4));                                           \
        pb[s] = t < BN * BK / 4 && j < n && c < d                                          \
                    ? vload4(0, kc + (size_t)j * d + c) : (float4)(0.0f);                  \
    }

/* Local tiles <- registers, transposed to k-major. */
#define EF_STORE()                                                                         \
    _Pragma("unroll") for (int s = 0; s < LA; s++) {                                       \
        const int t = lid + s * WG, m = t / (BK / 4), g = 4 * (t % (BK / 4));              \
        if (t < BM * BK / 4) {                                                             \
            As[g][m] = pa[s].s0; As[g + 1][m] = pa[s].s1;                                  \
            As[g + 2][m] = pa[s].s2; As[g + 3][m] = pa[s].s3;                              \
        }                                                                                  \
    }                                                                                      \
    _Pragma("unroll") for (int s = 0; s < LB; s++) {                                       \
        const int t = lid + s * WG, m = t / (BK / 4), g = 4 * (t % (BK / 4));              \
        if (t < BN * BK / 4) {                                                             \
            Bs[g][m] = pb[s].s0; Bs[g + 1][m] = pb[s].s1;                                  \
            Bs[g + 2][m] = pb[s].s2; Bs[g + 3][m] = pb[s].s3;                              \
        }                                                                                  \
    }

/* acc += row kk of the local slice: each item's two row halves x two column halves. */
#define EF_STEP(kk)                                                                        \
    {                                                                                      \
        float a[TM], b[TN];                                                                \
        _Pragma("unroll") for (int v = 0; v < HM; v++) {                                   \
            a[v] = As[kk][ty * HM + v];                                                    \
            a[HM + v] = As[kk][BM / 2 + ty * HM + v];                                      \
        }                                                                                  \
        _Pragma("unroll") for (int v = 0; v < HN; v++) {                                   \
            b[v] = Bs[kk][tx * HN + v];                                                    \
            b[HN + v] = Bs[kk][BN / 2 + tx * HN + v];                                      \
        }                                                                                  \
        _Pragma("unroll") for (int mi = 0; mi < TM; mi++)                                  \
            _Pragma("unroll") for (int ni = 0; ni < TN; ni++)                              \
                acc[mi][ni] = fma(a[mi], b[ni], acc[mi][ni]);                              \
    }

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1)))
void KNAME(energy)(__global const IN_T *q, __global const float *kc,
                   __global const float *shift, int has_shift, __global float *e,
                   int n, int d, int row0, int rows, float scale,
                   int kind, int window, int extra)
{
    __local float As[BK][BM + PAD];
    __local float Bs[BK][BN + PAD];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int lid = ty * WGX + tx;
    const int j0 = get_group_id(0) * BN, r0 = get_group_id(1) * BM;
    const int i0 = row0 + r0;
    const int imax = min(r0 + BM, rows) - 1 + row0;

    int outside = 0;
    if (kind != MASK_FULL && j0 > imax + extra) outside = 1;
    if (kind == MASK_WINDOW && j0 + BN - 1 <= i0 - window) outside = 1;

    float acc[TM][TN];
    #pragma unroll
    for (int mi = 0; mi < TM; mi++)
        #pragma unroll
        for (int ni = 0; ni < TN; ni++) acc[mi][ni] = 0.0f;

    if (!outside && (d & 3) == 0) {
        /* vector path: the next k-slice is fetched into registers while this one is
         * multiplied out of local memory */
        float4 pa[LA], pb[LB];
        EF_FETCH(0);
        for (int k0 = 0; k0 < d; k0 += BK) {
            EF_STORE();
            barrier(CLK_LOCAL_MEM_FENCE);
            if (k0 + BK < d) { EF_FETCH(k0 + BK); }
            #pragma unroll
            for (int kk = 0; kk < BK; kk++) EF_STEP(kk)
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    } else if (!outside) {
        for (int k0 = 0; k0 < d; k0 += BK) {
            for (int t = lid; t < BM * BK; t += WG) {
                const int m = t / BK, kk = t % BK, r = r0 + m, c = k0 + kk;
                As[kk][m] = r < rows && c < d ? LOAD_IN(q, (size_t)(row0 + r) * d + c) : 0.0f;
            }
            for (int t = lid; t < BN * BK; t += WG) {
                const int m = t / BK, kk = t % BK, j = j0 + m, c = k0 + kk;
                Bs[kk][m] = j < n && c < d ? kc[(size_t)j * d + c] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            #pragma unroll
            for (int kk = 0; kk < BK; kk++) EF_STEP(kk)
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }

    #pragma unroll
    for (int mi = 0; mi < TM; mi++) {
        const int r = r0 + (mi < HM ? ty * HM + mi : BM / 2 + ty * HM + mi - HM);
        if (r >= rows) continue;
        const int i = row0 + r;
        const float sh = has_shift && !outside ? shift[r] : 0.0f;
        #pragma unroll
        for (int h = 0; h < 2; h++) {
            const int jb = j0 + h * (BN / 2) + tx * HN;
            float val[HN];
            #pragma unroll
            for (int v = 0; v < HN; v++)
                val[v] = !outside && ef_visible(kind, window, extra, i, jb + v)
                             ? fma(scale, acc[mi][h * HN + v], -sh) : 0.0f;
            __global float *dst = e + (size_t)r * n + jb;
#if HN == 4
            if (jb + 3 < n) {
                vstore4((float4)(val[0], val[1], val[2], val[3]), 0, dst);
                continue;
            }
#endif
            #pragma unroll
            for (int v = 0; v < HN; v++)
                if (jb + v < n) dst[v] = val[v];
        }
    }
}

#undef WGX
#undef WGY
#undef HM
#undef HN
#undef PAD
#undef WG
#undef LA
#undef LB
#undef EF_FETCH
#undef EF_STORE
#undef EF_STEP
