/* harness/source.c — the table of input-source kinds and the calls the runner makes.
 * Add a kind: one row in `kinds`.
 */
#include "source.h"

#include "harness/source_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ef_source_ops *const kinds[] = {
    &ef_source_synthetic,
    &ef_source_model, /* real heads captured from a GGUF model (model/) */
    &ef_source_qk,    /* heads imported from a safetensors file (--qk) */
    NULL,
};

void ef_head_free(ef_head *h)
{
    free(h->q);
    free(h->k);
    h->q = h->k = NULL;
}

void source_heads_free(ef_head *heads, int count)
{
    for (int i = 0; i < count; i++) ef_head_free(&heads[i]);
    free(heads);
}

int source_known(const char *spec)
{
    for (int i = 0; kinds[i]; i++)
        if (kinds[i]->accepts(spec)) return 1;
    return 0;
}

int source_uses_dims(const char *spec)
{
    for (int i = 0; kinds[i]; i++)
        if (kinds[i]->accepts(spec)) return kinds[i] == &ef_source_synthetic;
    return 0;
}

int source_open(const char *spec, const ef_source_args *args, ef_source *src, ef_error *err)
{
    memset(src, 0, sizeof *src);
    snprintf(src->spec, sizeof src->spec, "%s", spec);
    for (int i = 0; kinds[i]; i++)
        if (kinds[i]->accepts(spec)) {
            src->ops = kinds[i];
            return kinds[i]->open(spec, args, &src->state, err);
        }
    return ef_fail(err, EF_ERROR, "unknown source '%s'", spec);
}

int source_heads(ef_source *src, int n, ef_head **heads, int *count, ef_error *err)
{
    *heads = NULL;
    *count = 0;
    return src->ops->heads(src->state, n, heads, count, err);
}

void source_shape(const ef_source *src, int *heads, int *d)
{
    *heads = 1, *d = 0;
    if (src->ops && src->ops->shape) src->ops->shape(src->state, heads, d);
}

void source_close(ef_source *src)
{
    if (src->ops && src->ops->close) src->ops->close(src->state);
    src->ops = NULL;
    src->state = NULL;
}
