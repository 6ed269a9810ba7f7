/* tests/fuzz/fuzz_util.h — what the libFuzzer targets share: the input as a file (the
 * readers take paths and map or stream files), and the micro models of the seed corpus.
 */
#ifndef EF_FUZZ_UTIL_H
#define EF_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The input as an anonymous in-memory file (memfd) named by *path ("/proc/self/fd/N").
 * Returns the descriptor to close after use, or -1 (the input is then skipped). */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len);

/* The input as the file `name` in a directory of this process under /dev/shm (else /tmp;
 * made on first use, removed at exit), for readers that resolve their path (realpath cannot resolve
 * a memfd's). Writes *path; 0 on success. */
int fuzz_file_named(const uint8_t *data, size_t size, const char *name, char *path, size_t len);

/* Write the micro model of `arch` (gemma3, llama, qwen2: n_embd 16, 2 layers, 2 heads of
 * d = 8, F16 matrices; the tests' tokenizers) to path; 0 on success. */
int fuzz_micro_model(const char *path, const char *arch, uint64_t seed);

#endif
