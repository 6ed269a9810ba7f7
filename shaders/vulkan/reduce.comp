#version 450
// shaders/vulkan/reduce.comp — sums pc.count partial arrays of pc.len floats in fixed
// order: out[off_dst + g len + x] = sum_s p[off_src + (g count + s) len + y], g = group
// (workgroup id y); y = x, or for pc.aux0 = d > 0 the upper-triangle entry of the
// symmetric d x d matrix x (gram partials fill only a <= b).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer P { float p[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };

void main()
{
    uint x = gl_GlobalInvocationID.x, g = gl_WorkGroupID.y, len = uint(pc.len);
    if (x >= len) return;
    uint y = x;
    if (pc.aux0 > 0) {
        uint d = uint(pc.aux0), a = x / d, b = x % d;
        y = min(a, b) * d + max(a, b);
    }
    uint base = uint(pc.off_src) + g * uint(pc.count) * len + y;
    float acc = 0.0;
    for (uint s = 0u; s < uint(pc.count); s++) acc += p[base + s * len];
    o[uint(pc.off_dst) + g * len + x] = acc;
}
