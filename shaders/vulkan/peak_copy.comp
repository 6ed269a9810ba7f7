#version 450
// shaders/vulkan/peak_copy.comp — memory bandwidth for the Vulkan backend's measure_peak
// (backends/vulkan/vk_peak.c): dst = src over pc.len uvec4, so every byte is read once
// and written once. Each invocation copies pc.count of them, pc.len / pc.count apart
// (neighbouring invocations stay on neighbouring addresses; a CPU driver pays its
// per-invocation cost once per pc.count copies).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 0) readonly buffer S { uvec4 src[]; };
layout(std430, binding = 1) writeonly buffer D { uvec4 dst[]; };

void main()
{
    uint id = EF_LINEAR_ID, stride = uint(pc.len) / uint(pc.count);
    if (id >= stride) return;
    for (uint k = 0u; k < uint(pc.count); k++) dst[id + k * stride] = src[id + k * stride];
}
