/* model/gguf.h — read-only, memory-mapped GGUF v2/v3 files: metadata and tensors.
 * Every size and offset is bounds-checked against the file, so a hostile file yields an
 * error naming the file and the problem, never a crash. Tensor data stays in the mapping
 * and is dequantised row by row (dequant.h). Callers: the forward pass and model source.
 */
#ifndef EF_MODEL_GGUF_H
#define EF_MODEL_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "model/dequant.h"

/* Metadata value types (GGUF numbering). */
enum {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT
};

/* Reader limits (beyond these a file is rejected as absurd). */
#define GGUF_MAX_TENSORS (1u << 20)
#define GGUF_MAX_KV (1u << 20)
#define GGUF_MAX_ARRAY (1u << 30)
#define GGUF_MAX_NAME 63 /* tensor name bytes */
#define GGUF_DEFAULT_ALIGNMENT 32

typedef struct gguf_file gguf_file;

/* One tensor. ne[] beyond n_dims are 1; ne[0] is the contiguous (row) dimension, so the
 * tensor holds ne[1]*ne[2]*ne[3] rows of ne[0] values. `data` points into the mapping
 * (valid until gguf_close), `nbytes` bytes, already checked to lie inside the file. */
typedef struct gguf_tensor {
    const char *name; /* NUL-terminated */
    int n_dims;
    uint64_t ne[4];
    int type; /* DQ_TYPE_* (ggml numbering) */
    const uint8_t *data;
    uint64_t nbytes;
    uint64_t offset;  /* relative to the data section, as stored */
    const char *path; /* the file it lives in, for messages */
} gguf_tensor;

/* Open and validate `path` (mmap). On failure *out is NULL and err names the file and the
 * problem (EF_ERROR; EF_NOMEM if an allocation failed). */
int gguf_open(const char *path, gguf_file **out, ef_error *err);
void gguf_close(gguf_file *f);

const char *gguf_path(const gguf_file *f);
uint32_t gguf_version(const gguf_file *f);
uint32_t gguf_alignment(const gguf_file *f);
uint64_t gguf_file_size(const gguf_file *f);

/* ---- metadata -------------------------------------------------------------------- */

/* Number of key/value pairs and the i-th key (NUL-terminated copy) and value type. */
uint64_t gguf_kv_count(const gguf_file *f);
const char *gguf_kv_key(const gguf_file *f, uint64_t i);
int gguf_kv_type(const gguf_file *f, uint64_t i);
/* Index of `key`, or -1. */
int64_t gguf_kv_find(const gguf_file *f, const char *key);

/* Typed getters. All return EF_OK, or EF_ERROR with err naming file and key when the key
 * is absent ("missing") or has an incompatible type or value out of range. `err` may be
 * NULL when the caller only wants the code (e.g. optional keys).
 *   u32/i32/u64: accept any integer type whose value fits the target.
 *   f32: accepts FLOAT32, FLOAT64 (narrowed) and integers.
 *   bool: accepts BOOL (nonzero = true) only.
 *   str: pointer into the mapping, NOT NUL-terminated; length in *len. */
int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *v, ef_error *err);
int gguf_get_i32(const gguf_file *f, const char *key, int32_t *v, ef_error *err);
int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *v, ef_error *err);
int gguf_get_f32(const gguf_file *f, const char *key, float *v, ef_error *err);
int gguf_get_bool(const gguf_file *f, const char *key, int *v, ef_error *err);
int gguf_get_str(const gguf_file *f, const char *key, const char **s, size_t *len, ef_error *err);

/* Arrays. elem_type is GGUF_TYPE_*; for fixed-size element types *data points to the
 * packed little-endian elements in the mapping (unaligned: read with memcpy or the
 * helpers below). For string arrays *data is NULL: use gguf_arr_str. */
int gguf_get_arr(const gguf_file *f, const char *key, int *elem_type, uint64_t *count,
                 const void **data, ef_error *err);
/* i-th string of a string array (O(1): offsets are indexed at open). */
int gguf_arr_str(const gguf_file *f, const char *key, uint64_t i, const char **s, size_t *len,
                 ef_error *err);
/* i-th element of a numeric array converted to double / int64 (range-checked). */
int gguf_arr_f64(const gguf_file *f, const char *key, uint64_t i, double *v, ef_error *err);
int gguf_arr_i64(const gguf_file *f, const char *key, uint64_t i, int64_t *v, ef_error *err);

/* general.architecture as a NUL-terminated string ("" if absent or not a string). */
const char *gguf_arch(const gguf_file *f);

/* ---- tensors --------------------------------------------------------------------- */

uint64_t gguf_tensor_count(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, uint64_t i);
/* NULL if absent. */
const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name);
/* Rows = ne[1]*ne[2]*ne[3]. */
uint64_t gguf_tensor_rows(const gguf_tensor *t);
/* Dequantise row `row` (ne[0] floats) into dst. Errors name the tensor and its type. */
int gguf_tensor_row(const gguf_tensor *t, uint64_t row, float *dst, ef_error *err);
/* Dequantise the whole tensor (ne0*ne1*ne2*ne3 floats) into dst. For small tensors. */
int gguf_tensor_read_f32(const gguf_tensor *t, float *dst, ef_error *err);

/* ---- identity -------------------------------------------------------------------- */

/* SHA-256 of the whole file (OpenSSL's libcrypto) as 64 lowercase hex chars + NUL, computed
 * once (first call reads the file: ~1 s per GB) and cached in the handle. NULL if the handle
 * is NULL or libcrypto failed. */
const char *gguf_file_hash(gguf_file *f);

#endif
