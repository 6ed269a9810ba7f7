#version 450
// shaders/vulkan/rows_decode4.comp — the query rows of the block in fp32 for the CPU shape
// when d % 4 == 0: rows r = 0 .. pc.rows-1 (query row0 + r; past n zero) of pc.count
// floats (d padded, zero past d) at pc.off_dst, Q read 4 at a time through its texel
// view (inputs4.glsl); the values of rows_decode.comp, one vec4 per invocation.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "inputs4.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) writeonly buffer T { vec4 t4[]; };

void main()
{
    uint x = EF_LINEAR_ID, d4 = uint(pc.d) / 4u, w4 = uint(pc.count) / 4u;
    if (x >= uint(pc.rows) * w4) return;
    uint r = x / w4, c4 = x % w4, i = uint(pc.row0) + r;
    bool in_q = c4 < d4 && i < uint(pc.n);
    vec4 v = input4(int(min(i, uint(pc.n) - 1u) * d4 + min(c4, d4 - 1u)));
    t4[uint(pc.off_dst) / 4u + x] = in_q ? v : vec4(0.0);
}
