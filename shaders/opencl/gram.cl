/* shaders/opencl/gram.cl — tall-skinny Gram products X^T X, pasted once per input
 * precision (SUF, IN_T, LOAD_IN). Split along n: each chunk of `chunk_rows` rows writes its
 * own partial d x d (the tiles that touch the upper triangle); gram_reduce (field.cl) adds
 * the partials in a fixed order (deterministic) and fills both triangles from the upper.
 * Two forms, chosen per device by measurement (backends/opencl/ocl_tune.c):
 * gram_partial (GPU: a GT x GT tile per workgroup through local memory) and gram_rows
 * (CPU: a GRAM_A x 32 register tile per work-item, float16 loads along the rows of X, no
 * local memory, no barrier). Host side: backends/opencl/ocl_workloads.c.
 */
#define GRAM_A 8 /* rows a of X^T X per gram_rows item (ocl_gram_one too); columns b: 32 */
__kernel __attribute__((reqd_work_group_size(GT, GT, 1)))
void KNAME(gram_partial)(__global const IN_T *x, int n, int d, int chunk_rows,
                         __global float *part)
{
    __local float A[GT][GT + 1], B[GT][GT + 1];    /* [row][column] */
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int tiles = (d + GT - 1) / GT;
    int ta = 0, rem = get_group_id(0);             /* pair -> (ta, tb), ta <= tb */
    while (rem >= tiles - ta) { rem -= tiles - ta; ta++; }
    const int tb = ta + rem;
    const int ch = get_group_id(1);
    const int rbeg = ch * chunk_rows, rend = min(n, rbeg + chunk_rows);
    const int ca = ta * GT + lx, cb = tb * GT + lx;
    float acc = 0.0f;
    for (int r0 = rbeg; r0 < rend; r0 += GT) {
        const int r = r0 + ly;
        A[ly][lx] = r < rend && ca < d ? LOAD_IN(x, (size_t)r * d + ca) : 0.0f;
        B[ly][lx] = r < rend && cb < d ? LOAD_IN(x, (size_t)r * d + cb) : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        float slice = 0.0f;                        /* blocked: GT rows, then the total */
        for (int t = 0; t < GT; t++) slice = fma(A[t][ly], B[t][lx], slice);
        acc += slice;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int a = ta * GT + ly, b = tb * GT + lx;
    if (a < d && b < d) part[((size_t)ch * d + a) * d + b] = acc;
}

/* Columns c0 .. c0+15 of row r of x as float16, zero past d. */
float16 KNAME(ef_load_row16)(__global const IN_T *x, int d, int r, int c0)
{
    if (c0 + 16 <= d) return LOAD_IN16(x, (size_t)r * d + c0);
    float t[16];
    for (int i = 0; i < 16; i++) t[i] = c0 + i < d ? LOAD_IN(x, (size_t)r * d + c0 + i) : 0.0f;
    return vload16(0, t);
}

/* Item (ta, tb, chunk): part[chunk][a][b] for a in ta*GRAM_A + 0..GRAM_A-1, b in
 * tb*32 + 0..31, summed over the chunk's rows in order; tiles wholly below the diagonal
 * return at once. With `center`, the rows are centered as they are read: x_rc - xbar_c,
 * xbar = the key tree's root (at element `root`) / n, the same float operation as
 * keys_center, so the centered keys need no pass of their own. Global (ceil(d/GRAM_A),
 * ceil(d/32), chunks). */
__kernel void KNAME(gram_rows)(__global const IN_T *x, int n, int d, int chunk_rows,
                               __global const float *tree, long root, int center,
                               __global float *part)
{
    const int a0 = get_global_id(0) * GRAM_A, b0 = get_global_id(1) * 32;
    const int ch = get_global_id(2);
    if (a0 >= d || b0 >= d || a0 > b0 + 31) return;
    const int rbeg = ch * chunk_rows, rend = min(n, rbeg + chunk_rows);
    /* the means (0 without centering: x - 0 is x) of the item's columns */
    float16 mb0 = (float16)(0.0f), mb1 = mb0;
    float ma[GRAM_A];
    #pragma unroll
    for (int m = 0; m < GRAM_A; m++) ma[m] = 0.0f;
    if (center) {
        mb0 = ef_load16(tree + root + b0, min(16, d - b0)) / (float)n;
        if (b0 + 16 < d) mb1 = ef_load16(tree + root + b0 + 16, min(16, d - b0 - 16)) / (float)n;
        #pragma unroll
        for (int m = 0; m < GRAM_A; m++) ma[m] = a0 + m < d ? tree[root + a0 + m] / (float)n : 0.0f;
    }
    float16 acc[GRAM_A][2];
    #pragma unroll
    for (int m = 0; m < GRAM_A; m++) acc[m][0] = acc[m][1] = (float16)(0.0f);
    for (int r = rbeg; r < rend; r++) {
        const float16 x0 = KNAME(ef_load_row16)(x, d, r, b0) - mb0;
        const float16 x1 = KNAME(ef_load_row16)(x, d, r, b0 + 16) - mb1;
        #pragma unroll
        for (int m = 0; m < GRAM_A; m++) {
            const float16 a =
                (float16)(a0 + m < d ? LOAD_IN(x, (size_t)r * d + a0 + m) - ma[m] : 0.0f);
            acc[m][0] = fma(a, x0, acc[m][0]);
            acc[m][1] = fma(a, x1, acc[m][1]);
        }
    }
    #pragma unroll
    for (int m = 0; m < GRAM_A; m++) {
        __global float *dst = part + ((size_t)ch * d + a0 + m) * d + b0;
        if (a0 + m < d && b0 + 32 <= d) {
            vstore16(acc[m][0], 0, dst);
            vstore16(acc[m][1], 1, dst);
        } else if (a0 + m < d) {
            ef_store16(dst, acc[m][0], d - b0);
            if (b0 + 16 < d) ef_store16(dst + 16, acc[m][1], d - b0 - 16);
        }
    }
}
