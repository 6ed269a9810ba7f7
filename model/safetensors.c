/* model/safetensors.c — safetensors reader (mmap, bounds-checked) and F32 writer
 * (temporary file + rename), plus the check of efbench's Q/K layout.
 * JSON through jansson (duplicate keys rejected). Never prints; errors name the file.
 */
#include "model/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/half.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c writes host floats as little-endian bytes"
#endif

struct safetensors_file {
    char *path;
    const uint8_t *map;
    uint64_t size;
    uint64_t data_start; /* 8 + header length */
    size_t n_tensors, n_meta;
    safetensors_tensor *tensors;
    safetensors_kv *meta;
    char *strings; /* names and metadata, NUL-terminated, one block */
};

__attribute__((format(printf, 3, 4))) static int st_fail(ef_error *err, const char *path,
                                                         const char *fmt, ...)
{
    if (!err) return EF_ERROR;
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return ef_fail(err, EF_ERROR, "%s: %s", path, tmp);
}

/* Element bytes of a safetensors dtype, 0 if unknown. */
static unsigned st_dtype_size(const char *dt)
{
    static const struct {
        const char *name;
        unsigned size;
    } tab[] = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
        {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
        {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(dt, tab[i].name)) return tab[i].size;
    return 0;
}

/* ---- writer ---------------------------------------------------------------------- */

static int st_out_numel(const safetensors_out *t, uint64_t *numel)
{
    uint64_t n = 1;
    if (t->n_dims < 0 || t->n_dims > SAFETENSORS_MAX_DIMS) return 0;
    for (int i = 0; i < t->n_dims; i++) {
        if (t->shape[i] < 0) return 0;
        uint64_t s = (uint64_t)t->shape[i];
        if (s && n > (UINT64_MAX / 4) / s) return 0;
        n *= s;
    }
    *numel = n;
    return 1;
}

/* The JSON header for the tensors and metadata, padded with spaces to a multiple of 8. */
static char *st_header_build(const char *path, const safetensors_out *t, size_t n,
                             const safetensors_kv *meta, size_t n_meta, size_t *len, ef_error *err)
{
    char *text = NULL, *out = NULL;
    json_t *root = json_object(), *md = NULL;
    uint64_t off = 0;
    if (!root) goto fail_nomem;
    if (n_meta) {
        md = json_object();
        if (!md || json_object_set_new(root, "__metadata__", md)) goto fail_nomem;
        for (size_t i = 0; i < n_meta; i++) {
            if (!meta[i].key || !meta[i].value) {
                st_fail(err, path, "metadata entry %zu has no key or value", i);
                goto fail;
            }
            if (json_object_get(md, meta[i].key)) {
                st_fail(err, path, "duplicate metadata key '%s'", meta[i].key);
                goto fail;
            }
            if (json_object_set_new(md, meta[i].key, json_string(meta[i].value))) {
                st_fail(err, path, "metadata '%s' is not valid UTF-8", meta[i].key);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t numel;
        if (!t[i].name || !t[i].name[0] || !strcmp(t[i].name, "__metadata__")) {
            st_fail(err, path, "tensor %zu has an empty or reserved name", i);
            goto fail;
        }
        if (json_object_get(root, t[i].name)) {
            st_fail(err, path, "duplicate tensor name '%s'", t[i].name);
            goto fail;
        }
        if (!st_out_numel(&t[i], &numel) || (numel && !t[i].data)) {
            st_fail(err, path, "tensor '%s' has an invalid shape or no data", t[i].name);
            goto fail;
        }
        const char *dtype = t[i].dtype ? t[i].dtype : "F32";
        if (strcmp(dtype, "F32") && strcmp(dtype, "I32")) { /* both 4 bytes an element */
            st_fail(err, path, "tensor '%s': the writer has no dtype '%s'", t[i].name, dtype);
            goto fail;
        }
        json_t *shape = json_array(), *offs = json_array(), *obj = json_object();
        int bad = !shape || !offs || !obj;
        for (int d = 0; !bad && d < t[i].n_dims; d++)
            bad = json_array_append_new(shape, json_integer(t[i].shape[d]));
        bad = bad || json_array_append_new(offs, json_integer((json_int_t)off)) ||
              json_array_append_new(offs, json_integer((json_int_t)(off + 4 * numel)));
        bad = bad || json_object_set_new(obj, "dtype", json_string(dtype));
        if (!bad) { /* both calls take their value, even when they fail */
            int b1 = json_object_set_new(obj, "shape", shape);
            int b2 = json_object_set_new(obj, "data_offsets", offs);
            bad = b1 || b2;
            shape = offs = NULL;
        }
        if (bad || json_object_set_new(root, t[i].name, obj)) {
            json_decref(shape);
            json_decref(offs);
            if (bad) json_decref(obj);
            st_fail(err, path, "cannot encode tensor '%s' (name not UTF-8, or out of memory)",
                    t[i].name);
            goto fail;
        }
        off += 4 * numel;
    }
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) goto fail_nomem;
    size_t tl = strlen(text), padded = (tl + 7) / 8 * 8;
    out = malloc(padded + 1);
    if (!out) goto fail_nomem;
    memcpy(out, text, tl);
    memset(out + tl, ' ', padded - tl);
    out[padded] = '\0';
    *len = padded;
    free(text);
    json_decref(root);
    return out;

fail_nomem:
    ef_fail(err, EF_NOMEM, "%s: out of memory building the safetensors header", path);
fail:
    free(text);
    json_decref(root);
    return NULL;
}

static int st_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int safetensors_write(const char *path, const safetensors_out *tensors, size_t n,
                      const safetensors_kv *meta, size_t n_meta, ef_error *err)
{
    int rc = EF_ERROR, fd = -1;
    size_t hlen = 0;
    char *tmp = NULL, *header = NULL;
    if (!path) return ef_fail(err, EF_ERROR, "safetensors_write: no path given");
    header = st_header_build(path, tensors, n, meta, n_meta, &hlen, err);
    if (!header) return EF_ERROR;
    size_t pl = strlen(path);
    tmp = malloc(pl + 16);
    if (!tmp) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory", path);
        goto cleanup_header;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp.XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = st_fail(err, path, "cannot create a temporary file next to it: %s", strerror(errno));
        goto cleanup_tmpname;
    }
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    if (st_write_all(fd, le, 8) || st_write_all(fd, header, hlen)) goto fail_write;
    for (size_t i = 0; i < n; i++) {
        uint64_t numel = 0;
        st_out_numel(&tensors[i], &numel); /* validated while building the header */
        if (numel && st_write_all(fd, tensors[i].data, (size_t)numel * 4)) goto fail_write;
    }
    if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
        fd = -1;
        goto fail_write;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = st_fail(err, path, "cannot rename the finished temporary file into place: %s",
                     strerror(errno));
        goto cleanup_unlink;
    }
    rc = EF_OK;
    goto cleanup_tmpname;

fail_write:
    rc = st_fail(err, path, "write failed: %s", strerror(errno));
    if (fd >= 0) close(fd);
cleanup_unlink:
    unlink(tmp);
cleanup_tmpname:
    free(tmp);
cleanup_header:
    free(header);
    return rc;
}

/* ---- reader ---------------------------------------------------------------------- */

static int st_int_of(json_t *v, int64_t *out)
{
    if (!json_is_integer(v)) return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

/* Parse one tensor entry (name, JSON object) into t; names copied into *strp. */
static int st_tensor_parse(safetensors_file *f, const char *name, json_t *obj,
                           safetensors_tensor *t, char **strp, ef_error *err)
{
    const char *p = f->path;
    if (!json_is_object(obj)) return st_fail(err, p, "entry '%s' is not an object", name);
    json_t *dt = json_object_get(obj, "dtype"), *sh = json_object_get(obj, "shape");
    json_t *of = json_object_get(obj, "data_offsets");
    if (!json_is_string(dt) || !json_is_array(sh) || !json_is_array(of) || json_array_size(of) != 2)
        return st_fail(err, p,
                       "tensor '%s' needs dtype (string), shape (array) and "
                       "data_offsets ([begin, end])",
                       name);
    unsigned es = st_dtype_size(json_string_value(dt));
    if (!es)
        return st_fail(err, p, "tensor '%s' has unknown dtype '%s'", name, json_string_value(dt));
    snprintf(t->dtype, sizeof t->dtype, "%s", json_string_value(dt));
    if (json_array_size(sh) > SAFETENSORS_MAX_DIMS)
        return st_fail(err, p, "tensor '%s' has %zu dimensions (at most %d)", name,
                       json_array_size(sh), SAFETENSORS_MAX_DIMS);
    t->n_dims = (int)json_array_size(sh);
    uint64_t numel = 1;
    for (int d = 0; d < t->n_dims; d++) {
        int64_t s;
        if (!st_int_of(json_array_get(sh, (size_t)d), &s) || s < 0)
            return st_fail(err, p, "tensor '%s': shape[%d] is not a non-negative integer", name, d);
        if (s && numel > UINT64_MAX / 8 / (uint64_t)s)
            return st_fail(err, p, "tensor '%s': absurd shape (element count overflows)", name);
        t->shape[d] = s;
        numel *= (uint64_t)s;
    }
    int64_t b, e;
    if (!st_int_of(json_array_get(of, 0), &b) || !st_int_of(json_array_get(of, 1), &e) || b < 0 ||
        e < b)
        return st_fail(err, p, "tensor '%s': data_offsets are not 0 <= begin <= end", name);
    uint64_t room = f->size - f->data_start;
    if ((uint64_t)e > room)
        return st_fail(err, p,
                       "tensor '%s': data [%lld, %lld) lies past the end of the file "
                       "(%llu data bytes; truncated?)",
                       name, (long long)b, (long long)e, (unsigned long long)room);
    if ((uint64_t)(e - b) != numel * es)
        return st_fail(err, p,
                       "tensor '%s': shape and dtype %s need %llu bytes, data_offsets "
                       "give %lld",
                       name, t->dtype, (unsigned long long)(numel * es), (long long)(e - b));
    t->numel = numel;
    t->nbytes = (uint64_t)(e - b);
    t->data = f->map + f->data_start + b;
    size_t nl = strlen(name) + 1;
    memcpy(*strp, name, nl);
    t->name = *strp;
    *strp += nl;
    return EF_OK;
}

static int st_tensor_off_cmp(const void *a, const void *b)
{
    const safetensors_tensor *x = *(const safetensors_tensor *const *)a;
    const safetensors_tensor *y = *(const safetensors_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data;
}

static int st_check_overlap(safetensors_file *f, ef_error *err)
{
    int rc = EF_OK;
    const safetensors_tensor **s = malloc((f->n_tensors ? f->n_tensors : 1) * sizeof *s);
    if (!s) return ef_fail(err, EF_NOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < f->n_tensors; i++) s[i] = &f->tensors[i];
    qsort(s, f->n_tensors, sizeof *s, st_tensor_off_cmp);
    for (size_t i = 1; i < f->n_tensors; i++)
        if (s[i - 1]->nbytes && s[i]->nbytes && s[i - 1]->data + s[i - 1]->nbytes > s[i]->data) {
            rc = st_fail(err, f->path, "tensors '%s' and '%s' overlap", s[i - 1]->name, s[i]->name);
            break;
        }
    free(s);
    return rc;
}

/* Parse the JSON header into tensors and metadata. */
static int st_parse(safetensors_file *f, ef_error *err)
{
    const char *p = f->path;
    int rc = EF_ERROR;
    json_error_t je;
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)f->map[i] << (8 * i);
    if (hlen > SAFETENSORS_MAX_HEADER)
        return st_fail(err, p, "header length %llu is absurd (limit %u bytes)",
                       (unsigned long long)hlen, SAFETENSORS_MAX_HEADER);
    if (hlen > f->size - 8)
        return st_fail(err, p, "truncated file: header of %llu bytes, only %llu after the length",
                       (unsigned long long)hlen, (unsigned long long)(f->size - 8));
    if (hlen < 2 || f->map[8] != '{')
        return st_fail(err, p, "not a safetensors file (header does not start with '{')");
    f->data_start = 8 + hlen;
    json_t *root = json_loadb((const char *)f->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root) return st_fail(err, p, "header JSON: %s (column %d)", je.text, je.column);
    if (!json_is_object(root)) {
        rc = st_fail(err, p, "header is not a JSON object");
        goto cleanup_json;
    }
    json_t *md = json_object_get(root, "__metadata__");
    if (md && !json_is_object(md)) {
        rc = st_fail(err, p, "__metadata__ is not an object");
        goto cleanup_json;
    }
    f->n_meta = md ? json_object_size(md) : 0;
    f->n_tensors = json_object_size(root) - (md ? 1 : 0);
    f->tensors = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *f->tensors);
    f->meta = calloc(f->n_meta ? f->n_meta : 1, sizeof *f->meta);
    f->strings = malloc((size_t)hlen + 1); /* every string is shorter in C than in JSON */
    if (!f->tensors || !f->meta || !f->strings) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory", p);
        goto cleanup_json;
    }
    char *sp = f->strings;
    size_t mi = 0, ti = 0;
    const char *key;
    json_t *val;
    json_object_foreach(md, key, val)
    {
        if (!json_is_string(val)) {
            rc = st_fail(err, p, "metadata '%s' is not a string", key);
            goto cleanup_json;
        }
        size_t kl = strlen(key) + 1, vl = json_string_length(val);
        if (memchr(json_string_value(val), 0, vl)) {
            rc = st_fail(err, p, "metadata '%s' contains a NUL character", key);
            goto cleanup_json;
        }
        memcpy(sp, key, kl);
        f->meta[mi].key = sp;
        sp += kl;
        memcpy(sp, json_string_value(val), vl + 1);
        f->meta[mi++].value = sp;
        sp += vl + 1;
    }
    json_object_foreach(root, key, val)
    {
        if (!strcmp(key, "__metadata__")) continue;
        if (!key[0]) {
            rc = st_fail(err, p, "a tensor has an empty name");
            goto cleanup_json;
        }
        if (st_tensor_parse(f, key, val, &f->tensors[ti++], &sp, err)) goto cleanup_json;
    }
    rc = st_check_overlap(f, err);
cleanup_json:
    json_decref(root);
    return rc;
}

int safetensors_open(const char *path, safetensors_file **out, ef_error *err)
{
    int rc = EF_ERROR, fd = -1;
    struct stat st;
    safetensors_file *f = NULL;
    *out = NULL;
    if (!path) return ef_fail(err, EF_ERROR, "safetensors_open: no path given");
    f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory", path);
        goto fail_free;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = st_fail(err, path, "cannot open: %s", strerror(errno));
        goto fail_free;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = st_fail(err, path, "not a readable regular file");
        goto fail_close;
    }
    if (st.st_size < 10) {
        rc = st_fail(err, path, "truncated file: %lld bytes", (long long)st.st_size);
        goto fail_close;
    }
    f->size = (uint64_t)st.st_size;
    void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        rc = st_fail(err, path, "cannot mmap: %s", strerror(errno));
        goto fail_close;
    }
    f->map = m;
    close(fd);
    fd = -1;
    rc = st_parse(f, err);
    if (rc) goto fail_free;
    *out = f;
    return EF_OK;

fail_close:
    close(fd);
fail_free:
    safetensors_close(f);
    return rc;
}

void safetensors_close(safetensors_file *f)
{
    if (!f) return;
    if (f->map) munmap((void *)f->map, (size_t)f->size);
    free(f->tensors);
    free(f->meta);
    free(f->strings);
    free(f->path);
    free(f);
}

const char *safetensors_path(const safetensors_file *f) { return f->path; }
size_t safetensors_tensor_count(const safetensors_file *f) { return f->n_tensors; }
size_t safetensors_meta_count(const safetensors_file *f) { return f->n_meta; }

const safetensors_tensor *safetensors_tensor_at(const safetensors_file *f, size_t i)
{
    return i < f->n_tensors ? &f->tensors[i] : NULL;
}

const safetensors_tensor *safetensors_tensor_find(const safetensors_file *f, const char *name)
{
    for (size_t i = 0; i < f->n_tensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const safetensors_kv *safetensors_meta_at(const safetensors_file *f, size_t i)
{
    return i < f->n_meta ? &f->meta[i] : NULL;
}

const char *safetensors_meta_get(const safetensors_file *f, const char *key)
{
    for (size_t i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta[i].key, key)) return f->meta[i].value;
    return NULL;
}

int safetensors_tensor_read_f32(const safetensors_file *f, const safetensors_tensor *t, float *dst,
                                ef_error *err)
{
    const uint8_t *s = t->data;
    if (!strcmp(t->dtype, "F32")) {
        memcpy(dst, s, (size_t)t->numel * 4);
    } else if (!strcmp(t->dtype, "F16") || !strcmp(t->dtype, "BF16")) {
        int bf = t->dtype[0] == 'B';
        for (uint64_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(s[2 * i] | s[2 * i + 1] << 8);
            dst[i] = bf ? ef_bf16_to_f32(h) : ef_f16_to_f32(h);
        }
    } else if (!strcmp(t->dtype, "F64")) {
        for (uint64_t i = 0; i < t->numel; i++) {
            double v;
            memcpy(&v, s + 8 * i, 8);
            dst[i] = (float)v;
        }
    } else {
        return st_fail(err, f->path, "tensor '%s' is %s; efbench reads F32, F16, BF16 or F64",
                       t->name, t->dtype);
    }
    return EF_OK;
}

/* ---- Q/K layout ------------------------------------------------------------------ */

static int st_is_float(const char *dt)
{
    return !strcmp(dt, "F32") || !strcmp(dt, "F16") || !strcmp(dt, "BF16") || !strcmp(dt, "F64");
}

/* "q.12" -> 12; -1 if `name` is not <prefix>.<decimal>. */
static long st_layer_of(const char *name, char prefix)
{
    if (name[0] != prefix || name[1] != '.' || name[2] < '0' || name[2] > '9') return -1;
    char *end;
    errno = 0;
    long l = strtol(name + 2, &end, 10);
    if (*end || errno || l > 1000000 || (name[2] == '0' && name[3])) return -1;
    return l;
}

static int st_layer_cmp(const void *a, const void *b)
{
    return ((const safetensors_qk_layer *)a)->layer - ((const safetensors_qk_layer *)b)->layer;
}

/* Shapes, mask and scale of one layer whose q and k are known. */
static int st_qk_layer_check(const safetensors_file *f, safetensors_qk_layer *L, ef_error *err)
{
    const char *p = f->path;
    const safetensors_tensor *q = L->q, *k = L->k;
    char key[32];
    if (!st_is_float(q->dtype) || !st_is_float(k->dtype))
        return st_fail(err, p, "q.%d / k.%d must be float tensors (F32, F16, BF16, F64)", L->layer,
                       L->layer);
    if (q->n_dims != 3 || k->n_dims != 3)
        return st_fail(err, p, "q.%d and k.%d must be 3-D [heads, n, d], have %d and %d dims",
                       L->layer, L->layer, q->n_dims, k->n_dims);
    for (int i = 0; i < 3; i++)
        if (q->shape[i] < 1 || k->shape[i] < 1 || q->shape[i] > (1 << 30) ||
            k->shape[i] > (1 << 30))
            return st_fail(err, p, "q.%d / k.%d: every dimension must be 1 .. 2^30", L->layer,
                           L->layer);
    if (q->shape[1] != k->shape[1] || q->shape[2] != k->shape[2])
        return st_fail(err, p,
                       "layer %d: q is [%lld, %lld, %lld] but k is [%lld, %lld, %lld]; "
                       "n and d must agree",
                       L->layer, (long long)q->shape[0], (long long)q->shape[1],
                       (long long)q->shape[2], (long long)k->shape[0], (long long)k->shape[1],
                       (long long)k->shape[2]);
    if (q->shape[0] % k->shape[0])
        return st_fail(err, p, "layer %d: %lld query heads is not a multiple of %lld KV heads",
                       L->layer, (long long)q->shape[0], (long long)k->shape[0]);
    L->n_head = (int)q->shape[0];
    L->n_head_kv = (int)k->shape[0];
    L->n = (int)q->shape[1];
    L->d = (int)q->shape[2];
    snprintf(key, sizeof key, "mask.%d", L->layer);
    const char *m = safetensors_meta_get(f, key);
    if (!m || ef_mask_parse(m, &L->mask))
        return st_fail(err, p, "metadata '%s' is %s%s%s (expected causal, window:<w> or full)", key,
                       m ? "'" : "missing", m ? m : "", m ? "'" : "");
    snprintf(key, sizeof key, "scale.%d", L->layer);
    const char *s = safetensors_meta_get(f, key);
    char *end = NULL;
    L->scale = s ? strtod(s, &end) : NAN;
    if (!s || !*s || *end || !isfinite(L->scale) || L->scale <= 0)
        return st_fail(err, p, "metadata '%s' is %s%s%s (expected a positive number)", key,
                       s ? "'" : "missing", s ? s : "", s ? "'" : "");
    return EF_OK;
}

int safetensors_qk_layout(const safetensors_file *f, safetensors_qk_layer **layers, int *n_layers,
                          ef_error *err)
{
    const char *p = f->path;
    safetensors_qk_layer *L = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *L);
    int n = 0;
    *layers = NULL;
    *n_layers = 0;
    if (!L) return ef_fail(err, EF_NOMEM, "%s: out of memory", p);
    for (size_t i = 0; i < f->n_tensors; i++) {
        const safetensors_tensor *t = &f->tensors[i];
        long lq = st_layer_of(t->name, 'q'), lk = st_layer_of(t->name, 'k');
        if (lq < 0 && lk < 0) continue; /* other tensors are allowed and ignored */
        long l = lq >= 0 ? lq : lk;
        int j = 0;
        while (j < n && L[j].layer != l) j++;
        if (j == n) L[n++].layer = (int)l;
        if (lq >= 0) L[j].q = t;
        else L[j].k = t;
    }
    if (!n) {
        free(L);
        return st_fail(err, p, "no q.<layer> / k.<layer> tensors: not an efbench Q/K file");
    }
    qsort(L, (size_t)n, sizeof *L, st_layer_cmp);
    const char *len = safetensors_meta_get(f, "length");
    char *end = NULL;
    long length = len ? strtol(len, &end, 10) : -1;
    if (!len || !*len || *end) {
        st_fail(err, p, "metadata 'length' is missing or not an integer");
        goto fail;
    }
    for (int j = 0; j < n; j++) {
        if (!L[j].q || !L[j].k) {
            st_fail(err, p, "layer %d has %c.%d but no %c.%d", L[j].layer, L[j].q ? 'q' : 'k',
                    L[j].layer, L[j].q ? 'k' : 'q', L[j].layer);
            goto fail;
        }
        if (st_qk_layer_check(f, &L[j], err)) goto fail;
        if (L[j].n != length) {
            st_fail(err, p, "layer %d holds n = %d tokens but metadata 'length' says %ld",
                    L[j].layer, L[j].n, length);
            goto fail;
        }
    }
    *layers = L;
    *n_layers = n;
    return EF_OK;
fail:
    free(L);
    return EF_ERROR;
}
