/* shaders/opencl/field.cl — kernels on float data only (built once, not per precision):
 * the upper passes of the key-sum tree, the reductions over a field block (rowsum,
 * colenergy), the Gram partial reduction, the rank tail, leverage scores, and the row
 * centering of the clBLAST variant. Host side: backends/opencl/ocl_workloads.c.
 */

/* Levels b0+1 .. b0+TREE_LOG of the key-sum tree from level b0 (common.cl). One item per
 * 16 columns and TREE_ROWS rows of level b0: global (ceil(d/16), ceil(rows(b0)/TREE_ROWS)). */
__kernel void keys_tree_next(__global float *tree, int n, int d, int b0, int L)
{
    const int c0 = get_global_id(0) * 16;
    if (c0 < d) ef_tree_item(tree, n, d, b0, L, c0, min(16, d - c0), get_global_id(1));
}

/* Tree sum of s[0 .. RED_WG) into s[0]; every item of the group calls it. */
void ef_local_sum2(__local float *s1, __local float *s2)
{
    const int t = get_local_id(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = RED_WG / 2; h > 0; h >>= 1) {
        if (t < h) { s1[t] += s1[t + h]; s2[t] += s2[t + h]; }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* out[r] = sum_j E_rj, out[rows + r] = sum_j |E_rj|. One group of RED_WG per row. */
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void field_rowsum(__global const float *e, int n, int rows, __global float *out)
{
    __local float s1[RED_WG], s2[RED_WG];
    const int r = get_group_id(0), t = get_local_id(0);
    __global const float *row = e + (size_t)r * n;
    float a = 0.0f, b = 0.0f;
    for (int j = t; j < n; j += RED_WG) { a += row[j]; b += fabs(row[j]); }
    s1[t] = a;
    s2[t] = b;
    ef_local_sum2(s1, s2);
    if (t == 0) { out[r] = s1[0]; out[rows + r] = s2[0]; }
}

/* out[j] = sum over the block's rows of E_rj^2, in blocks of 64 rows. */
__kernel void field_colenergy(__global const float *e, int n, int rows, __global float *out)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    float total = 0.0f;
    for (int r0 = 0; r0 < rows; r0 += 64) {
        float part = 0.0f;
        for (int r = r0; r < min(rows, r0 + 64); r++) {
            const float x = e[(size_t)r * n + j];
            part = fma(x, x, part);
        }
        total += part;
    }
    out[j] = total;
}

/* out[off + a*d + b] = sum over chunks of the Gram partials (gram.cl), both triangles from
 * the upper one (each form computes every a <= b), so the result is exactly symmetric. */
__kernel void gram_reduce(__global const float *part, int chunks, int d, int off,
                          __global float *out)
{
    const int t = get_global_id(0);
    if (t >= d * d) return;
    const int a = t / d, b = t % d;
    const size_t idx = a <= b ? (size_t)a * d + b : (size_t)b * d + a;
    float s = 0.0f;
    for (int ch = 0; ch < chunks; ch++) s += part[(size_t)ch * d * d + idx];
    out[off + t] = s;
}

/* Rank tail, step 1: wpart[ch] = U^T E over the `rows` rows of E in chunks of chunk_rows
 * (d x n each); E's row r goes with U's row row0 + r (a row block of the field starts at
 * row0, the whole field at 0). Global (ceil(n/GT)*GT, ceil(d/GT)*GT, chunks), local
 * (GT, GT, 1). */
__kernel __attribute__((reqd_work_group_size(GT, GT, 1)))
void rank_w_partial(__global const float *u, __global const float *e, int n, int d, int row0,
                    int rows, int chunk_rows, __global float *wpart)
{
    __local float Us[GT][GT + 1], Es[GT][GT + 1];   /* [row][column] */
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j0 = get_group_id(0) * GT, c0 = get_group_id(1) * GT, ch = get_group_id(2);
    const int rbeg = ch * chunk_rows, rend = min(rows, rbeg + chunk_rows);
    float acc = 0.0f;
    for (int r0 = rbeg; r0 < rend; r0 += GT) {
        const int r = r0 + ly;
        Us[ly][lx] = r < rend && c0 + lx < d ? u[(size_t)(row0 + r) * d + c0 + lx] : 0.0f;
        Es[ly][lx] = r < rend && j0 + lx < n ? e[(size_t)r * n + j0 + lx] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        float slice = 0.0f;
        for (int t = 0; t < GT; t++) slice = fma(Us[t][ly], Es[t][lx], slice);
        acc += slice;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int c = c0 + ly, j = j0 + lx;
    if (c < d && j < n) wpart[((size_t)ch * d + c) * n + j] = acc;
}

/* Rank tail, step 2: w = sum of the chunk partials in order (d x n). */
__kernel void rank_w_reduce(__global const float *wpart, int chunks, int d, int n,
                            __global float *w)
{
    const size_t t = get_global_id(0);
    if (t >= (size_t)d * n) return;
    float s = 0.0f;
    for (int ch = 0; ch < chunks; ch++) s += wpart[(size_t)ch * d * n + t];
    w[t] = s;
}

/* Rank tail, step 3: per GT x GT block of E, the sums of (E - U w)^2 and E^2, written to
 * part[2 * block], part[2 * block + 1]. */
__kernel __attribute__((reqd_work_group_size(GT, GT, 1)))
void rank_resid(__global const float *u, __global const float *w, __global const float *e,
                int n, int d, __global float *part)
{
    __local float Us[GT][GT + 1], Ws[GT][GT + 1];
    __local float s1[GT * GT], s2[GT * GT];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j = get_group_id(0) * GT + lx, i = get_group_id(1) * GT + ly;
    float acc = 0.0f;
    for (int c0 = 0; c0 < d; c0 += GT) {
        Us[ly][lx] = i < n && c0 + lx < d ? u[(size_t)i * d + c0 + lx] : 0.0f;
        Ws[ly][lx] = c0 + ly < d && j < n ? w[(size_t)(c0 + ly) * n + j] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = 0; t < GT; t++) acc = fma(Us[ly][t], Ws[t][lx], acc);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float x = i < n && j < n ? e[(size_t)i * n + j] : 0.0f;
    const float res = i < n && j < n ? x - acc : 0.0f;
    const int t = ly * GT + lx;
    s1[t] = res * res;
    s2[t] = x * x;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = GT * GT / 2; h > 0; h >>= 1) {
        if (t < h) { s1[t] += s1[t + h]; s2[t] += s2[t + h]; }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) {
        const size_t block = (size_t)get_group_id(1) * get_num_groups(0) + get_group_id(0);
        part[2 * block] = s1[0];
        part[2 * block + 1] = s2[0];
    }
}

/* out[0], out[1] = sums of the even and odd entries of part[0 .. 2*count), in one group:
 * each item adds blocks of 64 of its strided entries, then a tree. */
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void sum_pairs(__global const float *part, long count, __global float *out)
{
    __local float s1[RED_WG], s2[RED_WG];
    const int t = get_local_id(0);
    float a = 0.0f, b = 0.0f;
    for (long base = t; base < count; base += 64L * RED_WG) {
        float pa = 0.0f, pb = 0.0f;
        for (long x = base; x < min(count, base + 64L * RED_WG); x += RED_WG) {
            pa += part[2 * x];
            pb += part[2 * x + 1];
        }
        a += pa;
        b += pb;
    }
    s1[t] = a;
    s2[t] = b;
    ef_local_sum2(s1, s2);
    if (t == 0) { out[0] = s1[0]; out[1] = s2[0]; }
}

/* out[j] = || T kc_j ||^2 (T d x d). Local (GT, GT): ly a key row, lx an output row of T. */
__kernel __attribute__((reqd_work_group_size(GT, GT, 1)))
void leverage(__global const float *kc, __global const float *tmat, int n, int d,
              __global float *out)
{
    __local float As[GT][GT + 1], Ts[GT][GT + 1], S[GT][GT + 1];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j = get_group_id(0) * GT + ly;
    float sq = 0.0f;
    for (int r0 = 0; r0 < d; r0 += GT) {
        float acc = 0.0f;
        for (int c0 = 0; c0 < d; c0 += GT) {
            As[ly][lx] = j < n && c0 + lx < d ? kc[(size_t)j * d + c0 + lx] : 0.0f;
            Ts[ly][lx] = r0 + ly < d && c0 + lx < d ? tmat[(size_t)(r0 + ly) * d + c0 + lx] : 0.0f;
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int t = 0; t < GT; t++) acc = fma(As[ly][t], Ts[lx][t], acc);
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        sq = fma(acc, acc, sq);
    }
    S[ly][lx] = sq;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = GT / 2; h > 0; h >>= 1) {
        if (lx < h) S[ly][lx] += S[ly][lx + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lx == 0 && j < n) out[j] = S[ly][0];
}

/* e[r, :] -= mean of e[r, :] (the clBLAST variant's centering pass). One group per row. */
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void row_center(__global float *e, int n)
{
    __local float s1[RED_WG], s2[RED_WG];
    const int t = get_local_id(0);
    __global float *row = e + (size_t)get_group_id(0) * n;
    float a = 0.0f;
    for (int j = t; j < n; j += RED_WG) a += row[j];
    s1[t] = a;
    s2[t] = 0.0f;
    ef_local_sum2(s1, s2);
    const float mean = s1[0] / (float)n;
    for (int j = t; j < n; j += RED_WG) row[j] -= mean;
}
