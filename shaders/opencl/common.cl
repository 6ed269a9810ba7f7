/* shaders/opencl/common.cl — prelude of every efbench OpenCL program: name pasting for
 * the per-precision copies of the templated files (keys.cl, gram.cl, energy*.cl are pasted
 * once per input precision by backends/opencl/ocl_program.c), the mask rule, and the
 * key-sum tree. Build defines: RED_WG (reduction workgroup size, a power of two).
 */
#define EF_CAT2(a, b) a##_##b
#define EF_CAT(a, b) EF_CAT2(a, b)
#define KNAME(x) EF_CAT(x, SUF)

/* ef_mask_kind of backends/backend.h */
#define MASK_FULL 0
#define MASK_CAUSAL 1
#define MASK_WINDOW 2

/* 1 if key j is visible from query row i. `extra` = 1 moves the upper boundary one key
 * to the right (EF_FAULT_MASK_OFF_BY_ONE: row i also sees key i + 1). */
int ef_visible(int kind, int window, int extra, int i, int j)
{
    if (kind == MASK_FULL) return 1;
    if (j > i + extra) return 0;
    if (kind == MASK_WINDOW && j <= i - window) return 0;
    return 1;
}

/* The key-sum tree: level 0 is the keys (n x d, float); level b holds ceil(n / 2^b) rows,
 * row t the pairwise sum of level b-1 rows 2t and 2t+1 (a missing row counts as 0), so a
 * level-b entry is the sum of an aligned block of 2^b keys with b roundings. Levels are
 * stored one after another, each row d floats. */
int ef_tree_rows(int n, int b) { return (n + (1 << b) - 1) >> b; }

long ef_tree_offset(int n, int b)
{
    long off = 0;
    for (int t = 0; t < b; t++) off += ef_tree_rows(n, t);
    return off;
}

/* Sum of keys lo..hi (inclusive) in column c from aligned tree blocks (bottom-up segment
 * tree). Each side adds its blocks smallest first, so a key takes at most
 * floor(log2(hi - lo + 1)) + 2 roundings. */
float ef_tree_range_sum(__global const float *tree, int n, int d, int c, int lo, int hi)
{
    float left = 0.0f, right = 0.0f;
    int l = lo, r = hi + 1;
    long off = 0;
    for (int b = 0; l < r; b++) {
        if (l & 1) { left = left + tree[(off + l) * d + c]; l++; }
        if (r & 1) { r--; right = tree[(off + r) * d + c] + right; }
        off += ef_tree_rows(n, b);
        l >>= 1;
        r >>= 1;
    }
    return left + right;
}

/* Tree pass shared by keys_tree_first and keys_tree_next: this workgroup holds TREE_ROWS
 * rows (g*TREE_ROWS ..) of level b0 for TREE_COLS columns, `v` is this item's value; it
 * writes levels b0+1 .. min(b0+TREE_LOG, L). Local size (TREE_COLS, TREE_ROWS). */
#define GT 16           /* tile edge of the Gram, rank-tail and leverage kernels */
#define TREE_COLS 4
#define TREE_ROWS 64
#define TREE_LOG 6
void ef_tree_pass(__local float *s, float v, int n, int d, int b0, int L,
                  __global float *tree)
{
    const int lc = get_local_id(0), lr = get_local_id(1);
    const int c = get_global_id(0), g = get_group_id(1);
    s[lr * TREE_COLS + lc] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = 1; t <= TREE_LOG && b0 + t <= L; t++) {
        const int cnt = TREE_ROWS >> t;
        float x = 0.0f;
        if (lr < cnt) x = s[2 * lr * TREE_COLS + lc] + s[(2 * lr + 1) * TREE_COLS + lc];
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lr < cnt) {
            s[lr * TREE_COLS + lc] = x;
            const int row = g * cnt + lr, b = b0 + t;
            if (c < d && row < ef_tree_rows(n, b))
                tree[(ef_tree_offset(n, b) + row) * d + c] = x;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
