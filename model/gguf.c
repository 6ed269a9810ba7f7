/* model/gguf.c — memory-mapped GGUF v2/v3 reader: header, key/value records, tensor
 * infos, tensor rows and the file hash. Layout and robustness rules:
 * shared/docs/gguf-models.md A.1-A.7. Every read is checked against the bytes left; names
 * and keys are validated; tensors must be aligned, in the file and non-overlapping.
 * Typed metadata access is gguf_meta.c; decoding of tensor data is dequant.c.
 */
#include "model/gguf_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define GGUF_MAX_STRING (1ull << 30)
#define GGUF_MAX_KEY 65535

static const char *const gguf_impl_type_names[GGUF_TYPE_COUNT] = {
    "UINT8", "INT8",   "UINT16", "INT16",  "UINT32", "INT32",   "FLOAT32",
    "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64",  "FLOAT64",
};
const uint8_t gguf_impl_type_size[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *gguf_impl_type_name(int t)
{
    return t >= 0 && t < GGUF_TYPE_COUNT ? gguf_impl_type_names[t] : "invalid";
}

int gguf_impl_fail(ef_error *err, int code, const char *path, const char *fmt, ...)
{
    if (!err) return code;
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return ef_fail(err, code, "%s: %s", path ? path : "(gguf)", tmp);
}

/* ---- cursor over the mapping ----------------------------------------------------- */

typedef struct gg_cur {
    const uint8_t *map;
    uint64_t pos, size;
    const char *path;
    ef_error *err;
} gg_cur;

static int gg_need(gg_cur *c, uint64_t n, const char *what)
{
    if (n > c->size - c->pos)
        return gguf_impl_fail(c->err, EF_ERROR, c->path,
                              "truncated file: %s at byte %llu needs %llu bytes, only %llu left",
                              what, (unsigned long long)c->pos, (unsigned long long)n,
                              (unsigned long long)(c->size - c->pos));
    return EF_OK;
}

static int gg_u32(gg_cur *c, uint32_t *v, const char *what)
{
    if (gg_need(c, 4, what)) return EF_ERROR;
    *v = gguf_le32(c->map + c->pos);
    c->pos += 4;
    return EF_OK;
}

static int gg_u64(gg_cur *c, uint64_t *v, const char *what)
{
    if (gg_need(c, 8, what)) return EF_ERROR;
    *v = gguf_le64(c->map + c->pos);
    c->pos += 8;
    return EF_OK;
}

/* A GGUF string: u64 length, bytes. Returns pointer and length; bytes not copied. */
static int gg_str(gg_cur *c, const uint8_t **s, uint64_t *len, const char *what)
{
    uint64_t n;
    if (gg_u64(c, &n, what)) return EF_ERROR;
    if (n > GGUF_MAX_STRING)
        return gguf_impl_fail(c->err, EF_ERROR, c->path,
                              "%s at byte %llu claims %llu bytes (limit 1 GiB)", what,
                              (unsigned long long)(c->pos - 8), (unsigned long long)n);
    if (gg_need(c, n, what)) return EF_ERROR;
    *s = c->map + c->pos;
    *len = n;
    c->pos += n;
    return EF_OK;
}

/* ---- metadata parsing ------------------------------------------------------------ */

static int gg_kv_value(gg_cur *c, gguf_kv *kv)
{
    if (kv->type == GGUF_TYPE_STRING) return gg_str(c, &kv->val, &kv->len, "string value");
    if (kv->type != GGUF_TYPE_ARRAY) {
        if (gg_need(c, gguf_impl_type_size[kv->type], "value")) return EF_ERROR;
        kv->val = c->map + c->pos;
        c->pos += gguf_impl_type_size[kv->type];
        return EF_OK;
    }
    uint32_t et;
    if (gg_u32(c, &et, "array element type") || gg_u64(c, &kv->count, "array count"))
        return EF_ERROR;
    if (et >= GGUF_TYPE_COUNT)
        return gguf_impl_fail(c->err, EF_ERROR, c->path, "key '%s': array of invalid value type %u",
                              kv->key, et);
    if (et == GGUF_TYPE_ARRAY)
        return gguf_impl_fail(c->err, EF_ERROR, c->path,
                              "key '%s': nested arrays (array of ARRAY) are not supported",
                              kv->key);
    kv->elem_type = (int)et;
    if (kv->count > GGUF_MAX_ARRAY)
        return gguf_impl_fail(c->err, EF_ERROR, c->path,
                              "key '%s': array of %llu elements (limit 2^30)", kv->key,
                              (unsigned long long)kv->count);
    uint64_t esz = et == GGUF_TYPE_STRING ? 8 : gguf_impl_type_size[et];
    if (kv->count * esz > c->size - c->pos)
        return gguf_impl_fail(
            c->err, EF_ERROR, c->path,
            "truncated file: key '%s' holds %llu %s elements, only %llu bytes left", kv->key,
            (unsigned long long)kv->count, gguf_impl_type_name((int)et),
            (unsigned long long)(c->size - c->pos));
    kv->val = c->map + c->pos;
    if (et != GGUF_TYPE_STRING) {
        c->pos += kv->count * esz;
        return EF_OK;
    }
    kv->str_pos = malloc((kv->count ? kv->count : 1) * sizeof *kv->str_pos);
    if (!kv->str_pos)
        return gguf_impl_fail(c->err, EF_NOMEM, c->path,
                              "out of memory indexing %llu strings of '%s'",
                              (unsigned long long)kv->count, kv->key);
    for (uint64_t i = 0; i < kv->count; i++) {
        const uint8_t *s;
        uint64_t n;
        kv->str_pos[i] = c->pos;
        if (gg_str(c, &s, &n, "string array element")) return EF_ERROR;
    }
    return EF_OK;
}

static int gg_kv_cmp(const void *a, const void *b)
{
    return strcmp((*(gguf_kv *const *)a)->key, (*(gguf_kv *const *)b)->key);
}

static int gg_parse_kv(gguf_file *f, gg_cur *c)
{
    /* each record needs at least 8 (key length) + 1 (key) + 4 (type) + 1 bytes */
    if (f->n_kv > (c->size - c->pos) / 14)
        return gguf_impl_fail(
            c->err, EF_ERROR, f->path,
            "truncated or corrupt file: kv_count %llu needs more than the %llu bytes "
            "left",
            (unsigned long long)f->n_kv, (unsigned long long)(c->size - c->pos));
    f->kv = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv);
    f->kv_by_key = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv_by_key);
    if (!f->kv || !f->kv_by_key)
        return gguf_impl_fail(c->err, EF_NOMEM, f->path, "out of memory for %llu metadata keys",
                              (unsigned long long)f->n_kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        const uint8_t *k;
        uint64_t klen;
        uint32_t type;
        if (gg_str(c, &k, &klen, "metadata key")) return EF_ERROR;
        if (klen == 0 || klen > GGUF_MAX_KEY || memchr(k, 0, klen))
            return gguf_impl_fail(
                c->err, EF_ERROR, f->path,
                "metadata key %llu at byte %llu is empty, longer than 65535 bytes or "
                "contains NUL",
                (unsigned long long)i, (unsigned long long)(c->pos - klen - 8));
        kv->key = malloc(klen + 1);
        if (!kv->key) return gguf_impl_fail(c->err, EF_NOMEM, f->path, "out of memory for a key");
        memcpy(kv->key, k, klen);
        kv->key[klen] = '\0';
        if (gg_u32(c, &type, "value type")) return EF_ERROR;
        if (type >= GGUF_TYPE_COUNT)
            return gguf_impl_fail(c->err, EF_ERROR, f->path, "key '%s' has invalid value type %u",
                                  kv->key, type);
        kv->type = (int)type;
        if (gg_kv_value(c, kv)) return EF_ERROR;
        f->kv_by_key[i] = kv;
    }
    qsort(f->kv_by_key, f->n_kv, sizeof *f->kv_by_key, gg_kv_cmp);
    for (uint64_t i = 1; i < f->n_kv; i++)
        if (!strcmp(f->kv_by_key[i - 1]->key, f->kv_by_key[i]->key))
            return gguf_impl_fail(c->err, EF_ERROR, f->path, "duplicate metadata key '%s'",
                                  f->kv_by_key[i]->key);
    return EF_OK;
}

static int gg_alignment(gguf_file *f, ef_error *err)
{
    const gguf_kv *kv = gguf_impl_kv(f, "general.alignment");
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (!kv) return EF_OK;
    if (kv->type != GGUF_TYPE_UINT32)
        return gguf_impl_fail(err, EF_ERROR, f->path, "general.alignment must be UINT32, is %s",
                              gguf_impl_type_name(kv->type));
    uint32_t a = gguf_le32(kv->val);
    if (a == 0 || (a & (a - 1)))
        return gguf_impl_fail(err, EF_ERROR, f->path,
                              "general.alignment %u is not a non-zero power of two", a);
    f->alignment = a;
    return EF_OK;
}

/* ---- tensor infos ---------------------------------------------------------------- */

static int gg_tensor_name_cmp(const void *a, const void *b)
{
    return strcmp((*(gguf_tensor *const *)a)->name, (*(gguf_tensor *const *)b)->name);
}

static int gg_tensor_offset_cmp(const void *a, const void *b)
{
    uint64_t x = (*(gguf_tensor *const *)a)->offset, y = (*(gguf_tensor *const *)b)->offset;
    return x < y ? -1 : x > y;
}

/* One tensor-info record: name, dims, type, offset; size computed and checked. */
static int gg_parse_tensor_info(gguf_file *f, gg_cur *c, uint64_t i)
{
    gguf_tensor *t = &f->tensors[i];
    char *name = f->names + i * (GGUF_MAX_NAME + 1);
    const uint8_t *s;
    uint64_t len;
    uint32_t n_dims, type;
    if (gg_str(c, &s, &len, "tensor name")) return EF_ERROR;
    if (len == 0 || len > GGUF_MAX_NAME || memchr(s, 0, len))
        return gguf_impl_fail(
            c->err, EF_ERROR, f->path,
            "tensor %llu: name of %llu bytes is empty, longer than %d or contains NUL",
            (unsigned long long)i, (unsigned long long)len, GGUF_MAX_NAME);
    memcpy(name, s, len);
    name[len] = '\0';
    t->name = name;
    if (gg_u32(c, &n_dims, "tensor n_dims")) return EF_ERROR;
    if (n_dims > 4)
        return gguf_impl_fail(c->err, EF_ERROR, f->path,
                              "tensor '%s' has %u dimensions (at most 4)", name, n_dims);
    t->n_dims = (int)n_dims;
    uint64_t elems = 1;
    for (int d = 0; d < 4; d++) {
        uint64_t ne = 1;
        if ((uint32_t)d < n_dims && gg_u64(c, &ne, "tensor dimension")) return EF_ERROR;
        if (ne > (uint64_t)INT64_MAX)
            return gguf_impl_fail(c->err, EF_ERROR, f->path,
                                  "tensor '%s': dimension %d is negative", name, d);
        if (ne && elems > (uint64_t)INT64_MAX / ne)
            return gguf_impl_fail(c->err, EF_ERROR, f->path,
                                  "tensor '%s': element count overflows (absurd dimensions)", name);
        elems *= ne;
        t->ne[d] = ne;
    }
    if (gg_u32(c, &type, "tensor type") || gg_u64(c, &t->offset, "tensor offset")) return EF_ERROR;
    uint32_t be, bb;
    if (!dequant_type_block((int)type, &be, &bb))
        return gguf_impl_fail(c->err, EF_ERROR, f->path, "tensor '%s' has unknown ggml type %u",
                              name, type);
    t->type = (int)type;
    if (t->ne[0] % be)
        return gguf_impl_fail(c->err, EF_ERROR, f->path,
                              "tensor '%s': ne0 = %llu is not a multiple of the %s block size %u",
                              name, (unsigned long long)t->ne[0], dequant_type_name(t->type), be);
    uint64_t row = t->ne[0] / be * bb, rows = elems && t->ne[0] ? elems / t->ne[0] : 0;
    if (rows && row > UINT64_MAX / rows)
        return gguf_impl_fail(c->err, EF_ERROR, f->path, "tensor '%s': byte size overflows", name);
    t->nbytes = row * rows;
    return EF_OK;
}

/* Place each tensor in the data section: aligned, inside the file, no overlaps. */
static int gg_place_tensors(gguf_file *f, ef_error *err)
{
    int rc = EF_OK;
    gguf_tensor **by_off = NULL;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        if (t->offset % f->alignment)
            return gguf_impl_fail(err, EF_ERROR, f->path,
                                  "tensor '%s': offset %llu is not a multiple of the alignment %u",
                                  t->name, (unsigned long long)t->offset, f->alignment);
        uint64_t room = f->size - f->data_start;
        if (t->offset > room || t->nbytes > room - t->offset)
            return gguf_impl_fail(
                err, EF_ERROR, f->path,
                "tensor '%s': data [%llu, +%llu) lies outside the file (%llu bytes "
                "of tensor data)",
                t->name, (unsigned long long)t->offset, (unsigned long long)t->nbytes,
                (unsigned long long)room);
        t->data = f->map + f->data_start + t->offset;
        t->path = f->path;
    }
    by_off = malloc((f->n_tensors ? f->n_tensors : 1) * sizeof *by_off);
    if (!by_off) return gguf_impl_fail(err, EF_NOMEM, f->path, "out of memory sorting tensors");
    for (uint64_t i = 0; i < f->n_tensors; i++) by_off[i] = &f->tensors[i];
    qsort(by_off, f->n_tensors, sizeof *by_off, gg_tensor_offset_cmp);
    for (uint64_t i = 1; i < f->n_tensors; i++) {
        const gguf_tensor *a = by_off[i - 1], *b = by_off[i];
        if (a->nbytes && b->nbytes && a->offset + a->nbytes > b->offset) {
            rc = gguf_impl_fail(err, EF_ERROR, f->path, "tensors '%s' and '%s' overlap in the file",
                                a->name, b->name);
            goto cleanup_sorted;
        }
    }
cleanup_sorted:
    free(by_off);
    return rc;
}

static int gg_parse_tensors(gguf_file *f, gg_cur *c)
{
    /* each record needs at least 8 + 1 + 4 + 4 + 8 bytes */
    if (f->n_tensors > (c->size - c->pos) / 25)
        return gguf_impl_fail(
            c->err, EF_ERROR, f->path,
            "truncated or corrupt file: tensor_count %llu needs more than the %llu "
            "bytes left",
            (unsigned long long)f->n_tensors, (unsigned long long)(c->size - c->pos));
    uint64_t n = f->n_tensors ? f->n_tensors : 1;
    f->tensors = calloc(n, sizeof *f->tensors);
    f->t_by_name = calloc(n, sizeof *f->t_by_name);
    f->names = calloc(n, GGUF_MAX_NAME + 1);
    if (!f->tensors || !f->t_by_name || !f->names)
        return gguf_impl_fail(c->err, EF_NOMEM, f->path, "out of memory for %llu tensor infos",
                              (unsigned long long)f->n_tensors);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        if (gg_parse_tensor_info(f, c, i)) return EF_ERROR;
        f->t_by_name[i] = &f->tensors[i];
    }
    qsort(f->t_by_name, f->n_tensors, sizeof *f->t_by_name, gg_tensor_name_cmp);
    for (uint64_t i = 1; i < f->n_tensors; i++)
        if (!strcmp(f->t_by_name[i - 1]->name, f->t_by_name[i]->name))
            return gguf_impl_fail(c->err, EF_ERROR, f->path, "duplicate tensor name '%s'",
                                  f->t_by_name[i]->name);
    uint64_t pad = (f->alignment - c->pos % f->alignment) % f->alignment;
    f->data_start = c->pos + pad;
    if (f->n_tensors && pad > c->size - c->pos)
        return gguf_impl_fail(
            c->err, EF_ERROR, f->path,
            "truncated file: the tensor data section would start at byte %llu, past "
            "the end (%llu bytes)",
            (unsigned long long)f->data_start, (unsigned long long)f->size);
    if (!f->n_tensors) return EF_OK;
    return gg_place_tensors(f, c->err);
}

/* ---- open / close ---------------------------------------------------------------- */

static int gg_parse(gguf_file *f, ef_error *err)
{
    gg_cur c = {.map = f->map, .pos = 0, .size = f->size, .path = f->path, .err = err};
    if (f->size < 4 || memcmp(f->map, "GGUF", 4))
        return gguf_impl_fail(err, EF_ERROR, f->path,
                              "not a GGUF file (bad magic; expected \"GGUF\")");
    c.pos = 4;
    if (gg_u32(&c, &f->version, "version")) return EF_ERROR;
    if (f->version && !(f->version & 0xFFFF))
        return gguf_impl_fail(
            err, EF_ERROR, f->path,
            "version field 0x%08x looks byte-swapped: big-endian GGUF files are not "
            "supported",
            f->version);
    if (f->version < 2 || f->version > 3)
        return gguf_impl_fail(err, EF_ERROR, f->path,
                              "unsupported GGUF version %u (efbench reads versions 2 and 3)",
                              f->version);
    if (gg_u64(&c, &f->n_tensors, "tensor_count") || gg_u64(&c, &f->n_kv, "kv_count"))
        return EF_ERROR;
    if (f->n_tensors > GGUF_MAX_TENSORS)
        return gguf_impl_fail(err, EF_ERROR, f->path, "absurd tensor_count %llu (limit %u)",
                              (unsigned long long)f->n_tensors, GGUF_MAX_TENSORS);
    if (f->n_kv > GGUF_MAX_KV)
        return gguf_impl_fail(err, EF_ERROR, f->path, "absurd kv_count %llu (limit %u)",
                              (unsigned long long)f->n_kv, GGUF_MAX_KV);
    if (gg_parse_kv(f, &c) || gg_alignment(f, err)) return EF_ERROR;
    if (gg_parse_tensors(f, &c)) return EF_ERROR;
    const gguf_kv *a = gguf_impl_kv(f, "general.architecture");
    size_t alen = a && a->type == GGUF_TYPE_STRING ? (size_t)a->len : 0;
    f->arch = malloc(alen + 1);
    if (!f->arch) return gguf_impl_fail(err, EF_NOMEM, f->path, "out of memory");
    if (alen) memcpy(f->arch, a->val, alen);
    f->arch[alen] = '\0';
    return EF_OK;
}

int gguf_open(const char *path, gguf_file **out, ef_error *err)
{
    int rc = EF_ERROR, fd = -1;
    struct stat st;
    gguf_file *f = NULL;
    *out = NULL;
    if (!path) return ef_fail(err, EF_ERROR, "gguf_open: no path given");
    f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        rc = gguf_impl_fail(err, EF_NOMEM, path, "out of memory");
        goto fail_free;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = gguf_impl_fail(err, EF_ERROR, path, "cannot open: %s", strerror(errno));
        goto fail_free;
    }
    if (fstat(fd, &st) < 0) {
        rc = gguf_impl_fail(err, EF_ERROR, path, "cannot stat: %s", strerror(errno));
        goto fail_close;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gguf_impl_fail(err, EF_ERROR, path, "not a regular file");
        goto fail_close;
    }
    if (st.st_size < 24) {
        rc = gguf_impl_fail(err, EF_ERROR, path,
                            "truncated file: %lld bytes, a GGUF header needs 24",
                            (long long)st.st_size);
        goto fail_close;
    }
    f->size = (uint64_t)st.st_size;
    void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        rc = gguf_impl_fail(err, EF_ERROR, path, "cannot mmap %llu bytes: %s",
                            (unsigned long long)f->size, strerror(errno));
        goto fail_close;
    }
    f->map = m;
    close(fd);
    fd = -1;
    rc = gg_parse(f, err);
    if (rc) goto fail_free;
    *out = f;
    return EF_OK;

fail_close:
    close(fd);
fail_free:
    gguf_close(f);
    return rc;
}

void gguf_close(gguf_file *f)
{
    if (!f) return;
    if (f->kv)
        for (uint64_t i = 0; i < f->n_kv; i++) {
            free(f->kv[i].key);
            free(f->kv[i].str_pos);
        }
    free(f->kv);
    free(f->kv_by_key);
    free(f->tensors);
    free(f->t_by_name);
    free(f->names);
    free(f->arch);
    if (f->map) munmap((void *)f->map, (size_t)f->size);
    free(f->path);
    free(f);
}

const char *gguf_path(const gguf_file *f) { return f->path; }
uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint32_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
const char *gguf_arch(const gguf_file *f) { return f && f->arch ? f->arch : ""; }

/* ---- tensors --------------------------------------------------------------------- */

uint64_t gguf_tensor_count(const gguf_file *f) { return f->n_tensors; }

const gguf_tensor *gguf_tensor_at(const gguf_file *f, uint64_t i)
{
    return i < f->n_tensors ? &f->tensors[i] : NULL;
}

const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name)
{
    if (!f || !name) return NULL;
    uint64_t lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, f->t_by_name[mid]->name);
        if (!r) return f->t_by_name[mid];
        if (r < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

uint64_t gguf_tensor_rows(const gguf_tensor *t) { return t->ne[1] * t->ne[2] * t->ne[3]; }

int gguf_tensor_row(const gguf_tensor *t, uint64_t row, float *dst, ef_error *err)
{
    uint64_t rows = gguf_tensor_rows(t);
    if (row >= rows)
        return ef_fail(err, EF_ERROR, "%s: tensor '%s': row %llu out of range (%llu rows)", t->path,
                       t->name, (unsigned long long)row, (unsigned long long)rows);
    if (!dequant_type_supported(t->type))
        return ef_fail(
            err, EF_UNSUPPORTED,
            "%s: tensor '%s' is stored as %s, which efbench cannot dequantise "
            "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
            t->path, t->name, dequant_type_name(t->type));
    int ok;
    uint64_t rb = dequant_row_bytes(t->type, (int64_t)t->ne[0], &ok);
    if (!ok) return ef_fail(err, EF_ERROR, "%s: tensor '%s': bad row geometry", t->path, t->name);
    ef_error e2;
    if (dequant_row(t->type, t->data + row * rb, dst, (int64_t)t->ne[0], &e2))
        return ef_fail(err, EF_ERROR, "%s: tensor '%s': %s", t->path, t->name, e2.msg);
    return EF_OK;
}

int gguf_tensor_read_f32(const gguf_tensor *t, float *dst, ef_error *err)
{
    uint64_t rows = gguf_tensor_rows(t);
    if (t->ne[0] == 0) return EF_OK;
    for (uint64_t r = 0; r < rows; r++) {
        int rc = gguf_tensor_row(t, r, dst + r * t->ne[0], err);
        if (rc) return rc;
    }
    return EF_OK;
}

/* ---- identity -------------------------------------------------------------------- */

const char *gguf_file_hash(gguf_file *f)
{
    if (!f) return NULL;
    if (!f->hashed) {
        /* SHA-256 by OpenSSL's libcrypto, fed in 16 MiB pieces of the mapping */
        unsigned char dg[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
        for (uint64_t off = 0; ok && off < f->size; off += 1u << 24) {
            uint64_t n = f->size - off < (1u << 24) ? f->size - off : (1u << 24);
            ok = EVP_DigestUpdate(c, f->map + off, (size_t)n);
        }
        ok = ok && EVP_DigestFinal_ex(c, dg, &len) && len == 32;
        EVP_MD_CTX_free(c);
        if (!ok) return NULL;
        for (int i = 0; i < 32; i++) snprintf(f->hash + 2 * i, 3, "%02x", dg[i]);
        f->hashed = 1;
    }
    return f->hash;
}
