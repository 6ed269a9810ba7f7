#version 450
// shaders/vulkan/keys_decode.comp — level 0 of the key-sum tree: K (n x d, storage PREC)
// decoded to fp32, rows of pc.len floats (the row stride; 0: d; zero past d), padded
// with zero rows up to pc.count = n_pad rows.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer K { uint k[]; };
layout(std430, binding = 1) writeonly buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID, d = uint(pc.d), ds = pc.len > 0 ? uint(pc.len) : d;
    if (x >= uint(pc.count) * ds) return;
    uint j = x / ds, c = x % ds;
    t[x] = j < uint(pc.n) && c < d ? EF_DECODE(k, j * d + c) : 0.0;
}
