/* backends/hostmem.c — host buffers for the two CPU backends (ref, cpu): plain malloc'd
 * memory; uploads and downloads are copies. Also the decoding of fp16/bf16 inputs.
 */
#include "hostmem.h"

#include <stdlib.h>
#include <string.h>

#include "core/half.h"

int hostmem_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err)
{
    (void)dev;
    ef_buffer *b = malloc(sizeof *b);
    void *data = malloc(bytes ? bytes : 1);
    if (!b || !data) {
        free(b);
        free(data);
        return ef_fail(err, EF_NOMEM, "host buffer of %zu bytes: out of memory", bytes);
    }
    b->bytes = bytes;
    b->data = data;
    *buf = b;
    return EF_OK;
}

void hostmem_free(ef_device *dev, ef_buffer *buf)
{
    (void)dev;
    if (!buf) return;
    free(buf->data);
    free(buf);
}

int hostmem_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                   ef_error *err)
{
    (void)dev;
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return ef_fail(err, EF_ERROR, "upload of %zu bytes at %zu past a %zu-byte buffer", bytes,
                       offset, buf->bytes);
    memcpy(buf->data + offset, src, bytes);
    return EF_OK;
}

int hostmem_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                     ef_error *err)
{
    (void)dev;
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return ef_fail(err, EF_ERROR, "download of %zu bytes at %zu past a %zu-byte buffer", bytes,
                       offset, buf->bytes);
    memcpy(dst, buf->data + offset, bytes);
    return EF_OK;
}

void hostmem_decode_f64(ef_precision p, const void *src, size_t count, double *dst)
{
    const float *f = src;
    const uint16_t *h = src;
    for (size_t i = 0; i < count; i++)
        dst[i] = p == EF_PREC_FP32   ? f[i]
                 : p == EF_PREC_FP16 ? ef_f16_to_f32(h[i])
                                     : ef_bf16_to_f32(h[i]);
}

void hostmem_decode_f32(ef_precision p, const void *src, size_t count, float *dst)
{
    const uint16_t *h = src;
    if (p == EF_PREC_FP32) {
        memcpy(dst, src, count * sizeof(float));
        return;
    }
    for (size_t i = 0; i < count; i++)
        dst[i] = p == EF_PREC_FP16 ? ef_f16_to_f32(h[i]) : ef_bf16_to_f32(h[i]);
}
