/* harness/outdir.h — the output folder of a command that writes results (`run`, `report`,
 * `monitor`), made ready before any work: created with its parents, proved writable with a
 * small probe file (a read-only or full file system fails here, not after an hour), locked
 * against a second efbench with flock on DIR/.lock (which holds the holder's pid), and
 * cleared of the temporary files (".NAME.PID.tmp") of runs that died while writing.
 */
#ifndef EF_OUTDIR_H
#define EF_OUTDIR_H

#include "core/error.h"

typedef struct ef_outdir {
    char path[1024];
    int lock_fd;       /* -1 when not held */
    int created;       /* outdir_open made the folder itself */
    int stale_removed; /* temporary files of dead runs it removed */
} ef_outdir;

/* Make `dir` ready as above. EF_ERROR with one line naming the folder and the problem:
 * it cannot be created or written ("cannot write in DIR: Read-only file system"), or
 * another efbench holds it ("DIR is in use by efbench pid N"). On failure nothing is left
 * behind: a folder it created is removed again. */
int outdir_open(const char *dir, ef_outdir *od, ef_error *err);

/* Release the lock and remove DIR/.lock. With `remove_if_empty`, a folder outdir_open
 * created is removed when nothing was written into it (a command that failed first). */
void outdir_close(ef_outdir *od, int remove_if_empty);

/* The probe alone, for a command that writes one file (`capture --out F`): the existing
 * folder `dir` takes a new file. EF_ERROR naming it otherwise. */
int outdir_check_writable(const char *dir, ef_error *err);

/* Is `name` a temporary file of efbench's writers (".NAME.PID.tmp")? */
int outdir_is_temp_name(const char *name);

#endif
