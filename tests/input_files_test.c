/* tests/input_files_test.c — the readers of files a user names (texts, suites, results)
 * take regular files only and read a bounded amount: a FIFO is refused at once instead of
 * blocking, a device such as /dev/urandom instead of growing until killed, a gzip bomb
 * stops at the stated maximum (TEXT_MAX_BYTES), each with one line naming the file. The
 * program's timeout guards the FIFO cases: before the fix they blocked forever. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "harness/suite.h"
#include "model/texts.h"
#include "report/results_load.h"
#include "test_util.h"

static char dir[256], fifo[512];

static void setup(void)
{
    ef_test_scratch_make(dir, sizeof dir, "files");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo %s", fifo);
}

static void teardown(void) { ef_test_scratch_remove(dir); }

TestSuite(files, .init = setup, .fini = teardown, .timeout = 60);

static void expect_message(const ef_error *err, const char *path, const char *what)
{
    cr_assert(strstr(err->msg, path), "message '%s' does not name %s", err->msg, path);
    cr_assert(strstr(err->msg, what), "message '%s' lacks '%s'", err->msg, what);
    cr_assert(!strchr(err->msg, '\n'), "one line: '%s'", err->msg);
}

Test(files, text_fifo_refused)
{
    text_source t;
    ef_error err = {{0}};
    cr_assert_eq(text_open(fifo, 0, &t, &err), EF_ERROR);
    expect_message(&err, fifo, "not a regular file");
}

Test(files, text_device_refused)
{
    text_source t;
    ef_error err = {{0}};
    cr_assert_eq(text_open("/dev/urandom", 0, &t, &err), EF_ERROR);
    expect_message(&err, "/dev/urandom", "not a regular file");
}

Test(files, text_directory_refused)
{
    text_source t;
    ef_error err = {{0}};
    cr_assert_eq(text_open(dir, 0, &t, &err), EF_ERROR);
    expect_message(&err, dir, "not a regular file");
}

/* 17 MiB of 'a' compress to about 17 KB; reading stops past TEXT_MAX_BYTES. */
Test(files, text_gzip_bomb_refused)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bomb.txt.gz", dir);
    gzFile gz = gzopen(path, "wb9");
    cr_assert(gz);
    char chunk[1 << 16];
    memset(chunk, 'a', sizeof chunk);
    for (size_t done = 0; done < TEXT_MAX_BYTES + (1u << 20); done += sizeof chunk)
        cr_assert_eq(gzwrite(gz, chunk, sizeof chunk), (int)sizeof chunk);
    cr_assert_eq(gzclose(gz), Z_OK);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_lt(st.st_size, 1 << 20, "not a bomb: %lld bytes", (long long)st.st_size);
    text_source t;
    ef_error err = {{0}};
    cr_assert_eq(text_open(path, 0, &t, &err), EF_ERROR);
    expect_message(&err, path, "more than");
}

/* Just under the maximum is a text like any other. */
Test(files, text_at_the_limit_reads)
{
    char path[600];
    snprintf(path, sizeof path, "%s/big.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    char line[65];
    memset(line, 'z', 63);
    line[63] = '\n', line[64] = '\0';
    for (size_t done = 0; done < TEXT_MAX_BYTES; done += 64) fputs(line, f);
    cr_assert_eq(fclose(f), 0);
    text_source t;
    ef_error err = {{0}};
    cr_assert_eq(text_open(path, 0, &t, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(t.len, (size_t)TEXT_MAX_BYTES);
    text_close(&t);
}

Test(files, suite_fifo_refused)
{
    ef_suite s;
    ef_error err = {{0}};
    cr_assert_eq(suite_load(fifo, &s, &err), EF_ERROR);
    expect_message(&err, fifo, "not a regular file");
}

Test(files, results_fifo_refused)
{
    ef_results r;
    ef_error err = {{0}};
    const char *paths[] = {fifo};
    cr_assert_eq(results_load(paths, 1, &r, &err), EF_ERROR);
    expect_message(&err, fifo, "not a regular file");
}
