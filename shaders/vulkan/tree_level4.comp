#version 450
// shaders/vulkan/tree_level4.comp — one level of the pairwise key-sum tree, 4 dimensions
// per invocation (the CPU shape's tree, rows of pc.len floats, a multiple of 4): node b
// of level t+1 = node 2b + node 2b+1 of level t, pc.count nodes written at pc.off_dst
// from pc.off_src. The same sums, in the same order, as tree_level.comp; the children
// come through the vec4 texel view (one vector load and a transpose on llvmpipe, where a
// storage-buffer load is a loop over the lanes).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer T { vec4 o4[]; };

void main()
{
    uint x = EF_LINEAR_ID, ds4 = uint(pc.len) / 4u;
    if (x >= uint(pc.count) * ds4) return;
    uint b = x / ds4, c4 = x % ds4;
    int src = pc.off_src / 4 + int(2u * b * ds4 + c4);
    o4[uint(pc.off_dst) / 4u + x] = imageLoad(t4, src) + imageLoad(t4, src + int(ds4));
}
