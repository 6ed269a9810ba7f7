#version 450
// shaders/vulkan/row_mean4.comp — key means of a masked field for the CPU shape, 4
// dimensions per invocation: m[off_dst + r ds + c] = mean of k_jc over the keys visible
// from row i = row0 + r (i - window < j <= min(i + shift, n - 1)), from the pairwise tree
// at 0 (pc.count = n_pad leaves, rows of ds = pc.len floats, a multiple of 4, read through
// the vec4 texel view). The walk of row_mean.comp — at most 2 log2(n_pad) nodes, smaller
// blocks first, so a mean takes log2(n) + 2 roundings — with its LEVELS levels unrolled
// and each step a select instead of a branch: adding nothing is exact, so the sums are
// bit for bit those of row_mean.comp, and llvmpipe runs no per-lane loop or masked store.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer M { vec4 m4[]; };

void main()
{
    uint x = EF_LINEAR_ID, ds4 = uint(pc.len) / 4u;
    if (x >= uint(pc.rows) * ds4) return;
    uint r = x / ds4, c4 = x % ds4;
    int i = pc.row0 + int(r);
    int hi = min(i + pc.shift, pc.n - 1);
    int lo = max(i - pc.window + 1, 0);
    uint l = uint(lo), e = uint(hi) + 1u, off4 = 0u, size = uint(pc.count);
    vec4 sl = vec4(0.0), sr = vec4(0.0);
    [[unroll]] for (int lev = 0; lev < LEVELS; lev++) {
        bool left = l < e && (l & 1u) != 0u;
        vec4 vl = imageLoad(t4, int(off4 + min(l, size - 1u) * ds4 + c4));
        sl = left ? sl + vl : sl;
        l += left ? 1u : 0u;
        bool right = l < e && (e & 1u) != 0u;
        e -= right ? 1u : 0u;
        vec4 vr = imageLoad(t4, int(off4 + min(e, size - 1u) * ds4 + c4));
        sr = right ? vr + sr : sr;
        l >>= 1; e >>= 1; off4 += size * ds4; size = max(size >> 1, 1u);
    }
    m4[uint(pc.off_dst) / 4u + x] = (sl + sr) / float(hi - lo + 1);
}
