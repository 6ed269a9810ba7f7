#version 450
// shaders/vulkan/colenergy4.comp — COLENERGY in the CPU shape, first pass: one invocation
// per 4 consecutive columns (n a multiple of 4) and chunk s of pc.len rows (workgroup y),
// reading through the vec4 texel view of E (binding 6), 16 rows per unrolled step:
// partial[s][j] = sum over the chunk's rows of E_rj^2, in row order, at pc.off_dst.
// reduce.comp adds the chunks in order: deterministic. Chunks, not whole columns: the
// SIMD groups of a workgroup run one after another, so a chunk keeps the pages a
// workgroup walks few enough for the TLB and the prefetchers.
// Called by vk_workloads.c.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer e4;
layout(std430, binding = 1) writeonly buffer P { vec4 p4[]; };

const int STEP = 16;   // rows per unrolled step

void main()
{
    uint x = gl_GlobalInvocationID.x, s = gl_WorkGroupID.y;
    int n4 = pc.n / 4, r0 = int(s) * pc.len, r1 = min(r0 + pc.len, pc.rows);
    if (x >= uint(n4)) return;
    int full = r0 + (r1 - r0) / STEP * STEP;
    vec4 acc = vec4(0.0);
    for (int r = r0; r < full; r += STEP) {
        [[unroll]] for (int u = 0; u < STEP; u++) {
            vec4 v = imageLoad(e4, (r + u) * n4 + int(x));
            acc = fma(v, v, acc);
        }
    }
    for (int r = full; r < r1; r++) {
        vec4 v = imageLoad(e4, r * n4 + int(x));
        acc = fma(v, v, acc);
    }
    p4[uint(pc.off_dst) / 4u + s * uint(n4) + x] = acc;
}
