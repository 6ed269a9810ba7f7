/* core/types.h — the words every layer shares: input precisions, element types, masks and
 * the workload ids, with their names (core/names.c). The math of each is
 * ../shared/docs/energy-field.md; what a workload reads and writes is its descriptor
 * (harness/workload.c) and the buffer layouts of backends/backend.h.
 */
#ifndef EF_CORE_TYPES_H
#define EF_CORE_TYPES_H

#include <stddef.h>

/* Storage precision of the inputs Q and K as uploaded. fp16/bf16 are raw uint16 bit
 * patterns (IEEE binary16 / the upper half of binary32). Accumulation is always at least
 * fp32. */
typedef enum { EF_PREC_FP32, EF_PREC_FP16, EF_PREC_BF16, EF_PREC_COUNT } ef_precision;

/* Element type of every buffer a backend writes (E and workload outputs) and of the
 * auxiliary matrices it reads (U_Q, T). Only the float64 reference uses EF_F64. */
typedef enum { EF_F32, EF_F64 } ef_dtype;

/* Which keys row i sees: full (all j), causal (j <= i), window (i - w < j <= i). */
typedef enum { EF_MASK_FULL, EF_MASK_CAUSAL, EF_MASK_WINDOW, EF_MASK_COUNT } ef_mask_kind;
typedef struct ef_mask {
    ef_mask_kind kind;
    int window; /* w for EF_MASK_WINDOW, else 0 */
} ef_mask;

/* The workloads of energy-field.md, one row each: (ID, "name"). The enum and the name table
 * (suite files, results.json) both come from this list; the rest of a workload is its
 * descriptor row in harness/workload.c. */
#define EF_WORKLOAD_LIST(X)   \
    X(ENERGY, "energy")       \
    X(ROWSUM, "rowsum")       \
    X(COLENERGY, "colenergy") \
    X(GRAM, "gram")           \
    X(RANKTAIL, "ranktail")   \
    X(LEVERAGE, "leverage")

#define EF_WORKLOAD_ENUM(id, name) EF_WL_##id,
typedef enum { EF_WORKLOAD_LIST(EF_WORKLOAD_ENUM) EF_WL_COUNT } ef_workload;
#undef EF_WORKLOAD_ENUM

/* ---- names (core/names.c) ---------------------------------------------------------- */

const char *ef_precision_name(ef_precision p);
int ef_precision_parse(const char *s, ef_precision *p); /* EF_OK or EF_ERROR */
const char *ef_workload_name(ef_workload w);
int ef_workload_parse(const char *s, ef_workload *w); /* EF_OK or EF_ERROR */
/* "full", "causal", "window:64" */
void ef_mask_format(ef_mask m, char *buf, size_t len);
int ef_mask_parse(const char *s, ef_mask *m); /* EF_OK or EF_ERROR */

/* ---- masks ------------------------------------------------------------------------- */

/* 1 if key j is visible from query row i under mask m. */
static inline int ef_mask_visible(ef_mask m, int i, int j)
{
    switch (m.kind) {
        case EF_MASK_CAUSAL: return j <= i;
        case EF_MASK_WINDOW: return j <= i && j > i - m.window;
        default: return 1;
    }
}
/* First visible key of row i (the last is n-1 for full, i otherwise). */
static inline int ef_mask_first(ef_mask m, int i)
{
    if (m.kind == EF_MASK_WINDOW) return i - m.window + 1 > 0 ? i - m.window + 1 : 0;
    return 0;
}
static inline int ef_mask_last(ef_mask m, int i, int n)
{
    return m.kind == EF_MASK_FULL ? n - 1 : i;
}

/* Bytes of one element of an input stored in precision p. */
static inline size_t ef_precision_size(ef_precision p) { return p == EF_PREC_FP32 ? 4 : 2; }
static inline size_t ef_dtype_size(ef_dtype t) { return t == EF_F64 ? 8 : 4; }

#endif
