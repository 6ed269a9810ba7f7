/* backends/trace.c — the trace sink of backends/trace.h: formats a line into a bounded
 * buffer and hands it to the sink the caller set, or drops it. Callers: the OpenCL backend
 * (its EF_OPENCL_TRACE and EF_OPENCL_DUMP switches); the sink comes from cli/main.c.
 */
#include "backends/trace.h"

#include <stdarg.h>
#include <stdio.h>

static ef_trace_fn trace_sink;
static void *trace_user;

void ef_trace_set(ef_trace_fn fn, void *user)
{
    trace_sink = fn;
    trace_user = user;
}

void ef_trace(const char *fmt, ...)
{
    if (!trace_sink) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    trace_sink(trace_user, line);
}
