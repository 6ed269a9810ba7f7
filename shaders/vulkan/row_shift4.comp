#version 450
// shaders/vulkan/row_shift4.comp — per-row shift of a masked field for the CPU shape:
// sh[off_dst + r] = c_r = a q_i . m_r, i = row0 + r, with m_r the mean of the keys
// visible from row i (i - window < j <= min(i + shift, n - 1)) taken 4 dimensions at a
// time from the pairwise key tree at 0 (pc.count = n_pad leaves, rows of ds = pc.len
// floats) by the walk of row_mean.comp — at most 2 log2(n_pad) nodes, smaller blocks
// first, log2(n) + 2 roundings a mean — and the query rows decoded to fp32 (rows of
// pc.aux1 floats at pc.aux0), both through the vec4 texel view (binding 6). One
// invocation per row; the mean is never stored. The walk's LEVELS levels are unrolled,
// each step a select instead of a branch (adding nothing is exact, so the sums are bit
// for bit those of row_mean.comp, and llvmpipe runs no per-lane loop); LEVELS may stop
// short of the root where ranges are short (w keys: within ceil(log2 w) + 2 levels);
// MASKED = 2 (causal: ranges start at key 0) drops the left side's loads. The dot product
// runs over c in order with fma, as row_shift.comp does.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer T { float t[]; };

void main()
{
    uint r = EF_LINEAR_ID;
    if (r >= uint(pc.rows)) return;
    uint ds4 = uint(pc.len) / 4u, size0 = uint(pc.count);
    int i = pc.row0 + int(r);
    int hi = min(i + pc.shift, pc.n - 1);
    int lo = max(i - pc.window + 1, 0);
    float cnt = float(hi - lo + 1);
    int q4 = pc.aux0 / 4 + int(r) * (pc.aux1 / 4);
    float acc = 0.0;
    for (uint c4 = 0u; c4 < ds4; c4++) {
        uint l = uint(lo), e = uint(hi) + 1u, off4 = 0u, size = size0;
        vec4 sl = vec4(0.0), sr = vec4(0.0);
        [[unroll]] for (int lev = 0; lev < LEVELS; lev++) {
            if (MASKED != 2) {
                bool left = l < e && (l & 1u) != 0u;
                vec4 vl = imageLoad(t4, int(off4 + min(l, size - 1u) * ds4 + c4));
                sl = left ? sl + vl : sl;
                l += left ? 1u : 0u;
            }
            bool right = l < e && (e & 1u) != 0u;
            e -= right ? 1u : 0u;
            vec4 vr = imageLoad(t4, int(off4 + min(e, size - 1u) * ds4 + c4));
            sr = right ? vr + sr : sr;
            l >>= 1; e >>= 1; off4 += size * ds4; size = max(size >> 1, 1u);
        }
        vec4 m = (sl + sr) / cnt, qv = imageLoad(t4, q4 + int(c4));
        for (int s = 0; s < 4; s++) acc = fma(qv[s], m[s], acc);
    }
    t[uint(pc.off_dst) + r] = pc.scale * acc;
}
