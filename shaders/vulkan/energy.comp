#version 450
// shaders/vulkan/energy.comp — the fused energy field, one tiled GEMM per mask:
//   E_rj = a q_i . kt_j - c_r   (i = row0 + r; kt = keys centered over all n positions;
//   c_r = 0 for the full field, else sh[off_dst + r] from row_shift.comp), 0 where key j is not visible.
// Workgroup: WGX x WGY threads, each TM x TN results (block BM = TM WGY rows by
// BN = TN WGX keys); both operands staged k-major in shared memory, BK at a time.
// Masked tiles that see no key only write their zeros. Called by vk_workloads.c.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x_id = 1, local_size_y_id = 2) in;
layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) readonly buffer T { float kt[]; };
layout(std430, binding = 2) readonly buffer S { float sh[]; };
layout(std430, binding = 3) writeonly buffer E { float e[]; };

const uint WGX = gl_WorkGroupSize.x, WGY = gl_WorkGroupSize.y;
const uint BM = uint(TM) * WGY, BN = uint(TN) * WGX;
shared float qs[BK * BM];
shared float ks[BK * BN];

bool visible(int i, int j)
{
    return MASKED == 0 || (j <= i + pc.shift && j > i - pc.window);
}

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * WGX + tx, nthreads = WGX * WGY;
    uint n = uint(pc.n), d = uint(pc.d), rows = uint(pc.rows);
    uint rbase = gl_WorkGroupID.y * BM, jbase = gl_WorkGroupID.x * BN;

    bool any = true;
    if (MASKED != 0) {
        int ilo = pc.row0 + int(rbase), ihi = pc.row0 + int(min(rbase + BM, rows)) - 1;
        int jlo = int(jbase), jhi = int(min(jbase + BN, n)) - 1;
        any = jlo <= ihi + pc.shift && jhi > ilo - pc.window;
    }
    if (!any) {
        for (uint im = 0u; im < uint(TM); im++)
            for (uint jn = 0u; jn < uint(TN); jn++) {
                uint r = rbase + ty + WGY * im, j = jbase + tx + WGX * jn;
                if (r < rows && j < n) e[r * n + j] = 0.0;
            }
        return;
    }

    float acc[TM][TN];
    for (uint im = 0u; im < uint(TM); im++)
        for (uint jn = 0u; jn < uint(TN); jn++) acc[im][jn] = 0.0;

    for (uint k0 = 0u; k0 < d; k0 += uint(BK)) {
        for (uint x = tid; x < uint(BK) * BM; x += nthreads) {
            uint m = x / uint(BK), kk = x % uint(BK);
            uint r = rbase + m, c = k0 + kk;
            qs[kk * BM + m] = r < rows && c < d
                ? EF_DECODE(q, (uint(pc.row0) + r) * d + c) : 0.0;
        }
        for (uint x = tid; x < uint(BK) * BN; x += nthreads) {
            uint m = x / uint(BK), kk = x % uint(BK);
            uint j = jbase + m, c = k0 + kk;
            ks[kk * BN + m] = j < n && c < d ? kt[j * d + c] : 0.0;
        }
        barrier();
        uint kend = min(uint(BK), d - k0);
        for (uint kk = 0u; kk < kend; kk++) {
            float a[TM], b[TN];
            for (uint im = 0u; im < uint(TM); im++) a[im] = qs[kk * BM + ty + WGY * im];
            for (uint jn = 0u; jn < uint(TN); jn++) b[jn] = ks[kk * BN + tx + WGX * jn];
            for (uint im = 0u; im < uint(TM); im++)
                for (uint jn = 0u; jn < uint(TN); jn++)
                    acc[im][jn] = fma(a[im], b[jn], acc[im][jn]);
        }
        barrier();
    }

    for (uint im = 0u; im < uint(TM); im++) {
        uint r = rbase + ty + WGY * im;
        if (r >= rows) continue;
        int i = pc.row0 + int(r);
        float c = MASKED != 0 ? sh[uint(pc.off_dst) + r] : 0.0;
        for (uint jn = 0u; jn < uint(TN); jn++) {
            uint j = jbase + tx + WGX * jn;
            if (j >= n) continue;
            e[r * n + j] = visible(i, int(j)) ? pc.scale * acc[im][jn] - c : 0.0;
        }
    }
}
