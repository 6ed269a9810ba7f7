#version 450
// shaders/vulkan/keys_transpose.comp — the keys of level 0 (n x d fp32 at pc.off_src of
// the scratch) rewritten for energy_reg.comp as panels of pc.aux0 columns (the columns
// of one workgroup): panel p holds columns p aux0 .. (p+1) aux0 - 1 transposed, pc.count
// rows (d rounded up to 4) of aux0 floats, at pc.off_dst + p count aux0. A workgroup then
// reads one contiguous stream, and one vec4 load gives 4 consecutive columns; zero past
// d and past n, so no load needs a bounds check. pc.len columns in all (a multiple of
// aux0). One invocation per element written (consecutive columns in consecutive lanes).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID, w = uint(pc.aux0), rows = uint(pc.count), d = uint(pc.d);
    if (x >= rows * uint(pc.len)) return;
    uint p = x / (rows * w), c = x / w % rows, j = p * w + x % w;
    t[uint(pc.off_dst) + x] = c < d && j < uint(pc.n) ? t[uint(pc.off_src) + j * d + c] : 0.0;
}
