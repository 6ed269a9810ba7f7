#version 450
// shaders/vulkan/row_shift4.comp — per-row shift of a masked field for the CPU shape:
// sh[off_dst + r] = c_r = a q_i . m_r, with the query rows decoded to fp32 (rows of
// pc.count floats at pc.aux0, rows_decode.comp) and the means (rows of pc.len floats at
// pc.off_src, row_mean4.comp), both zero past d and read 4 at a time through the vec4
// texel view. The dot product runs over c in order with fma, as row_shift.comp does.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer T { float t[]; };

void main()
{
    uint r = EF_LINEAR_ID;
    if (r >= uint(pc.rows)) return;
    int q4 = pc.aux0 / 4 + int(r) * (pc.count / 4), m4 = pc.off_src / 4 + int(r) * (pc.len / 4);
    float acc = 0.0;
    for (int c4 = 0; c4 < pc.len / 4; c4++) {
        vec4 qv = imageLoad(t4, q4 + c4), mv = imageLoad(t4, m4 + c4);
        for (int s = 0; s < 4; s++) acc = fma(qv[s], mv[s], acc);
    }
    t[uint(pc.off_dst) + r] = pc.scale * acc;
}
