/* core/file.h — opening the files a user names: regular files only (a FIFO would block on
 * open or read, a device such as /dev/urandom never ends, a directory is no text), and a
 * whole read bounded by a stated size. Used by the suite parser, the text loader and the
 * results loader; messages name the problem, the caller adds the file.
 */
#ifndef EF_CORE_FILE_H
#define EF_CORE_FILE_H

#include <stddef.h>

#include "core/error.h"

/* Open `path` for reading when it is a regular file (symbolic links followed): *fd gets a
 * blocking descriptor. Else EF_ERROR with err saying why ("not a regular file (a FIFO)",
 * "cannot open: No such file or directory"), without the path. Never blocks. */
int ef_file_open_regular(const char *path, int *fd, ef_error *err);

/* EF_OK when `path` is a regular file (opened and closed, never blocking): for readers
 * that open paths themselves (the GGUF and safetensors readers, which map the file). */
int ef_file_check_regular(const char *path, ef_error *err);

/* Read all of regular file `path` into *text (malloc'd, NUL-terminated; *len bytes before
 * the NUL): EF_ERROR when it is not a regular file or holds more than `max` bytes, EF_NOMEM
 * when the buffer does not fit; err without the path, as above. */
int ef_file_read_all(const char *path, size_t max, char **text, size_t *len, ef_error *err);

#endif
