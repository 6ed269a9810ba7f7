#version 450
// shaders/vulkan/rowsum4.comp — ROWSUM in the CPU shape: one invocation per row r of the
// field block (n a multiple of 4), reading the row 4 values at a time through the vec4
// texel view of E (binding 6), 16 vec4 per unrolled step (llvmpipe keeps a value that
// lives across a loop iteration in memory behind the execution mask: once per step, not
// once per value): out[r] = sum_j E_rj, out[rows + r] = sum_j |E_rj|. Each sum runs
// over j in a fixed order (two vec4 partials by j mod 8, folded at the end): deterministic.
// Called by vk_workloads.c.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(binding = 6, rgba32f) uniform readonly imageBuffer e4;
layout(std430, binding = 1) writeonly buffer O { float o[]; };

const int STEP = 16;   // vec4 per unrolled step

void main()
{
    uint r = EF_LINEAR_ID, rows = uint(pc.rows);
    if (r >= rows) return;
    int n4 = pc.n / 4, base = int(r) * n4, full = n4 / STEP * STEP;
    vec4 s0 = vec4(0.0), s1 = vec4(0.0), a0 = vec4(0.0), a1 = vec4(0.0);
    for (int j = 0; j < full; j += STEP) {
        [[unroll]] for (int u = 0; u < STEP; u += 2) {
            vec4 v = imageLoad(e4, base + j + u), w = imageLoad(e4, base + j + u + 1);
            s0 += v; a0 += abs(v);
            s1 += w; a1 += abs(w);
        }
    }
    for (int j = full; j < n4; j++) {
        vec4 v = imageLoad(e4, base + j);
        s0 += v; a0 += abs(v);
    }
    vec4 s = s0 + s1, a = a0 + a1;
    o[r] = (s.x + s.y) + (s.z + s.w);
    o[rows + r] = (a.x + a.y) + (a.z + a.w);
}
