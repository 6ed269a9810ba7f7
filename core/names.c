/* core/names.c — the names of precisions, workloads and masks (core/types.h): one table
 * each, read by the suite parser, the results writer and the results loader alike.
 */
#include "core/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const char *const precision_names[EF_PREC_COUNT] = {"fp32", "fp16", "bf16"};
#define EF_WORKLOAD_NAME(id, name) [EF_WL_##id] = name,
static const char *const workload_names[EF_WL_COUNT] = {EF_WORKLOAD_LIST(EF_WORKLOAD_NAME)};
#undef EF_WORKLOAD_NAME

const char *ef_precision_name(ef_precision p)
{
    return (unsigned)p < EF_PREC_COUNT ? precision_names[p] : "?";
}

int ef_precision_parse(const char *s, ef_precision *p)
{
    for (int i = 0; i < EF_PREC_COUNT; i++)
        if (strcmp(s, precision_names[i]) == 0) {
            *p = (ef_precision)i;
            return EF_OK;
        }
    return EF_ERROR;
}

const char *ef_workload_name(ef_workload w)
{
    return (unsigned)w < EF_WL_COUNT ? workload_names[w] : "?";
}

int ef_workload_parse(const char *s, ef_workload *w)
{
    for (int i = 0; i < EF_WL_COUNT; i++)
        if (strcmp(s, workload_names[i]) == 0) {
            *w = (ef_workload)i;
            return EF_OK;
        }
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
    if (strcmp(s, "full") == 0) {
        *m = (ef_mask){EF_MASK_FULL, 0};
        return EF_OK;
    }
    if (strcmp(s, "causal") == 0) {
        *m = (ef_mask){EF_MASK_CAUSAL, 0};
        return EF_OK;
    }
    if (strncmp(s, "window:", 7) == 0) {
        char *end;
        long w = strtol(s + 7, &end, 10);
        if (*end != '\0' || end == s + 7 || w < 1 || w > (1L << 30)) return EF_ERROR;
        *m = (ef_mask){EF_MASK_WINDOW, (int)w};
        return EF_OK;
    }
    return EF_ERROR;
}
