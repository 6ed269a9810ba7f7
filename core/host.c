/* core/host.c — facts about the host (CPU model, cores, memory, OS, BLAS) and the monotonic
 * clock, for the CPU backends' timers, the run header of results and the reference's
 * memory check. See core/host.h.
 */
#include "core/host.h"

#include <openblas_config.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

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
                if (*v == '"') {
                    v++;
                    v[strcspn(v, "\"")] = '\0';
                }
                snprintf(pretty, sizeof pretty, "%.200s", v);
            }
        fclose(f);
    }
    if (uname(&u) == 0)
        snprintf(buf, len, "%s%s%s %s %s", pretty, *pretty ? ", " : "", u.sysname, u.release,
                 u.machine);
    else snprintf(buf, len, "%s", *pretty ? pretty : "unknown OS");
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
