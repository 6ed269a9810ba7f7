/* shaders/opencl/energy_mma.cl — the energy field on NVIDIA tensor cores: inline PTX
 * mma.sync.aligned.m16n8k16 (fp16 or bf16 in, fp32 accumulate), pasted once per input
 * type (SUF, MMA_T "f16" / "bf16", MMA_DECODE). The operands must be the stored inputs
 * exactly, so the keys are NOT centered here: E_ij = a q_i . k_j - shift_i with shift_i =
 * a q_i . m_i (m_i the mean of the keys row i sees; full: kbar), from keys.cl.
 * A workgroup of 256 items (8 warps, 4 x 2) computes 128 x 128 in k-slices of 32: warp
 * (wr, wc) holds rows 32wr.. (2 m-tiles) x columns 64wc.. (8 n-tiles). Inputs are read as
 * uint4 (8 halves) when d % 8 == 0. With EF_MMA_EMULATE the mma is computed from the same
 * register fragments through local memory (PTX ISA layout), so PoCL tests the fragment
 * logic. Host side: backends/opencl/ocl_mma.c.
 */
#ifndef EF_MMA_ONCE
#define EF_MMA_ONCE
#define MMA_BM 128
#define MMA_BN 128
#define MMA_BK 32
#define MMA_WG 256
#define MMA_S 20   /* row stride in 32-bit words: 32 halves + 8 pad, conflict-free reads */

/* Loops over the accumulators are unrolled so they stay in registers (rolled, ptxas gave
 * them a 256-byte stack frame). The emulation keeps them rolled: unrolled, its 32 inlined
 * copies per k-step cost PoCL a minute of compile time in CI and test nothing more. */
#ifdef EF_MMA_EMULATE
#define MMA_UNROLL
#else
#define MMA_UNROLL _Pragma("unroll")
#endif
#endif

#ifdef EF_MMA_EMULATE
/* D = A B + C for one warp, from the fragments of PTX's m16n8k16 .row.col layout:
 * lane = 4 g + t; A regs (row g | g+8) x (cols 2t, 2t+1 | +8), B regs (k 2t, 2t+1 | +8)
 * x (col g), C/D (row g | g+8) x (cols 2t, 2t+1). scr: 384 floats per warp. */
void KNAME(mma_emulate)(__local float *scr, float *acc, uint a0, uint a1, uint a2, uint a3,
                        uint b0, uint b1)
{
    const int lid = get_local_id(0), lane = lid % 32, g = lane >> 2, t = lane & 3;
    __local float *A = scr + (lid / 32) * 384, *B = A + 256;     /* A[16][16], B[16][8] */
    const uint ar[4] = {a0, a1, a2, a3};
    for (int r = 0; r < 4; r++)
        for (int h = 0; h < 2; h++) {
            const int row = g + (r & 1) * 8, col = 2 * t + h + (r >> 1) * 8;
            A[row * 16 + col] = MMA_DECODE((ushort)(ar[r] >> (16 * h)));
        }
    for (int h = 0; h < 2; h++) {
        B[(2 * t + h) * 8 + g] = MMA_DECODE((ushort)(b0 >> (16 * h)));
        B[(2 * t + h + 8) * 8 + g] = MMA_DECODE((ushort)(b1 >> (16 * h)));
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int c = 0; c < 4; c++) {
        const int row = g + (c >> 1) * 8, col = 2 * t + (c & 1);
        float s = acc[c];
        for (int k = 0; k < 16; k++) s = fma(A[row * 16 + k], B[k * 8 + col], s);
        acc[c] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}
#define MMA(acc, a0, a1, a2, a3, b0, b1) KNAME(mma_emulate)(scr, acc, a0, a1, a2, a3, b0, b1)
#else
#define MMA(acc, a0, a1, a2, a3, b0, b1)                                                   \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." MMA_T "." MMA_T ".f32 "          \
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};"     \
                 : "=f"(acc[0]), "=f"(acc[1]), "=f"(acc[2]), "=f"(acc[3])                  \
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1),                   \
                   "f"(acc[0]), "f"(acc[1]), "f"(acc[2]), "f"(acc[3]))
#endif

__kernel __attribute__((reqd_work_group_size(MMA_WG, 1, 1)))
void KNAME(energy_mma)(__global const ushort *q, __global const ushort *k,
                       __global const float *shift, __global float *e, int n, int d,
                       int row0, int rows, float scale, int kind, int window, int extra)
{
    __local uint As[MMA_BM * MMA_S], Bs[MMA_BN * MMA_S];
#ifdef EF_MMA_EMULATE
    __local float scr[(MMA_WG / 32) * 384];
#endif
    __local ushort *As16 = (__local ushort *)As, *Bs16 = (__local ushort *)Bs;
    const int lid = get_local_id(0), w = lid / 32, lane = lid % 32, g = lane >> 2, t = lane & 3;
    const int wr = w / 2, wc = w % 2;
    const int j0 = get_group_id(0) * MMA_BN, r0 = get_group_id(1) * MMA_BM;
    const int i0 = row0 + r0, imax = min(r0 + MMA_BM, rows) - 1 + row0;
    int outside = 0;
    if (kind != MASK_FULL && j0 > imax + extra) outside = 1;
    if (kind == MASK_WINDOW && j0 + MMA_BN - 1 <= i0 - window) outside = 1;

    float acc[2][8][4];
    MMA_UNROLL
    for (int mt = 0; mt < 2; mt++)
        MMA_UNROLL
        for (int nt = 0; nt < 8; nt++)
            MMA_UNROLL
            for (int c = 0; c < 4; c++) acc[mt][nt][c] = 0.0f;

    for (int k0 = 0; k0 < d && !outside; k0 += MMA_BK) {
        if ((d & 7) == 0) {                 /* rows x 4 groups of 8 halves, zero padded */
            for (int x = lid; x < MMA_BM * 4; x += MMA_WG) {
                const int m = x / 4, v = x % 4, r = r0 + m, j = j0 + m, c = k0 + 8 * v;
                uint4 qa = (uint4)(0), kb = (uint4)(0);
                if (r < rows && c < d)
                    qa = vload4(0, (__global const uint *)(q + (size_t)(row0 + r) * d + c));
                if (j < n && c < d) kb = vload4(0, (__global const uint *)(k + (size_t)j * d + c));
                vstore4(qa, 0, As + m * MMA_S + 4 * v);
                vstore4(kb, 0, Bs + m * MMA_S + 4 * v);
            }
        } else {
            for (int x = lid; x < MMA_BM * MMA_BK; x += MMA_WG) {
                const int m = x / MMA_BK, kk = x % MMA_BK, r = r0 + m, j = j0 + m, c = k0 + kk;
                As16[m * 2 * MMA_S + kk] = r < rows && c < d ? q[(size_t)(row0 + r) * d + c] : 0;
                Bs16[m * 2 * MMA_S + kk] = j < n && c < d ? k[(size_t)j * d + c] : 0;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        MMA_UNROLL
        for (int ks = 0; ks < MMA_BK / 16; ks++) {
            const int wo = 8 * ks;          /* word offset of this k16 step */
            uint a[2][4];
            MMA_UNROLL
            for (int mt = 0; mt < 2; mt++) {
                const int ra = (32 * wr + 16 * mt + g) * MMA_S + wo, rb = ra + 8 * MMA_S;
                a[mt][0] = As[ra + t];
                a[mt][1] = As[rb + t];
                a[mt][2] = As[ra + t + 4];
                a[mt][3] = As[rb + t + 4];
            }
            MMA_UNROLL
            for (int nt = 0; nt < 8; nt++) {
                const int kb = (64 * wc + 8 * nt + g) * MMA_S + wo;
                const uint b0 = Bs[kb + t], b1 = Bs[kb + t + 4];
                MMA_UNROLL
                for (int mt = 0; mt < 2; mt++)
                    MMA(acc[mt][nt], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b0, b1);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    MMA_UNROLL
    for (int mt = 0; mt < 2; mt++)
        MMA_UNROLL
        for (int h = 0; h < 2; h++) {
            const int r = r0 + 32 * wr + 16 * mt + g + 8 * h;
            if (r >= rows) continue;
            const int i = row0 + r;
            const float sh = outside ? 0.0f : shift[r];
            MMA_UNROLL
            for (int nt = 0; nt < 8; nt++) {
                const int j = j0 + 64 * wc + 8 * nt + 2 * t;
                float2 v;
                v.x = !outside && ef_visible(kind, window, extra, i, j)
                          ? fma(scale, acc[mt][nt][2 * h], -sh) : 0.0f;
                v.y = !outside && ef_visible(kind, window, extra, i, j + 1)
                          ? fma(scale, acc[mt][nt][2 * h + 1], -sh) : 0.0f;
                __global float *dst = e + (size_t)r * n + j;
                if (j + 1 < n) vstore2(v, 0, dst);
                else if (j < n) dst[0] = v.x;
            }
        }
}
