/* tests/fuzz/fuzz_util.c — see fuzz_util.h. */
#define _GNU_SOURCE
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/dequant.h"
#include "tests/model_testdata.h"

int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("efbench-fuzz", MFD_CLOEXEC);
    if (fd < 0) return -1;
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

static char fuzz_dir[64];
static char fuzz_last[128];

static void fuzz_dir_remove(void)
{
    if (*fuzz_last) unlink(fuzz_last);
    rmdir(fuzz_dir);
}

int fuzz_file_named(const uint8_t *data, size_t size, const char *name, char *path, size_t len)
{
    if (!*fuzz_dir) { /* in memory where there is a tmpfs: an input a file, millions of times */
        struct stat st;
        int shm =
            stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0;
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/efbench-fuzz-XXXXXX", shm ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fuzz_dir)) return -1;
        atexit(fuzz_dir_remove);
    }
    snprintf(path, len, "%s/%s", fuzz_dir, name);
    snprintf(fuzz_last, sizeof fuzz_last, "%s", path);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(data, 1, size, f) != size;
    return fclose(f) || bad ? -1 : 0;
}

int fuzz_micro_model(const char *path, const char *arch, uint64_t seed)
{
    testdata_dims d;
    if (testdata_model_dims(arch, &d)) return -1;
    d.n_layer = 2, d.n_embd = 16, d.n_head = 2, d.head_dim = 8, d.n_ff = 32, d.n_ctx = 64;
    d.n_head_kv = arch[0] == 'g' ? 1 : 2;
    if (d.sliding_window) d.sliding_window = 2;
    return testdata_write_gguf_dims(path, arch, DQ_TYPE_F16, seed, &d);
}
