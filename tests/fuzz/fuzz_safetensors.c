/* tests/fuzz/fuzz_safetensors.c — libFuzzer target: any bytes as a safetensors file,
 * through the reader (every tensor converted to float32, every metadata entry) and the Q/K
 * exchange layout of `efbench run --qk` and `monitor --qk` (capture_read). Error returns
 * are the expected outcome; crashes, leaks, sanitizer reports and hangs are findings.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "model/capture.h"
#include "model/safetensors.h"

static void walk(const safetensors_file *f)
{
    for (size_t i = 0; i < safetensors_tensor_count(f); i++) {
        const safetensors_tensor *t = safetensors_tensor_at(f, i);
        if (t->numel > (1u << 20)) continue;
        float *v = malloc((t->numel ? t->numel : 1) * sizeof *v);
        if (!v) continue;
        safetensors_tensor_read_f32(f, t, v, NULL);
        free(v);
    }
    for (size_t i = 0; i < safetensors_meta_count(f); i++) safetensors_meta_at(f, i);
    safetensors_qk_layer *layers;
    int n;
    if (safetensors_qk_layout(f, &layers, &n, NULL) == EF_OK) free(layers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return 0;
    safetensors_file *f;
    ef_error err;
    if (safetensors_open(path, &f, &err) == EF_OK) {
        walk(f);
        safetensors_close(f);
    }
    capture_set c;
    if (capture_read(path, &c, &err) == EF_OK) capture_free(&c);
    close(fd);
    return 0;
}
