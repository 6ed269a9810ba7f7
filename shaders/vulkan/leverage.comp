#version 450
// shaders/vulkan/leverage.comp — LEVERAGE: one thread per key j:
// out[j] = || T kt_j ||^2 = sum_a (sum_b T_ab kt_jb)^2, kt = keys centered over positions.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer K { float kt[]; };
layout(std430, binding = 1) readonly buffer A { float tm[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };

void main()
{
    uint j = gl_GlobalInvocationID.x, n = uint(pc.n), d = uint(pc.d);
    if (j >= n) return;
    float acc = 0.0;
    for (uint a = 0u; a < d; a++) {
        float y = 0.0;
        for (uint b = 0u; b < d; b++) y = fma(tm[a * d + b], kt[j * d + b], y);
        acc = fma(y, y, acc);
    }
    o[j] = acc;
}
