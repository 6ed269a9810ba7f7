#version 450
// shaders/vulkan/rows_decode.comp — the query rows of the block decoded to fp32 for
// energy_reg.comp: rows r = 0 .. pc.rows-1 (query row0 + r) of pc.count floats (d
// rounded up to 4, zero past d; rows past n zero) at pc.off_dst of the scratch, so the
// register tiles read whole vec4 through a texel view whatever the input precision.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) writeonly buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID, d4 = uint(pc.count), d = uint(pc.d);
    if (x >= uint(pc.rows) * d4) return;
    uint r = x / d4, c = x % d4;
    uint i = uint(pc.row0) + r;                  // rows past n (padding): zero
    t[uint(pc.off_dst) + x] = c < d && i < uint(pc.n) ? EF_DECODE(q, i * d + c) : 0.0;
}
