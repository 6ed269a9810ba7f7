/* core/file.c — the regular-file checks and bounded reads of core/file.h. The file is
 * opened non-blocking, so that a FIFO's open returns at once, and checked with fstat on
 * that descriptor (no window between a stat and the open).
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

int ef_file_open_regular(const char *path, int *fd, ef_error *err)
{
    *fd = -1;
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) return ef_fail(err, EF_ERROR, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        return ef_fail(err, EF_ERROR, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return ef_fail(err, EF_ERROR, "not a regular file (%s)", file_kind(st.st_mode));
    }
    int flags = fcntl(f, F_GETFL);
    if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(f);
        return ef_fail(err, EF_ERROR, "cannot set it blocking: %s", strerror(e));
    }
    *fd = f;
    return EF_OK;
}

int ef_file_check_regular(const char *path, ef_error *err)
{
    int fd, rc = ef_file_open_regular(path, &fd, err);
    if (rc == EF_OK) close(fd);
    return rc;
}

int ef_file_read_all(const char *path, size_t max, char **text, size_t *len, ef_error *err)
{
    *text = NULL;
    *len = 0;
    int fd, rc = ef_file_open_regular(path, &fd, err);
    if (rc) return rc;
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) { /* room for a chunk and the NUL */
            size_t grown = cap ? 2 * cap : 16384;
            if (grown > max + 4096 + 1) grown = max + 4096 + 1;
            char *b = realloc(buf, grown);
            if (!b) {
                rc = ef_fail(err, EF_NOMEM, "out of memory for %zu bytes", grown);
                break;
            }
            buf = b, cap = grown;
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            rc = ef_fail(err, EF_ERROR, "read failed: %s", strerror(errno));
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
        if (n > max) {
            rc = ef_fail(err, EF_ERROR, "larger than %zu bytes", max);
            break;
        }
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    if (!buf && !(buf = malloc(1))) return ef_fail(err, EF_NOMEM, "out of memory");
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return EF_OK;
}
