#version 450
// shaders/vulkan/peak_fma.comp — fp32 multiply-add throughput for the Vulkan backend's
// measure_peak (backends/vulkan/vk_peak.c); computes nothing of the energy field.
// Each invocation runs 32 independent chains (8 vec4 in registers) for pc.count steps:
// x = x b + c with b = pc.scale in (0, 1) stays finite and normal; the chains are summed
// and written once (o[id]), so none can be dropped. A step is 32 multiply-adds per
// invocation. Written a * b + c, which drivers contract to an FMA: fma() asks for the
// exact fused operation, which lavapipe computes 4x slower.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) writeonly buffer O { float o[]; };

void main()
{
    uint id = EF_LINEAR_ID;
    float b = pc.scale, c = 1.0e-3 * float(pc.aux0), s = float(id) * 1.0e-7;
    vec4 a0 = vec4(s, s + 0.1, s + 0.2, s + 0.3), a1 = a0 + 0.4, a2 = a0 + 0.8, a3 = a0 + 1.2;
    vec4 a4 = a0 + 1.6, a5 = a0 + 2.0, a6 = a0 + 2.4, a7 = a0 + 2.8;
    for (int i = 0; i < pc.count; i++) {
        a0 = a0 * b + c;
        a1 = a1 * b + c;
        a2 = a2 * b + c;
        a3 = a3 * b + c;
        a4 = a4 * b + c;
        a5 = a5 * b + c;
        a6 = a6 * b + c;
        a7 = a7 * b + c;
    }
    vec4 t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    if (id < uint(pc.len)) o[id] = (t.x + t.y) + (t.z + t.w);
}
