/* backends/opencl/ocl_mma.c — fp16/bf16 energy on NVIDIA tensor cores (energy_mma.cl,
 * inline PTX mma.sync m16n8k16, fp32 accumulate), detected by platform vendor. On first
 * use the kernel is built and checked against a float64 host product on a small fixed
 * problem; a build failure or a wrong result turns the path off (dev->mma_note says why)
 * and the portable kernel runs instead (its path then ends in "-mma-off"). EF_OPENCL_MMA:
 * 0 off; require: fp16/bf16 energy is unsupported, with the reason, when the path is off;
 * emulate: the fragment emulation on any device (how PoCL tests the layout).
 * Called by ocl_energy.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "ocl_internal.h"

enum { MMA_CHECK_N = 80, MMA_CHECK_D = 40 };

static void ocl_mma_off(ef_device *dev, const char *why)
{
    dev->mma_state = -1;
    snprintf(dev->mma_note, sizeof dev->mma_note, "%s", why);
}

static void ocl_mma_release(ef_device *dev)
{
    for (int p = 0; p < 2; p++) {
        if (dev->mma_k[p]) clReleaseKernel(dev->mma_k[p]);
        dev->mma_k[p] = NULL;
    }
    if (dev->mma) clReleaseProgram(dev->mma);
    dev->mma = NULL;
}

/* E = a Q K^T (shift 0, full mask) of fp16 (bf16 = 0) or bf16 (1) inputs on the device
 * against float64 on the host. A fragment-layout mistake gives O(1) errors; rounding gives
 * ~1e-6 of max |E|. */
static int ocl_mma_check_one(ef_device *dev, int bf16, char *why, size_t len)
{
    const int n = MMA_CHECK_N, d = MMA_CHECK_D;
    uint16_t q[MMA_CHECK_N * MMA_CHECK_D], k[MMA_CHECK_N * MMA_CHECK_D];
    float e[MMA_CHECK_N * MMA_CHECK_N], zero[MMA_CHECK_N] = {0};
    for (int i = 0; i < n * d; i++) {
        float x = (float)((i * 37 + 11) % 101) / 50.0f - 1.0f;
        float y = (float)((i * 53 + 7) % 89) / 44.0f - 1.0f;
        q[i] = bf16 ? ef_f32_to_bf16(x) : ef_f32_to_f16(x);
        k[i] = bf16 ? ef_f32_to_bf16(y) : ef_f32_to_f16(y);
    }
    cl_int ce = CL_SUCCESS;
    cl_mem bq = clCreateBuffer(dev->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof q, q, &ce);
    cl_mem bk = clCreateBuffer(dev->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof k, k, &ce);
    cl_mem bs =
        clCreateBuffer(dev->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof zero, zero, &ce);
    cl_mem be = clCreateBuffer(dev->ctx, CL_MEM_WRITE_ONLY, sizeof e, NULL, &ce);
    int ok = 0;
    if (!bq || !bk || !bs || !be) {
        snprintf(why, len, "tensor-core self-check: no buffers (%s)", ocl_error_name(ce));
        goto release;
    }
    float scale = 0.25f;
    int zi = 0, rows = n;
    ocl_arg a[] = {OCLA(bq), OCLA(bk),   OCLA(bs),    OCLA(be), OCLA(rows), OCLA(d),
                   OCLA(zi), OCLA(rows), OCLA(scale), OCLA(zi), OCLA(zi),   OCLA(zi)};
    size_t local[2] = {256, 1}, global[2] = {ocl_round_up(n, 128) * 2, ocl_round_up(n, 128) / 128};
    ocl_timer t = {0};
    ef_error err;
    double ms;
    int rc = ocl_kernel_run(dev, dev->mma_k[bf16], a, OCL_COUNT(a), 2, global, local, &t, &err);
    if (rc == EF_OK) rc = ocl_timer_finish(dev, &t, &ms, &err);
    ocl_timer_release(&t);
    if (rc == EF_OK) {
        ce = clEnqueueReadBuffer(dev->queue, be, CL_TRUE, 0, sizeof e, e, 0, NULL, NULL);
        if (ce != CL_SUCCESS) rc = ocl_fail(&err, ce, "reading the self-check result");
    }
    if (rc != EF_OK) {
        snprintf(why, len, "tensor-core self-check did not run: %.150s", err.msg);
        goto release;
    }
    double worst = 0, top = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double ref = 0;
            for (int c = 0; c < d; c++)
                ref += bf16 ? (double)ef_bf16_to_f32(q[i * d + c]) * ef_bf16_to_f32(k[j * d + c])
                            : (double)ef_f16_to_f32(q[i * d + c]) * ef_f16_to_f32(k[j * d + c]);
            ref *= scale;
            if (fabs(ref) > top) top = fabs(ref);
            double diff = fabs(ref - e[i * n + j]);
            if (!(diff <= worst)) worst = diff;
        }
    ok = worst <= 1e-3 * top;
    if (!ok)
        snprintf(why, len, "tensor-core self-check (%s) failed: max |error| %.3g of max |E| %.3g",
                 bf16 ? "bf16" : "f16", worst, top);
release:
    if (bq) clReleaseMemObject(bq);
    if (bk) clReleaseMemObject(bk);
    if (bs) clReleaseMemObject(bs);
    if (be) clReleaseMemObject(be);
    return ok;
}

static int ocl_mma_check(ef_device *dev, char *why, size_t len)
{
    return ocl_mma_check_one(dev, 0, why, len) && ocl_mma_check_one(dev, 1, why, len);
}

int ocl_mma_use(ef_device *dev)
{
    if (dev->mma_state) return dev->mma_state > 0;
    const char *env = getenv("EF_OPENCL_MMA");
    int emulate = env && strcmp(env, "emulate") == 0;
    int off = env && strcmp(env, "0") == 0;
    dev->mma_require = env && strcmp(env, "require") == 0;
    if (off || (!dev->is_nvidia && !emulate)) {
        ocl_mma_off(dev, off ? "tensor cores off (EF_OPENCL_MMA=0)"
                             : "tensor cores: NVIDIA platforms only");
        return 0;
    }
    ef_error err;
    char why[200];
    if (ocl_program_mma_build(dev, emulate, &dev->mma, dev->mma_k, &err) != EF_OK) {
        snprintf(why, sizeof why, "tensor-core kernel did not build: %.150s", err.msg);
        ocl_mma_off(dev, why);
        return 0;
    }
    dev->mma_emulate = emulate;
    if (!ocl_mma_check(dev, why, sizeof why)) {
        ocl_mma_release(dev);
        ocl_mma_off(dev, why);
        return 0;
    }
    dev->mma_state = 1;
    return 1;
}

int ocl_mma_energy(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    int n = op->n, d = op->d, row0 = op->row0, rows = op->rows, rc;
    int kind = (int)op->mask.kind, window = op->mask.window;
    int extra = op->fault == EF_FAULT_MASK_OFF_BY_ONE && kind != EF_MASK_FULL;
    float scale = (float)op->scale;
    ocl_timer t = {0};
    cl_mem shift = NULL;
    if ((rc = ocl_keys_prepare(dev, op, OCL_KEYS_TREE, &t, err)) != EF_OK) goto done;
    if ((rc = ocl_row_shift(dev, op, 0, &shift, &t, err)) != EF_OK) goto done;
    size_t local[2] = {256, 1}; /* 128 x 128 per group of 8 warps: energy_mma.cl */
    size_t global[2] = {ocl_round_up(n, 128) * 2, ocl_round_up(rows, 128) / 128};
    ocl_arg a[] = {OCLA(op->q->mem), OCLA(op->k->mem), OCLA(shift),  OCLA(op->e->mem),
                   OCLA(n),          OCLA(d),          OCLA(row0),   OCLA(rows),
                   OCLA(scale),      OCLA(kind),       OCLA(window), OCLA(extra)};
    cl_kernel k = dev->mma_k[op->precision == EF_PREC_BF16];
    if ((rc = ocl_kernel_run(dev, k, a, OCL_COUNT(a), 2, global, local, &t, err))) goto done;
    rc = ocl_timer_finish(dev, &t, &res->time_ms, err);
    if (rc == EF_OK)
        snprintf(res->path, sizeof res->path, "mma-%s-m16n8k16-128x128%s%s",
                 op->precision == EF_PREC_BF16 ? "bf16" : "f16",
                 dev->mma_emulate ? "-emulated" : "", extra ? "-fault" : "");
done:
    ocl_timer_release(&t);
    return rc;
}
