/* tests/model_hparams_test.c — suite `model`: model_open checks every hyperparameter of a
 * GGUF against the shapes of the tensors that carry it before it allocates anything, and
 * refuses a value the tensors do not show with EF_ERROR naming the key. Before, absurd but
 * in-range values (embedding_length 2^24, block_count 4096, head_count 4096) made it ask
 * malloc for 1.9 TB, and smaller ones were allocated and then thrashed. The files are the
 * tiny models of model_testdata.c with one metadata value patched in place.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/forward.h"
#include "model/gguf.h"
#include "tests/model_testdata.h"

TestSuite(hparams, .fini = testdata_tmp_cleanup);

/* The file image of the tiny `arch` model. */
static uint8_t *tiny_image(const char *arch, size_t *len)
{
    char path[512];
    testdata_tmp_path(path, sizeof path, "hparams-src.gguf");
    cr_assert_eq(testdata_write_gguf(path, arch, DQ_TYPE_Q8_0, 99), 0);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *buf = malloc(*len);
    cr_assert(buf && fread(buf, 1, *len, f) == *len);
    fclose(f);
    remove(path);
    return buf;
}

/* Set the UINT32 value of metadata `key` in a GGUF image: the key's bytes are followed by
 * its type (u32) and the value (u32), little-endian. */
static void patch_u32(uint8_t *img, size_t len, const char *key, uint32_t value)
{
    size_t kl = strlen(key);
    for (size_t i = 8; i + kl + 8 <= len; i++) {
        uint64_t stored;
        memcpy(&stored, img + i - 8, 8);
        if (stored != kl || memcmp(img + i, key, kl)) continue;
        uint32_t type;
        memcpy(&type, img + i + kl, 4);
        cr_assert_eq(type, GGUF_TYPE_UINT32, "%s is not a UINT32", key);
        memcpy(img + i + kl + 4, &value, 4);
        return;
    }
    cr_assert_fail("key %s is not in the image", key);
}

/* Opening the image with `key` set to `value` fails with EF_ERROR naming the key. */
static void expect_key_refused(const char *arch, const char *key, uint32_t value, const char *also)
{
    size_t len;
    uint8_t *img = tiny_image(arch, &len);
    patch_u32(img, len, key, value);
    char path[512];
    testdata_tmp_path(path, sizeof path, "hparams.gguf");
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    free(img);
    model *m = NULL;
    ef_error err = {{0}};
    int rc = model_open(path, &m, &err);
    cr_assert_eq(rc, EF_ERROR, "%s = %u: rc %d (%s)", key, value, rc, rc ? err.msg : "opened");
    cr_assert_null(m);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, key),
              "%s = %u: message '%s' does not name the file and key", key, value, err.msg);
    if (also)
        cr_assert(strstr(err.msg, also), "%s = %u: message '%s' lacks '%s'", key, value, err.msg,
                  also);
    remove(path);
}

/* The unpatched image opens: the patches alone make the files bad. */
Test(hparams, tiny_models_open)
{
    const char *archs[] = {"gemma3", "llama", "qwen2"};
    for (int i = 0; i < 3; i++) {
        size_t len;
        uint8_t *img = tiny_image(archs[i], &len);
        char path[512];
        testdata_tmp_path(path, sizeof path, "hparams-ok.gguf");
        cr_assert_eq(testdata_write_bytes(path, img, len), 0);
        free(img);
        model *m = NULL;
        ef_error err = {{0}};
        cr_assert_eq(model_open(path, &m, &err), EF_OK, "%s: %s", archs[i], err.msg);
        model_close(m);
        remove(path);
    }
}

/* The file: 2^24 x 4096 x 4096 asked for 481 G floats; now the first key the
 * tensors contradict is named. */
Test(hparams, absurd_dimensions_refused_before_allocation)
{
    size_t len;
    uint8_t *img = tiny_image("llama", &len);
    patch_u32(img, len, "llama.embedding_length", 1u << 24);
    patch_u32(img, len, "llama.block_count", 4096);
    patch_u32(img, len, "llama.attention.head_count", 4096);
    patch_u32(img, len, "llama.attention.key_length", 4096);
    patch_u32(img, len, "llama.attention.value_length", 4096);
    patch_u32(img, len, "llama.rope.dimension_count", 4096);
    char path[512];
    testdata_tmp_path(path, sizeof path, "absurd.gguf");
    cr_assert_eq(testdata_write_bytes(path, img, len), 0);
    free(img);
    model *m = NULL;
    ef_error err = {{0}};
    int rc = model_open(path, &m, &err);
    cr_assert_eq(rc, EF_ERROR, "rc %d (%s)", rc, rc ? err.msg : "opened");
    cr_assert(strstr(err.msg, "llama.embedding_length"), "message '%s'", err.msg);
    remove(path);
}

Test(hparams, embedding_length_against_token_embd)
{
    expect_key_refused("llama", "llama.embedding_length", 1u << 24, "token_embd.weight");
    expect_key_refused("gemma3", "gemma3.embedding_length", 128, "token_embd.weight");
}

/* More blocks than the file has, and fewer: both are refused. */
Test(hparams, block_count_against_blocks)
{
    expect_key_refused("llama", "llama.block_count", 4096, "blk.2");
    expect_key_refused("qwen2", "qwen2.block_count", 1, "blk.1");
    expect_key_refused("gemma3", "gemma3.block_count", 7, "blk.6");
}

Test(hparams, heads_against_attention_tensors)
{
    expect_key_refused("llama", "llama.attention.head_count", 4096, "attn_q.weight");
    expect_key_refused("llama", "llama.attention.head_count_kv", 4, "attn_k.weight");
    expect_key_refused("qwen2", "qwen2.attention.key_length", 64, "attn_q.weight");
    expect_key_refused("llama", "llama.attention.value_length", 64, "attn_v.weight");
}

Test(hparams, feed_forward_length_against_ffn)
{
    expect_key_refused("llama", "llama.feed_forward_length", 1u << 24, "ffn_down.weight");
    expect_key_refused("gemma3", "gemma3.feed_forward_length", 256, "ffn_down.weight");
}
