/* shaders/opencl/passes.cl — the CPU forms of the passes (float data only; gram.cl holds
 * the Gram one, per input precision): no local memory, no barrier, each work-item a long
 * run of float16 vector loads into register accumulators, summed in a fixed order
 * (deterministic). The GPU forms (workgroup trees, local-memory tiles) are in field.cl and
 * gram.cl; backends/opencl/ocl_tune.c times both on the device and keeps the faster.
 * Host side: backends/opencl/ocl_workloads.c.
 */
#define PASS_COLS 64    /* columns per item of colenergy_strips */
#define LEV_ROWS 4      /* keys per item of leverage_rows */
#define LEV_COLS 32     /* outputs of T per register tile of leverage_rows (ldt % 32 == 0) */
#define RANK_A 8        /* rows of U^T E (rank_w_rows) or of E (rank_resid_rows) per item;
                           its columns: 32 (ocl_workloads.c's global sizes too) */

/* Columns j0 .. j0+15 of a row of n floats, zero past n. */
float16 ef_row16(__global const float *row, int n, int j0)
{
    return j0 + 16 <= n ? vload16(0, row + j0) : ef_load16(row + j0, n - j0);
}

/* out[r] = sum_j E_rj, out[rows + r] = sum_j |E_rj|: one item per row, four float16
 * accumulators per sum (32 columns a step), then lanes and tail in a fixed order. */
__kernel void rowsum_rows(__global const float *e, int n, int rows, __global float *out)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float *row = e + (size_t)r * n;
    float16 s0 = (float16)(0.0f), s1 = s0, a0 = s0, a1 = s0;
    int j = 0;
    for (; j + 32 <= n; j += 32) {
        const float16 x0 = vload16(0, row + j), x1 = vload16(0, row + j + 16);
        s0 += x0;
        s1 += x1;
        a0 += fabs(x0);
        a1 += fabs(x1);
    }
    float ts = 0.0f, ta = 0.0f;
    for (; j < n; j++) {
        ts += row[j];
        ta += fabs(row[j]);
    }
    out[r] = ef_hsum16(s0 + s1) + ts;
    out[rows + r] = ef_hsum16(a0 + a1) + ta;
}

/* out[off + r] = sum_j E_rj^2 (ranktail's row norms of a row block): one item per row,
 * like rowsum_rows. */
__kernel void row_squares(__global const float *e, int n, int rows, int off, __global float *out)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float *row = e + (size_t)r * n;
    float16 s0 = (float16)(0.0f), s1 = s0;
    int j = 0;
    for (; j + 32 <= n; j += 32) {
        const float16 x0 = vload16(0, row + j), x1 = vload16(0, row + j + 16);
        s0 = fma(x0, x0, s0);
        s1 = fma(x1, x1, s1);
    }
    float t = 0.0f;
    for (; j < n; j++) t = fma(row[j], row[j], t);
    out[off + r] = ef_hsum16(s0 + s1) + t;
}

/* out[j] = sum over the block's rows of E_rj^2, one item per PASS_COLS columns: the rows
 * in blocks of 64 (fma within a block, then the block added to the total), the same
 * arithmetic per column as field_colenergy. */
__kernel void colenergy_strips(__global const float *e, int n, int rows, __global float *out)
{
    const int j0 = get_global_id(0) * PASS_COLS;
    if (j0 >= n) return;
    if (j0 + PASS_COLS <= n) {
        float16 t0 = (float16)(0.0f), t1 = t0, t2 = t0, t3 = t0;
        for (int r0 = 0; r0 < rows; r0 += 64) {
            float16 p0 = (float16)(0.0f), p1 = p0, p2 = p0, p3 = p0;
            const int r1 = min(rows, r0 + 64);
            for (int r = r0; r < r1; r++) {
                __global const float *x = e + (size_t)r * n + j0;
                const float16 x0 = vload16(0, x), x1 = vload16(1, x);
                const float16 x2 = vload16(2, x), x3 = vload16(3, x);
                p0 = fma(x0, x0, p0);
                p1 = fma(x1, x1, p1);
                p2 = fma(x2, x2, p2);
                p3 = fma(x3, x3, p3);
            }
            t0 += p0;
            t1 += p1;
            t2 += p2;
            t3 += p3;
        }
        vstore16(t0, 0, out + j0);
        vstore16(t1, 1, out + j0);
        vstore16(t2, 2, out + j0);
        vstore16(t3, 3, out + j0);
        return;
    }
    for (int j = j0; j < n; j++) {          /* the last, partial strip */
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
}

/* tt[c * ldt + r] = T[r][c] for r < d, 0 for d <= r < ldt (leverage_rows' operand).
 * Global (ldt, d). */
__kernel void transpose_pad(__global const float *tmat, int d, int ldt, __global float *tt)
{
    const int r = get_global_id(0), c = get_global_id(1);
    if (r < ldt && c < d) tt[(size_t)c * ldt + r] = r < d ? tmat[(size_t)r * d + c] : 0.0f;
}

/* out[j] = || T kc_j ||^2, one item per LEV_ROWS keys: per LEV_COLS outputs of T a register
 * tile sum_c kc_jc tt[c][r..] (two float16 per key), squared into float16 sums, then the
 * lanes in a fixed order. */
__kernel void leverage_rows(__global const float *kc, __global const float *tt, int ldt, int n,
                            int d, __global float *out)
{
    const int j0 = get_global_id(0) * LEV_ROWS;
    if (j0 >= n) return;
    __global const float *kr[LEV_ROWS];
    #pragma unroll
    for (int m = 0; m < LEV_ROWS; m++) kr[m] = kc + (size_t)min(j0 + m, n - 1) * d;
    float16 sq[LEV_ROWS];
    #pragma unroll
    for (int m = 0; m < LEV_ROWS; m++) sq[m] = (float16)(0.0f);
    for (int r0 = 0; r0 < d; r0 += LEV_COLS) {
        float16 acc[LEV_ROWS][2];
        #pragma unroll
        for (int m = 0; m < LEV_ROWS; m++) acc[m][0] = acc[m][1] = (float16)(0.0f);
        __global const float *tp = tt + r0;
        for (int c = 0; c < d; c++, tp += ldt) {
            const float16 b0 = vload16(0, tp), b1 = vload16(1, tp);
            #pragma unroll
            for (int m = 0; m < LEV_ROWS; m++) {
                const float16 a = (float16)(kr[m][c]);
                acc[m][0] = fma(a, b0, acc[m][0]);
                acc[m][1] = fma(a, b1, acc[m][1]);
            }
        }
        #pragma unroll
        for (int m = 0; m < LEV_ROWS; m++) {
            sq[m] = fma(acc[m][0], acc[m][0], sq[m]);
            sq[m] = fma(acc[m][1], acc[m][1], sq[m]);
        }
    }
    #pragma unroll
    for (int m = 0; m < LEV_ROWS; m++)
        if (j0 + m < n) out[j0 + m] = ef_hsum16(sq[m]);
}

/* Rank tail, the CPU form of rank_w_partial (the same arguments and result): item (ca, jb,
 * chunk) holds wpart[chunk][c][j] for c in ca*RANK_A + 0..RANK_A-1, j in jb*32 + 0..31, summed
 * over the chunk's rows r of E in order, each with U's row row0 + r: a register tile,
 * float16 loads along E's rows, no local memory. Global (ceil(d/RANK_A), ceil(n/32),
 * chunks). */
__kernel void rank_w_rows(__global const float *u, __global const float *e, int n, int d,
                          int row0, int rows, int chunk_rows, __global float *wpart)
{
    const int c0 = get_global_id(0) * RANK_A, j0 = get_global_id(1) * 32;
    const int ch = get_global_id(2);
    if (c0 >= d || j0 >= n) return;
    const int rbeg = ch * chunk_rows, rend = min(rows, rbeg + chunk_rows);
    float16 acc[RANK_A][2];
    #pragma unroll
    for (int m = 0; m < RANK_A; m++) acc[m][0] = acc[m][1] = (float16)(0.0f);
    for (int r = rbeg; r < rend; r++) {
        __global const float *er = e + (size_t)r * n;
        const float16 x0 = ef_row16(er, n, j0), x1 = ef_row16(er, n, j0 + 16);
        __global const float *ur = u + (size_t)(row0 + r) * d;
        #pragma unroll
        for (int m = 0; m < RANK_A; m++) {
            const float16 a = (float16)(c0 + m < d ? ur[c0 + m] : 0.0f);
            acc[m][0] = fma(a, x0, acc[m][0]);
            acc[m][1] = fma(a, x1, acc[m][1]);
        }
    }
    #pragma unroll
    for (int m = 0; m < RANK_A; m++) {
        if (c0 + m >= d) break;
        __global float *dst = wpart + ((size_t)ch * d + c0 + m) * n + j0;
        ef_store16(dst, acc[m][0], n - j0);
        if (j0 + 16 < n) ef_store16(dst + 16, acc[m][1], n - j0 - 16);
    }
}

/* Rank tail, the CPU form of rank_resid (the same arguments): item (jb, ib) holds the
 * RANK_A x 32 tile of U W at rows ib*RANK_A.., columns jb*32.. (a register tile: c = 0..d-1
 * in order, float16 loads along W's rows), then writes the tile's sums of (E - U W)^2 and
 * E^2, rows in order, to part[2 item], part[2 item + 1], item = ib * (global size 0) + jb.
 * Global (ceil(n/32) rounded up to the local size, ceil(n/RANK_A)). */
__kernel void rank_resid_rows(__global const float *u, __global const float *w,
                              __global const float *e, int n, int d, __global float *part)
{
    const int j0 = get_global_id(0) * 32, i0 = get_global_id(1) * RANK_A;
    const size_t item = (size_t)get_global_id(1) * get_global_size(0) + get_global_id(0);
    if (j0 >= n || i0 >= n) { /* a padding item of the rounded global size adds nothing */
        part[2 * item] = part[2 * item + 1] = 0.0f;
        return;
    }
    float16 acc[RANK_A][2];
    #pragma unroll
    for (int m = 0; m < RANK_A; m++) acc[m][0] = acc[m][1] = (float16)(0.0f);
    for (int c = 0; c < d; c++) {
        __global const float *wr = w + (size_t)c * n;
        const float16 w0 = ef_row16(wr, n, j0), w1 = ef_row16(wr, n, j0 + 16);
        #pragma unroll
        for (int m = 0; m < RANK_A; m++) {
            const float16 a = (float16)(i0 + m < n ? u[(size_t)(i0 + m) * d + c] : 0.0f);
            acc[m][0] = fma(a, w0, acc[m][0]);
            acc[m][1] = fma(a, w1, acc[m][1]);
        }
    }
    float16 s1 = (float16)(0.0f), s2 = s1;
    #pragma unroll
    for (int m = 0; m < RANK_A; m++) {
        if (i0 + m >= n) break;
        __global const float *er = e + (size_t)(i0 + m) * n;
        const float16 x0 = ef_row16(er, n, j0), x1 = ef_row16(er, n, j0 + 16);
        const float16 r0 = x0 - acc[m][0], r1 = x1 - acc[m][1];
        /* lanes past n: x and U W are both 0 there */
        s1 = fma(r0, r0, s1);
        s1 = fma(r1, r1, s1);
        s2 = fma(x0, x0, s2);
        s2 = fma(x1, x1, s2);
    }
    part[2 * item] = ef_hsum16(s1);
    part[2 * item + 1] = ef_hsum16(s2);
}
