#version 450
// shaders/vulkan/wl_colenergy.comp — the generic shader of COLENERGY (the generic launch of
// backends/backend.h): out[j] = sum over the block's rows r of E_rj^2, rows in order, one
// invocation per column. vk_colenergy_record's tuned forms replace it; EF_GENERIC_LAUNCH=1
// runs it. Bindings 0-4: q, k, e, aux, out; pc.count: elements of out.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 2) readonly buffer E { float e[]; };
layout(std430, binding = 4) writeonly buffer Out { float o[]; };

void main()
{
    uint j = EF_LINEAR_ID, n = uint(pc.n);
    if (j >= uint(pc.count)) return;
    float acc = 0.0;
    for (uint r = 0u; r < uint(pc.rows); r++) {
        float v = e[r * n + j];
        acc = fma(v, v, acc);
    }
    o[j] = acc;
}
