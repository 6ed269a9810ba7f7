/* core/error.c — the error setter of core/error.h. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

int ef_fail(ef_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
