#version 450
// shaders/vulkan/leverage_reg.comp — LEVERAGE in the CPU shape, first pass: y_j = T kc_j
// for TM keys per workgroup and WGX TN rows a of T, as energy_reg.comp computes E:
// each invocation holds TM keys x TN values of y in named registers; lane l of a
// subgroup loads key j0 + l (level 0 of the key tree, rows of pc.len = ds floats,
// minus kbar = root / n, the root at pc.aux0: centered on the fly, as keys_center.comp), 4 dimensions at a time,
// and subgroupShuffle hands it to every lane; T comes transposed in panels of the
// workgroup's rows a (pc.count = dk rows of c, from pc.off_src, keys_transpose.comp).
// Both read through the vec4 texel view of the scratch (binding 6). After each tile, y_ja^2
// is summed over each lane's TN values of a in order, then across the subgroup (WGX = SG)
// by a butterfly of shuffles (a fixed order, the same sum in every lane), and added to
// the key's sum in tile order; lane 0 writes out[j]: deterministic. Called by vk_dd_reg.c.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer sc4;
layout(std430, binding = 1) writeonly buffer P { float p[]; };

const uint NV = uint(TN) / 4u;     // 1 or 2
const uint LD4 = gl_WorkGroupSize.x * NV;                // a panel row, in vec4

#define ROW(m)                                                       \
    if (TM > m) {                                                    \
        float km = subgroupShuffle(kf[t], uint(m));                  \
        y##m##0 = km * t0 + y##m##0;                                 \
        if (NV > 1u) y##m##1 = km * t1 + y##m##1;                    \
    }

// the tile's sum of squares of a key over its rows a (rows past d are zero): each lane's
// in order, then a butterfly of shuffles across the subgroup (the same sum in every lane)
float tile_sum(vec4 y0, vec4 y1)
{
    float s = 0.0;
    for (uint c = 0u; c < 4u; c++) s = fma(y0[c], y0[c], s);
    if (NV > 1u)
        for (uint c = 0u; c < 4u; c++) s = fma(y1[c], y1[c], s);
    [[unroll]] for (uint m = 1u; m < uint(SG); m *= 2u) s += subgroupShuffleXor(s, m);
    return s;
}

void store_row(uint j, float s)
{
    if (j < uint(pc.n) && gl_SubgroupInvocationID == 0u) p[j] = s;
}

void main()
{
    uint n = uint(pc.n), dk4 = uint(pc.count) / 4u, ds4 = uint(pc.len) / 4u;
    uint jbase = gl_WorkGroupID.y * uint(TM);
    uint lane = gl_SubgroupInvocationID;
    int kb = int(min(jbase + lane % uint(TM), n - 1u) * ds4);
    int root = pc.aux0 / 4;
    float l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0, l4 = 0.0, l5 = 0.0, l6 = 0.0, l7 = 0.0;

    // the tiles of T's rows a in order (pc.window of them): one subgroup holds all of y_j
    for (uint tile = 0u; tile < uint(pc.window); tile++) {
        vec4 y00 = vec4(0.0), y10 = vec4(0.0), y20 = vec4(0.0), y30 = vec4(0.0);
        vec4 y40 = vec4(0.0), y50 = vec4(0.0), y60 = vec4(0.0), y70 = vec4(0.0);
        vec4 y01 = vec4(0.0), y11 = vec4(0.0), y21 = vec4(0.0), y31 = vec4(0.0);
        vec4 y41 = vec4(0.0), y51 = vec4(0.0), y61 = vec4(0.0), y71 = vec4(0.0);
        int tb = int(uint(pc.off_src) / 4u + tile * dk4 * 4u * LD4 + gl_LocalInvocationID.x * NV);
        for (uint c0 = 0u; c0 < ds4; c0 += uint(BK) / 4u) {
            [[unroll]] for (uint c4 = 0u; c4 < uint(BK) / 4u; c4++) {
                vec4 kf = imageLoad(sc4, kb + int(c0 + c4)) -
                          imageLoad(sc4, root + int(c0 + c4)) / float(n);
                [[unroll]] for (uint t = 0u; t < 4u; t++) {
                    int tt = tb + int(((c0 + c4) * 4u + t) * LD4);
                    vec4 t0 = imageLoad(sc4, tt);
                    vec4 t1 = NV > 1u ? imageLoad(sc4, tt + 1) : vec4(0.0);
                    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
                }
            }
        }
        l0 += tile_sum(y00, y01);
        if (TM > 1) l1 += tile_sum(y10, y11);
        if (TM > 2) l2 += tile_sum(y20, y21);
        if (TM > 3) l3 += tile_sum(y30, y31);
        if (TM > 4) l4 += tile_sum(y40, y41);
        if (TM > 5) l5 += tile_sum(y50, y51);
        if (TM > 6) l6 += tile_sum(y60, y61);
        if (TM > 7) l7 += tile_sum(y70, y71);
    }

    store_row(jbase + 0u, l0);
    if (TM > 1) store_row(jbase + 1u, l1);
    if (TM > 2) store_row(jbase + 2u, l2);
    if (TM > 3) store_row(jbase + 3u, l3);
    if (TM > 4) store_row(jbase + 4u, l4);
    if (TM > 5) store_row(jbase + 5u, l5);
    if (TM > 6) store_row(jbase + 6u, l6);
    if (TM > 7) store_row(jbase + 7u, l7);
}
