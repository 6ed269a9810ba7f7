/* tests/hostile_test.c — hostile files, as a careful user or an attacker would give them:
 * GGUF (truncations, overflows, absurd counts and dimensions, bad alignment, unknown types
 * and architectures), safetensors (bad headers, bad shapes, overlaps, NaN/inf payloads),
 * suites (long lines, NUL bytes, impossible sizes), texts (invalid UTF-8, empty, a gzip
 * bomb, a FIFO) and results (not JSON, another tool's, deep nesting). Each is given to the
 * command that reads it and must get exit 2, exactly one line on stderr naming the file and
 * the problem, and no output written. results/README.md lists them in a table; the test
 * checks that every file is in it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "model/dequant.h"
#include "model/gguf.h"
#include "harness/suite.h"
#include "model/texts.h"
#include "test_util.h"
#include "tests/model_testdata.h"

static char dir[256];

static void setup(void) { ef_test_scratch_make(dir, sizeof dir, "hostile"); }
static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 600);

/* ---- builders: each writes the file at `path` ---------------------------------------- */

static void put(const char *path, const void *bytes, size_t n)
{
    cr_assert_eq(testdata_write_bytes(path, bytes, n), 0, "%s", path);
}
static void put_str(const char *path, const char *s) { put(path, s, strlen(s)); }

/* A small valid GGUF (metadata of several kinds, three tensors), as the reader tests use. */
static testdata_gguf *small_gguf(void)
{
    testdata_gguf *g = testdata_gguf_new();
    const char *strs[] = {"<s>", "a", "b"};
    float sc[3] = {0, -1, -2}, x[512];
    testdata_gguf_str(g, "general.architecture", "llama");
    testdata_gguf_u32(g, "llama.block_count", 1);
    testdata_gguf_arr_str(g, "tokenizer.ggml.tokens", strs, 3);
    testdata_gguf_arr(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, sc, 3);
    for (int i = 0; i < 512; i++) x[i] = (float)(i % 17) - 8.0f;
    testdata_gguf_tensor(g, "a", 1, (uint64_t[]){8}, DQ_TYPE_F32, x);
    testdata_gguf_tensor(g, "b", 2, (uint64_t[]){32, 2}, DQ_TYPE_Q4_0, x);
    return g;
}

static void put_gguf(const char *path, testdata_gguf *g)
{
    cr_assert_eq(testdata_gguf_write(g, path), 0, "%s", path);
    testdata_gguf_free(g);
}

/* small_gguf with n bytes at `at` replaced. */
static void put_small_patched(const char *path, size_t at, const void *bytes, size_t n)
{
    uint8_t *img;
    size_t len;
    testdata_gguf *g = small_gguf();
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    memcpy(img + at, bytes, n);
    put(path, img, len);
    free(img);
}

/* The tiny llama of model_testdata.c, whole. */
static uint8_t *tiny_image(size_t *len)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tiny-src.gguf", dir);
    cr_assert_eq(testdata_write_gguf(tmp, "llama", DQ_TYPE_Q8_0, 3), 0);
    FILE *f = fopen(tmp, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *img = malloc(*len);
    cr_assert(img && fread(img, 1, *len, f) == *len);
    fclose(f);
    remove(tmp);
    return img;
}

/* The value of metadata `key` in a GGUF image: after the key (u64 length, bytes) and its
 * u32 type. */
static uint8_t *value_of(uint8_t *img, size_t len, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 8; i + kl + 4 < len; i++) {
        uint64_t stored;
        memcpy(&stored, img + i - 8, 8);
        if (stored == kl && !memcmp(img + i, key, kl)) return img + i + kl + 4;
    }
    cr_assert_fail("%s is not in the image", key);
    return NULL;
}

static void put_tiny_u32(const char *path, const char *key, uint32_t v)
{
    size_t len;
    uint8_t *img = tiny_image(&len);
    memcpy(value_of(img, len, key), &v, 4);
    put(path, img, len);
    free(img);
}

static void put_tiny_cut(const char *path, long keep) /* keep < 0: drop that many bytes */
{
    size_t len;
    uint8_t *img = tiny_image(&len);
    put(path, img, keep < 0 ? len + (size_t)keep : (size_t)keep);
    free(img);
}

static void g_empty(const char *p) { put(p, "", 0); }
static void g_magic(const char *p) { put_small_patched(p, 0, "GGUG", 4); }
static void g_version(const char *p) { put_small_patched(p, 4, &(uint32_t){4}, 4); }
static void g_endian(const char *p) { put_small_patched(p, 4, &(uint32_t){0x03000000u}, 4); }
static void g_tensors(const char *p) { put_small_patched(p, 8, &(uint64_t){(uint64_t)1 << 40}, 8); }
static void g_kvs(const char *p) { put_small_patched(p, 16, &(uint64_t){(uint64_t)1 << 40}, 8); }
static void g_keylen(const char *p) { put_small_patched(p, 24, &(uint64_t){(uint64_t)1 << 50}, 8); }
static void g_cut_meta(const char *p) { put_tiny_cut(p, 1000); }
static void g_cut_data(const char *p) { put_tiny_cut(p, -64); }
static void g_vtype(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    uint32_t bad = 13;
    testdata_gguf_scalar(g, "x", (int)bad, &bad, 4);
    put_gguf(p, g);
}
static void g_arrcount(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_arr(g, "huge", GGUF_TYPE_UINT32, (uint32_t[2]){0}, 2);
    uint8_t *img;
    size_t len;
    cr_assert_eq(testdata_gguf_image(g, &img, &len), 0);
    testdata_gguf_free(g);
    memcpy(img + 24 + 12 + 4 + 4, &(uint64_t){(uint64_t)1 << 31}, 8); /* the array's count */
    put(p, img, len);
    free(img);
}
static void g_align(const char *p)
{
    testdata_gguf *g = small_gguf();
    testdata_gguf_scalar(g, "general.alignment", GGUF_TYPE_UINT32, &(uint32_t){48}, 4);
    put_gguf(p, g);
}
static void g_ndims(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "five", 5, (uint64_t[]){8, 1, 1, 1}, DQ_TYPE_F32, (uint8_t[32]){0},
                             32);
    put_gguf(p, g);
}
static void g_overflow(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "huge", 2, (uint64_t[]){(uint64_t)1 << 40, (uint64_t)1 << 40},
                             DQ_TYPE_F32, (uint8_t[32]){0}, 32);
    put_gguf(p, g);
}
static void g_type(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "t99", 1, (uint64_t[]){32}, 99, (uint8_t[32]){0}, 32);
    put_gguf(p, g);
}
static void g_misaligned(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "a", 1, (uint64_t[]){8}, DQ_TYPE_F32, (uint8_t[32]){0}, 32);
    testdata_gguf_tensor_raw(g, "b", 1, (uint64_t[]){8}, DQ_TYPE_F32, (uint8_t[32]){0}, 32);
    testdata_gguf_set_offset(g, 1, 8);
    put_gguf(p, g);
}
static void g_overlap(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "a", 1, (uint64_t[]){16}, DQ_TYPE_F32, (uint8_t[64]){0}, 64);
    testdata_gguf_tensor_raw(g, "b", 1, (uint64_t[]){16}, DQ_TYPE_F32, (uint8_t[64]){0}, 64);
    testdata_gguf_set_offset(g, 1, 32);
    put_gguf(p, g);
}
static void g_offset(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "a", 1, (uint64_t[]){16}, DQ_TYPE_F32, (uint8_t[64]){0}, 64);
    testdata_gguf_set_offset(g, 0, 1u << 20);
    put_gguf(p, g);
}
static void g_duplicate(const char *p)
{
    testdata_gguf *g = testdata_gguf_new();
    testdata_gguf_tensor_raw(g, "x", 1, (uint64_t[]){8}, DQ_TYPE_F32, (uint8_t[32]){0}, 32);
    testdata_gguf_tensor_raw(g, "x", 1, (uint64_t[]){8}, DQ_TYPE_F32, (uint8_t[32]){0}, 32);
    put_gguf(p, g);
}
static void g_arch(const char *p)
{
    size_t len;
    uint8_t *img = tiny_image(&len);
    memcpy(value_of(img, len, "general.architecture") + 8, "mamba",
           5); /* after the string's length */
    put(p, img, len);
    free(img);
}
static void g_absurd(const char *p)
{
    size_t len;
    uint8_t *img = tiny_image(&len);
    const char *keys[] = {"llama.embedding_length",       "llama.block_count",
                          "llama.attention.head_count",   "llama.attention.key_length",
                          "llama.attention.value_length", "llama.rope.dimension_count"};
    uint32_t vals[] = {1u << 24, 4096, 4096, 4096, 4096, 4096};
    for (int i = 0; i < 6; i++) memcpy(value_of(img, len, keys[i]), &vals[i], 4);
    put(p, img, len);
    free(img);
}
static void g_blocks(const char *p) { put_tiny_u32(p, "llama.block_count", 4096); }
static void g_heads(const char *p) { put_tiny_u32(p, "llama.attention.head_count_kv", 4); }
static void g_tokenizer(const char *p)
{
    size_t len;
    uint8_t *img = tiny_image(&len);
    memcpy(value_of(img, len, "tokenizer.ggml.model") + 8, "zzzzz", 5); /* "llama" */
    put(p, img, len);
    free(img);
}

/* ---- texts (and the FIFO and folder given in place of any file) ---- */

static void t_utf8(const char *p)
{
    put_str(p, "Hello \xc3\x28 world, an invalid two-byte sequence\n");
}
static void t_empty(const char *p) { put(p, "", 0); }
static void t_short(const char *p) { put_str(p, "Hi"); }
static void t_bomb(const char *p)
{
    gzFile gz = gzopen(p, "wb9");
    char chunk[1 << 16];
    memset(chunk, 'a', sizeof chunk);
    for (size_t done = 0; done < TEXT_MAX_BYTES + (1u << 20); done += sizeof chunk)
        gzwrite(gz, chunk, sizeof chunk);
    cr_assert_eq(gzclose(gz), Z_OK);
}
static void t_gz_cut(const char *p)
{
    char full[700];
    snprintf(full, sizeof full, "%s.full", p);
    gzFile gz = gzopen(full, "wb");
    for (int i = 0; i < 2000; i++) gzprintf(gz, "line %d of a text that will be cut short\n", i);
    gzclose(gz);
    FILE *f = fopen(full, "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    remove(full);
    put(p, buf, n / 2);
}
static void t_fifo(const char *p) { cr_assert_eq(mkfifo(p, 0600), 0); }
static void t_dir(const char *p) { cr_assert_eq(mkdir(p, 0755), 0); }

/* ---- safetensors: 8-byte header length, header, data ---- */

static void put_st(const char *path, const char *header, size_t data_bytes, const float *data)
{
    uint8_t b[8192];
    uint64_t n = strlen(header);
    memcpy(b, &n, 8);
    memcpy(b + 8, header, n);
    if (data) memcpy(b + 8 + n, data, data_bytes);
    else memset(b + 8 + n, 0, data_bytes);
    put(path, b, 8 + n + data_bytes);
}

static void s_empty(const char *p) { put(p, "", 0); }
static void s_hlen(const char *p)
{
    uint8_t b[64] = {0};
    memcpy(b, &(uint64_t){(uint64_t)1 << 40}, 8);
    put(p, b, sizeof b);
}
static void s_notjson(const char *p)
{
    uint8_t b[12] = {4, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd'};
    put(p, b, sizeof b);
}
static void s_broken(const char *p) { put_st(p, "{\"a\": [1, 2", 0, NULL); }
static void s_shape(const char *p)
{
    put_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,24]}}", 24, NULL);
}
static void s_dtype(const char *p)
{
    put_st(p, "{\"a\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, NULL);
}
static void s_negative(const char *p)
{
    put_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, NULL);
}
static void s_overlap(const char *p)
{
    put_st(p,
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
           12, NULL);
}

/* One layer of the exchange layout: q.0 [1, n, d], k.0 [1, n, d] (n = 24, d = 4), causal,
 * seeded values, then `spoil` applied. */
enum { QN = 24, QD = 4 };
static void put_qk(const char *path, int with_k, void (*spoil)(float *q, float *k))
{
    float v[2 * QN * QD];
    testdata_rng r;
    testdata_rng_seed(&r, 17);
    for (int i = 0; i < 2 * QN * QD; i++) v[i] = (float)testdata_rng_normal(&r);
    if (spoil) spoil(v, v + QN * QD);
    char header[1024];
    snprintf(
        header, sizeof header,
        "{\"__metadata__\":{\"model\":\"m\",\"text\":\"t\",\"length\":\"%d\",\"mask.0\":\"causal\",\"scale.0\":\"0.5\"},"
        "\"q.0\":{\"dtype\":\"F32\",\"shape\":[1,%d,%d],\"data_offsets\":[0,%d]}%s",
        QN, QN, QD, QN * QD * 4, with_k ? "" : "}");
    if (with_k) {
        size_t at = strlen(header);
        snprintf(header + at, sizeof header - at,
                 ",\"k.0\":{\"dtype\":\"F32\",\"shape\":[1,%d,%d],\"data_offsets\":[%d,%d]}}", QN,
                 QD, QN * QD * 4, 2 * QN * QD * 4);
    }
    put_st(path, header, (with_k ? 2 : 1) * QN * QD * sizeof(float), v);
}
static void spoil_nan(float *q, float *k) { (void)q, k[13] = 0.0f / 0.0f; }
static void spoil_inf(float *q, float *k) { (void)k, q[7] = 1.0f / 0.0f; }
static void spoil_const(float *q, float *k)
{
    (void)q;
    for (int i = 0; i < QN * QD; i++) k[i] = (float)(i % QD);
}
static void s_unpaired(const char *p) { put_qk(p, 0, NULL); }
static void s_nan(const char *p) { put_qk(p, 1, spoil_nan); }
static void s_inf(const char *p) { put_qk(p, 1, spoil_inf); }
static void s_const(const char *p) { put_qk(p, 1, spoil_const); }

/* ---- suites ---- */

static void u_longline(const char *p)
{
    size_t n = EF_SUITE_MAX_LINE + 10;
    char *s = malloc(n + 128);
    strcpy(s, "[suite]\ndescription = ");
    memset(s + strlen(s), 'x', n);
    strcpy(s + 22 + n, "\n[cases a]\nsources = gaussian\nlengths = 8\n");
    put_str(p, s);
    free(s);
}
static void u_nul(const char *p) { put(p, "[cases a]\nsources = gaussian\0\nlengths = 8\n", 41); }
static void u_length(const char *p)
{
    put_str(p, "[cases a]\nsources = gaussian\nlengths = 99999999\n");
}
static void u_dims(const char *p)
{
    put_str(p, "[cases a]\nsources = gaussian\nlengths = 64\ndims = 100000\n");
}
static void u_many(const char *p)
{
    char s[1024] = "[cases a]\nsources = gaussian\nlengths = 2";
    for (int i = 3; i < 3 + EF_SUITE_MAX_LIST; i++)
        snprintf(s + strlen(s), sizeof s - strlen(s), ", %d", i);
    strcat(s, "\n");
    put_str(p, s);
}
static void u_empty(const char *p) { put(p, "", 0); }
static void u_binary(const char *p) { put_str(p, "[suite]\n\x01\x02\xff\xfe binary \x7f bytes\n"); }
static void u_window(const char *p)
{
    put_str(p, "[cases a]\nsources = gaussian\nlengths = 8\nmasks = window:0\n");
}
static void u_reps(const char *p)
{
    put_str(p, "[suite]\nmin_reps = 9\nmax_reps = 2\n[cases a]\nsources = gaussian\nlengths = 8\n");
}

/* ---- results ---- */

static void r_notjson(const char *p)
{
    put_str(p, "{\"format\": \"efbench-results\", \"format_version\": 1, \"cases\": [\n");
}
static void r_tool(const char *p)
{
    put_str(p, "{\"format\": \"other-tool-results\", \"format_version\": 1}\n");
}
static void r_deep(const char *p)
{
    enum { DEPTH = 100000 };
    char *s = malloc(2 * DEPTH + 1);
    memset(s, '[', DEPTH);
    memset(s + DEPTH, ']', DEPTH);
    put(p, s, 2 * DEPTH);
    free(s);
}
static void r_version(const char *p)
{
    put_str(
        p,
        "{\"format\": \"efbench-results\", \"format_version\": 2, \"devices\": [], \"cases\": []}\n");
}
static void r_cases(const char *p)
{
    put_str(
        p,
        "{\"format\": \"efbench-results\", \"format_version\": 1, \"devices\": [], \"cases\": 5}\n");
}
static void r_device(const char *p)
{
    put_str(
        p,
        "{\"format\": \"efbench-results\", \"format_version\": 1, \"devices\": [], \"cases\": [{\"backend\": \"cpu\", "
        "\"workload\": \"energy\", \"mask\": \"full\", \"precision\": \"fp32\", \"source\": \"gaussian\", "
        "\"status\": \"pass\", \"device_id\": 3, \"n\": 64, \"d\": 16}]}\n");
}
static void r_empty(const char *p) { put(p, "", 0); }

/* ---- the table ------------------------------------------------------------------------ */

typedef enum { BY_MODEL, BY_TEXT, BY_QK_MONITOR, BY_QK_RUN, BY_SUITE, BY_REPORT } given_as;

typedef struct hostile {
    const char *file;
    given_as how;
    void (*make)(const char *path);
    const char *problem; /* in the one line, beside the file's name */
} hostile;

static const hostile inputs[] = {
    {"empty.gguf", BY_MODEL, g_empty, "truncated"},
    {"bad-magic.gguf", BY_MODEL, g_magic, "magic"},
    {"version-4.gguf", BY_MODEL, g_version, "version 4"},
    {"big-endian.gguf", BY_MODEL, g_endian, "big-endian"},
    {"tensor-count.gguf", BY_MODEL, g_tensors, "tensor_count"},
    {"kv-count.gguf", BY_MODEL, g_kvs, "kv_count"},
    {"key-length.gguf", BY_MODEL, g_keylen, "1 GiB"},
    {"cut-in-metadata.gguf", BY_MODEL, g_cut_meta, "truncated"},
    {"cut-in-data.gguf", BY_MODEL, g_cut_data, "outside the file"},
    {"value-type-13.gguf", BY_MODEL, g_vtype, "invalid value type 13"},
    {"array-count.gguf", BY_MODEL, g_arrcount, "2^30"},
    {"alignment-48.gguf", BY_MODEL, g_align, "power of two"},
    {"five-dims.gguf", BY_MODEL, g_ndims, "5 dimensions"},
    {"element-overflow.gguf", BY_MODEL, g_overflow, "overflows"},
    {"type-99.gguf", BY_MODEL, g_type, "unknown ggml type 99"},
    {"misaligned-tensor.gguf", BY_MODEL, g_misaligned, "alignment"},
    {"overlapping-tensors.gguf", BY_MODEL, g_overlap, "overlap"},
    {"offset-past-end.gguf", BY_MODEL, g_offset, "outside the file"},
    {"duplicate-tensor.gguf", BY_MODEL, g_duplicate, "duplicate tensor name"},
    {"architecture-mamba.gguf", BY_MODEL, g_arch, "architecture 'mamba'"},
    {"absurd-dimensions.gguf", BY_MODEL, g_absurd, "embedding_length"},
    {"block-count-4096.gguf", BY_MODEL, g_blocks, "block_count"},
    {"head-count-kv.gguf", BY_MODEL, g_heads, "head_count_kv"},
    {"tokenizer-model.gguf", BY_MODEL, g_tokenizer, "zzzzz"},
    {"fifo.gguf", BY_MODEL, t_fifo, "FIFO"},
    {"directory.gguf", BY_MODEL, t_dir, "directory"},
    {"invalid-utf8.txt", BY_TEXT, t_utf8, "UTF-8"},
    {"empty.txt", BY_TEXT, t_empty, "empty"},
    {"too-short.txt", BY_TEXT, t_short, "fewer than"},
    {"bomb.txt.gz", BY_TEXT, t_bomb, "more than 16 MiB"},
    {"cut.txt.gz", BY_TEXT, t_gz_cut, "read failed"},
    {"fifo-text", BY_TEXT, t_fifo, "FIFO"},
    {"directory-text", BY_TEXT, t_dir, "directory"},
    {"empty.safetensors", BY_QK_MONITOR, s_empty, "truncated"},
    {"header-length.safetensors", BY_QK_MONITOR, s_hlen, "absurd"},
    {"not-json.safetensors", BY_QK_MONITOR, s_notjson, "not a safetensors file"},
    {"broken-json.safetensors", BY_QK_RUN, s_broken, "JSON"},
    {"shape-vs-offsets.safetensors", BY_QK_MONITOR, s_shape, "need 32 bytes"},
    {"dtype-F17.safetensors", BY_QK_RUN, s_dtype, "unknown dtype"},
    {"negative-shape.safetensors", BY_QK_MONITOR, s_negative, "non-negative"},
    {"overlap.safetensors", BY_QK_MONITOR, s_overlap, "overlap"},
    {"q-without-k.safetensors", BY_QK_RUN, s_unpaired, "no k.0"},
    {"nan-keys.safetensors", BY_QK_RUN, s_nan, "NaN"},
    {"inf-queries.safetensors", BY_QK_MONITOR, s_inf, "+inf"},
    {"constant-keys.safetensors", BY_QK_RUN, s_const, "same key"},
    {"fifo.safetensors", BY_QK_MONITOR, t_fifo, "FIFO"},
    {"fifo-qk.safetensors", BY_QK_RUN, t_fifo, "FIFO"},
    {"long-line.ini", BY_SUITE, u_longline, "longer than"},
    {"nul-byte.ini", BY_SUITE, u_nul, "NUL"},
    {"length-99999999.ini", BY_SUITE, u_length, "lengths"},
    {"dims-100000.ini", BY_SUITE, u_dims, "dims"},
    {"33-lengths.ini", BY_SUITE, u_many, "more than 32"},
    {"empty.ini", BY_SUITE, u_empty, "[cases"},
    {"binary.ini", BY_SUITE, u_binary, "syntax error"},
    {"window-0.ini", BY_SUITE, u_window, "window:0"},
    {"min-over-max.ini", BY_SUITE, u_reps, "min_reps"},
    {"fifo.ini", BY_SUITE, t_fifo, "FIFO"},
    {"not-json.json", BY_REPORT, r_notjson, "not JSON"},
    {"other-tool.json", BY_REPORT, r_tool, "not an efbench results file"},
    {"deep-nesting.json", BY_REPORT, r_deep, "depth"},
    {"format-version-2.json", BY_REPORT, r_version, "newer efbench"},
    {"cases-not-array.json", BY_REPORT, r_cases, "\"cases\""},
    {"device-id-3.json", BY_REPORT, r_device, "device_id 3"},
    {"empty.json", BY_REPORT, r_empty, "not JSON"},
    {"fifo.json", BY_REPORT, t_fifo, "FIFO"},
};

/* The command that reads the file, writing its output (which must not appear) to "out". */
static void command_for(const hostile *h, char *args, size_t len)
{
    const char *tiny = ef_test_suite_path("tiny.ini");
    switch (h->how) {
        case BY_MODEL:
            snprintf(args, len, "capture --model '%s' --text ok.txt --length 8 --out out", h->file);
            break;
        case BY_TEXT:
            snprintf(args, len, "capture --model ok.gguf --text '%s' --length 8 --out out",
                     h->file);
            break;
        case BY_QK_MONITOR: snprintf(args, len, "monitor --qk '%s' --out out", h->file); break;
        case BY_QK_RUN:
            snprintf(args, len, "run --suite '%s' --backend cpu --no-peak --qk '%s' --out out",
                     tiny, h->file);
            break;
        case BY_SUITE:
            snprintf(args, len, "run --suite '%s' --backend cpu --no-peak --out out", h->file);
            break;
        case BY_REPORT: snprintf(args, len, "report '%s' --out out", h->file); break;
    }
}

Test(hostile, every_file_refused_with_one_line)
{
    char path[700], args[2048];
    cr_assert_geq(sizeof inputs / sizeof inputs[0], 40);
    /* what the hostile files are given with: a good model and a good text */
    snprintf(path, sizeof path, "%s/ok.gguf", dir);
    cr_assert_eq(testdata_write_gguf(path, "llama", DQ_TYPE_Q8_0, 3), 0);
    snprintf(path, sizeof path, "%s/ok.txt", dir);
    put_str(
        path,
        "Hello world, the capital of France is Paris. The quick brown fox jumps over the lazy dog.\n");
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const hostile *h = &inputs[i];
        snprintf(path, sizeof path, "%s/%s", dir, h->file);
        h->make(path);
        command_for(h, args, sizeof args);
        char env[600];
        snprintf(env, sizeof env, "XDG_CACHE_HOME='%s/cache'", dir);
        int rc = ef_test_efbench(dir, env, args);
        const char *e = ef_test_read(dir, "stderr");
        cr_expect_eq(rc, 2, "%s: exit %d, not 2; stderr: %s", h->file, rc, e);
        cr_expect(strchr(e, '\n') == e + strlen(e) - 1, "%s: stderr is not exactly one line: %s",
                  h->file, e);
        cr_expect(strstr(e, h->file), "%s: the line does not name the file: %s", h->file, e);
        cr_expect(strstr(e, h->problem), "%s: the line does not say '%s': %s", h->file, h->problem,
                  e);
        cr_expect(!ef_test_exists(dir, "out"), "%s: an output was written", h->file);
        cr_log_info("%s: %s", h->file, e);
        char cmd[800];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/out' '%s/%s'", dir, dir, h->file);
        cr_assert_eq(system(cmd), 0);
    }
}

/* results/README.md lists every input of the table above. */
Test(hostile, listed_in_results_readme)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/../../results/README.md", ef_test_suite_path(""));
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot read %s", path);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char cell[128];
        snprintf(cell, sizeof cell, "`%s`", inputs[i].file);
        cr_expect(strstr(text, cell), "results/README.md does not list %s", inputs[i].file);
    }
}
