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

/* 16 floats at p as a float16 when `lanes` >= 16, else the first `lanes` of them and
 * zeros; the store writes only the first `lanes` (at most 16). */
float16 ef_load16(__global const float *p, int lanes)
{
    if (lanes >= 16) return vload16(0, p);
    float t[16];
    for (int i = 0; i < 16; i++) t[i] = i < lanes ? p[i] : 0.0f;
    return vload16(0, t);
}

void ef_store16(__global float *p, float16 v, int lanes)
{
    if (lanes >= 16) { vstore16(v, 0, p); return; }
    float t[16];
    vstore16(v, 0, t);
    for (int i = 0; i < lanes; i++) p[i] = t[i];
}

/* Tree pass shared by keys_tree_first and keys_tree_next, one work-item per 16 columns
 * c0.. (float16 lanes; `lanes` of them exist) and block `blk` of TREE_ROWS rows of level
 * b0 (already in the tree): it writes the levels b0+1 .. min(b0+TREE_LOG, L) above that
 * block, with no local memory and no barrier. Rows are read in order and each finished
 * pair is added at once (left + right, the tree's rounding); st[l] holds the pending left
 * node of level b0+l. The loops are unrolled (t is then a constant, so is every st index):
 * registers, no stack. */
#define GT 16           /* tile edge of the GPU forms of the Gram, rank-tail, leverage kernels */
#define TREE_ROWS 64
#define TREE_LOG 6
void ef_tree_item(__global float *tree, int n, int d, int b0, int L, int c0, int lanes, int blk)
{
    long off[TREE_LOG + 1];
    off[0] = ef_tree_offset(n, b0);
    #pragma unroll
    for (int l = 1; l <= TREE_LOG; l++) off[l] = off[l - 1] + ef_tree_rows(n, b0 + l - 1);
    const int rows0 = ef_tree_rows(n, b0);
    float16 st[TREE_LOG];
    #pragma unroll
    for (int t = 0; t < TREE_ROWS; t++) {
        const int row = blk * TREE_ROWS + t;
        float16 x = row < rows0 ? ef_load16(tree + (off[0] + row) * d + c0, lanes)
                                : (float16)(0.0f);
        int z = 0;
        #pragma unroll
        for (int l = 0; l < TREE_LOG; l++) {
            if (((t >> l) & 1) == 0) break;
            x = st[l] + x;
            z = l + 1;
            const int rb = row >> (l + 1);
            if (b0 + l + 1 <= L && rb < ef_tree_rows(n, b0 + l + 1))
                ef_store16(tree + (off[l + 1] + rb) * d + c0, x, lanes);
        }
        if (z < TREE_LOG) st[z] = x;
    }
}

/* Sum of the 16 lanes in a fixed order (pairs of halves): the deterministic horizontal sum
 * of the per-item vector accumulators. */
float ef_hsum16(float16 v)
{
    const float8 h8 = v.lo + v.hi;
    const float4 h4 = h8.lo + h8.hi;
    const float2 h2 = h4.lo + h4.hi;
    return h2.x + h2.y;
}
