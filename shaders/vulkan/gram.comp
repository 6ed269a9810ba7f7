#version 450
// shaders/vulkan/gram.comp — GRAM, first pass, split along n: for matrix g (workgroup z:
// 0 = Q decoded from PREC, 1 = centered keys), chunk s of pc.len rows, entry (a, b) with
// a <= b: p[off_dst + (g count + s) d d + a d + b] = sum_j X_ja X_jb. reduce.comp sums chunks and fills both triangles.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) readonly buffer T { float kt[]; };
layout(std430, binding = 2) writeonly buffer P { float p[]; };

void main()
{
    uint x = gl_GlobalInvocationID.x, s = gl_WorkGroupID.y, g = gl_WorkGroupID.z;
    uint d = uint(pc.d);
    if (x >= d * d) return;
    uint a = x / d, b = x % d;
    if (a > b) return;
    uint j0 = s * uint(pc.len), j1 = min(j0 + uint(pc.len), uint(pc.n));
    float acc = 0.0;
    if (g == 0u) {
        for (uint j = j0; j < j1; j++)
            acc = fma(EF_DECODE(q, j * d + a), EF_DECODE(q, j * d + b), acc);
    } else {
        for (uint j = j0; j < j1; j++) acc = fma(kt[j * d + a], kt[j * d + b], acc);
    }
    p[uint(pc.off_dst) + (g * uint(pc.count) + s) * d * d + x] = acc;
}
