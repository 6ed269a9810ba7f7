#version 450
// shaders/vulkan/peak_fma.comp — fp32 multiply-add throughput for the Vulkan backend's
// measure_peak (backends/vulkan/vk_peak.c); computes nothing of the energy field.
// Each invocation runs 24 independent chains (6 vec4 in registers: enough to hide the
// latency, few enough that a 32-register CPU keeps them) for 16 pc.count steps:
// x = x b + c with b = pc.scale in (0, 1) stays finite and normal; the chains are summed
// and written once (o[id]), so none can be dropped. A step is 24 multiply-adds per
// invocation. The 16 steps of a loop iteration are unrolled: llvmpipe keeps a value that
// lives across a loop iteration in memory behind the execution mask, which a step per
// iteration would measure instead of the arithmetic. Written a * b + c, which drivers
// contract to an FMA where they have one (lavapipe lowers fma() to the same two).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) writeonly buffer O { float o[]; };

void main()
{
    uint id = EF_LINEAR_ID;
    float b = pc.scale, c = 1.0e-3 * float(pc.aux0), s = float(id) * 1.0e-7;
    vec4 a0 = vec4(s, s + 0.1, s + 0.2, s + 0.3), a1 = a0 + 0.4, a2 = a0 + 0.8, a3 = a0 + 1.2;
    vec4 a4 = a0 + 1.6, a5 = a0 + 2.0;
    for (int i = 0; i < pc.count; i++) {
        [[unroll]] for (int u = 0; u < 16; u++) {
            a0 = a0 * b + c;
            a1 = a1 * b + c;
            a2 = a2 * b + c;
            a3 = a3 * b + c;
            a4 = a4 * b + c;
            a5 = a5 * b + c;
        }
    }
    vec4 t = ((a0 + a1) + (a2 + a3)) + (a4 + a5);
    if (id < uint(pc.len)) o[id] = (t.x + t.y) + (t.z + t.w);
}
