/* model/safetensors.h — read and write safetensors files, the Q/K exchange format.
 * Layout: u64 header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}},
 * optional "__metadata__" of strings), then the tensor bytes. The reader is memory-mapped
 * and bounds-checked; the writer writes F32 (and I32) tensors to a temporary file and
 * renames it.
 * efbench's Q/K layout (issue 5 item 8) is checked by safetensors_qk_layout. Callers:
 * `efbench capture` (writer) and the imported-Q/K source (reader).
 */
#ifndef EF_MODEL_SAFETENSORS_H
#define EF_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

#define SAFETENSORS_MAX_DIMS 8
#define SAFETENSORS_MAX_HEADER (100u << 20) /* bytes of JSON header accepted */

/* A string pair of the "__metadata__" object. */
typedef struct safetensors_kv {
    const char *key;
    const char *value;
} safetensors_kv;

/* One tensor to write: row-major, shape[0] outermost. */
typedef struct safetensors_out {
    const char *name;
    int n_dims; /* 0 (scalar) .. SAFETENSORS_MAX_DIMS */
    int64_t shape[SAFETENSORS_MAX_DIMS];
    const void *data;  /* product(shape) values of dtype */
    const char *dtype; /* "F32" (NULL: the same) or "I32" */
} safetensors_out;

/* Write `n` tensors (in this order) and `n_meta` metadata strings to `path`: a temporary
 * file in the same directory, renamed over `path` only when complete. On error nothing is
 * left at `path` (an existing file is untouched) and err names the file and the problem. */
int safetensors_write(const char *path, const safetensors_out *tensors, size_t n,
                      const safetensors_kv *meta, size_t n_meta, ef_error *err);

/* ---- reading --------------------------------------------------------------------- */

/* One tensor of an opened file. dtype is the file's word ("F32", "F16", "BF16", "F64",
 * "I32", ...); data points into the mapping (unaligned in general), nbytes long. */
typedef struct safetensors_tensor {
    const char *name;
    char dtype[8];
    int n_dims;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    uint64_t numel;
    const uint8_t *data;
    uint64_t nbytes;
} safetensors_tensor;

typedef struct safetensors_file safetensors_file;

/* Open and validate: header length, JSON, dtypes, shapes vs byte ranges, ranges inside the
 * file and not overlapping, metadata values strings. Errors name the file and problem. */
int safetensors_open(const char *path, safetensors_file **out, ef_error *err);
void safetensors_close(safetensors_file *f);

const char *safetensors_path(const safetensors_file *f);
size_t safetensors_tensor_count(const safetensors_file *f);
/* Tensors in header order. */
const safetensors_tensor *safetensors_tensor_at(const safetensors_file *f, size_t i);
/* NULL if absent. */
const safetensors_tensor *safetensors_tensor_find(const safetensors_file *f, const char *name);
/* Convert a tensor (F32, F16, BF16 or F64) into numel floats at dst. */
int safetensors_tensor_read_f32(const safetensors_file *f, const safetensors_tensor *t, float *dst,
                                ef_error *err);

size_t safetensors_meta_count(const safetensors_file *f);
const safetensors_kv *safetensors_meta_at(const safetensors_file *f, size_t i);
/* Value of metadata key, or NULL. */
const char *safetensors_meta_get(const safetensors_file *f, const char *key);

/* ---- efbench's Q/K layout -------------------------------------------------------- */

/* One layer of a Q/K file: q.<layer> [n_head, n, d], k.<layer> [n_head_kv, n, d], query
 * head h uses KV head h / (n_head / n_head_kv); mask.<layer> ("causal" / "window:<w>" /
 * "full") and scale.<layer> (a positive number) from the metadata. */
typedef struct safetensors_qk_layer {
    int layer;
    int n_head, n_head_kv, n, d;
    double scale;
    ef_mask mask;
    const safetensors_tensor *q, *k;
} safetensors_qk_layer;

/* Check the whole file against the layout and list its layers in increasing order
 * (*layers malloc'd, free() it). Requires metadata `length` equal to every layer's n; a
 * q without its k (or the reverse), a wrong rank, mismatched n or d, n_head not a
 * multiple of n_head_kv, a non-float dtype, or a missing/invalid mask or scale is an
 * error naming the tensor or key. */
int safetensors_qk_layout(const safetensors_file *f, safetensors_qk_layer **layers, int *n_layers,
                          ef_error *err);

#endif
