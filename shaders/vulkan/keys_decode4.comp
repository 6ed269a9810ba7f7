#version 450
// shaders/vulkan/keys_decode4.comp — level 0 of the key-sum tree for the CPU shape when
// d % 4 == 0: K (n x d, storage PREC, read 4 at a time through its texel view,
// inputs4.glsl) in fp32, rows of d floats, zero rows up to pc.count = n_pad; the values
// of keys_decode.comp, one vec4 per invocation.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "inputs4.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) writeonly buffer T { vec4 t4[]; };

void main()
{
    uint x = EF_LINEAR_ID, d4 = uint(pc.d) / 4u;
    if (x >= uint(pc.count) * d4) return;
    vec4 v = input4(int(min(x, uint(pc.n) * d4 - 1u)));
    t4[x] = x < uint(pc.n) * d4 ? v : vec4(0.0);
}
