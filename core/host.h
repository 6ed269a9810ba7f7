/* core/host.h — facts about the host and its clock: the CPU backends time with it, results
 * name the host with it, the reference checks its memory need against it.
 */
#ifndef EF_CORE_HOST_H
#define EF_CORE_HOST_H

#include <stddef.h>
#include <stdint.h>

/* Host facts: CPU model name, logical cores, physical memory, OS release. */
void host_cpu_model(char *buf, size_t len);
int host_cpu_count(void);
uint64_t host_memory_bytes(void);
void host_os_name(char *buf, size_t len);

/* "OpenBLAS 0.3.21": the BLAS the CPU backends and the float64 math run on. */
const char *host_blas_version(void);

/* Monotonic clock in milliseconds. */
double host_clock_ms(void);

#endif
