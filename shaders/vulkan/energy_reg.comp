#version 450
// shaders/vulkan/energy_reg.comp — the fused energy field in the CPU shape (lavapipe):
//   E_rj = a q_i . kt_j - c_r, the same math as energy.comp, 0 where key j is not visible.
// Each invocation holds a register tile of TM rows x 4 NV columns (NV vec4, TN = 4 NV);
// all the invocations of a workgroup share the TM rows, and walk the row block's column
// tiles (WGX TN columns each) in turn. Operands come through a vec4
// texel view of the scratch (binding 6): the keys transposed in panels of the
// workgroup's columns (d4 rows x WGX TN, from pc.off_src, keys_transpose.comp), so a
// workgroup reads one contiguous stream and one load gives 4 consecutive columns, and the
// query rows decoded to fp32 (rows x d4 at pc.aux0, rows_decode.comp). Lane l of a
// subgroup loads row l of the tile, 4 values of c at a time, and subgroupShuffle hands
// each row's value to every lane (TM <= SG). No shared memory, no barrier.
// Why this shape: llvmpipe runs each invocation on a SIMD lane and a workgroup as a loop
// over SIMD groups. It compiles a storage-buffer load to a loop over the lanes (tens of
// instructions per value), an image load to 8 vector loads and a transpose, a shuffle
// from a constant lane to one permute, and a value written inside a loop (a local array
// element too) to a per-lane store behind the execution mask. So the tile lives in named
// registers (a<row><vec4>, rows and vec4 past TM / NV drop out when the specialization
// constants fold), the operands are image loads reused across the tile, and d runs in
// unrolled chunks of BK (operands zero-padded to a multiple of BK), so the loop-carried
// accumulators pay the masked store once per chunk.
// The dot product runs over c = 0 .. d-1 in order, as in row_shift.comp.
// Called by vk_energy.c.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer sc4;      // scratch as vec4 texels
layout(std430, binding = 2) readonly buffer S { float sh[]; };
layout(std430, binding = 3) writeonly buffer E { float e[]; };
layout(std430, binding = 3) writeonly buffer E4 { vec4 e4[]; };

const uint NV = uint(TN) / 4u;     // 1 or 2
const uint LD4 = gl_WorkGroupSize.x * NV;                // a panel row, in vec4

// one multiply-add of row m with the keys of this c (rows past TM fold away)
#define ROW(m)                                                       \
    if (TM > m) {                                                    \
        float qm = subgroupShuffle(qf[t], uint(m));                      \
        a##m##0 = qm * k0 + a##m##0;                                 \
        if (NV > 1u) a##m##1 = qm * k1 + a##m##1;                    \
    }

bool visible(int i, int j) { return MASKED == 0 || (j <= i + pc.shift && j > i - pc.window); }

// the epilogue of one vec4 of row block-relative r: scale, shift, mask, store
void store4(uint r, uint col, vec4 acc, uint n)
{
    if (r >= uint(pc.rows) || col >= n) return;
    int row = pc.row0 + int(r);
    float c = MASKED != 0 ? sh[uint(pc.off_dst) + r] : 0.0;
    precise vec4 val = pc.scale * acc - c;  // no fma: E_ii = 0 exactly
    for (uint s = 0u; s < 4u; s++)
        if (!visible(row, int(col + s))) val[s] = 0.0;
    if ((n & 3u) == 0u) {
        e4[(r * n + col) >> 2] = val;
    } else {
        for (uint s = 0u; s < 4u && col + s < n; s++) e[r * n + col + s] = val[s];
    }
}

// zeros for 4 columns of row block-relative r: a tile no row of the block sees
void zero4(uint r, uint col, uint n)
{
    if (r >= uint(pc.rows) || col >= n) return;
    if ((n & 3u) == 0u) {
        e4[(r * n + col) >> 2] = vec4(0.0);
    } else {
        for (uint s = 0u; s < 4u && col + s < n; s++) e[r * n + col + s] = 0.0;
    }
}

void main()
{
    uint n = uint(pc.n), d4 = uint(pc.count) / 4u, rows = uint(pc.rows);  // count: d padded
    const uint W = gl_WorkGroupSize.x * uint(TN);                        // a tile's columns
    // A masked field's row blocks are taken in pairs from both ends (0, last, 1, last - 1,
    // ...): a CPU driver that hands each thread a contiguous range of workgroups (llvmpipe
    // splits a dispatch that way) then gives every thread the same share of a causal
    // triangle, not the top half one thread and the three times heavier bottom half the other.
    uint gy = gl_WorkGroupID.y, ny = gl_NumWorkGroups.y;
    uint rblock = MASKED != 0 && (gy & 1u) != 0u ? ny - 1u - gy / 2u : MASKED != 0 ? gy / 2u : gy;
    uint rbase = rblock * uint(TM);

    // The column tiles this row block sees: all of them for the full field; for a mask,
    // those that touch keys i - window < j <= i + shift of its rows. The others are not
    // computed: a causal field's (MASKED = 2) get their zeros here, a window's few visible
    // tiles are all this launch walks (the host zero-filled E first). Workgroup x takes
    // every gl_NumWorkGroups.x-th tile, so a row block's launch costs no empty workgroups.
    int ilo = pc.row0 + int(rbase), ihi = pc.row0 + int(min(rbase + uint(TM), rows)) - 1;
    int jlo = MASKED != 0 ? max(ilo - pc.window + 1, 0) : 0;
    int jhi = MASKED != 0 ? min(ihi + pc.shift, int(n) - 1) : int(n) - 1;
    uint tlo = uint(jlo) / W, thi = jhi >= jlo ? uint(jhi) / W + 1u : tlo;

    int qb = int(uint(pc.aux0) / 4u +
                 min(rbase + gl_SubgroupInvocationID % uint(TM), rows - 1u) * d4);
    uint tfirst = MASKED == 2 ? 0u : tlo, tend = MASKED == 2 ? (n + W - 1u) / W : thi;
    for (uint tile = tfirst + gl_WorkGroupID.x; tile < tend; tile += gl_NumWorkGroups.x) {
        uint j0 = tile * W + gl_LocalInvocationID.x * uint(TN);          // this invocation's
        if (tile < tlo || tile >= thi) {
            [[unroll]] for (uint r = 0u; r < uint(TM); r++) {
                zero4(rbase + r, j0, n);
                if (NV > 1u) zero4(rbase + r, j0 + 4u, n);
            }
            continue;
        }
        vec4 a00 = vec4(0.0), a10 = vec4(0.0), a20 = vec4(0.0), a30 = vec4(0.0);
        vec4 a40 = vec4(0.0), a50 = vec4(0.0), a60 = vec4(0.0), a70 = vec4(0.0);
        vec4 a01 = vec4(0.0), a11 = vec4(0.0), a21 = vec4(0.0), a31 = vec4(0.0);
        vec4 a41 = vec4(0.0), a51 = vec4(0.0), a61 = vec4(0.0), a71 = vec4(0.0);

        int kb = int(uint(pc.off_src) / 4u + tile * d4 * 4u * LD4 + gl_LocalInvocationID.x * NV);
        for (uint c0 = 0u; c0 < d4; c0 += uint(BK) / 4u) {
            [[unroll]] for (uint c4 = 0u; c4 < uint(BK) / 4u; c4++) {
                vec4 qf = imageLoad(sc4, qb + int(c0 + c4));
                [[unroll]] for (uint t = 0u; t < 4u; t++) {
                    int kt = kb + int(((c0 + c4) * 4u + t) * LD4);
                    vec4 k0 = imageLoad(sc4, kt);
                    vec4 k1 = NV > 1u ? imageLoad(sc4, kt + 1) : vec4(0.0);
                    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
                }
            }
        }

        store4(rbase + 0u, j0, a00, n);
        if (NV > 1u) store4(rbase + 0u, j0 + 4u, a01, n);
        if (TM > 1) { store4(rbase + 1u, j0, a10, n); if (NV > 1u) store4(rbase + 1u, j0 + 4u, a11, n); }
        if (TM > 2) { store4(rbase + 2u, j0, a20, n); if (NV > 1u) store4(rbase + 2u, j0 + 4u, a21, n); }
        if (TM > 3) { store4(rbase + 3u, j0, a30, n); if (NV > 1u) store4(rbase + 3u, j0 + 4u, a31, n); }
        if (TM > 4) { store4(rbase + 4u, j0, a40, n); if (NV > 1u) store4(rbase + 4u, j0 + 4u, a41, n); }
        if (TM > 5) { store4(rbase + 5u, j0, a50, n); if (NV > 1u) store4(rbase + 5u, j0 + 4u, a51, n); }
        if (TM > 6) { store4(rbase + 6u, j0, a60, n); if (NV > 1u) store4(rbase + 6u, j0 + 4u, a61, n); }
        if (TM > 7) { store4(rbase + 7u, j0, a70, n); if (NV > 1u) store4(rbase + 7u, j0 + 4u, a71, n); }
    }
}
