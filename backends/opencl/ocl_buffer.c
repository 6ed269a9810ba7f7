/* backends/opencl/ocl_buffer.c — device buffers for the harness (alloc, upload, download)
 * and the backend's own scratch buffers (key-sum tree, centered keys, partial sums), kept
 * in the ef_device and grown on demand. Transfers are blocking.
 */
#include <stdlib.h>

#include "ocl_internal.h"

/* Allocate a device buffer of `bytes`, checked against the device's largest allocation. */
static int ocl_mem_create(ef_device *dev, size_t bytes, cl_mem *mem, ef_error *err)
{
    cl_int e;
    if (bytes == 0) bytes = 4;
    if (bytes > dev->info.max_buffer_bytes)
        return ef_fail(err, EF_NOMEM,
                       "an OpenCL buffer of %zu bytes exceeds the largest "
                       "allocation of %s (%llu bytes)",
                       bytes, dev->info.name, (unsigned long long)dev->info.max_buffer_bytes);
    *mem = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes, NULL, &e);
    if (e != CL_SUCCESS) {
        int code = e == CL_OUT_OF_RESOURCES ? EF_NOMEM : ocl_error_code(e);
        return ef_fail(err, code, "allocating an OpenCL buffer of %zu bytes: %s (%d)", bytes,
                       ocl_error_name(e), (int)e);
    }
    return EF_OK;
}

int ocl_buffer_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err)
{
    ef_buffer *b = calloc(1, sizeof *b);
    if (!b) return ef_fail(err, EF_NOMEM, "out of host memory for a buffer handle");
    int rc = ocl_mem_create(dev, bytes, &b->mem, err);
    if (rc != EF_OK) {
        free(b);
        return rc;
    }
    b->bytes = bytes;
    *buf = b;
    return EF_OK;
}

void ocl_buffer_free(ef_device *dev, ef_buffer *buf)
{
    (void)dev;
    if (!buf) return;
    if (buf->mem) clReleaseMemObject(buf->mem);
    free(buf);
}

static int ocl_range_check(const ef_buffer *buf, size_t offset, size_t bytes, const char *what,
                           ef_error *err)
{
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return ef_fail(err, EF_ERROR, "%s of %zu bytes at offset %zu outside a buffer of %zu", what,
                       bytes, offset, buf->bytes);
    return EF_OK;
}

int ocl_buffer_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                      ef_error *err)
{
    int rc = ocl_range_check(buf, offset, bytes, "upload", err);
    if (rc != EF_OK || bytes == 0) return rc;
    cl_int e =
        clEnqueueWriteBuffer(dev->queue, buf->mem, CL_TRUE, offset, bytes, src, 0, NULL, NULL);
    return e == CL_SUCCESS ? EF_OK : ocl_fail(err, e, "uploading to an OpenCL buffer");
}

int ocl_buffer_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                        ef_error *err)
{
    int rc = ocl_range_check(buf, offset, bytes, "download", err);
    if (rc != EF_OK || bytes == 0) return rc;
    cl_int e =
        clEnqueueReadBuffer(dev->queue, buf->mem, CL_TRUE, offset, bytes, dst, 0, NULL, NULL);
    return e == CL_SUCCESS ? EF_OK : ocl_fail(err, e, "downloading from an OpenCL buffer");
}

/* The tree (2 n d), centered keys twice (n d each), U^T E (d n), q as float (n d), the
 * shifts (n), and the partials of ranktail's direct form: up to 64 chunks of d n, within
 * 256 MiB unless one chunk is more (ocl_workloads.c). */
double ocl_scratch_bytes(ef_device *dev, int n, int d)
{
    (void)dev;
    double chunk = 4.0 * n * d, cap = 256.0 * (1 << 20);
    double part = 64 * chunk < cap ? 64 * chunk : chunk > cap ? chunk : cap;
    return 4.0 * (6.0 * n * d + n) + part;
}

int ocl_scratch_get(ef_device *dev, ocl_scratch_id id, size_t bytes, cl_mem *mem, ef_error *err)
{
    if (dev->scratch[id] && dev->scratch_bytes[id] >= bytes) {
        *mem = dev->scratch[id];
        return EF_OK;
    }
    if (dev->scratch[id]) {
        clReleaseMemObject(dev->scratch[id]);
        dev->scratch[id] = NULL;
        dev->scratch_bytes[id] = 0;
    }
    int rc = ocl_mem_create(dev, bytes, &dev->scratch[id], err);
    if (rc != EF_OK) return rc;
    dev->scratch_bytes[id] = bytes;
    *mem = dev->scratch[id];
    return EF_OK;
}

void ocl_scratch_free_all(ef_device *dev)
{
    for (int i = 0; i < OCLS_COUNT; i++) {
        if (dev->scratch[i]) clReleaseMemObject(dev->scratch[i]);
        dev->scratch[i] = NULL;
        dev->scratch_bytes[i] = 0;
    }
}
