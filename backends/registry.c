/* backends/registry.c — the list of backends compiled into this build.
 * The only file above an API's own folder that knows which APIs were found at configure
 * time (meson passes EF_HAVE_<API>). Add a backend: one extern and one row.
 */
#include "backend.h"

#include <string.h>

extern const ef_backend ef_backend_ref;
extern const ef_backend ef_backend_cpu;
#ifdef EF_HAVE_OPENCL
extern const ef_backend ef_backend_opencl;
#endif
#ifdef EF_HAVE_VULKAN
extern const ef_backend ef_backend_vulkan;
#endif

const ef_backend *const ef_backends[] = {
    &ef_backend_ref,
    &ef_backend_cpu,
#ifdef EF_HAVE_OPENCL
    &ef_backend_opencl,
#endif
#ifdef EF_HAVE_VULKAN
    &ef_backend_vulkan,
#endif
    NULL,
};

const char *const ef_backends_absent[][2] = {
#ifndef EF_HAVE_OPENCL
    {"opencl", "not built: " EF_OPENCL_ABSENT_REASON},
#endif
#ifndef EF_HAVE_VULKAN
    {"vulkan", "not built: " EF_VULKAN_ABSENT_REASON},
#endif
    {NULL, NULL},
};

const ef_backend *ef_backend_find(const char *name)
{
    for (int i = 0; ef_backends[i]; i++)
        if (strcmp(ef_backends[i]->name, name) == 0) return ef_backends[i];
    return NULL;
}
