/* harness/outdir.c — the output folder made ready before any work (outdir.h): mkdir -p,
 * the lock, the probe, the stale temporary files. The lock is taken first, so the probe
 * and the clean-up never touch a folder another efbench is writing.
 */
#include "harness/outdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/results.h"

int outdir_is_temp_name(const char *name)
{
    size_t len = strlen(name);
    if (name[0] != '.' || len < 7 || strcmp(name + len - 4, ".tmp")) return 0;
    const char *end = name + len - 4, *p = end; /* ".NAME." then digits then ".tmp" */
    while (p > name && isdigit((unsigned char)p[-1])) p--;
    return p < end && p - name >= 3 && p[-1] == '.';
}

/* flock DIR/.lock without waiting; the file must still be the one at that path once held
 * (a holder that finished may have just removed it), else try again. */
static int outdir_lock(ef_outdir *od, ef_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/.lock", od->path);
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return ef_fail(err, EF_ERROR, "cannot write in %s: %s", od->path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char pid[32] = "";
            ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
            close(fd);
            if (e != EWOULDBLOCK)
                return ef_fail(err, EF_ERROR, "cannot lock %s: %s", path, strerror(e));
            pid[got > 0 ? got : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            return ef_fail(err, EF_ERROR,
                           "%s is in use by efbench pid %s (it holds %s); wait for it to finish or "
                           "choose another folder",
                           od->path, *pid ? pid : "?", path);
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_ino == now.st_ino &&
            held.st_dev == now.st_dev) {
            char pid[32];
            int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
                int e = errno;
                close(fd);
                unlink(path);
                return ef_fail(err, EF_ERROR, "cannot write in %s: %s", od->path, strerror(e));
            }
            od->lock_fd = fd;
            return EF_OK;
        }
        close(fd);
    }
    return ef_fail(err, EF_ERROR, "cannot lock %s: its lock file keeps changing", od->path);
}

/* A small file written, flushed to the disk and removed: the folder takes new files. */
static int outdir_probe(const ef_outdir *od, ef_error *err)
{
    char path[1100], block[4096];
    snprintf(path, sizeof path, "%s/.probe.%ld.tmp", od->path, (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ef_fail(err, EF_ERROR, "cannot write in %s: %s", od->path, strerror(errno));
    memset(block, '\n', sizeof block);
    int rc = EF_OK;
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd) != 0)
        rc = ef_fail(err, EF_ERROR, "cannot write in %s: %s", od->path,
                     errno ? strerror(errno) : "short write");
    if (close(fd) != 0 && rc == EF_OK)
        rc = ef_fail(err, EF_ERROR, "cannot write in %s: %s", od->path, strerror(errno));
    unlink(path);
    return rc;
}

int outdir_check_writable(const char *dir, ef_error *err)
{
    ef_outdir od = {.lock_fd = -1};
    struct stat st;
    if (strlen(dir) >= sizeof od.path - 16)
        return ef_fail(err, EF_ERROR, "folder name too long: %.64s...", dir);
    if (stat(dir, &st) != 0)
        return ef_fail(err, EF_ERROR, "cannot write in %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return ef_fail(err, EF_ERROR, "%s is not a folder", dir);
    snprintf(od.path, sizeof od.path, "%s", dir);
    return outdir_probe(&od, err);
}

/* Temporary files of writers that died (the lock says no live efbench writes here). */
static int outdir_clean(const ef_outdir *od)
{
    DIR *d = opendir(od->path);
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!outdir_is_temp_name(e->d_name)) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", od->path, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}

int outdir_open(const char *dir, ef_outdir *od, ef_error *err)
{
    *od = (ef_outdir){.lock_fd = -1};
    if (strlen(dir) >= sizeof od->path - 16)
        return ef_fail(err, EF_ERROR, "output folder name longer than %zu characters",
                       sizeof od->path - 17);
    snprintf(od->path, sizeof od->path, "%s", dir);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return ef_fail(err, EF_ERROR, "%s is not a folder", dir);
    } else {
        ef_error why;
        if (results_mkdir_p(dir, &why)) return ef_fail(err, EF_ERROR, "%s", why.msg);
        od->created = 1;
    }
    int rc = outdir_lock(od, err);
    if (rc == EF_OK && (rc = outdir_probe(od, err)) != EF_OK) outdir_close(od, 1);
    else if (rc != EF_OK && od->created) rmdir(dir);
    if (rc == EF_OK) od->stale_removed = outdir_clean(od);
    return rc;
}

void outdir_close(ef_outdir *od, int remove_if_empty)
{
    if (od->lock_fd >= 0) {
        char path[1100];
        snprintf(path, sizeof path, "%s/.lock", od->path);
        unlink(path); /* while held: a waiting opener then finds it gone and tries again */
        close(od->lock_fd);
        od->lock_fd = -1;
    }
    if (remove_if_empty && od->created) rmdir(od->path); /* fails, harmlessly, when not empty */
}
