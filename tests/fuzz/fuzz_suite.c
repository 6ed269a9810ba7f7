/* tests/fuzz/fuzz_suite.c — libFuzzer target: any bytes as a suite file, read by
 * suite_load as `efbench run --suite FILE` does (size and NUL checks, the line limit,
 * inih, every key's validation). A parsed suite must hold what the parser promises: set
 * and list counts within their arrays. Errors are the expected outcome.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "harness/suite.h"

static ef_suite suite; /* 250 KB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return 0;
    ef_error err;
    if (suite_load(path, &suite, &err) == EF_OK) {
        if (suite.set_count < 1 || suite.set_count > EF_SUITE_MAX_SETS) abort();
        for (int i = 0; i < suite.set_count; i++) {
            const ef_case_set *s = &suite.sets[i];
            if (s->source_count < 1 || s->source_count > EF_SUITE_MAX_LIST || s->length_count < 1 ||
                s->length_count > EF_SUITE_MAX_LIST || s->dim_count > EF_SUITE_MAX_LIST ||
                s->mask_count > EF_SUITE_MAX_LIST || s->precision_count > EF_PREC_COUNT ||
                s->workload_count > EF_WL_COUNT)
                abort();
            for (int l = 0; l < s->length_count; l++)
                if (s->lengths[l] < 2) abort();
        }
        if (suite.min_reps > suite.max_reps) abort();
    }
    close(fd);
    return 0;
}
