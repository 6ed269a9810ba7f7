#version 450
// shaders/vulkan/tree_level.comp — one level of the pairwise key-sum tree:
// node b of level t+1 = node 2b + node 2b+1 of level t, per dimension c. pc.count nodes
// of d floats are written at pc.off_dst from pc.off_src. Pairwise sums keep every key
// mean within log2(n) + 2 roundings (backend.h).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID;
    uint d = uint(pc.d);
    if (x >= uint(pc.count) * d) return;
    uint b = x / d, c = x % d;
    uint src = uint(pc.off_src) + 2u * b * d + c;
    t[uint(pc.off_dst) + x] = t[src] + t[src + d];
}
