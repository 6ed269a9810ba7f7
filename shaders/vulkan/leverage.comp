#version 450
// shaders/vulkan/leverage.comp — LEVERAGE: one workgroup per key j, one lane per row a
// of T: y_a = sum_b T_ab kt_jb, then out[j] = || y ||^2 = sum_a y_a^2 by a fixed
// shared-memory tree (deterministic); kt = keys centered over positions.
// No loop runs more than d times per lane: llvmpipe cuts any loop off after 65535
// iterations, which a d x d loop nest per lane reached at d = 256.
// Workgroup size must be a power of two.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer K { float kt[]; };
layout(std430, binding = 1) readonly buffer A { float tm[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };

shared float part[gl_WorkGroupSize.x];

void main()
{
    uint t = gl_LocalInvocationID.x, j = EF_LINEAR_GROUP, n = uint(pc.n), d = uint(pc.d);
    if (j >= n) return;
    float acc = 0.0;
    for (uint a = t; a < d; a += gl_WorkGroupSize.x) {
        float y = 0.0;
        for (uint b = 0u; b < d; b++) y = fma(tm[a * d + b], kt[j * d + b], y);
        acc = fma(y, y, acc);
    }
    part[t] = acc;
    barrier();
    for (uint h = gl_WorkGroupSize.x / 2u; h > 0u; h >>= 1) {
        if (t < h) part[t] += part[t + h];
        barrier();
    }
    if (t == 0u) o[j] = part[0];
}
