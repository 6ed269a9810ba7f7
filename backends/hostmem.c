/* backends/hostmem.c — host buffers and host facts for the CPU backends and the run
 * header. Buffers are plain malloc'd memory; uploads and downloads are copies.
 */
#include "hostmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "half.h"

#include <openblas_config.h>

int hostmem_alloc(ef_device *dev, size_t bytes, ef_buffer **buf, ef_error *err)
{
    (void)dev;
    ef_buffer *b = malloc(sizeof *b);
    void *data = malloc(bytes ? bytes : 1);
    if (!b || !data) {
        free(b);
        free(data);
        return ef_fail(err, EF_NOMEM, "host buffer of %zu bytes: out of memory", bytes);
    }
    b->bytes = bytes;
    b->data = data;
    *buf = b;
    return EF_OK;
}

void hostmem_free(ef_device *dev, ef_buffer *buf)
{
    (void)dev;
    if (!buf) return;
    free(buf->data);
    free(buf);
}

int hostmem_upload(ef_device *dev, ef_buffer *buf, size_t offset, const void *src,
                   size_t bytes, ef_error *err)
{
    (void)dev;
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return ef_fail(err, EF_ERROR, "upload of %zu bytes at %zu past a %zu-byte buffer", bytes,
                       offset, buf->bytes);
    memcpy(buf->data + offset, src, bytes);
    return EF_OK;
}

int hostmem_download(ef_device *dev, ef_buffer *buf, size_t offset, void *dst, size_t bytes,
                     ef_error *err)
{
    (void)dev;
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return ef_fail(err, EF_ERROR, "download of %zu bytes at %zu past a %zu-byte buffer",
                       bytes, offset, buf->bytes);
    memcpy(dst, buf->data + offset, bytes);
    return EF_OK;
}

void hostmem_decode_f64(ef_precision p, const void *src, size_t count, double *dst)
{
    const float *f = src;
    const uint16_t *h = src;
    for (size_t i = 0; i < count; i++)
        dst[i] = p == EF_PREC_FP32 ? f[i] : p == EF_PREC_FP16 ? ef_f16_to_f32(h[i]) : ef_bf16_to_f32(h[i]);
}

void hostmem_decode_f32(ef_precision p, const void *src, size_t count, float *dst)
{
    const uint16_t *h = src;
    if (p == EF_PREC_FP32) { memcpy(dst, src, count * sizeof(float)); return; }
    for (size_t i = 0; i < count; i++)
        dst[i] = p == EF_PREC_FP16 ? ef_f16_to_f32(h[i]) : ef_bf16_to_f32(h[i]);
}

void host_cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *v = strchr(line, ':');
        if (!v) continue;
        v += 1 + (v[1] == ' ');
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, len, "%s", v);
        break;
    }
    fclose(f);
}

int host_cpu_count(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

uint64_t host_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

void host_os_name(char *buf, size_t len)
{
    struct utsname u;
    char pretty[256] = "";
    FILE *f = fopen("/etc/os-release", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
                char *v = line + 12;
                v[strcspn(v, "\n")] = '\0';
                if (*v == '"') { v++; v[strcspn(v, "\"")] = '\0'; }
                snprintf(pretty, sizeof pretty, "%.200s", v);
            }
        fclose(f);
    }
    if (uname(&u) == 0)
        snprintf(buf, len, "%s%s%s %s %s", pretty, *pretty ? ", " : "", u.sysname, u.release, u.machine);
    else
        snprintf(buf, len, "%s", *pretty ? pretty : "unknown OS");
}

double host_clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

const char *host_blas_version(void)
{
    static char v[64];
    const char *s = OPENBLAS_VERSION; /* " OpenBLAS 0.3.21 ": trimmed */
    while (*s == ' ') s++;
    snprintf(v, sizeof v, "%s", s);
    for (size_t n = strlen(v); n && v[n - 1] == ' '; n--) v[n - 1] = '\0';
    return v;
}
