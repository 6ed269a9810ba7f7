/* model/dequant.h — ggml tensor element types and row dequantisation to float32.
 * Type ids follow ggml's numbering (shared/docs/gguf-models.md A.5); the block formulas
 * are B.1-B.3 of that note. Used by the GGUF reader (gguf.c) and the forward pass; the
 * caller adds the tensor name to any error.
 */
#ifndef EF_MODEL_DEQUANT_H
#define EF_MODEL_DEQUANT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* ggml type ids as stored in GGUF tensor infos (int32). */
enum {
    DQ_TYPE_F32 = 0,
    DQ_TYPE_F16 = 1,
    DQ_TYPE_Q4_0 = 2,
    DQ_TYPE_Q4_1 = 3,
    DQ_TYPE_Q5_0 = 6,
    DQ_TYPE_Q5_1 = 7,
    DQ_TYPE_Q8_0 = 8,
    DQ_TYPE_Q8_1 = 9,
    DQ_TYPE_Q2_K = 10,
    DQ_TYPE_Q3_K = 11,
    DQ_TYPE_Q4_K = 12,
    DQ_TYPE_Q5_K = 13,
    DQ_TYPE_Q6_K = 14,
    DQ_TYPE_Q8_K = 15,
    DQ_TYPE_BF16 = 30,
    DQ_TYPE_COUNT = 40 /* one past the largest id this table knows about */
};

/* Elements per block of 32-element legacy quants and of 256-element K-quants. */
#define DQ_QK 32
#define DQ_QK_K 256

/* Name of a type ("Q4_K", "BF16"; "type 37" style text for unknown ids is the caller's
 * job): NULL if the id is not a ggml type known to this table. */
const char *dequant_type_name(int type);

/* Block geometry of a type: elements per block and bytes per block. Returns 0 and sets
 * both to 0 for ids that are not valid storage types (removed ids, out of range).
 * Types that are valid ggml types but not decodable here (Q2_K, IQ*) still report their
 * geometry so a reader can size and skip them. */
int dequant_type_block(int type, uint32_t *block_elems, uint32_t *block_bytes);

/* 1 if dequant_row can decode this type. */
int dequant_type_supported(int type);

/* Bytes of n elements of `type`: 0 with *ok = 0 if n is not a multiple of the block
 * size, the type is unknown, or the size overflows. */
uint64_t dequant_row_bytes(int type, int64_t n, int *ok);

/* Decode n elements of `type` at src (which holds dequant_row_bytes(type, n) bytes) into
 * dst. n must be a multiple of the type's block size. Supported: F32, F16, BF16, Q8_0,
 * Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K. Anything else: EF_UNSUPPORTED with the type
 * named in err. src needs no particular alignment. */
int dequant_row(int type, const void *src, float *dst, int64_t n, ef_error *err);

#endif
