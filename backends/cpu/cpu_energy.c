/* backends/cpu/cpu_energy.c — the float32 energy field on the CPU through OpenBLAS sgemm:
 * the full mask as keys centered once, then one multithreaded GEMM; the masks go to
 * cpu_masked.c. Called by cpu_backend.c.
 */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "cpu_internal.h"

static int energy_full(ef_device *dev, const ef_op *op, float *E, ef_error *err)
{
    cpu_inputs in;
    int rc = cpu_inputs_get(dev, op, 1, &in, err);
    if (rc) return rc;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, op->rows, op->n, op->d, (float)op->scale,
                in.q + (size_t)op->row0 * op->d, op->d, in.kc, op->d, 0.0f, E, op->n);
    return EF_OK;
}

int cpu_energy(ef_device *dev, const ef_op *op, char *path, size_t path_len, ef_error *err)
{
    if (op->mask.kind == EF_MASK_FULL) {
        if (op->fault != EF_FAULT_NONE)
            return ef_fail(err, EF_UNSUPPORTED, "the mask fault needs a causal or window mask");
        snprintf(path, path_len, "sgemm-centered");
        return energy_full(dev, op, (float *)op->e->data, err);
    }
    return cpu_energy_masked(dev, op, (float *)op->e->data, path, path_len, err);
}
