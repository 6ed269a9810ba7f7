/* shaders/opencl/energy_cpu.cl — the fused energy field in the CPU shape (same results as
 * energy.cl; the autotune of backends/opencl/ocl_tune.c picks among both shapes by
 * measurement). Pasted once per input precision (SUF, IN_T, LOAD_IN); built per shape:
 *   TM  rows per work-item            VW  vector width, 8 or 16 (float8 / float16)
 *   NV  vectors per row (the item's columns CW = NV * VW)    GI  items per work-group
 * A work-item holds a TM x CW register tile and reads the centered keys TRANSPOSED (kt,
 * d x ldk, written by keys_center_t): one vector load gives VW keys of one component.
 * There is no local memory and no barrier: a CPU driver (PoCL) runs a work-group as a loop
 * over its items, and here the GI items of a group are consecutive row blocks of the same
 * CW columns, so the kt strip (d x CW floats) stays in L1 while they run. Tiles entirely
 * outside the mask store zeros without computing anything; in a tile the mask boundary
 * crosses, only the vectors that hold a visible key for one of its rows are computed (one
 * at a time), then masked per element. Host side: backends/opencl/ocl_energy.c.
 */
#define CW (NV * VW)
#if VW == 16
#define VT float16
#define VI int16
#define VLOADF vload16
#define VSTOREF vstore16
#define VIOTA (VI)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#elif VW == 8
#define VT float8
#define VI int8
#define VLOADF vload8
#define VSTOREF vstore8
#define VIOTA (VI)(0, 1, 2, 3, 4, 5, 6, 7)
#else
#error "energy_cpu.cl: VW must be 8 or 16"
#endif
/* Whole aligned vectors of the field are written with streaming (non-temporal) stores
 * where the compiler has them: the n x n field is written once and not read back here, so
 * they spare the read-for-ownership of every line (half the memory traffic on a CPU). */
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define EF_STREAM_STORE(v, p) __builtin_nontemporal_store((v), (p))
#endif
#endif
#ifndef EF_STREAM_STORE
#define EF_STREAM_STORE(v, p) (*(p) = (v))
#endif

#ifndef EF_ENERGY_CPU_ONCE
#define EF_ENERGY_CPU_ONCE
/* Store val as keys j .. j+VW-1 of row r (query i) of the field: scaled, shifted and masked
 * (`all`: every key of the tile row is visible). */
void ef_energy_put(__global float *e, int n, int r, int i, int j, VT acc, float scale,
                   float sh, int kind, int window, int extra, int all)
{
    VT val = fma((VT)(scale), acc, (VT)(-sh));
    if (!all) {
        const VI jv = (VI)(j) + VIOTA;
        VI vis = jv <= (VI)(i + extra);
        if (kind == MASK_WINDOW) vis = vis & (jv > (VI)(i - window));
        val = select((VT)(0.0f), val, vis);
    }
    __global float *dst = e + (size_t)r * n + j;
    if (j + VW <= n) {
        /* a whole vector: one aligned streaming store when the address allows (vstoren
         * may be split into 16-byte pieces), else vstoren */
        if ((((size_t)r * n + j) & (VW - 1)) == 0) EF_STREAM_STORE(val, (__global VT *)dst);
        else VSTOREF(val, 0, dst);
    } else {
        float tmp[VW];
        VSTOREF(val, 0, tmp);
        for (int t = 0; t < VW && j + t < n; t++) dst[t] = tmp[t];
    }
}
#endif

__kernel __attribute__((reqd_work_group_size(GI, 1, 1)))
void KNAME(energy)(__global const IN_T *q, __global const float *kt, int ldk,
                   __global const float *shift, int has_shift, __global float *e,
                   int n, int d, int row0, int rows, float scale,
                   int kind, int window, int extra)
{
    const int r0 = get_global_id(0) * TM;       /* first row of the tile, within e */
    const int j0 = get_global_id(1) * CW;       /* first key */
    if (r0 >= rows) return;
    const int rlast = min(r0 + TM, rows) - 1;
    const int i0 = row0 + r0, imax = row0 + rlast;
    /* vectors vlo..vhi hold the keys visible from some row of the tile */
    int vlo = 0, vhi = NV - 1;
    if (kind != MASK_FULL) vhi = imax + extra < j0 ? -1 : min(NV - 1, (imax + extra - j0) / VW);
    if (kind == MASK_WINDOW && i0 - window + 1 - j0 > 0) vlo = (i0 - window + 1 - j0) / VW;
    if (vlo > vhi && j0 + CW <= n && ((size_t)n & (VW - 1)) == 0 && (j0 & (VW - 1)) == 0) {
        /* the common case of a skipped tile: whole aligned vectors of zeros, nothing else */
        for (int r = r0; r <= rlast; r++) {
            __global VT *dst = (__global VT *)(e + (size_t)r * n + j0);
            #pragma unroll
            for (int v = 0; v < NV; v++) EF_STREAM_STORE((VT)(0.0f), dst + v);
        }
        return;
    }
    __global const IN_T *qr[TM];                /* rows past the block repeat the last */
    #pragma unroll
    for (int m = 0; m < TM; m++) qr[m] = q + (size_t)(row0 + min(r0 + m, rlast)) * d;
    float sh[TM];
    #pragma unroll
    for (int m = 0; m < TM; m++) sh[m] = has_shift ? shift[min(r0 + m, rlast)] : 0.0f;

    float qs[TM][16];                           /* q decoded 16 components at a time */
    if (vlo > 0 || vhi < NV - 1) {
        /* a tile the mask boundary crosses (or a skipped one at an edge): vectors vlo..vhi
         * one at a time, zeros for the others */
        for (int v = 0; v < NV; v++) {
            VT acc[TM];
            #pragma unroll
            for (int m = 0; m < TM; m++) acc[m] = (VT)(0.0f);
            const int live = v >= vlo && v <= vhi;
            __global const float *kp = kt + j0 + v * VW;
            int c0 = 0;
            for (; live && c0 + 16 <= d; c0 += 16) {
                #pragma unroll
                for (int m = 0; m < TM; m++) vstore16(LOAD_IN16(qr[m], c0), 0, qs[m]);
                #pragma unroll
                for (int kk = 0; kk < 16; kk++, kp += ldk) {
                    const VT b = VLOADF(0, kp);
                    #pragma unroll
                    for (int m = 0; m < TM; m++) acc[m] = fma((VT)(qs[m][kk]), b, acc[m]);
                }
            }
            for (int c = c0; live && c < d; c++, kp += ldk) {
                const VT b = VLOADF(0, kp);
                #pragma unroll
                for (int m = 0; m < TM; m++) acc[m] = fma((VT)(LOAD_IN(qr[m], c)), b, acc[m]);
            }
            #pragma unroll
            for (int m = 0; m < TM; m++) {
                const int r = r0 + m, i = row0 + r;
                if (r <= rlast)
                    ef_energy_put(e, n, r, i, j0 + v * VW, acc[m], scale, live ? sh[m] : 0.0f,
                                  kind, window, extra, 0);
            }
        }
        return;
    }

    VT acc[TM][NV];
    #pragma unroll
    for (int m = 0; m < TM; m++)
        #pragma unroll
        for (int v = 0; v < NV; v++) acc[m][v] = (VT)(0.0f);
    __global const float *kp = kt + j0;
    int c0 = 0;
    for (; c0 + 16 <= d; c0 += 16) {
        #pragma unroll
        for (int m = 0; m < TM; m++) vstore16(LOAD_IN16(qr[m], c0), 0, qs[m]);
        #pragma unroll
        for (int kk = 0; kk < 16; kk++, kp += ldk) {
            VT b[NV];
            #pragma unroll
            for (int v = 0; v < NV; v++) b[v] = VLOADF(v, kp);
            #pragma unroll
            for (int m = 0; m < TM; m++) {
                const VT a = (VT)(qs[m][kk]);
                #pragma unroll
                for (int v = 0; v < NV; v++) acc[m][v] = fma(a, b[v], acc[m][v]);
            }
        }
    }
    for (int c = c0; c < d; c++, kp += ldk) {          /* d % 16 components */
        VT b[NV];
        #pragma unroll
        for (int v = 0; v < NV; v++) b[v] = VLOADF(v, kp);
        #pragma unroll
        for (int m = 0; m < TM; m++) {
            const VT a = (VT)(LOAD_IN(qr[m], c));
            #pragma unroll
            for (int v = 0; v < NV; v++) acc[m][v] = fma(a, b[v], acc[m][v]);
        }
    }

    #pragma unroll
    for (int m = 0; m < TM; m++) {
        const int r = r0 + m, i = row0 + r;
        /* whole tile row visible: no per-element mask */
        const int all = kind == MASK_FULL ||
                        (j0 + CW - 1 <= i + extra && (kind != MASK_WINDOW || j0 > i - window));
        #pragma unroll
        for (int v = 0; v < NV; v++)
            if (r <= rlast)
                ef_energy_put(e, n, r, i, j0 + v * VW, acc[m][v], scale, sh[m], kind, window,
                              extra, all);
    }
}

#undef CW
#undef VT
#undef VI
#undef VLOADF
#undef VSTOREF
#undef VIOTA
