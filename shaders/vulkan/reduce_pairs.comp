#version 450
// shaders/vulkan/reduce_pairs.comp — one workgroup adds pc.count pairs (x, y) stored
// interleaved at pc.off_src into out[0], out[1]: strided sums, then a fixed tree.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer P { float p[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };

shared float s0[gl_WorkGroupSize.x];
shared float s1[gl_WorkGroupSize.x];

void main()
{
    uint t = gl_LocalInvocationID.x, off = uint(pc.off_src);
    float a = 0.0, b = 0.0;
    for (uint x = t; x < uint(pc.count); x += gl_WorkGroupSize.x) {
        a += p[off + 2u * x];
        b += p[off + 2u * x + 1u];
    }
    s0[t] = a;
    s1[t] = b;
    barrier();
    for (uint h = gl_WorkGroupSize.x / 2u; h > 0u; h >>= 1) {
        if (t < h) { s0[t] += s0[t + h]; s1[t] += s1[t + h]; }
        barrier();
    }
    if (t == 0u) { o[0] = s0[0]; o[1] = s1[0]; }
}
