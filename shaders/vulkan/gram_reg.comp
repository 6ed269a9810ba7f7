#version 450
// shaders/vulkan/gram_reg.comp — GRAM in the CPU shape: G = X^T X for one d x d matrix,
// X (rows of pc.len = ds floats, ds a multiple of 4, n rounded up to SG rows readable,
// from float pc.off_src) through the vec4 texel view at binding 6, minus the mean row kbar = root / n (the
// key tree's root at pc.aux0 of the scratch view, binding 7) when pc.shift = 1: the keys
// centered on the fly, as keys_center.comp centers them. Workgroup (x, y) computes rows a0 .. a0 + TM-1 (TM 4 or 8) and
// columns b0 .. b0 + WGX TN - 1 of G; blocks wholly below the diagonal are skipped
// (their entries are the mirrors of computed ones: each tile writes its upper entries
// and their mirrors to out[z d d + a d + b], every entry once). Each invocation holds TM x TN results in
// named registers, as energy_reg.comp does: lane l of a subgroup loads row j0 + l of X
// at columns a0 .. a0 + TM - 1, and subgroupShuffle hands X_ja to every lane while each
// lane loads X_jb for its own columns. The sum over j runs in order, 0 .. n-1:
// deterministic. Writes the block to pc.off_dst + a d + b. Called by vk_workloads.c.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer x4;
layout(binding = 7, rgba32f) uniform readonly imageBuffer s4;
layout(std430, binding = 1) writeonly buffer O { float o[]; };

const uint NV = uint(TN) / 4u;     // 1 or 2
const uint AF = uint(TM) / 4u;     // 1 or 2 vec4 of rows a per lane

// one step j of row m = 4 f + s (rows past TM fold away)
#define ROW(f, s, m)                                                 \
    if (TM > m) {                                                    \
        float xa = subgroupShuffle(af##f[s], t);                     \
        g##m##0 = xa * k0 + g##m##0;                                 \
        if (NV > 1u) g##m##1 = xa * k1 + g##m##1;                    \
    }

// G_ab for b .. b+3 of row a, each entry once: the upper triangle (a <= b) where it was
// computed, the lower one (b > a) as its mirror
void store4(uint a, uint b, vec4 v)
{
    uint d = uint(pc.d), base = uint(pc.off_dst) + gl_WorkGroupID.z * d * d;
    if (a >= d) return;
    for (uint s = 0u; s < 4u; s++) {
        if (b + s >= d || a > b + s) continue;
        o[base + a * d + b + s] = v[s];
        if (a < b + s) o[base + (b + s) * d + a] = v[s];
    }
}

void main()
{
    // workgroup z: 0 = Q (its fp32 rows at pc.off_src), 1 = the keys (level 0), centered
    bool keys = gl_WorkGroupID.z == 1u;
    uint d = uint(pc.d), ds4 = uint(pc.len) / 4u, n = uint(pc.n);
    uint xb = keys ? 0u : uint(pc.off_src) / 4u;
    uint a0 = gl_WorkGroupID.y * uint(TM);
    uint bwg = gl_WorkGroupID.x * gl_WorkGroupSize.x * uint(TN);
    uint b0 = bwg + gl_LocalInvocationID.x * uint(TN);
    uint lane = gl_SubgroupInvocationID;
    bool any = a0 < bwg + gl_WorkGroupSize.x * uint(TN);   // not wholly below the diagonal

    // kbar for this lane's A columns and B columns (zero: no centering)
    vec4 ma0 = vec4(0.0), ma1 = vec4(0.0), mb0 = vec4(0.0), mb1 = vec4(0.0);
    if (keys) {
        int root = pc.aux0 / 4;
        float fn = float(pc.n);
        ma0 = imageLoad(s4, root + int(min(a0 / 4u, ds4 - 1u))) / fn;
        if (AF > 1u) ma1 = imageLoad(s4, root + int(min(a0 / 4u + 1u, ds4 - 1u))) / fn;
        mb0 = imageLoad(s4, root + int(min(b0 / 4u, ds4 - 1u))) / fn;
        if (NV > 1u) mb1 = imageLoad(s4, root + int(min(b0 / 4u + 1u, ds4 - 1u))) / fn;
    }
    // column vec4 of X for A (rows a of G) and B (columns b); past ds: zero, read in range
    uint ac0 = a0 / 4u, ac1 = ac0 + 1u, bc0 = b0 / 4u, bc1 = bc0 + 1u;
    bool ina0 = ac0 < ds4, ina1 = AF > 1u && ac1 < ds4, inb0 = bc0 < ds4, inb1 = NV > 1u && bc1 < ds4;
    ac0 = min(ac0, ds4 - 1u); ac1 = min(ac1, ds4 - 1u);
    bc0 = min(bc0, ds4 - 1u); bc1 = min(bc1, ds4 - 1u);

    vec4 g00 = vec4(0.0), g10 = vec4(0.0), g20 = vec4(0.0), g30 = vec4(0.0);
    vec4 g40 = vec4(0.0), g50 = vec4(0.0), g60 = vec4(0.0), g70 = vec4(0.0);
    vec4 g01 = vec4(0.0), g11 = vec4(0.0), g21 = vec4(0.0), g31 = vec4(0.0);
    vec4 g41 = vec4(0.0), g51 = vec4(0.0), g61 = vec4(0.0), g71 = vec4(0.0);

    uint nj = any ? n : 0u;
    for (uint j0 = 0u; j0 < nj; j0 += uint(SG)) {
        // lane l: row j0 + l at the tile's A columns, zero past n (kills the padding)
        uint ja = j0 + lane;
        vec4 af0 = imageLoad(x4, int(xb + ja * ds4 + ac0)) - ma0;
        vec4 af1 = AF > 1u ? imageLoad(x4, int(xb + ja * ds4 + ac1)) - ma1 : vec4(0.0);
        af0 = ja < n && ina0 ? af0 : vec4(0.0);
        af1 = ja < n && ina1 ? af1 : vec4(0.0);
        [[unroll]] for (uint t = 0u; t < uint(SG); t++) {
            uint jb = xb + (j0 + t) * ds4;
            vec4 k0 = imageLoad(x4, int(jb + bc0)) - mb0;   // loads first, then selects:
            vec4 k1 = NV > 1u ? imageLoad(x4, int(jb + bc1)) - mb1 : vec4(0.0);
            k0 = inb0 ? k0 : vec4(0.0);                       // no branch in the loop
            k1 = inb1 ? k1 : vec4(0.0);
            ROW(0, 0, 0) ROW(0, 1, 1) ROW(0, 2, 2) ROW(0, 3, 3)
            ROW(1, 0, 4) ROW(1, 1, 5) ROW(1, 2, 6) ROW(1, 3, 7)
        }
    }

    if (any && b0 < d) {
        store4(a0 + 0u, b0, g00); if (NV > 1u) store4(a0 + 0u, b0 + 4u, g01);
        store4(a0 + 1u, b0, g10); if (NV > 1u) store4(a0 + 1u, b0 + 4u, g11);
        store4(a0 + 2u, b0, g20); if (NV > 1u) store4(a0 + 2u, b0 + 4u, g21);
        store4(a0 + 3u, b0, g30); if (NV > 1u) store4(a0 + 3u, b0 + 4u, g31);
        if (TM > 4) {
            store4(a0 + 4u, b0, g40); if (NV > 1u) store4(a0 + 4u, b0 + 4u, g41);
            store4(a0 + 5u, b0, g50); if (NV > 1u) store4(a0 + 5u, b0 + 4u, g51);
            store4(a0 + 6u, b0, g60); if (NV > 1u) store4(a0 + 6u, b0 + 4u, g61);
            store4(a0 + 7u, b0, g70); if (NV > 1u) store4(a0 + 7u, b0 + 4u, g71);
        }
    }
}
