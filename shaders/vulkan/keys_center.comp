#version 450
// shaders/vulkan/keys_center.comp — centers the keys over positions in place:
// level 0 row j -= kbar for j < n, kbar = (tree root at pc.off_src) / n. Padding rows stay
// zero so the tree can be rebuilt over the centered keys.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID;
    uint d = uint(pc.d);
    if (x >= uint(pc.n) * d) return;
    float kbar = t[uint(pc.off_src) + x % d] / float(pc.n);
    t[x] = t[x] - kbar;
}
