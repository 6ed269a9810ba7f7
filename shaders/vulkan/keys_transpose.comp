#version 450
// shaders/vulkan/keys_transpose.comp — the keys for energy_reg.comp: level 0 of the tree
// (n_pad x pc.len floats at pc.off_src, pc.len a multiple of 4), centered over all n
// keys when pc.shift = 1 (minus root / n, the root's 4 dimensions at pc.aux0 + ... as in
// keys_center.comp), written as panels of W = pc.window columns (the columns of one
// workgroup): panel p holds keys p W .. (p+1) W - 1 transposed, pc.count rows (d padded
// to the k-chunk) of W floats, at pc.off_dst + p count W. A workgroup then reads one
// contiguous stream, and one vec4 load gives 4 consecutive keys; zero past d and past n,
// so no load needs a bounds check. pc.rows keys in all (a multiple of W).
// One invocation per key and 4 dimensions: one vec4 load (the texel view), 4 stores.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer t4;
layout(std430, binding = 0) writeonly buffer T { float t[]; };

void main()
{
    uint x = EF_LINEAR_ID, w = uint(pc.window), rows = uint(pc.count), ds4 = uint(pc.len) / 4u;
    uint keys = uint(pc.rows);
    if (x >= keys * (rows / 4u)) return;
    uint j = x % keys, c4 = x / keys;                 // consecutive keys in consecutive lanes
    vec4 v = vec4(0.0);
    if (j < uint(pc.n) && c4 < ds4) {
        v = imageLoad(t4, pc.off_src / 4 + int(j * ds4 + c4));
        if (pc.shift != 0) v = v - imageLoad(t4, pc.aux0 / 4 + int(c4)) / float(pc.n);
    }
    uint base = uint(pc.off_dst) + (j / w) * rows * w + 4u * c4 * w + j % w;
    for (uint s = 0u; s < 4u; s++) t[base + s * w] = 4u * c4 + s < uint(pc.d) ? v[s] : 0.0;
}
