#version 450
// shaders/vulkan/wl_ranktail.comp — the generic shader of RANKTAIL for a row block (rows <
// n; the whole field keeps vk_ranktail_record's two passes): invocation i < d n writes
// P_blk[c][j] = sum over the block's rows r of U[row0 + r][c] E_rj (c = i / n, j = i % n),
// rows in order; invocation d n + r writes ||E_r||^2, row r's squares in order. (One row
// per invocation, not the block's total: lavapipe stops any invocation's loops after
// 65535 iterations in all.) Bindings 0-4: q, k, e, aux = U_Q (n x d), out; pc.count:
// elements of out.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1) in;
layout(std430, binding = 2) readonly buffer E { float e[]; };
layout(std430, binding = 3) readonly buffer U { float u[]; };
layout(std430, binding = 4) writeonly buffer Out { float o[]; };

void main()
{
    uint i = EF_LINEAR_ID, n = uint(pc.n), d = uint(pc.d), row0 = uint(pc.row0), rows = uint(pc.rows);
    if (i >= uint(pc.count)) return;
    float acc = 0.0;
    if (i < d * n) {
        uint c = i / n, j = i % n;
        for (uint r = 0u; r < rows; r++) acc = fma(u[(row0 + r) * d + c], e[r * n + j], acc);
    } else {
        uint r = i - d * n;
        for (uint j = 0u; j < n; j++) {
            float v = e[r * n + j];
            acc = fma(v, v, acc);
        }
    }
    o[i] = acc;
}
