/* backends/hostmem.h — buffers in host memory, shared by the two CPU backends (ref, cpu).
 * Host facts and the clock are core/host.h.
 */
#ifndef EF_HOSTMEM_H
#define EF_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "core/host.h"

/* A host buffer: the ef_buffer of the CPU backends. */
struct ef_buffer {
    size_t bytes;
    unsigned char *data;
};

int hostmem_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err);
void hostmem_free(ef_device *dev, ef_buffer *buf);
int hostmem_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src, size_t bytes,
                   ef_error *err);
int hostmem_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                     ef_error *err);

/* Decode `count` inputs stored in precision p into double / float. */
void hostmem_decode_f64(ef_precision p, const void *src, size_t count, double *dst);
void hostmem_decode_f32(ef_precision p, const void *src, size_t count, float *dst);

#endif
