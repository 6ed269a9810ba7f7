#version 450
// shaders/vulkan/keys_decode.comp — level 0 of the key-sum tree: K (n x d, storage PREC)
// decoded to fp32 and padded with zero rows up to pc.count = n_pad rows.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer K { uint k[]; };
layout(std430, binding = 1) writeonly buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID;
    uint total = uint(pc.count) * uint(pc.d);
    if (x >= total) return;
    uint j = x / uint(pc.d);
    t[x] = j < uint(pc.n) ? EF_DECODE(k, x) : 0.0;
}
