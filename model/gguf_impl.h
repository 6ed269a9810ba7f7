/* model/gguf_impl.h — internals shared by gguf.c (parsing, tensors, hash) and
 * gguf_meta.c (typed metadata access): the handle, the key/value record, helpers.
 * Only model/gguf*.c include it.
 */
#ifndef EF_MODEL_GGUF_IMPL_H
#define EF_MODEL_GGUF_IMPL_H

#include "model/gguf.h"

typedef struct gguf_kv {
    char *key;          /* NUL-terminated copy */
    int type;           /* GGUF_TYPE_* */
    const uint8_t *val; /* scalar: the value; string: the bytes; array: first element */
    uint64_t len;       /* string: byte length */
    int elem_type;      /* arrays */
    uint64_t count;     /* arrays */
    uint64_t *str_pos;  /* string arrays: file offset of each element's u64 length */
} gguf_kv;

struct gguf_file {
    char *path;
    const uint8_t *map;
    uint64_t size;
    uint32_t version, alignment;
    uint64_t n_kv, n_tensors, data_start;
    gguf_kv *kv;
    gguf_kv **kv_by_key; /* sorted by key, for bsearch */
    gguf_tensor *tensors;
    gguf_tensor **t_by_name; /* sorted by name */
    char *names;             /* n_tensors * (GGUF_MAX_NAME + 1) bytes */
    char *arch;
    int hashed;
    char hash[65];
};

/* Bytes of a fixed-size value type; 0 for STRING and ARRAY. */
extern const uint8_t gguf_impl_type_size[GGUF_TYPE_COUNT];
/* "UINT32", ...; "invalid" for ids out of range. */
const char *gguf_impl_type_name(int t);
/* "path: message" into err (may be NULL); returns code. */
int gguf_impl_fail(ef_error *err, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The record of `key`, or NULL (binary search over the sorted keys). */
const gguf_kv *gguf_impl_kv(const gguf_file *f, const char *key);

/* Little-endian loads from the mapping (no alignment needed). */
static inline uint16_t gguf_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t gguf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t gguf_le64(const uint8_t *p)
{
    return gguf_le32(p) | (uint64_t)gguf_le32(p + 4) << 32;
}

#endif
