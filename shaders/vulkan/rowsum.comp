#version 450
// shaders/vulkan/rowsum.comp — ROWSUM: one workgroup per row r of the field block:
// out[r] = sum_j E_rj, out[rows + r] = sum_j |E_rj|. Strided per-thread sums, then a
// fixed shared-memory tree: deterministic. Workgroup size must be a power of two.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer E { float e[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };

shared float s0[gl_WorkGroupSize.x];
shared float s1[gl_WorkGroupSize.x];

void main()
{
    uint t = gl_LocalInvocationID.x, r = EF_LINEAR_GROUP, n = uint(pc.n);
    if (r >= uint(pc.rows)) return;
    float a = 0.0, b = 0.0;
    for (uint j = t; j < n; j += gl_WorkGroupSize.x) {
        float v = e[r * n + j];
        a += v;
        b += abs(v);
    }
    s0[t] = a;
    s1[t] = b;
    barrier();
    for (uint h = gl_WorkGroupSize.x / 2u; h > 0u; h >>= 1) {
        if (t < h) { s0[t] += s0[t + h]; s1[t] += s1[t + h]; }
        barrier();
    }
    if (t == 0u) { o[r] = s0[0]; o[uint(pc.rows) + r] = s1[0]; }
}
