/* shaders/opencl/keys.cl — key statistics, pasted once per input precision (SUF, IN_T,
 * LOAD_IN): the first pass of the key-sum tree, the centered keys Kc = K - kbar, the
 * per-row shift c_i = a q_i . (m_i - kbar) of the masked fields, and a plain conversion.
 * Host side: backends/opencl/ocl_energy.c.
 */

/* Level 0 (the keys as float) and levels 1..TREE_LOG of the tree. L = ceil(log2 n).
 * One item per 16 columns and TREE_ROWS keys: global (ceil(d/16), ceil(n/TREE_ROWS)). */
__kernel void KNAME(keys_tree_first)(__global const IN_T *k, int n, int d, int L,
                                     __global float *tree)
{
    const int c0 = get_global_id(0) * 16, blk = get_global_id(1);
    if (c0 >= d) return;
    const int lanes = min(16, d - c0), end = min(n, (blk + 1) * TREE_ROWS);
    for (int row = blk * TREE_ROWS; row < end; row++) {
        const size_t at = (size_t)row * d + c0;
        if (lanes == 16) {
            vstore16(LOAD_IN16(k, at), 0, tree + at);
        } else {
            for (int i = 0; i < lanes; i++) tree[at + i] = LOAD_IN(k, at + i);
        }
    }
    ef_tree_item(tree, n, d, 0, L, c0, lanes, blk);   /* reads back its own writes */
}

/* kc (n x d) = k - kbar, kbar = the tree's root (at element `root`) / n.
 * Global (ceil(d/16)*16, ceil(n/16)*16), local (16, 16). */
__kernel void KNAME(keys_center)(__global const IN_T *k, int n, int d,
                                 __global const float *tree, long root, __global float *kc)
{
    const int c = get_global_id(0), j = get_global_id(1);
    if (c >= d || j >= n) return;
    kc[(size_t)j * d + c] = LOAD_IN(k, (size_t)j * d + c) - tree[root + c] / (float)n;
}

/* The same centered keys TRANSPOSED for energy_cpu.cl: kt[c * ldk + j] = k_jc - kbar_c for
 * j < n, 0 for n <= j < ldk (the CPU kernel's vector loads may run past n). One item per
 * 16 x 16 block (keys j0.., components c0..), transposed through private memory: rows are
 * read and columns written as float16. Global (ldk / 16, ceil(d / 16)); ldk % 16 == 0. */
__kernel void KNAME(keys_center_t)(__global const IN_T *k, int n, int d,
                                   __global const float *tree, long root, int ldk,
                                   __global float *kt)
{
    const int j0 = get_global_id(0) * 16, c0 = get_global_id(1) * 16;
    if (j0 >= ldk || c0 >= d) return;
    const int lanes = min(16, d - c0);
    const float16 kb = ef_load16(tree + root + c0, lanes) / (float)n;
    float t[16][16];
    for (int jj = 0; jj < 16; jj++) {
        const int j = j0 + jj;
        float16 x = (float16)(0.0f);
        if (j < n && lanes == 16) {
            x = LOAD_IN16(k, (size_t)j * d + c0) - kb;
        } else if (j < n) {
            float u[16];
            for (int i = 0; i < 16; i++)
                u[i] = i < lanes ? LOAD_IN(k, (size_t)j * d + c0 + i) : 0.0f;
            x = vload16(0, u) - kb;
        }
        vstore16(x, 0, t[jj]);
    }
    for (int cc = 0; cc < lanes; cc++) {
        float16 col;
        float u[16];
        for (int jj = 0; jj < 16; jj++) u[jj] = t[jj][cc];
        col = vload16(0, u);
        vstore16(col, 0, kt + (size_t)(c0 + cc) * ldk + j0);
    }
}

/* shift[r] = a q_i . (m_i - kbar) (center = 1) or a q_i . m_i (center = 0), i = row0 + r,
 * m_i the mean of the keys row i sees (full: all, causal: 0..i, window: i-w+1..i). With
 * the centered keys, E_ij = a q_i . kc_j - shift[r]; with raw keys (tensor cores),
 * E_ij = a q_i . k_j - shift[r]. One work-item per row, no barrier: the segment-tree walk
 * depends on the row only, so it runs once, recording the nodes each side adds, and the
 * nodes are then summed per 16 columns on float16 in the walk's order (each column's mean
 * rounds exactly as ef_tree_range_sum's). The dot product is summed in 16 lanes in column
 * order, then across the lanes in a fixed order. */
__kernel void KNAME(row_shift)(__global const IN_T *q, int n, int d,
                               __global const float *tree, long root,
                               int kind, int window, int center, int row0, int rows,
                               float scale, __global float *shift)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int i = row0 + r;
    const int lo = kind == MASK_WINDOW ? max(0, i - window + 1) : 0;
    const int hi = kind == MASK_FULL ? n - 1 : i;
    const float count = (float)(hi - lo + 1);
    int lnode[32], rnode[32];   /* tree rows: at most one per level and side (< 2n rows) */
    int nl = 0, nr = 0;
    {
        int l = lo, rr = hi + 1, off = 0;
        for (int b = 0; l < rr; b++) {
            if (l & 1) { lnode[nl++] = off + l; l++; }
            if (rr & 1) { rr--; rnode[nr++] = off + rr; }
            off += ef_tree_rows(n, b);
            l >>= 1;
            rr >>= 1;
        }
    }
    float16 acc = (float16)(0.0f);
    int c = 0;
    for (; c + 16 <= d; c += 16) {
        float16 left = (float16)(0.0f), right = (float16)(0.0f);
        for (int t = 0; t < nl; t++) left = left + vload16(0, tree + (size_t)lnode[t] * d + c);
        for (int t = 0; t < nr; t++) right = vload16(0, tree + (size_t)rnode[t] * d + c) + right;
        const float16 m = (left + right) / count;
        const float16 kb = center ? vload16(0, tree + root + c) / (float)n : (float16)(0.0f);
        acc = fma(LOAD_IN16(q, (size_t)i * d + c), m - kb, acc);
    }
    float tail = 0.0f;
    for (; c < d; c++) {
        const float m = ef_tree_range_sum(tree, n, d, c, lo, hi) / count;
        const float kb = center ? tree[root + c] / (float)n : 0.0f;
        tail = fma(LOAD_IN(q, (size_t)i * d + c), m - kb, tail);
    }
    shift[r] = scale * (ef_hsum16(acc) + tail);
}

/* y[t] = x[t] as float, t < count (the clBLAST variant's inputs). */
__kernel void KNAME(to_f32)(__global const IN_T *x, long count, __global float *y)
{
    const size_t t = get_global_id(0);
    if (t < (size_t)count) y[t] = LOAD_IN(x, t);
}
