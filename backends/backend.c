/* backends/backend.c — names of precisions, workloads and masks, and the error setter
 * every backend and the harness share.
 */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ef_fail(ef_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static const char *const precision_names[EF_PREC_COUNT] = {"fp32", "fp16", "bf16"};
static const char *const workload_names[EF_WL_COUNT] = {
    "energy", "rowsum", "colenergy", "gram", "ranktail", "leverage",
};

const char *ef_precision_name(ef_precision p)
{
    return (unsigned)p < EF_PREC_COUNT ? precision_names[p] : "?";
}

int ef_precision_parse(const char *s, ef_precision *p)
{
    for (int i = 0; i < EF_PREC_COUNT; i++)
        if (strcmp(s, precision_names[i]) == 0) { *p = (ef_precision)i; return EF_OK; }
    return EF_ERROR;
}

const char *ef_workload_name(ef_workload w)
{
    return (unsigned)w < EF_WL_COUNT ? workload_names[w] : "?";
}

int ef_workload_parse(const char *s, ef_workload *w)
{
    for (int i = 0; i < EF_WL_COUNT; i++)
        if (strcmp(s, workload_names[i]) == 0) { *w = (ef_workload)i; return EF_OK; }
    return EF_ERROR;
}

void ef_mask_format(ef_mask m, char *buf, size_t len)
{
    switch (m.kind) {
    case EF_MASK_CAUSAL: snprintf(buf, len, "causal"); break;
    case EF_MASK_WINDOW: snprintf(buf, len, "window:%d", m.window); break;
    default: snprintf(buf, len, "full"); break;
    }
}

int ef_mask_parse(const char *s, ef_mask *m)
{
    if (strcmp(s, "full") == 0) { *m = (ef_mask){EF_MASK_FULL, 0}; return EF_OK; }
    if (strcmp(s, "causal") == 0) { *m = (ef_mask){EF_MASK_CAUSAL, 0}; return EF_OK; }
    if (strncmp(s, "window:", 7) == 0) {
        char *end;
        long w = strtol(s + 7, &end, 10);
        if (*end != '\0' || end == s + 7 || w < 1 || w > (1L << 30)) return EF_ERROR;
        *m = (ef_mask){EF_MASK_WINDOW, (int)w};
        return EF_OK;
    }
    return EF_ERROR;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ef_sort_doubles(double *v, size_t n) { qsort(v, n, sizeof *v, cmp_double); }

double ef_median_sort(double *v, size_t n)
{
    ef_sort_doubles(v, n);
    return v[n / 2];
}
