#version 450
// shaders/vulkan/energy_coopmat.comp — the energy field on tensor cores through
// GL_NV_cooperative_matrix: fp16 Q and raw fp16 K (as uploaded), 16 x 16 x 16 tiles
// accumulated in fp32, then E_rj = a (q_i . k_j) - c_r with c_r = a q_i . m_i from
// row_shift.comp over the tree of the raw keys (all masks, the full one too). Centering
// the keys first would round them to fp16; subtracting the shift keeps the error within
// u a |q|.(|k_j| + |m_i|), the verifier's bound.
// Workgroup: 4 subgroups (local_size_x = 4 x subgroup size) on a 64 x 64 block, each
// subgroup 2 x 2 accumulators; the accumulators are staged through shared memory for
// the epilogue (their element layout is opaque). Needs n, rows multiples of 64 and d of
// 16 (vk_workloads.c checks). Variant "coopmat-fp16"; never run on lavapipe.
#extension GL_GOOGLE_include_directive : require
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer Q { float16_t q[]; };
layout(std430, binding = 1) readonly buffer K { float16_t k[]; };
layout(std430, binding = 2) readonly buffer S { float sh[]; };
layout(std430, binding = 3) writeonly buffer E { float e[]; };

const uint BM = 64u, BN = 64u, LD = BN + 4u;
shared float tile[BM * LD];

bool visible(int i, int j) { return MASKED == 0 || (j <= i + pc.shift && j > i - pc.window); }

void main()
{
    uint tid = gl_LocalInvocationID.x, nt = gl_WorkGroupSize.x;
    uint n = uint(pc.n), d = uint(pc.d);
    uint rbase = gl_WorkGroupID.y * BM, jbase = gl_WorkGroupID.x * BN;
    bool any = true;
    if (MASKED != 0) {
        int ilo = pc.row0 + int(rbase), ihi = ilo + int(BM) - 1;
        int jlo = int(jbase), jhi = jlo + int(BN) - 1;
        any = jlo <= ihi + pc.shift && jhi > ilo - pc.window;
    }
    if (!any) {
        for (uint x = tid; x < BM * BN; x += nt) e[(rbase + x / BN) * n + jbase + x % BN] = 0.0;
        return;
    }
    uint sg = gl_SubgroupID, wr = (sg / 2u) * 32u, wc = (sg % 2u) * 32u;
    fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[2][2];
    for (uint i = 0u; i < 2u; i++)
        for (uint j = 0u; j < 2u; j++) acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
    for (uint k0 = 0u; k0 < d; k0 += 16u) {
        fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a[2], b[2];
        for (uint i = 0u; i < 2u; i++)
            coopMatLoadNV(a[i], q, (uint(pc.row0) + rbase + wr + 16u * i) * d + k0, d, false);
        for (uint j = 0u; j < 2u; j++)  // B = K^T: column jj of B is key row jbase + jj
            coopMatLoadNV(b[j], k, (jbase + wc + 16u * j) * d + k0, d, true);
        for (uint i = 0u; i < 2u; i++)
            for (uint j = 0u; j < 2u; j++) acc[i][j] = coopMatMulAddNV(a[i], b[j], acc[i][j]);
    }
    for (uint i = 0u; i < 2u; i++)
        for (uint j = 0u; j < 2u; j++)
            coopMatStoreNV(acc[i][j], tile, (wr + 16u * i) * LD + wc + 16u * j, LD, false);
    barrier();
    for (uint x = tid; x < BM * BN; x += nt) {
        uint r = rbase + x / BN, col = jbase + x % BN;
        int row = pc.row0 + int(r);
        precise float v = pc.scale * tile[(x / BN) * LD + x % BN] - sh[uint(pc.off_dst) + r];
        e[r * n + col] = visible(row, int(col)) ? v : 0.0;
    }
}
