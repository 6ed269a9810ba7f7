/* model/gguf_meta.c — typed access to GGUF metadata: lookup by key, integer / float /
 * bool / string getters that check the stored type and range, arrays and their elements.
 * Records were validated by gguf.c at open; errors here name the file and the key.
 */
#include "model/gguf_impl.h"

#include <string.h>

const gguf_kv *gguf_impl_kv(const gguf_file *f, const char *key)
{
    if (!f || !key) return NULL;
    uint64_t lo = 0, hi = f->n_kv;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int r = strcmp(key, f->kv_by_key[mid]->key);
        if (!r) return f->kv_by_key[mid];
        if (r < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

/* ---- metadata access ------------------------------------------------------------- */

uint64_t gguf_kv_count(const gguf_file *f) { return f->n_kv; }
const char *gguf_kv_key(const gguf_file *f, uint64_t i)
{
    return i < f->n_kv ? f->kv[i].key : NULL;
}
int gguf_kv_type(const gguf_file *f, uint64_t i) { return i < f->n_kv ? f->kv[i].type : -1; }

int64_t gguf_kv_find(const gguf_file *f, const char *key)
{
    const gguf_kv *kv = gguf_impl_kv(f, key);
    return kv ? (int64_t)(kv - f->kv) : -1;
}

/* Look up `key`; fail naming it when absent. */
static int gg_lookup(const gguf_file *f, const char *key, const gguf_kv **kv, ef_error *err)
{
    *kv = gguf_impl_kv(f, key);
    if (!*kv) return gguf_impl_fail(err, EF_ERROR, f->path, "metadata key '%s' is missing", key);
    return EF_OK;
}

static int gg_type_mismatch(const gguf_file *f, const char *key, int have, const char *want,
                            ef_error *err)
{
    return gguf_impl_fail(err, EF_ERROR, f->path, "metadata key '%s' is %s, expected %s", key,
                          gguf_impl_type_name(have), want);
}

/* An integer value of type `type` at p, as (negative?, magnitude-or-value). */
static int gg_int_at(int type, const uint8_t *p, int *neg, uint64_t *u, int64_t *s)
{
    switch (type) {
        case GGUF_TYPE_UINT8: *u = p[0]; break;
        case GGUF_TYPE_INT8: *s = (int8_t)p[0]; goto is_signed;
        case GGUF_TYPE_UINT16: *u = gguf_le16(p); break;
        case GGUF_TYPE_INT16: *s = (int16_t)gguf_le16(p); goto is_signed;
        case GGUF_TYPE_UINT32: *u = gguf_le32(p); break;
        case GGUF_TYPE_INT32: *s = (int32_t)gguf_le32(p); goto is_signed;
        case GGUF_TYPE_UINT64: *u = gguf_le64(p); break;
        case GGUF_TYPE_INT64: *s = (int64_t)gguf_le64(p); goto is_signed;
        default: return 0;
    }
    *neg = 0;
    *s = *u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)*u;
    return 1;
is_signed:
    *neg = *s < 0;
    *u = *neg ? 0 : (uint64_t)*s;
    return 1;
}

static int gg_get_int(const gguf_file *f, const char *key, int64_t lo, uint64_t hi, int *neg,
                      uint64_t *u, int64_t *s, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_lookup(f, key, &kv, err)) return EF_ERROR;
    if (!gg_int_at(kv->type, kv->val, neg, u, s))
        return gg_type_mismatch(f, key, kv->type, "an integer", err);
    if (*neg && *s < lo)
        return gguf_impl_fail(err, EF_ERROR, f->path, "metadata key '%s' = %lld is out of range",
                              key, (long long)*s);
    if (!*neg && *u > hi)
        return gguf_impl_fail(err, EF_ERROR, f->path, "metadata key '%s' = %llu is out of range",
                              key, (unsigned long long)*u);
    return EF_OK;
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *v, ef_error *err)
{
    int neg = 0;
    uint64_t u = 0;
    int64_t s = 0;
    if (gg_get_int(f, key, 0, UINT32_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = (uint32_t)u;
    return EF_OK;
}

int gguf_get_i32(const gguf_file *f, const char *key, int32_t *v, ef_error *err)
{
    int neg = 0;
    uint64_t u = 0;
    int64_t s = 0;
    if (gg_get_int(f, key, INT32_MIN, INT32_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = (int32_t)s;
    return EF_OK;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *v, ef_error *err)
{
    int neg = 0;
    uint64_t u = 0;
    int64_t s = 0;
    if (gg_get_int(f, key, 0, UINT64_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = u;
    return EF_OK;
}

/* A numeric value of type `type` at p as double; 0 if not numeric. */
static int gg_num_at(int type, const uint8_t *p, double *v)
{
    int neg = 0;
    uint64_t u = 0;
    int64_t s = 0;
    if (type == GGUF_TYPE_FLOAT32) {
        uint32_t b = gguf_le32(p);
        float x;
        memcpy(&x, &b, 4);
        *v = x;
    } else if (type == GGUF_TYPE_FLOAT64) {
        uint64_t b = gguf_le64(p);
        memcpy(v, &b, 8);
    } else if (gg_int_at(type, p, &neg, &u, &s)) {
        *v = neg ? (double)s : (double)u;
    } else {
        return 0;
    }
    return 1;
}

int gguf_get_f32(const gguf_file *f, const char *key, float *v, ef_error *err)
{
    const gguf_kv *kv;
    double x;
    if (gg_lookup(f, key, &kv, err)) return EF_ERROR;
    if (!gg_num_at(kv->type, kv->val, &x))
        return gg_type_mismatch(f, key, kv->type, "a number", err);
    *v = (float)x;
    return EF_OK;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *v, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_lookup(f, key, &kv, err)) return EF_ERROR;
    if (kv->type != GGUF_TYPE_BOOL) return gg_type_mismatch(f, key, kv->type, "BOOL", err);
    *v = kv->val[0] != 0;
    return EF_OK;
}

int gguf_get_str(const gguf_file *f, const char *key, const char **s, size_t *len, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_lookup(f, key, &kv, err)) return EF_ERROR;
    if (kv->type != GGUF_TYPE_STRING) return gg_type_mismatch(f, key, kv->type, "STRING", err);
    *s = (const char *)kv->val;
    *len = (size_t)kv->len;
    return EF_OK;
}

int gguf_get_arr(const gguf_file *f, const char *key, int *elem_type, uint64_t *count,
                 const void **data, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_lookup(f, key, &kv, err)) return EF_ERROR;
    if (kv->type != GGUF_TYPE_ARRAY) return gg_type_mismatch(f, key, kv->type, "ARRAY", err);
    if (elem_type) *elem_type = kv->elem_type;
    if (count) *count = kv->count;
    if (data) *data = kv->elem_type == GGUF_TYPE_STRING ? NULL : kv->val;
    return EF_OK;
}

/* The array `key` and a bounds check on index i. */
static int gg_arr_elem(const gguf_file *f, const char *key, uint64_t i, const gguf_kv **kv,
                       ef_error *err)
{
    if (gg_lookup(f, key, kv, err)) return EF_ERROR;
    if ((*kv)->type != GGUF_TYPE_ARRAY) return gg_type_mismatch(f, key, (*kv)->type, "ARRAY", err);
    if (i >= (*kv)->count)
        return gguf_impl_fail(err, EF_ERROR, f->path,
                              "index %llu past the end of array '%s' (%llu)", (unsigned long long)i,
                              key, (unsigned long long)(*kv)->count);
    return EF_OK;
}

int gguf_arr_str(const gguf_file *f, const char *key, uint64_t i, const char **s, size_t *len,
                 ef_error *err)
{
    const gguf_kv *kv;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    if (kv->elem_type != GGUF_TYPE_STRING)
        return gguf_impl_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected STRING", key,
                              gguf_impl_type_name(kv->elem_type));
    const uint8_t *p = f->map + kv->str_pos[i];
    *len = (size_t)gguf_le64(p);
    *s = (const char *)p + 8;
    return EF_OK;
}

int gguf_arr_f64(const gguf_file *f, const char *key, uint64_t i, double *v, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    int et = kv->elem_type;
    if (et == GGUF_TYPE_STRING || et == GGUF_TYPE_BOOL ||
        !gg_num_at(et, kv->val + i * gguf_impl_type_size[et], v))
        return gguf_impl_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected numbers", key,
                              gguf_impl_type_name(et));
    return EF_OK;
}

int gguf_arr_i64(const gguf_file *f, const char *key, uint64_t i, int64_t *v, ef_error *err)
{
    const gguf_kv *kv;
    int neg = 0;
    uint64_t u = 0;
    int64_t s = 0;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    int et = kv->elem_type;
    if (et == GGUF_TYPE_BOOL) {
        *v = kv->val[i] != 0;
        return EF_OK;
    }
    if (et == GGUF_TYPE_STRING ||
        !gg_int_at(et, kv->val + i * gguf_impl_type_size[et], &neg, &u, &s))
        return gguf_impl_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected integers", key,
                              gguf_impl_type_name(et));
    if (!neg && u > (uint64_t)INT64_MAX)
        return gguf_impl_fail(err, EF_ERROR, f->path, "array '%s'[%llu] = %llu does not fit int64",
                              key, (unsigned long long)i, (unsigned long long)u);
    *v = s;
    return EF_OK;
}
