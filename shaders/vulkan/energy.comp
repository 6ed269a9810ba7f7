#version 450
// shaders/vulkan/energy.comp — the fused energy field, one tiled GEMM per mask:
//   E_rj = a q_i . kt_j - c_r   (i = row0 + r; full field: kt = keys centered over all n
//   positions and c_r = 0; masked: kt = the raw keys and c_r = a q_i . m_i =
//   sh[off_dst + r] from row_shift.comp), 0 where key j is not visible.
//   Masked tiles that see no key only write their zeros.
// Workgroup WGX x WGY threads, each TM x TN results (TM, TN multiples of 4) in chunks of
// 4 rows / 4 columns spaced WGY*4 / WGX*4 apart (conflict-free vec4 reads of shared
// memory, coalesced vec4 stores); both operands staged k-major in shared memory, BK at a
// time, the next slice loaded into registers while this one is multiplied.
// The dot product runs over c = 0 .. d-1 in order with fma, as row_shift.comp does.
// Called by vk_workloads.c.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1, local_size_y_id = 2) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 0) readonly buffer Q2 { uvec2 q2[]; };   // 4 halves
layout(std430, binding = 0) readonly buffer Q4 { uvec4 q4[]; };   // 4 floats
layout(std430, binding = 1) readonly buffer T { float kt[]; };
layout(std430, binding = 1) readonly buffer T4 { vec4 kt4[]; };
layout(std430, binding = 2) readonly buffer S { float sh[]; };
layout(std430, binding = 3) writeonly buffer E { float e[]; };
layout(std430, binding = 3) writeonly buffer E4 { vec4 e4[]; };

const uint WGX = gl_WorkGroupSize.x, WGY = gl_WorkGroupSize.y, NT = WGX * WGY;
const uint BM = uint(TM) * WGY, BN = uint(TN) * WGX;
const uint UQ = BM * uint(BK) / 4u, UK = BN * uint(BK) / 4u;  // vec4 load units per slice
const uint LQ = (UQ + NT - 1u) / NT, LK = (UK + NT - 1u) / NT;  // units per thread
shared vec4 qs[uint(BK) * BM / 4u];   // qs[k][m / 4]
shared vec4 ks[uint(BK) * BN / 4u];   // ks[k][j / 4]

uint n, d, rows, rbase, jbase;
bool vec_ok;                          // d % 4 == 0: whole vec4 loads are aligned

vec4 q_load(uint r, uint c)           // q row row0 + r, columns c .. c+3 (zero outside)
{
    if (r >= rows || c >= d) return vec4(0.0);
    uint idx = (uint(pc.row0) + r) * d + c;
    if (vec_ok) {
        if (PREC == 0) return uintBitsToFloat(q4[idx >> 2]);
        uvec2 w = q2[idx >> 2];
        if (PREC == 1) return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
        return uintBitsToFloat(uvec4(w.x << 16, w.x & 0xffff0000u, w.y << 16, w.y & 0xffff0000u));
    }
    vec4 v = vec4(0.0);
    for (uint t = 0u; t < 4u; t++)
        if (c + t < d) v[t] = EF_DECODE(q, idx + t);
    return v;
}

vec4 k_load(uint j, uint c)           // centered key j, columns c .. c+3 (zero outside)
{
    if (j >= n || c >= d) return vec4(0.0);
    uint idx = j * d + c;
    if (vec_ok) return kt4[idx >> 2];
    vec4 v = vec4(0.0);
    for (uint t = 0u; t < 4u; t++)
        if (c + t < d) v[t] = kt[idx + t];
    return v;
}

bool visible(int i, int j) { return MASKED == 0 || (j <= i + pc.shift && j > i - pc.window); }

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, tid = ty * WGX + tx;
    n = uint(pc.n); d = uint(pc.d); rows = uint(pc.rows);
    rbase = gl_WorkGroupID.y * BM; jbase = gl_WorkGroupID.x * BN;
    vec_ok = (d & 3u) == 0u;
    bool vec_out = (n & 3u) == 0u;

    bool any = true;
    if (MASKED != 0) {
        int ilo = pc.row0 + int(rbase), ihi = pc.row0 + int(min(rbase + BM, rows)) - 1;
        int jlo = int(jbase), jhi = int(min(jbase + BN, n)) - 1;
        any = jlo <= ihi + pc.shift && jhi > ilo - pc.window;
    }
    if (!any) {
        for (uint x = tid; x < BM * BN; x += NT) {
            uint r = rbase + x / BN, j = jbase + x % BN;
            if (r < rows && j < n) e[r * n + j] = 0.0;
        }
        return;
    }

    vec4 acc[TM][TN / 4];
    for (uint im = 0u; im < uint(TM); im++)
        for (uint jn = 0u; jn < uint(TN) / 4u; jn++) acc[im][jn] = vec4(0.0);

    // a load unit u is 4 consecutive k of one row (or key): row u / (BK/4), k 4 (u % (BK/4))
    const uint KU = uint(BK) / 4u;
    vec4 qreg[LQ], kreg[LK];
    for (uint l = 0u; l < LQ; l++) {
        uint u = tid + l * NT;
        qreg[l] = u < UQ ? q_load(rbase + u / KU, 4u * (u % KU)) : vec4(0.0);
    }
    for (uint l = 0u; l < LK; l++) {
        uint u = tid + l * NT;
        kreg[l] = u < UK ? k_load(jbase + u / KU, 4u * (u % KU)) : vec4(0.0);
    }

    for (uint k0 = 0u; k0 < d; k0 += uint(BK)) {
        for (uint l = 0u; l < LQ; l++) {
            uint u = tid + l * NT;
            if (u < UQ) {
                uint m = u / KU, kk = 4u * (u % KU);
                for (uint t = 0u; t < 4u; t++) qs[(kk + t) * (BM / 4u) + m / 4u][m % 4u] = qreg[l][t];
            }
        }
        for (uint l = 0u; l < LK; l++) {
            uint u = tid + l * NT;
            if (u < UK) {
                uint m = u / KU, kk = 4u * (u % KU);
                for (uint t = 0u; t < 4u; t++) ks[(kk + t) * (BN / 4u) + m / 4u][m % 4u] = kreg[l][t];
            }
        }
        barrier();
        uint k1 = k0 + uint(BK);
        if (k1 < d) {  // the next slice travels while this one is multiplied
            for (uint l = 0u; l < LQ; l++) {
                uint u = tid + l * NT;
                qreg[l] = u < UQ ? q_load(rbase + u / KU, k1 + 4u * (u % KU)) : vec4(0.0);
            }
            for (uint l = 0u; l < LK; l++) {
                uint u = tid + l * NT;
                kreg[l] = u < UK ? k_load(jbase + u / KU, k1 + 4u * (u % KU)) : vec4(0.0);
            }
        }
        uint kend = min(uint(BK), d - k0);
        for (uint kk = 0u; kk < kend; kk++) {
            vec4 a[TM / 4], b[TN / 4];
            for (uint i = 0u; i < uint(TM) / 4u; i++) a[i] = qs[kk * (BM / 4u) + ty + i * WGY];
            for (uint j = 0u; j < uint(TN) / 4u; j++) b[j] = ks[kk * (BN / 4u) + tx + j * WGX];
            for (uint i = 0u; i < uint(TM) / 4u; i++)
                for (uint t = 0u; t < 4u; t++)
                    for (uint j = 0u; j < uint(TN) / 4u; j++)
                        acc[4u * i + t][j] = fma(vec4(a[i][t]), b[j], acc[4u * i + t][j]);
        }
        barrier();
    }

    for (uint i = 0u; i < uint(TM) / 4u; i++)
        for (uint t = 0u; t < 4u; t++) {
            uint r = rbase + 4u * (ty + i * WGY) + t;
            if (r >= rows) continue;
            int row = pc.row0 + int(r);
            float c = MASKED != 0 ? sh[uint(pc.off_dst) + r] : 0.0;
            for (uint j = 0u; j < uint(TN) / 4u; j++) {
                uint col = jbase + 4u * (tx + j * WGX);
                if (col >= n) continue;
                precise vec4 v = pc.scale * acc[4u * i + t][j] - c;  // no fma: E_ii = 0 exactly
                for (uint s = 0u; s < 4u; s++)
                    if (!visible(row, int(col + s))) v[s] = 0.0;
                if (vec_out && col + 3u < n) {
                    e4[(r * n + col) >> 2] = v;
                } else {
                    for (uint s = 0u; s < 4u && col + s < n; s++) e[r * n + col + s] = v[s];
                }
            }
        }
}
