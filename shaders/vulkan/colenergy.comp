#version 450
// shaders/vulkan/colenergy.comp — COLENERGY, first pass: partial[s][j] = sum of E_rj^2
// over the rows of chunk s (pc.len rows each) of the block. reduce.comp adds the chunks
// in fixed order.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer E { float e[]; };
layout(std430, binding = 1) writeonly buffer P { float p[]; };

void main()
{
    uint j = gl_GlobalInvocationID.x, s = gl_WorkGroupID.y, n = uint(pc.n);
    if (j >= n) return;
    uint r0 = s * uint(pc.len), r1 = min(r0 + uint(pc.len), uint(pc.rows));
    float acc = 0.0;
    for (uint r = r0; r < r1; r++) {
        float v = e[r * n + j];
        acc = fma(v, v, acc);
    }
    p[uint(pc.off_dst) + s * n + j] = acc;
}
