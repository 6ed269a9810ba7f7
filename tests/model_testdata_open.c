/* tests/model_testdata_open.c — testdata_archs and testdata_tiny_open (model_testdata.h):
 * the tiny models written and opened, for the Criterion tests that share them (the forward
 * and tokenizer tests). Kept apart from model_testdata.c because it asserts with Criterion,
 * which the fuzzers that link model_testdata.c do not have.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "model/forward.h"
#include "tests/model_testdata.h"

const char *const testdata_archs[3] = {"gemma3", "llama", "qwen2"};

model *testdata_tiny_open(const char *arch, char *path, size_t len)
{
    char name[64];
    snprintf(name, sizeof name, "tiny-%s.gguf", arch);
    testdata_tmp_path(path, len, name);
    cr_assert_eq(testdata_write_gguf(path, arch, TESTDATA_MIX_ALL, 1234), 0, "writing %s", path);
    model *m;
    ef_error err;
    int rc = model_open(path, &m, &err);
    cr_assert_eq(rc, EF_OK, "model_open(%s): %s", path, err.msg);
    remove(path); /* the mapping stays valid; the directory is left empty for .fini */
    return m;
}
