/* backends/cpu/cpu_internal.h — shared between the float32 CPU backend's files: the device
 * (its scratch buffers), the inputs, and one function per workload family.
 */
#ifndef EF_CPU_INTERNAL_H
#define EF_CPU_INTERNAL_H

#include "backends/hostmem.h"

/* Scratch kept from one dispatch to the next, so that a repetition does not pay for
 * fresh pages (a first touch costs a page fault per 4 KiB). One slot per use within a
 * dispatch: decoded Q and K, the key sums (a mean, or the masked field's block sums), the
 * key mean, leverage's products, colenergy's partials, the masked panels' tiles. */
enum {
    CPU_SCRATCH_Q,
    CPU_SCRATCH_K,
    CPU_SCRATCH_PREFIX,
    CPU_SCRATCH_MEAN,
    CPU_SCRATCH_Y,
    CPU_SCRATCH_PARTIAL,
    CPU_SCRATCH_TILE,
    CPU_SCRATCH_COUNT
};

struct ef_device {
    void *scratch[CPU_SCRATCH_COUNT];
    size_t scratch_bytes[CPU_SCRATCH_COUNT];
};

/* Scratch slot `slot` holding at least `bytes` (contents undefined), or NULL with err
 * (cpu_inputs.c). */
void *cpu_scratch(ef_device *dev, int slot, size_t bytes, ef_error *err);

/* The inputs as float32: q and k are the buffers themselves for fp32 inputs, else decoded
 * into scratch. kc (optional) gets the keys centered over all n (mean in double). */
typedef struct cpu_inputs {
    const float *q, *k;
    float *kc;
} cpu_inputs;
int cpu_inputs_get(ef_device *dev, const ef_op *op, int want_kc, cpu_inputs *in, ef_error *err);

/* E rows row0 .. row0+rows-1 of the field in float32; `path` names what ran
 * (cpu_energy.c). */
int cpu_energy(ef_device *dev, const ef_op *op, char *path, size_t path_len, ef_error *err);
/* The causal and window fields (cpu_masked.c). */
/* The masked path's scratch for n x d: the workers' panel tiles and the key block sums. */
double cpu_masked_scratch_bytes(int n, int d);
int cpu_energy_masked(ef_device *dev, const ef_op *op, float *E, char *path, size_t path_len,
                      ef_error *err);
/* A masked energy row, written once: row[j] = vals[j - first] - c for first <= j <= last,
 * 0 elsewhere; streaming stores where the CPU has AVX-512, so call cpu_store_fence before
 * another thread reads the rows (cpu_store.c). */
void cpu_store_row(float *row, int n, const float *vals, int first, int last, float c);
void cpu_store_fence(void);
/* The single passes over the field: row sums, column energies (cpu_pass.c). */
int cpu_rowsum(ef_device *dev, const ef_op *op, ef_error *err);
int cpu_colenergy(ef_device *dev, const ef_op *op, ef_error *err);

/* Run fn(ctx, w) for w = 0 .. workers-1, worker 0 on the calling thread, and return when
 * all are done (cpu_thread.c). cpu_workers() is one per core. */
void cpu_parallel(int workers, void (*fn)(void *ctx, int worker), void *ctx);
int cpu_workers(void);

#endif
