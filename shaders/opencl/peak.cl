// shaders/opencl/peak.cl — the kernels of the OpenCL backend's measure_peak
// (backends/opencl/ocl_peak.c): fp32 FMA throughput and copy bandwidth.
// Nothing else uses them; they compute nothing of the energy field.

// PEAK_W (build option): lanes of each accumulator. 4 on a GPU (scalar lanes anyway);
// 16 on a CPU driver, whose vectorizer does not pack work-items around a loop: there the
// SIMD width has to come from the item's own vector type.
#ifndef PEAK_W
#define PEAK_W 4
#endif
#define PEAK_CAT_(a, b) a##b
#define PEAK_CAT(a, b) PEAK_CAT_(a, b)
typedef PEAK_CAT(float, PEAK_W) peak_t;
#if PEAK_W == 16
#define PEAK_LANES (peak_t)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#elif PEAK_W == 8
#define PEAK_LANES (peak_t)(0, 1, 2, 3, 4, 5, 6, 7)
#else
#define PEAK_LANES (peak_t)(0, 1, 2, 3)
#endif

// Each item runs 8 PEAK_W independent FMA chains held in registers (8 accumulators cover
// the FMA latency of a CPU's two pipes and a GPU's), `iters` steps each: x = x b + c with
// 0 < b < 1 stays finite and normal. fma, not mad: the energy kernels use fma, and some
// drivers (PoCL) expand mad into a multiply and an add. The chains are summed and written
// once, so none can be dropped. A step is 8 PEAK_W FMAs per item.
__kernel void peak_fma(__global float *out, float b, float c, int iters)
{
    peak_t a0 = (peak_t)((float)get_global_id(0) * 1.0e-7f) + PEAK_LANES * 0.01f;
    peak_t a1 = a0 + 0.3f, a2 = a0 + 0.6f, a3 = a0 + 0.9f;
    peak_t a4 = a0 + 1.2f, a5 = a0 + 1.5f, a6 = a0 + 1.8f, a7 = a0 + 2.1f;
    peak_t vb = (peak_t)(b), vc = (peak_t)(c);
    for (int i = 0; i < iters; i++) {
        a0 = fma(a0, vb, vc);
        a1 = fma(a1, vb, vc);
        a2 = fma(a2, vb, vc);
        a3 = fma(a3, vb, vc);
        a4 = fma(a4, vb, vc);
        a5 = fma(a5, vb, vc);
        a6 = fma(a6, vb, vc);
        a7 = fma(a7, vb, vc);
    }
    peak_t t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    float s = 0.0f;
    for (int l = 0; l < PEAK_W; l++) s += ((float *)&t)[l];
    out[get_global_id(0)] = s;
}

// dst = src, one float4 per item: reads and writes every byte once.
__kernel void peak_copy(__global const float4 *src, __global float4 *dst)
{
    size_t i = get_global_id(0);
    dst[i] = src[i];
}
