/* model/gguf.c — memory-mapped GGUF v2/v3 reader: header, metadata, tensor infos.
 * Layout and robustness rules: shared/docs/gguf-models.md A.1-A.7. Every read is checked
 * against the bytes left; names and keys are validated; tensors must be aligned, in the
 * file and non-overlapping. Decoding of tensor data is dequant.c's job.
 */
#include "model/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/sha256.h"

#define GGUF_MAX_STRING (1ull << 30)
#define GGUF_MAX_KEY 65535

typedef struct gguf_kv {
    char *key;             /* NUL-terminated copy */
    int type;              /* GGUF_TYPE_* */
    const uint8_t *val;    /* scalar: the value; string: the bytes; array: first element */
    uint64_t len;          /* string: byte length */
    int elem_type;         /* arrays */
    uint64_t count;        /* arrays */
    uint64_t *str_pos;     /* string arrays: file offset of each element's u64 length */
} gguf_kv;

struct gguf_file {
    char *path;
    const uint8_t *map;
    uint64_t size;
    uint32_t version, alignment;
    uint64_t n_kv, n_tensors, data_start;
    gguf_kv *kv;
    gguf_kv **kv_by_key;        /* sorted by key, for bsearch */
    gguf_tensor *tensors;
    gguf_tensor **t_by_name;    /* sorted by name */
    char *names;                /* n_tensors * (GGUF_MAX_NAME + 1) bytes */
    char *arch;
    int hashed;
    char hash[65];
};

static const char *const gg_type_names[GGUF_TYPE_COUNT] = {
    "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
    "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
};
/* Bytes of a fixed-size value; 0 for STRING and ARRAY. */
static const uint8_t gg_type_size[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static const char *gg_type_name(int t)
{
    return t >= 0 && t < GGUF_TYPE_COUNT ? gg_type_names[t] : "invalid";
}

/* "path: message" into err; returns code. */
__attribute__((format(printf, 4, 5)))
static int gg_fail(ef_error *err, int code, const char *path, const char *fmt, ...)
{
    if (!err) return code;
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return ef_fail(err, code, "%s: %s", path ? path : "(gguf)", tmp);
}

/* ---- little-endian loads --------------------------------------------------------- */

static uint16_t gg_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t gg_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t gg_le64(const uint8_t *p) { return gg_le32(p) | (uint64_t)gg_le32(p + 4) << 32; }

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
        return gg_fail(c->err, EF_ERROR, c->path,
                       "truncated file: %s at byte %llu needs %llu bytes, only %llu left", what,
                       (unsigned long long)c->pos, (unsigned long long)n,
                       (unsigned long long)(c->size - c->pos));
    return EF_OK;
}

static int gg_u32(gg_cur *c, uint32_t *v, const char *what)
{
    if (gg_need(c, 4, what)) return EF_ERROR;
    *v = gg_le32(c->map + c->pos);
    c->pos += 4;
    return EF_OK;
}

static int gg_u64(gg_cur *c, uint64_t *v, const char *what)
{
    if (gg_need(c, 8, what)) return EF_ERROR;
    *v = gg_le64(c->map + c->pos);
    c->pos += 8;
    return EF_OK;
}

/* A GGUF string: u64 length, bytes. Returns pointer and length; bytes not copied. */
static int gg_str(gg_cur *c, const uint8_t **s, uint64_t *len, const char *what)
{
    uint64_t n;
    if (gg_u64(c, &n, what)) return EF_ERROR;
    if (n > GGUF_MAX_STRING)
        return gg_fail(c->err, EF_ERROR, c->path, "%s at byte %llu claims %llu bytes (limit 1 GiB)",
                       what, (unsigned long long)(c->pos - 8), (unsigned long long)n);
    if (gg_need(c, n, what)) return EF_ERROR;
    *s = c->map + c->pos;
    *len = n;
    c->pos += n;
    return EF_OK;
}

/* ---- metadata parsing ------------------------------------------------------------ */

static int gg_kv_value(gg_cur *c, gguf_kv *kv)
{
    if (kv->type == GGUF_TYPE_STRING)
        return gg_str(c, &kv->val, &kv->len, "string value");
    if (kv->type != GGUF_TYPE_ARRAY) {
        if (gg_need(c, gg_type_size[kv->type], "value")) return EF_ERROR;
        kv->val = c->map + c->pos;
        c->pos += gg_type_size[kv->type];
        return EF_OK;
    }
    uint32_t et;
    if (gg_u32(c, &et, "array element type") || gg_u64(c, &kv->count, "array count"))
        return EF_ERROR;
    if (et >= GGUF_TYPE_COUNT)
        return gg_fail(c->err, EF_ERROR, c->path, "key '%s': array of invalid value type %u",
                       kv->key, et);
    if (et == GGUF_TYPE_ARRAY)
        return gg_fail(c->err, EF_ERROR, c->path,
                       "key '%s': nested arrays (array of ARRAY) are not supported", kv->key);
    kv->elem_type = (int)et;
    if (kv->count > GGUF_MAX_ARRAY)
        return gg_fail(c->err, EF_ERROR, c->path, "key '%s': array of %llu elements (limit 2^30)",
                       kv->key, (unsigned long long)kv->count);
    uint64_t esz = et == GGUF_TYPE_STRING ? 8 : gg_type_size[et];
    if (kv->count * esz > c->size - c->pos)
        return gg_fail(c->err, EF_ERROR, c->path,
                       "truncated file: key '%s' holds %llu %s elements, only %llu bytes left",
                       kv->key, (unsigned long long)kv->count, gg_type_name((int)et),
                       (unsigned long long)(c->size - c->pos));
    kv->val = c->map + c->pos;
    if (et != GGUF_TYPE_STRING) {
        c->pos += kv->count * esz;
        return EF_OK;
    }
    kv->str_pos = malloc((kv->count ? kv->count : 1) * sizeof *kv->str_pos);
    if (!kv->str_pos)
        return gg_fail(c->err, EF_NOMEM, c->path, "out of memory indexing %llu strings of '%s'",
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
        return gg_fail(c->err, EF_ERROR, f->path,
                       "truncated or corrupt file: kv_count %llu needs more than the %llu bytes "
                       "left", (unsigned long long)f->n_kv, (unsigned long long)(c->size - c->pos));
    f->kv = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv);
    f->kv_by_key = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv_by_key);
    if (!f->kv || !f->kv_by_key)
        return gg_fail(c->err, EF_NOMEM, f->path, "out of memory for %llu metadata keys",
                       (unsigned long long)f->n_kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        const uint8_t *k;
        uint64_t klen;
        uint32_t type;
        if (gg_str(c, &k, &klen, "metadata key")) return EF_ERROR;
        if (klen == 0 || klen > GGUF_MAX_KEY || memchr(k, 0, klen))
            return gg_fail(c->err, EF_ERROR, f->path,
                           "metadata key %llu at byte %llu is empty, longer than 65535 bytes or "
                           "contains NUL", (unsigned long long)i,
                           (unsigned long long)(c->pos - klen - 8));
        kv->key = malloc(klen + 1);
        if (!kv->key) return gg_fail(c->err, EF_NOMEM, f->path, "out of memory for a key");
        memcpy(kv->key, k, klen);
        kv->key[klen] = '\0';
        if (gg_u32(c, &type, "value type")) return EF_ERROR;
        if (type >= GGUF_TYPE_COUNT)
            return gg_fail(c->err, EF_ERROR, f->path, "key '%s' has invalid value type %u",
                           kv->key, type);
        kv->type = (int)type;
        if (gg_kv_value(c, kv)) return EF_ERROR;
        f->kv_by_key[i] = kv;
    }
    qsort(f->kv_by_key, f->n_kv, sizeof *f->kv_by_key, gg_kv_cmp);
    for (uint64_t i = 1; i < f->n_kv; i++)
        if (!strcmp(f->kv_by_key[i - 1]->key, f->kv_by_key[i]->key))
            return gg_fail(c->err, EF_ERROR, f->path, "duplicate metadata key '%s'",
                           f->kv_by_key[i]->key);
    return EF_OK;
}

static const gguf_kv *gg_kv(const gguf_file *f, const char *key)
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

static int gg_alignment(gguf_file *f, ef_error *err)
{
    const gguf_kv *kv = gg_kv(f, "general.alignment");
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (!kv) return EF_OK;
    if (kv->type != GGUF_TYPE_UINT32)
        return gg_fail(err, EF_ERROR, f->path, "general.alignment must be UINT32, is %s",
                       gg_type_name(kv->type));
    uint32_t a = gg_le32(kv->val);
    if (a == 0 || (a & (a - 1)))
        return gg_fail(err, EF_ERROR, f->path,
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
        return gg_fail(c->err, EF_ERROR, f->path,
                       "tensor %llu: name of %llu bytes is empty, longer than %d or contains NUL",
                       (unsigned long long)i, (unsigned long long)len, GGUF_MAX_NAME);
    memcpy(name, s, len);
    name[len] = '\0';
    t->name = name;
    if (gg_u32(c, &n_dims, "tensor n_dims")) return EF_ERROR;
    if (n_dims > 4)
        return gg_fail(c->err, EF_ERROR, f->path, "tensor '%s' has %u dimensions (at most 4)",
                       name, n_dims);
    t->n_dims = (int)n_dims;
    uint64_t elems = 1;
    for (int d = 0; d < 4; d++) {
        uint64_t ne = 1;
        if ((uint32_t)d < n_dims && gg_u64(c, &ne, "tensor dimension")) return EF_ERROR;
        if (ne > (uint64_t)INT64_MAX)
            return gg_fail(c->err, EF_ERROR, f->path, "tensor '%s': dimension %d is negative",
                           name, d);
        if (ne && elems > (uint64_t)INT64_MAX / ne)
            return gg_fail(c->err, EF_ERROR, f->path,
                           "tensor '%s': element count overflows (absurd dimensions)", name);
        elems *= ne;
        t->ne[d] = ne;
    }
    if (gg_u32(c, &type, "tensor type") || gg_u64(c, &t->offset, "tensor offset"))
        return EF_ERROR;
    uint32_t be, bb;
    if (!dequant_type_block((int)type, &be, &bb))
        return gg_fail(c->err, EF_ERROR, f->path, "tensor '%s' has unknown ggml type %u", name,
                       type);
    t->type = (int)type;
    if (t->ne[0] % be)
        return gg_fail(c->err, EF_ERROR, f->path,
                       "tensor '%s': ne0 = %llu is not a multiple of the %s block size %u", name,
                       (unsigned long long)t->ne[0], dequant_type_name(t->type), be);
    uint64_t row = t->ne[0] / be * bb, rows = elems && t->ne[0] ? elems / t->ne[0] : 0;
    if (rows && row > UINT64_MAX / rows)
        return gg_fail(c->err, EF_ERROR, f->path, "tensor '%s': byte size overflows", name);
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
            return gg_fail(err, EF_ERROR, f->path,
                           "tensor '%s': offset %llu is not a multiple of the alignment %u",
                           t->name, (unsigned long long)t->offset, f->alignment);
        uint64_t room = f->size - f->data_start;
        if (t->offset > room || t->nbytes > room - t->offset)
            return gg_fail(err, EF_ERROR, f->path,
                           "tensor '%s': data [%llu, +%llu) lies outside the file (%llu bytes "
                           "of tensor data)", t->name, (unsigned long long)t->offset,
                           (unsigned long long)t->nbytes, (unsigned long long)room);
        t->data = f->map + f->data_start + t->offset;
    }
    by_off = malloc((f->n_tensors ? f->n_tensors : 1) * sizeof *by_off);
    if (!by_off) return gg_fail(err, EF_NOMEM, f->path, "out of memory sorting tensors");
    for (uint64_t i = 0; i < f->n_tensors; i++) by_off[i] = &f->tensors[i];
    qsort(by_off, f->n_tensors, sizeof *by_off, gg_tensor_offset_cmp);
    for (uint64_t i = 1; i < f->n_tensors; i++) {
        const gguf_tensor *a = by_off[i - 1], *b = by_off[i];
        if (a->nbytes && b->nbytes && a->offset + a->nbytes > b->offset) {
            rc = gg_fail(err, EF_ERROR, f->path, "tensors '%s' and '%s' overlap in the file",
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
        return gg_fail(c->err, EF_ERROR, f->path,
                       "truncated or corrupt file: tensor_count %llu needs more than the %llu "
                       "bytes left", (unsigned long long)f->n_tensors,
                       (unsigned long long)(c->size - c->pos));
    uint64_t n = f->n_tensors ? f->n_tensors : 1;
    f->tensors = calloc(n, sizeof *f->tensors);
    f->t_by_name = calloc(n, sizeof *f->t_by_name);
    f->names = calloc(n, GGUF_MAX_NAME + 1);
    if (!f->tensors || !f->t_by_name || !f->names)
        return gg_fail(c->err, EF_NOMEM, f->path, "out of memory for %llu tensor infos",
                       (unsigned long long)f->n_tensors);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        if (gg_parse_tensor_info(f, c, i)) return EF_ERROR;
        f->t_by_name[i] = &f->tensors[i];
    }
    qsort(f->t_by_name, f->n_tensors, sizeof *f->t_by_name, gg_tensor_name_cmp);
    for (uint64_t i = 1; i < f->n_tensors; i++)
        if (!strcmp(f->t_by_name[i - 1]->name, f->t_by_name[i]->name))
            return gg_fail(c->err, EF_ERROR, f->path, "duplicate tensor name '%s'",
                           f->t_by_name[i]->name);
    uint64_t pad = (f->alignment - c->pos % f->alignment) % f->alignment;
    f->data_start = c->pos + pad;
    if (f->n_tensors && pad > c->size - c->pos)
        return gg_fail(c->err, EF_ERROR, f->path,
                       "truncated file: the tensor data section would start at byte %llu, past "
                       "the end (%llu bytes)", (unsigned long long)f->data_start,
                       (unsigned long long)f->size);
    if (!f->n_tensors) return EF_OK;
    return gg_place_tensors(f, c->err);
}

/* ---- open / close ---------------------------------------------------------------- */

static int gg_parse(gguf_file *f, ef_error *err)
{
    gg_cur c = {.map = f->map, .pos = 0, .size = f->size, .path = f->path, .err = err};
    if (f->size < 4 || memcmp(f->map, "GGUF", 4))
        return gg_fail(err, EF_ERROR, f->path, "not a GGUF file (bad magic; expected \"GGUF\")");
    c.pos = 4;
    if (gg_u32(&c, &f->version, "version")) return EF_ERROR;
    if (f->version && !(f->version & 0xFFFF))
        return gg_fail(err, EF_ERROR, f->path,
                       "version field 0x%08x looks byte-swapped: big-endian GGUF files are not "
                       "supported", f->version);
    if (f->version < 2 || f->version > 3)
        return gg_fail(err, EF_ERROR, f->path,
                       "unsupported GGUF version %u (efbench reads versions 2 and 3)", f->version);
    if (gg_u64(&c, &f->n_tensors, "tensor_count") || gg_u64(&c, &f->n_kv, "kv_count"))
        return EF_ERROR;
    if (f->n_tensors > GGUF_MAX_TENSORS)
        return gg_fail(err, EF_ERROR, f->path, "absurd tensor_count %llu (limit %u)",
                       (unsigned long long)f->n_tensors, GGUF_MAX_TENSORS);
    if (f->n_kv > GGUF_MAX_KV)
        return gg_fail(err, EF_ERROR, f->path, "absurd kv_count %llu (limit %u)",
                       (unsigned long long)f->n_kv, GGUF_MAX_KV);
    if (gg_parse_kv(f, &c) || gg_alignment(f, err)) return EF_ERROR;
    if (gg_parse_tensors(f, &c)) return EF_ERROR;
    const gguf_kv *a = gg_kv(f, "general.architecture");
    size_t alen = a && a->type == GGUF_TYPE_STRING ? (size_t)a->len : 0;
    f->arch = malloc(alen + 1);
    if (!f->arch) return gg_fail(err, EF_NOMEM, f->path, "out of memory");
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
        rc = gg_fail(err, EF_NOMEM, path, "out of memory");
        goto fail_free;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = gg_fail(err, EF_ERROR, path, "cannot open: %s", strerror(errno));
        goto fail_free;
    }
    if (fstat(fd, &st) < 0) {
        rc = gg_fail(err, EF_ERROR, path, "cannot stat: %s", strerror(errno));
        goto fail_close;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gg_fail(err, EF_ERROR, path, "not a regular file");
        goto fail_close;
    }
    if (st.st_size < 24) {
        rc = gg_fail(err, EF_ERROR, path, "truncated file: %lld bytes, a GGUF header needs 24",
                     (long long)st.st_size);
        goto fail_close;
    }
    f->size = (uint64_t)st.st_size;
    void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        rc = gg_fail(err, EF_ERROR, path, "cannot mmap %llu bytes: %s",
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

/* ---- metadata access ------------------------------------------------------------- */

uint64_t gguf_kv_count(const gguf_file *f) { return f->n_kv; }
const char *gguf_kv_key(const gguf_file *f, uint64_t i) { return i < f->n_kv ? f->kv[i].key : NULL; }
int gguf_kv_type(const gguf_file *f, uint64_t i) { return i < f->n_kv ? f->kv[i].type : -1; }

int64_t gguf_kv_find(const gguf_file *f, const char *key)
{
    const gguf_kv *kv = gg_kv(f, key);
    return kv ? (int64_t)(kv - f->kv) : -1;
}

/* Look up `key`; fail naming it when absent. */
static int gg_lookup(const gguf_file *f, const char *key, const gguf_kv **kv, ef_error *err)
{
    *kv = gg_kv(f, key);
    if (!*kv) return gg_fail(err, EF_ERROR, f->path, "metadata key '%s' is missing", key);
    return EF_OK;
}

static int gg_type_mismatch(const gguf_file *f, const char *key, int have, const char *want,
                            ef_error *err)
{
    return gg_fail(err, EF_ERROR, f->path, "metadata key '%s' is %s, expected %s", key,
                   gg_type_name(have), want);
}

/* An integer value of type `type` at p, as (negative?, magnitude-or-value). */
static int gg_int_at(int type, const uint8_t *p, int *neg, uint64_t *u, int64_t *s)
{
    switch (type) {
    case GGUF_TYPE_UINT8: *u = p[0]; break;
    case GGUF_TYPE_INT8: *s = (int8_t)p[0]; goto is_signed;
    case GGUF_TYPE_UINT16: *u = gg_le16(p); break;
    case GGUF_TYPE_INT16: *s = (int16_t)gg_le16(p); goto is_signed;
    case GGUF_TYPE_UINT32: *u = gg_le32(p); break;
    case GGUF_TYPE_INT32: *s = (int32_t)gg_le32(p); goto is_signed;
    case GGUF_TYPE_UINT64: *u = gg_le64(p); break;
    case GGUF_TYPE_INT64: *s = (int64_t)gg_le64(p); goto is_signed;
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
        return gg_fail(err, EF_ERROR, f->path, "metadata key '%s' = %lld is out of range", key,
                       (long long)*s);
    if (!*neg && *u > hi)
        return gg_fail(err, EF_ERROR, f->path, "metadata key '%s' = %llu is out of range", key,
                       (unsigned long long)*u);
    return EF_OK;
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *v, ef_error *err)
{
    int neg;
    uint64_t u;
    int64_t s;
    if (gg_get_int(f, key, 0, UINT32_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = (uint32_t)u;
    return EF_OK;
}

int gguf_get_i32(const gguf_file *f, const char *key, int32_t *v, ef_error *err)
{
    int neg;
    uint64_t u;
    int64_t s;
    if (gg_get_int(f, key, INT32_MIN, INT32_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = (int32_t)s;
    return EF_OK;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *v, ef_error *err)
{
    int neg;
    uint64_t u;
    int64_t s;
    if (gg_get_int(f, key, 0, UINT64_MAX, &neg, &u, &s, err)) return EF_ERROR;
    *v = u;
    return EF_OK;
}

/* A numeric value of type `type` at p as double; 0 if not numeric. */
static int gg_num_at(int type, const uint8_t *p, double *v)
{
    int neg;
    uint64_t u;
    int64_t s;
    if (type == GGUF_TYPE_FLOAT32) {
        uint32_t b = gg_le32(p);
        float x;
        memcpy(&x, &b, 4);
        *v = x;
    } else if (type == GGUF_TYPE_FLOAT64) {
        uint64_t b = gg_le64(p);
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
    if ((*kv)->type != GGUF_TYPE_ARRAY)
        return gg_type_mismatch(f, key, (*kv)->type, "ARRAY", err);
    if (i >= (*kv)->count)
        return gg_fail(err, EF_ERROR, f->path, "index %llu past the end of array '%s' (%llu)",
                       (unsigned long long)i, key, (unsigned long long)(*kv)->count);
    return EF_OK;
}

int gguf_arr_str(const gguf_file *f, const char *key, uint64_t i, const char **s, size_t *len,
                 ef_error *err)
{
    const gguf_kv *kv;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    if (kv->elem_type != GGUF_TYPE_STRING)
        return gg_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected STRING", key,
                       gg_type_name(kv->elem_type));
    const uint8_t *p = f->map + kv->str_pos[i];
    *len = (size_t)gg_le64(p);
    *s = (const char *)p + 8;
    return EF_OK;
}

int gguf_arr_f64(const gguf_file *f, const char *key, uint64_t i, double *v, ef_error *err)
{
    const gguf_kv *kv;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    int et = kv->elem_type;
    if (et == GGUF_TYPE_STRING || et == GGUF_TYPE_BOOL ||
        !gg_num_at(et, kv->val + i * gg_type_size[et], v))
        return gg_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected numbers", key,
                       gg_type_name(et));
    return EF_OK;
}

int gguf_arr_i64(const gguf_file *f, const char *key, uint64_t i, int64_t *v, ef_error *err)
{
    const gguf_kv *kv;
    int neg;
    uint64_t u;
    int64_t s;
    if (gg_arr_elem(f, key, i, &kv, err)) return EF_ERROR;
    int et = kv->elem_type;
    if (et == GGUF_TYPE_BOOL) {
        *v = kv->val[i] != 0;
        return EF_OK;
    }
    if (et == GGUF_TYPE_STRING || !gg_int_at(et, kv->val + i * gg_type_size[et], &neg, &u, &s))
        return gg_fail(err, EF_ERROR, f->path, "array '%s' holds %s, expected integers", key,
                       gg_type_name(et));
    if (!neg && u > (uint64_t)INT64_MAX)
        return gg_fail(err, EF_ERROR, f->path, "array '%s'[%llu] = %llu does not fit int64", key,
                       (unsigned long long)i, (unsigned long long)u);
    *v = s;
    return EF_OK;
}

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
        return ef_fail(err, EF_ERROR, "tensor '%s': row %llu out of range (%llu rows)", t->name,
                       (unsigned long long)row, (unsigned long long)rows);
    if (!dequant_type_supported(t->type))
        return ef_fail(err, EF_UNSUPPORTED,
                       "tensor '%s' is stored as %s, which efbench cannot dequantise (supported: "
                       "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
                       t->name, dequant_type_name(t->type));
    int ok;
    uint64_t rb = dequant_row_bytes(t->type, (int64_t)t->ne[0], &ok);
    if (!ok) return ef_fail(err, EF_ERROR, "tensor '%s': bad row geometry", t->name);
    ef_error e2;
    if (dequant_row(t->type, t->data + row * rb, dst, (int64_t)t->ne[0], &e2))
        return ef_fail(err, EF_ERROR, "tensor '%s': %s", t->name, e2.msg);
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
        sha256_ctx c;
        uint8_t dg[32];
        sha256_init(&c);
        for (uint64_t off = 0; off < f->size; off += 1u << 24) {
            uint64_t n = f->size - off < (1u << 24) ? f->size - off : (1u << 24);
            sha256_update(&c, f->map + off, (size_t)n);
        }
        sha256_final(&c, dg);
        sha256_digest_hex(dg, f->hash);
        f->hashed = 1;
    }
    return f->hash;
}
