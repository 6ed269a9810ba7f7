#version 450
// shaders/vulkan/row_shift.comp — per-row shift of the masked field:
// sh[off_dst + r] = c_r = a q_i . m_r, i = row0 + r, m_r = the mean of the keys visible
// from row i, rows x d at t[off_src] (row_mean.comp). The dot product runs over c in
// order with fma, as energy.comp's does, so E_ii = 0 exactly where a row sees one key.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) buffer T { float t[]; };

void main()
{
    uint r = EF_LINEAR_ID;
    if (r >= uint(pc.rows)) return;
    uint i = uint(pc.row0) + r, d = uint(pc.d), m = uint(pc.off_src) + r * d;
    float acc = 0.0;
    for (uint c = 0u; c < d; c++) acc = fma(EF_DECODE(q, i * d + c), t[m + c], acc);
    t[uint(pc.off_dst) + r] = pc.scale * acc;
}
