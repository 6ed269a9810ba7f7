/* shaders/opencl/gram.cl — tall-skinny Gram products X^T X, pasted once per input
 * precision (SUF, IN_T, LOAD_IN). Split along n: workgroup (pair, chunk) computes one
 * GT x GT tile of the upper block triangle over `chunk_rows` rows and writes it to its own
 * partial; gram_reduce (field.cl) adds the partials in a fixed order (deterministic).
 * Host side: backends/opencl/ocl_workloads.c.
 */
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
