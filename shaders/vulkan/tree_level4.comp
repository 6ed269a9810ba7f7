#version 450
// shaders/vulkan/tree_level4.comp — LEVELS (1 .. 3) levels of the pairwise key-sum tree
// in one dispatch, 4 dimensions per invocation (the CPU shape's tree, rows of pc.len
// floats, a multiple of 4): node b of level t+1 = node 2b + node 2b+1 of level t, the
// same sums in the same order as tree_level.comp. One invocation per node of the top
// level written (pc.count of them): it reads its 2^LEVELS nodes of level t at
// pc.off_src through the vec4 texel view (one vector load and a transpose on llvmpipe,
// where a storage-buffer load is a loop over the lanes) and writes the nodes of every
// level above, level t+1 from pc.off_dst and each next level after the previous one
// (pc.aux0 nodes in level t+1). Fewer dispatches: each costs a CPU driver a wake-up.
// pc.shift = 1: only the top level is written (where only the root is wanted: the
// levels below it are never read; the sums are the same).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer T { vec4 o4[]; };

void main()
{
    uint x = EF_LINEAR_ID, ds4 = uint(pc.len) / 4u;
    if (x >= uint(pc.count) * ds4) return;
    uint b = x / ds4, c4 = x % ds4, span = 1u << uint(LEVELS);
    int src = pc.off_src / 4 + int(span * b * ds4 + c4), w = int(ds4);
    uint l1 = uint(pc.off_dst) / 4u, n1 = uint(pc.aux0);  // level t+1: start, nodes
    uint l2 = l1 + n1 * ds4, l3 = l2 + n1 / 2u * ds4;   // levels t+2, t+3
    vec4 p0 = imageLoad(t4, src) + imageLoad(t4, src + w);
    if (LEVELS == 1) {
        o4[l1 + x] = p0;
    } else if (LEVELS == 2) {
        vec4 p1 = imageLoad(t4, src + 2 * w) + imageLoad(t4, src + 3 * w);
        o4[l2 + x] = p0 + p1;
        if (pc.shift == 0) {
            o4[l1 + (2u * b) * ds4 + c4] = p0;
            o4[l1 + (2u * b + 1u) * ds4 + c4] = p1;
        }
    } else {
        vec4 p1 = imageLoad(t4, src + 2 * w) + imageLoad(t4, src + 3 * w);
        vec4 p2 = imageLoad(t4, src + 4 * w) + imageLoad(t4, src + 5 * w);
        vec4 p3 = imageLoad(t4, src + 6 * w) + imageLoad(t4, src + 7 * w);
        vec4 r0 = p0 + p1, r1 = p2 + p3;
        o4[l3 + x] = r0 + r1;
        if (pc.shift == 0) {
            o4[l1 + (4u * b) * ds4 + c4] = p0;
            o4[l1 + (4u * b + 1u) * ds4 + c4] = p1;
            o4[l1 + (4u * b + 2u) * ds4 + c4] = p2;
            o4[l1 + (4u * b + 3u) * ds4 + c4] = p3;
            o4[l2 + (2u * b) * ds4 + c4] = r0;
            o4[l2 + (2u * b + 1u) * ds4 + c4] = r1;
        }
    }
}
