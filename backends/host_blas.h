/* backends/host_blas.h — OpenBLAS's kernels chosen by the CPU's features when the library
 * does not know the CPU model (see host_blas.c); used by the cpu backend's notes.
 */
#ifndef EF_HOST_BLAS_H
#define EF_HOST_BLAS_H

/* What the load-time choice did: "" when OpenBLAS's own choice stood, else one phrase
 * naming the kernels ("kernels SkylakeX by the CPU's features (...)"). */
const char *host_blas_note(void);

#endif
