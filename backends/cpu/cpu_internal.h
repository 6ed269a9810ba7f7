/* backends/cpu/cpu_internal.h — shared between the float32 CPU backend's files. */
#ifndef EF_CPU_INTERNAL_H
#define EF_CPU_INTERNAL_H

#include "backends/hostmem.h"

/* E rows row0 .. row0+rows-1 of the field in float32 (cpu_energy.c). */
int cpu_energy(const ef_op *op, ef_error *err);
/* The inputs decoded to float: Q (optional) and the keys centered over all n. */
int cpu_inputs_centered(const ef_op *op, float **Q, float **Kc, ef_error *err);

#endif
