#version 450
// shaders/vulkan/ranktail_proj.comp — RANKTAIL, first pass: W = U_Q^T E (d x n),
// W[c][j] = sum_i U_ic E_ij, summed in blocks of 32 rows (depth 32 + n/32).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer E { float e[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer W { float w[]; };

void main()
{
    uint j = gl_GlobalInvocationID.x, c = gl_WorkGroupID.y;
    uint n = uint(pc.n), d = uint(pc.d);
    if (j >= n) return;
    float acc = 0.0;
    for (uint i0 = 0u; i0 < n; i0 += 32u) {
        float part = 0.0;
        for (uint i = i0; i < min(i0 + 32u, n); i++) part = fma(u[i * d + c], e[i * n + j], part);
        acc += part;
    }
    w[uint(pc.off_dst) + c * n + j] = acc;
}
