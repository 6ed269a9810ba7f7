#version 450
// shaders/vulkan/row_shift.comp — per-row shift of the masked field:
// sh[off_dst + r] = c_r = a q_i . m_i, i = row0 + r, m_i = mean of the keys visible from
// row i (keys i - window < j <= min(i + shift, n - 1)), summed from the pairwise tree of
// the raw keys (at most 2 log2(n_pad) nodes, largest last).
// The dot product runs in the same order with fma as energy.comp, so E_ii = 0 exactly
// where the window holds one key.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) readonly buffer T { float t[]; };
layout(std430, binding = 2) writeonly buffer S { float sh[]; };

void main()
{
    uint r = gl_GlobalInvocationID.x;
    if (r >= uint(pc.rows)) return;
    int i = pc.row0 + int(r);
    int hi = min(i + pc.shift, pc.n - 1);
    int lo = max(i - pc.window + 1, 0);
    uint d = uint(pc.d), npad = uint(pc.count);
    float acc = 0.0;
    for (uint c = 0u; c < d; c++) {
        uint l = uint(lo), e = uint(hi) + 1u, off = 0u, size = npad;
        float sl = 0.0, sr = 0.0;
        while (l < e) {
            if ((l & 1u) != 0u) { sl += t[off + l * d + c]; l++; }
            if ((e & 1u) != 0u) { e--; sr = t[off + e * d + c] + sr; }
            l >>= 1; e >>= 1;
            off += size * d; size >>= 1;
        }
        float m = (sl + sr) / float(hi - lo + 1);
        acc = fma(EF_DECODE(q, uint(i) * d + c), m, acc);
    }
    sh[uint(pc.off_dst) + r] = pc.scale * acc;
}
