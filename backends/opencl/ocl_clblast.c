/* backends/opencl/ocl_clblast.c — the `clblast` variant of `energy` (full mask): the
 * library peer of the fused kernel, S = a Q K^T by clBLAST SGEMM in its column-major form
 * (ColMajor, TransA = Yes, TransB = No, A = K, B = Q: no transpose pass), then a row
 * centering pass (field.cl). Timed by wall clock: clBLAST's event covers only its last
 * kernel. Without clBLAST at configure time the variant is not offered.
 */
#include <stdio.h>
#include <time.h>

#include "ocl_internal.h"

/* clBLAST 1.5.3 aborted the process at n = 16384 on an H200 (2026-11-28); n = 8192 ran. */
enum { OCL_CLBLAST_MAX_N = 8192 };

#ifdef EF_HAVE_CLBLAST
#include <clblast_c.h>

int ocl_clblast_available(void) { return 1; }

static double ocl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* fp16 / bf16 inputs: `count` elements of x into a float scratch buffer. */
static int ocl_clblast_widen(ef_device *dev, const ef_op *op, cl_mem x, size_t count,
                             ocl_scratch_id id, cl_mem *out, ocl_timer *t, ef_error *err)
{
    int rc = ocl_scratch_get(dev, id, count * sizeof(float), out, err);
    if (rc != EF_OK) return rc;
    long cnt = (long)count;
    size_t l1 = 64, g1 = ocl_round_up(count, 64);
    ocl_arg a[] = {OCLA(x), OCLA(cnt), OCLA(*out)};
    return ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_TO_F32, op->precision), a, OCL_COUNT(a), 1,
                          &g1, &l1, t, err);
}

int ocl_clblast_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    const int n = op->n, d = op->d, rows = op->rows;
    int rc;
    if (op->mask.kind != EF_MASK_FULL)
        return ef_fail(err, EF_UNSUPPORTED, "the clblast variant computes the full field only");
    if (n > OCL_CLBLAST_MAX_N)
        return ef_fail(err, EF_UNSUPPORTED,
                       "the clblast variant runs up to n = %d (clBLAST "
                       "1.5.3 aborted the process at n = 16384 on an H200); n = %d",
                       OCL_CLBLAST_MAX_N, n);
    if ((rc = ocl_program_aux_build(dev, err)) != EF_OK) return rc;

    ocl_timer t = {0};
    cl_mem qf = op->q->mem, kf = op->k->mem;
    size_t qoff = (size_t)op->row0 * d;
    double t0 = ocl_wall_ms();
    if (op->precision != EF_PREC_FP32) {
        /* widen only this block's query rows: a sub-range of q as its own kernel input */
        if ((rc = ocl_clblast_widen(dev, op, op->k->mem, (size_t)n * d, OCLS_KC, &kf, &t, err)) ||
            (rc = ocl_clblast_widen(dev, op, op->q->mem, (size_t)(op->row0 + rows) * d, OCLS_QF,
                                    &qf, &t, err)))
            goto done;
    }
    cl_event ev = NULL;
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutColMajor, CLBlastTransposeYes, CLBlastTransposeNo, (size_t)n,
                     (size_t)rows, (size_t)d, (float)op->scale, kf, 0, (size_t)d, qf, qoff,
                     (size_t)d, 0.0f, op->e->mem, 0, (size_t)n, &dev->queue, &ev);
    if (ev) clReleaseEvent(ev);
    if (s != CLBlastSuccess) {
        rc = ef_fail(err,
                     s == CLBlastTempBufferAllocFailure || s == CLBlastOpenCLOutOfHostMemory
                         ? EF_NOMEM
                         : EF_ERROR,
                     "clBLAST SGEMM (m %d, n %d, k %d) failed with status %d%s%s", n, rows, d,
                     (int)s, (int)s < 0 && (int)s > -100 ? ": " : "",
                     (int)s < 0 && (int)s > -100 ? ocl_error_name((cl_int)s) : "");
        goto done;
    }
    size_t local = (size_t)dev->red_wg, global = (size_t)rows * local;
    ocl_arg a[] = {OCLA(op->e->mem), OCLA(n)};
    rc = ocl_kernel_run(dev, ocl_kernel_get(dev, OCLK_ROW_CENTER, 0), a, OCL_COUNT(a), 1, &global,
                        &local, &t, err);
    if (rc != EF_OK) goto done;
    double ignored;
    if ((rc = ocl_timer_finish(dev, &t, &ignored, err)) != EF_OK) goto done;
    res->time_ms = ocl_wall_ms() - t0;
    snprintf(res->path, sizeof res->path, "clblast-sgemm-colmajor+center");
done:
    ocl_timer_release(&t);
    return rc;
}

#else

int ocl_clblast_available(void) { return 0; }

int ocl_clblast_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    (void)dev, (void)op, (void)res;
    return ef_fail(err, EF_UNSUPPORTED,
                   "built without clBLAST (libclblast-dev not found at "
                   "configure time)");
}

#endif
