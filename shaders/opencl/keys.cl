/* shaders/opencl/keys.cl — key statistics, pasted once per input precision (SUF, IN_T,
 * LOAD_IN): the first pass of the key-sum tree, the centered keys Kc = K - kbar, the
 * per-row shift c_i = a q_i . (m_i - kbar) of the masked fields, and a plain conversion.
 * Host side: backends/opencl/ocl_energy.c.
 */

/* Level 0 (the keys as float) and levels 1..TREE_LOG of the tree. L = ceil(log2 n).
 * Global (ceil(d/4)*4, ceil(n/64)*64), local (TREE_COLS, TREE_ROWS). */
__kernel __attribute__((reqd_work_group_size(TREE_COLS, TREE_ROWS, 1)))
void KNAME(keys_tree_first)(__global const IN_T *k, int n, int d, int L,
                            __global float *tree)
{
    __local float s[TREE_ROWS * TREE_COLS];
    const int c = get_global_id(0), row = get_global_id(1);
    float v = 0.0f;
    if (c < d && row < n) {
        v = LOAD_IN(k, (size_t)row * d + c);
        tree[(size_t)row * d + c] = v;
    }
    ef_tree_pass(s, v, n, d, 0, L, tree);
}

/* kc (n x d) = k - kbar, kbar = tree root / n. Global n*d rounded up. */
__kernel void KNAME(keys_center)(__global const IN_T *k, int n, int d, int L,
                                 __global const float *tree, __global float *kc)
{
    const size_t t = get_global_id(0);
    if (t >= (size_t)n * d) return;
    const int c = (int)(t % d);
    const float kbar = tree[ef_tree_offset(n, L) * d + c] / (float)n;
    kc[t] = LOAD_IN(k, t) - kbar;
}

/* shift[r] = a q_i . (m_i - kbar) (center = 1) or a q_i . m_i (center = 0), i = row0 + r,
 * m_i the mean of the keys row i sees (full: all, causal: 0..i, window: i-w+1..i). With
 * the centered keys, E_ij = a q_i . kc_j - shift[r]; with raw keys (tensor cores),
 * E_ij = a q_i . k_j - shift[r]. One group of 64 per row: lane t takes columns t, t+64,
 * ... (coalesced tree reads). */
__kernel __attribute__((reqd_work_group_size(64, 1, 1)))
void KNAME(row_shift)(__global const IN_T *q, int n, int d, int L,
                      __global const float *tree, int kind, int window, int center,
                      int row0, int rows, float scale, __global float *shift)
{
    __local float s[64];
    const int r = get_group_id(0), t = get_local_id(0);
    const int i = row0 + r;
    const int lo = kind == MASK_WINDOW ? max(0, i - window + 1) : 0;
    const int hi = kind == MASK_FULL ? n - 1 : i;
    const float count = (float)(hi - lo + 1);
    const long root = ef_tree_offset(n, L) * d;
    float acc = 0.0f;
    for (int c = t; c < d; c += 64) {
        const float m = ef_tree_range_sum(tree, n, d, c, lo, hi) / count;
        const float kbar = center ? tree[root + c] / (float)n : 0.0f;
        acc = fma(LOAD_IN(q, (size_t)i * d + c), m - kbar, acc);
    }
    s[t] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = 32; h > 0; h >>= 1) {
        if (t < h) s[t] += s[t + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) shift[r] = scale * s[0];
}

/* y[t] = x[t] as float, t < count (the clBLAST variant's inputs). */
__kernel void KNAME(to_f32)(__global const IN_T *x, long count, __global float *y)
{
    const size_t t = get_global_id(0);
    if (t < (size_t)count) y[t] = LOAD_IN(x, t);
}
