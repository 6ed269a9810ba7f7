#version 450
// shaders/vulkan/row_mean.comp — key means of the masked field, one invocation per
// (row r, dimension c), consecutive c in consecutive lanes: m[off_dst + r d + c] = mean
// of k_jc over the keys visible from row i = row0 + r (i - window < j <= min(i + shift,
// n - 1)), from the pairwise tree of the keys at scratch 0 (pc.count = n_pad leaves):
// at most 2 log2(n_pad) nodes, smaller blocks first, so a mean takes log2(n) + 2
// roundings. row_shift.comp turns the means into the per-row shift.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID, d = uint(pc.d);
    if (x >= uint(pc.rows) * d) return;
    uint r = x / d, c = x % d;
    int i = pc.row0 + int(r);
    int hi = min(i + pc.shift, pc.n - 1);
    int lo = max(i - pc.window + 1, 0);
    uint l = uint(lo), e = uint(hi) + 1u, off = 0u, size = uint(pc.count);
    float sl = 0.0, sr = 0.0;
    while (l < e) {
        if ((l & 1u) != 0u) { sl += t[off + l * d + c]; l++; }
        if ((e & 1u) != 0u) { e--; sr = t[off + e * d + c] + sr; }
        l >>= 1; e >>= 1;
        off += size * d; size >>= 1;
    }
    t[uint(pc.off_dst) + x] = (sl + sr) / float(hi - lo + 1);
}
