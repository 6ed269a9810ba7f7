/* backends/host_blas.c — make OpenBLAS run the kernels this CPU can run. A DYNAMIC_ARCH
 * OpenBLAS picks its kernels by CPU model; a model newer than the library (Debian 12's
 * 0.3.21 on a Xeon of family 6 model 207, say) falls back to "Prescott", SSE3, a fifth of
 * the sgemm rate an AVX-512 core gives. When that happens, and only then, the kernels are
 * chosen again by the CPU's features through the library's own OPENBLAS_CORETYPE rule.
 * Runs once, at load, before any BLAS call of the process (the ref and cpu backends both
 * call OpenBLAS; both must see one choice). The cpu backend reports what was done.
 */
#include "host_blas.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* OpenBLAS's own: the core name, and (DYNAMIC_ARCH builds only, hence weak: NULL in a
 * build without them) the kernel selection its load-time constructor runs. */
char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static char host_blas_note_text[128];

/* The best OpenBLAS core name the CPU's features (checked with the OS's register state by
 * libgcc) allow, or NULL. The names are OPENBLAS_CORETYPE values of OpenBLAS >= 0.3.10. */
static const char *host_blas_feature_core(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
    return NULL;
}

/* A constructor, so that no BLAS call can come before it, whatever backend runs first;
 * OpenBLAS's own constructor has run by then (a library's constructors run before those of
 * the program that links it). */
__attribute__((constructor)) static void host_blas_choose(void)
{
    const char *picked = openblas_get_corename(), *better = host_blas_feature_core();
    if (getenv("OPENBLAS_CORETYPE")) { /* the user chose; OpenBLAS applied it */
        snprintf(host_blas_note_text, sizeof host_blas_note_text, "kernels %s (OPENBLAS_CORETYPE)",
                 picked);
        return;
    }
    if (!picked || strcasecmp(picked, "Prescott") != 0 || !better || !gotoblas_dynamic_init ||
        !gotoblas_dynamic_quit)
        return; /* the library's own choice stands */
    /* The same steps as OpenBLAS's load-time selection with OPENBLAS_CORETYPE set; the
     * variable is removed again so that child processes see the environment unchanged.
     * No BLAS call is running (the process is still loading), so none sees the switch. */
    setenv("OPENBLAS_CORETYPE", better, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
    snprintf(host_blas_note_text, sizeof host_blas_note_text,
             "kernels %s by the CPU's features (OpenBLAS's model table gave Prescott)",
             openblas_get_corename());
}

const char *host_blas_note(void) { return host_blas_note_text; }
