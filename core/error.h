/* core/error.h — the error convention of every efbench library: a return code and a
 * message buffer the callee fills. Used by every layer; only cli/ prints a message.
 */
#ifndef EF_CORE_ERROR_H
#define EF_CORE_ERROR_H

/* Return codes of every function that can fail. */
enum {
    EF_OK = 0,
    EF_ERROR = -1,       /* the driver, the library or the input failed; msg says why */
    EF_UNSUPPORTED = -2, /* this device or input cannot run this case; msg says why   */
    EF_NOMEM = -3,       /* an allocation did not fit; msg names the size             */
};

/* One message buffer per call; filled on any non-EF_OK return. */
typedef struct ef_error {
    char msg[768];
} ef_error;

/* printf-style setter; returns `code` so a caller can `return ef_fail(err, EF_ERROR, ...)`.
 * err may be NULL. */
int ef_fail(ef_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
