#version 450
// shaders/vulkan/ranktail_resid.comp — RANKTAIL, second pass: one workgroup per row i:
// partial[2i] = sum_j (E_ij - sum_c U_ic W_cj)^2, partial[2i+1] = sum_j E_ij^2, with a fixed
// shared-memory tree. reduce_pairs.comp sums the rows. Workgroup size a power of two.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer E { float e[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) buffer W { float w[]; };

shared float s0[gl_WorkGroupSize.x];
shared float s1[gl_WorkGroupSize.x];

void main()
{
    uint t = gl_LocalInvocationID.x, i = EF_LINEAR_GROUP;
    uint n = uint(pc.n), d = uint(pc.d), woff = uint(pc.off_src);
    if (i >= uint(pc.n)) return;
    float a = 0.0, b = 0.0;
    for (uint j = t; j < n; j += gl_WorkGroupSize.x) {
        float v = e[i * n + j], proj = 0.0;
        for (uint c = 0u; c < d; c++) proj = fma(u[i * d + c], w[woff + c * n + j], proj);
        float res = v - proj;
        a = fma(res, res, a);
        b = fma(v, v, b);
    }
    s0[t] = a;
    s1[t] = b;
    barrier();
    for (uint h = gl_WorkGroupSize.x / 2u; h > 0u; h >>= 1) {
        if (t < h) { s0[t] += s0[t + h]; s1[t] += s1[t + h]; }
        barrier();
    }
    if (t == 0u) { w[uint(pc.off_dst) + 2u * i] = s0[0]; w[uint(pc.off_dst) + 2u * i + 1u] = s1[0]; }
}
