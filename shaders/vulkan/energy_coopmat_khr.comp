#version 450
// shaders/vulkan/energy_coopmat_khr.comp — the energy field on cooperative matrices through
// the portable GL_KHR_cooperative_matrix (AMD, Intel, NVIDIA, lavapipe): raw fp16 Q and K
// as uploaded (bf16 when built with -DEF_BF16, a module of its own because the BFloat16
// capability must not reach a device without it), CM x CK times CK x CN products
// accumulated in fp32, then E_rj = a (q_i . k_j) - c_r with c_r = a q_i . m_i from
// row_shift.comp over the tree of the raw keys (every mask, the full one too). Centering
// the keys first would round them to fp16; subtracting the shift keeps the error within
// u a |q_i| (|k_j| + |m_i|), the verifier's bound.
// (CM, CN, CK) is one of the shapes the device lists (vk_coopmat.c picks them at device
// open). A workgroup is SR x SC subgroups; each subgroup holds WM x WN accumulators
// (TM x TN of common.glsl), so a block is BM = SR WM CM rows by BN = SC WN CN keys.
// The element layout inside a matrix is opaque, so the epilogue (shift, mask, scale) is
// staged through shared memory: each subgroup stores one row of its accumulators into its
// own stage and writes it out, with subgroup barriers only.
// Any n >= CN, rows >= CM: a matrix past the last row or key is loaded from the last CM
// rows (CN keys) instead and writes only the entries past its nominal start, so no load
// leaves the buffers. d must be a multiple of CK and 8 (loads of uvec4, 8 halves).
// Host: vk_coopmat.c. Variant "coopmat-khr".
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#ifdef EF_BF16
#extension GL_EXT_bfloat16 : require
#define EF_IN bfloat16_t
#else
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define EF_IN float16_t
#endif
#include "common.glsl"
layout(constant_id = 9) const uint CM = 16;   // the device's matrix shape M x N x K
layout(constant_id = 10) const uint CN = 16;
layout(constant_id = 11) const uint CK = 16;
layout(constant_id = 12) const uint SR = 2;   // subgroups per workgroup along rows
layout(constant_id = 13) const uint SC = 2;   // ... and along keys
layout(local_size_x_id = 1) in;               // SR SC x the subgroup size
layout(std430, binding = 0) readonly buffer Q { uvec4 q[]; };  // 8 inputs per element
layout(std430, binding = 1) readonly buffer K { uvec4 k[]; };
layout(std430, binding = 2) readonly buffer S { float sh[]; };
layout(std430, binding = 3) writeonly buffer E { float e[]; };

const uint WM = uint(TM), WN = uint(TN);
const uint LD = WN * CN + 4u;                 // a stage row: 16-byte aligned, off the banks
shared float stage[SR * SC * CM * LD];

bool visible(int i, int j) { return MASKED == 0 || (j <= i + pc.shift && j > i - pc.window); }

void main()
{
    uint n = uint(pc.n), d = uint(pc.d), rows = uint(pc.rows);
    uint BM = SR * WM * CM, BN = SC * WN * CN;
    uint rbase = gl_WorkGroupID.y * BM, jbase = gl_WorkGroupID.x * BN;
    if (MASKED != 0) { // a block that sees no key: its zeros, no product
        int ilo = pc.row0 + int(rbase), ihi = pc.row0 + int(min(rbase + BM, rows)) - 1;
        int jlo = int(jbase), jhi = int(min(jbase + BN, n)) - 1;
        if (!(jlo <= ihi + pc.shift && jhi > ilo - pc.window)) {
            for (uint x = gl_LocalInvocationID.x; x < BM * BN; x += gl_WorkGroupSize.x) {
                uint r = rbase + x / BN, c = jbase + x % BN;
                if (r < rows && c < n) e[r * n + c] = 0.0;
            }
            return;
        }
    }
    uint sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
    if (sg >= SR * SC) return; // subgroups smaller than reported: never past the stage
    uint r0 = rbase + (sg / SC) * WM * CM, c0 = jbase + (sg % SC) * WN * CN;
    uint ra[WM], cb[WN]; // where each matrix loads from: clamped inside the rows and keys
    for (uint i = 0u; i < WM; i++) ra[i] = min(r0 + i * CM, rows - CM);
    for (uint j = 0u; j < WN; j++) cb[j] = min(c0 + j * CN, n - CN);

    coopmat<float, gl_ScopeSubgroup, CM, CN, gl_MatrixUseAccumulator> acc[WM * WN];
    for (uint x = 0u; x < WM * WN; x++)
        acc[x] = coopmat<float, gl_ScopeSubgroup, CM, CN, gl_MatrixUseAccumulator>(0.0);
    uint dq = d / 8u, qoff = uint(pc.row0) * dq; // in uvec4
    for (uint k0 = 0u; k0 < d; k0 += CK) {
        coopmat<EF_IN, gl_ScopeSubgroup, CM, CK, gl_MatrixUseA> a[WM];
        coopmat<EF_IN, gl_ScopeSubgroup, CK, CN, gl_MatrixUseB> b[WN];
        for (uint i = 0u; i < WM; i++)
            coopMatLoad(a[i], q, qoff + ra[i] * dq + k0 / 8u, dq,
                        gl_CooperativeMatrixLayoutRowMajor);
        for (uint j = 0u; j < WN; j++) // B = K^T: column jj of B is key row cb[j] + jj
            coopMatLoad(b[j], k, cb[j] * dq + k0 / 8u, dq, gl_CooperativeMatrixLayoutColumnMajor);
        for (uint i = 0u; i < WM; i++)
            for (uint j = 0u; j < WN; j++) acc[i * WN + j] = coopMatMulAdd(a[i], b[j], acc[i * WN + j]);
    }

    uint base = sg * CM * LD;
    for (uint i = 0u; i < WM; i++) {
        for (uint j = 0u; j < WN; j++)
            coopMatStore(acc[i * WN + j], stage, base + j * CN, LD,
                         gl_CooperativeMatrixLayoutRowMajor);
        subgroupMemoryBarrierShared();
        subgroupBarrier();
        uint rnom = r0 + i * CM;
        for (uint x = lane; x < CM * WN * CN; x += gl_SubgroupSize) {
            uint t = x / (WN * CN), c = x % (WN * CN), j = c / CN;
            uint r = ra[i] + t, col = cb[j] + c % CN;
            if (r < rnom || col < c0 + j * CN) continue; // a clamped matrix's overlap
            int row = pc.row0 + int(r);
            precise float v = pc.scale * stage[base + t * LD + c] - sh[uint(pc.off_dst) + r];
            e[r * n + col] = visible(row, int(col)) ? v : 0.0;
        }
        subgroupMemoryBarrierShared();
        subgroupBarrier();
    }
}
