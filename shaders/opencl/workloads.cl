// shaders/opencl/workloads.cl — the generic kernels (the generic launch of
// backends/backend.h): one kernel per workload, named after it, one work-item per element
// of out, each computed alone in a fixed order. A workload starts here; a tuned launcher
// (ocl_workloads.c) may replace it later, and EF_GENERIC_LAUNCH=1 still runs this one.
// Templated: pasted once per input precision (IN_T, LOAD_IN, KNAME from ocl_program.c).
// Arguments of every kernel, in this order:
//   q, k (n x d, IN_T), e (rows x n), aux, out (float), n, d, row0, rows, scale,
//   mask kind (0 full, 1 causal, 2 window), window, count (elements of out).

// COLENERGY: out[j] = sum over the block's rows r of E_rj^2, rows in order.
__kernel void KNAME(wl_colenergy)(__global const IN_T *q, __global const IN_T *k,
                                  __global const float *e, __global const float *aux,
                                  __global float *out, int n, int d, int row0, int rows,
                                  float scale, int mask, int window, int count)
{
    int j = get_global_id(0);
    if (j >= count) return;
    float acc = 0.0f;
    for (int r = 0; r < rows; r++) {
        float v = e[(size_t)r * n + j];
        acc = fma(v, v, acc);
    }
    out[j] = acc;
}

// RANKTAIL, a row block (rows < n; the whole field keeps ocl_ranktail_run): item i < d n:
// out[i] = P_blk[c][j] = sum over the block's rows r of U[row0 + r][c] E_rj, c = i / n,
// j = i % n, rows in order; item d n + r: out[d n + r] = ||E_r||^2, row r's squares in order.
__kernel void KNAME(wl_ranktail)(__global const IN_T *q, __global const IN_T *k,
                                 __global const float *e, __global const float *aux,
                                 __global float *out, int n, int d, int row0, int rows,
                                 float scale, int mask, int window, int count)
{
    int i = get_global_id(0);
    if (i >= count) return;
    float acc = 0.0f;
    if (i < d * n) {
        int c = i / n, j = i % n;
        for (int r = 0; r < rows; r++)
            acc = fma(aux[(size_t)(row0 + r) * d + c], e[(size_t)r * n + j], acc);
    } else {
        size_t r = (size_t)(i - d * n);
        for (int j = 0; j < n; j++) {
            float v = e[r * n + j];
            acc = fma(v, v, acc);
        }
    }
    out[i] = acc;
}
