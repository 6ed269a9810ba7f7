/* model/texts.c — loading the named texts (plain files, gzip via zlib, concatenated
 * sources), generating the `csv` and `random` controls, and cutting a text to exactly n
 * tokens. A text is tokenised by prefixes that grow until they hold the tokens asked for,
 * so a 2 MB manual is never tokenised whole for a 512-token case.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/file.h"
#include "model/texts.h"
#include "model/unicode.h"

#ifndef EF_SOURCE_ROOT
#define EF_SOURCE_ROOT "."
#endif

const char *const text_default_names[] = {"gpl3",     "fortunes", "debref", "csource",
                                          "pysource", "csv",      "random", NULL};
const char text_default_list[] = "gpl3,fortunes,debref,csource,pysource,csv,random";
const char *const text_language_names[] = {"debref-ja", "debref-zh-cn", "debref-es", "debref-fr",
                                           "debref-de", "fortunes-ru",  NULL};
const char text_language_list[] =
    "debref-ja,debref-zh-cn,debref-es,debref-fr,debref-de,fortunes-ru";

/* Named texts in another language than English; the rest of the named texts are English
 * prose or code, in Latin script. */
static const struct {
    const char *name, *language, *script;
} text_scripts[] = {
    {"debref-ja", "Japanese", "Japanese (kanji and kana)"},
    {"debref-zh-cn", "Chinese (simplified)", "Han (simplified)"},
    {"debref-es", "Spanish", "Latin"},
    {"debref-fr", "French", "Latin"},
    {"debref-de", "German", "Latin"},
    {"fortunes-ru", "Russian", "Cyrillic"},
};

static int text_named(const char *name)
{
    for (int i = 0; text_default_names[i]; i++)
        if (!strcmp(name, text_default_names[i])) return strcmp(name, "random") != 0;
    return 0;
}

const char *text_language(const char *name)
{
    for (size_t i = 0; i < sizeof text_scripts / sizeof text_scripts[0]; i++)
        if (!strcmp(name, text_scripts[i].name)) return text_scripts[i].language;
    return text_named(name) ? "English" : "—";
}

const char *text_script(const char *name)
{
    for (size_t i = 0; i < sizeof text_scripts / sizeof text_scripts[0]; i++)
        if (!strcmp(name, text_scripts[i].name)) return text_scripts[i].script;
    return text_named(name) ? "Latin" : "—";
}

#define TEXT_CSV_BYTES (256u << 10)
#define TEXT_SOURCE_BYTES (512u << 10) /* enough for tens of thousands of tokens */

/* Growable byte buffer. */
typedef struct text_buf {
    char *p;
    size_t n, cap;
} text_buf;

static int text_buf_add(text_buf *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + len + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
    return 0;
}

static uint64_t text_fnv(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t text_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Reads a whole regular file, through zlib when it is gzip (gzread passes plain files
 * through), refusing more than TEXT_MAX_BYTES of text: a FIFO or a device would block or
 * never end, a gzip bomb would fill the memory. */
static int text_read_file(const char *path, text_buf *b, ef_error *err)
{
    ef_error why;
    int fd;
    if (ef_file_open_regular(path, &fd, &why))
        return ef_fail(err, EF_ERROR, "text %s: %s", path, why.msg);
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return ef_fail(err, EF_NOMEM, "text %s: out of memory for the decompressor", path);
    }
    char chunk[65536];
    int rc = EF_OK;
    for (;;) {
        int got = gzread(gz, chunk, sizeof chunk);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            rc = ef_fail(err, EF_ERROR, "text %s: read failed (%s)", path, msg ? msg : "?");
            break;
        }
        if (got == 0) {
            int zerr;
            gzerror(gz, &zerr); /* a gzip stream cut short ends like a whole one, but for this */
            if (zerr == Z_BUF_ERROR)
                rc = ef_fail(err, EF_ERROR, "text %s: read failed (the gzip data is cut short)",
                             path);
            break;
        }
        if (b->n + (size_t)got > TEXT_MAX_BYTES) {
            rc = ef_fail(err, EF_ERROR,
                         "text %s: more than %u MiB of text%s (efbench reads at most that much)",
                         path, TEXT_MAX_BYTES >> 20, gzdirect(gz) ? "" : " after decompression");
            break;
        }
        if (text_buf_add(b, chunk, (size_t)got)) {
            rc = ef_fail(err, EF_NOMEM, "text %s: out of memory", path);
            break;
        }
    }
    gzclose(gz);
    return rc;
}

static int text_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of `dir` that `take(dir, name, ctx)` accepts, sorted by name; appended (valid
 * UTF-8 only) until `limit` bytes. Returns the number of files used, -1 on allocation
 * failure. */
static int text_concat_dir_files(const char *dir,
                                 int (*take)(const char *dir, const char *name, const void *ctx),
                                 const void *ctx, size_t limit, text_buf *b)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int used = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !take(dir, e->d_name, ctx)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) {
                used = -1;
                goto cleanup;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            used = -1;
            goto cleanup;
        }
        n++;
    }
    qsort(names, n, sizeof *names, text_name_cmp);
    for (size_t i = 0; i < n && b->n < limit; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        text_buf f = {0};
        ef_error e2;
        if (text_read_file(path, &f, &e2) == EF_OK && f.n && unicode_utf8_valid(f.p, f.n, NULL)) {
            if (text_buf_add(b, f.p, f.n)) used = -1;
            else used++;
        }
        free(f.p);
        if (used < 0) break;
    }
cleanup:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return used;
}

static int name_has_suffix(const char *dir, const char *name, const void *suffix)
{
    (void)dir;
    size_t l = strlen(name), sl = strlen(suffix);
    return l > sl && !strcmp(name + l - sl, suffix);
}

/* Files of `dir` whose names end in `suffix`, sorted; appended (valid UTF-8 only) until
 * `limit` bytes. Returns the number of files used, -1 on allocation failure. */
static int text_concat_dir(const char *dir, const char *suffix, size_t limit, text_buf *b)
{
    return text_concat_dir_files(dir, name_has_suffix, suffix, limit, b);
}

/* A seeded table of numbers: id, date, station, three measurements, a count, a flag. */
static int text_make_csv(uint64_t seed, text_buf *b)
{
    uint64_t s = seed ^ 0xC5Cull;
    char line[256];
    if (text_buf_add(b, "id,date,station,temperature,pressure,humidity,count,flag\n", 57))
        return -1;
    for (int row = 1; b->n < TEXT_CSV_BYTES; row++) {
        uint64_t r = text_splitmix(&s);
        int len = snprintf(line, sizeof line, "%d,20%02d-%02d-%02d,S%03d,%.2f,%.1f,%d,%d,%s\n", row,
                           (int)(r % 25), (int)(r >> 8) % 12 + 1, (int)(r >> 16) % 28 + 1,
                           (int)(r >> 24) % 500, -20.0 + (double)(text_splitmix(&s) % 6000) / 100.0,
                           950.0 + (double)(text_splitmix(&s) % 1000) / 10.0,
                           (int)(text_splitmix(&s) % 101), (int)(text_splitmix(&s) % 100000),
                           text_splitmix(&s) & 1 ? "true" : "false");
        if (text_buf_add(b, line, (size_t)len)) return -1;
    }
    return 0;
}

/* The newest /usr/lib/python3.N directory. */
static int text_python_dir(char *out, size_t len)
{
    DIR *d = opendir("/usr/lib");
    int best = -1;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        int minor;
        char tail;
        if (sscanf(e->d_name, "python3.%d%c", &minor, &tail) == 1 && minor > best) best = minor;
    }
    closedir(d);
    if (best < 0) return -1;
    snprintf(out, len, "/usr/lib/python3.%d", best);
    return 0;
}

static const char *text_debref_paths[] = {
    "/usr/share/debian-reference/debian-reference.en.txt.gz",
    "/usr/share/doc/debian-reference-en/debian-reference.en.txt.gz",
    "/usr/share/doc/debian-reference-en/docs/debian-reference.en.txt.gz",
    NULL,
};

/* A regular file that is not a fortune index (*.dat): the .u8 symlinks of fortunes-ru
 * point at these. */
static int fortune_file(const char *dir, const char *name, const void *ctx)
{
    (void)ctx;
    char path[1024];
    struct stat st;
    size_t l = strlen(name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return !(l > 4 && !strcmp(name + l - 4, ".dat")) && !lstat(path, &st) && S_ISREG(st.st_mode);
}

/* The fortune files of `dir`, sorted, appended until `limit` bytes. */
static int text_concat_fortunes(const char *dir, size_t limit, text_buf *b)
{
    return text_concat_dir_files(dir, fortune_file, NULL, limit, b);
}

/* The texts in other languages: the Debian reference manual's translations, read like
 * `debref`, and the Russian fortunes. 1 if `name` is one of them (result in *rc). */
static int text_load_language(const char *name, text_source *t, text_buf *b, ef_error *err, int *rc)
{
    struct stat st;
    if (!strcmp(name, "fortunes-ru")) {
        const char *dir = "/usr/share/games/fortunes/ru";
        snprintf(t->path, sizeof t->path, "%s", dir);
        int used = text_concat_fortunes(dir, TEXT_SOURCE_BYTES, b);
        *rc = used < 0    ? ef_fail(err, EF_NOMEM, "text fortunes-ru: out of memory")
              : used == 0 ? ef_fail(err, EF_UNSUPPORTED,
                                    "text fortunes-ru: no fortunes in %s "
                                    "(install package fortunes-ru)",
                                    dir)
                          : EF_OK;
        return 1;
    }
    for (int i = 0; text_language_names[i]; i++) {
        if (strcmp(name, text_language_names[i]) || strncmp(name, "debref-", 7)) continue;
        const char *lang = name + 7;
        char paths[2][512];
        snprintf(paths[0], sizeof paths[0],
                 "/usr/share/debian-reference/debian-reference.%s.txt.gz", lang);
        snprintf(paths[1], sizeof paths[1],
                 "/usr/share/doc/debian-reference-%s/debian-reference.%s.txt.gz", lang, lang);
        for (int k = 0; k < 2; k++)
            if (!stat(paths[k], &st)) {
                snprintf(t->path, sizeof t->path, "%s", paths[k]);
                *rc = text_read_file(paths[k], b, err);
                return 1;
            }
        *rc = ef_fail(err, EF_UNSUPPORTED,
                      "text %s: debian-reference.%s.txt.gz is missing "
                      "(install package debian-reference-%s)",
                      name, lang, lang);
        return 1;
    }
    return 0;
}

static int text_load_named(const char *name, uint64_t seed, text_source *t, text_buf *b,
                           ef_error *err)
{
    struct stat st;
    int rc;
    if (text_load_language(name, t, b, err, &rc)) return rc;
    if (!strcmp(name, "gpl3") || !strcmp(name, "fortunes")) {
        const char *p = name[0] == 'g' ? "/usr/share/common-licenses/GPL-3"
                                       : "/usr/share/games/fortunes/literature";
        if (stat(p, &st))
            return ef_fail(err, EF_UNSUPPORTED, "text %s: %s is missing (install package %s)", name,
                           p, name[0] == 'g' ? "base-files" : "fortunes-min");
        snprintf(t->path, sizeof t->path, "%s", p);
        return text_read_file(p, b, err);
    }
    if (!strcmp(name, "debref")) {
        for (int i = 0; text_debref_paths[i]; i++)
            if (!stat(text_debref_paths[i], &st)) {
                snprintf(t->path, sizeof t->path, "%s", text_debref_paths[i]);
                return text_read_file(text_debref_paths[i], b, err);
            }
        return ef_fail(err, EF_UNSUPPORTED,
                       "text debref: debian-reference.en.txt.gz is missing "
                       "(install package debian-reference-en)");
    }
    if (!strcmp(name, "csource")) {
        const char *root = getenv("EF_SOURCE_ROOT");
        if (!root || !*root) root = EF_SOURCE_ROOT;
        snprintf(t->path, sizeof t->path, "%s/harness", root);
        int used = text_concat_dir(t->path, ".c", TEXT_SOURCE_BYTES, b);
        if (used < 0) return ef_fail(err, EF_NOMEM, "text csource: out of memory");
        if (used == 0)
            return ef_fail(err, EF_UNSUPPORTED,
                           "text csource: no C sources in %s (set "
                           "EF_SOURCE_ROOT to the efbench checkout)",
                           t->path);
        return EF_OK;
    }
    if (!strcmp(name, "pysource")) {
        if (text_python_dir(t->path, sizeof t->path))
            return ef_fail(err, EF_UNSUPPORTED,
                           "text pysource: no /usr/lib/python3.* (install "
                           "package libpython3-stdlib)");
        int used = text_concat_dir(t->path, ".py", TEXT_SOURCE_BYTES, b);
        if (used < 0) return ef_fail(err, EF_NOMEM, "text pysource: out of memory");
        if (used == 0)
            return ef_fail(err, EF_UNSUPPORTED, "text pysource: no Python modules in %s", t->path);
        return EF_OK;
    }
    if (!strcmp(name, "csv")) {
        if (text_make_csv(seed, b)) return ef_fail(err, EF_NOMEM, "text csv: out of memory");
        return EF_OK;
    }
    if (stat(name, &st))
        return ef_fail(err, EF_ERROR, "text %s: no such file, and not one of the names %s,%s", name,
                       text_default_list, text_language_list);
    snprintf(t->path, sizeof t->path, "%s", name);
    return text_read_file(name, b, err);
}

int text_open(const char *name, uint64_t seed, text_source *t, ef_error *err)
{
    text_buf b = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->seed = seed;
    if (!strcmp(name, "random")) {
        char key[64];
        int kl = snprintf(key, sizeof key, "random:%llu", (unsigned long long)seed);
        t->random = 1;
        snprintf(t->hash, sizeof t->hash, "%016llx", (unsigned long long)text_fnv(key, (size_t)kl));
        return EF_OK;
    }
    int rc = text_load_named(name, seed, t, &b, err);
    if (rc) {
        free(b.p);
        return rc;
    }
    size_t bad;
    if (!unicode_utf8_valid(b.p ? b.p : "", b.n, &bad)) {
        free(b.p);
        return ef_fail(err, EF_ERROR, "text %s: not valid UTF-8 (byte offset %zu)", name, bad);
    }
    if (b.n == 0) {
        free(b.p);
        return ef_fail(err, EF_UNSUPPORTED, "text %s: empty", name);
    }
    t->bytes = b.p;
    t->len = b.n;
    snprintf(t->hash, sizeof t->hash, "%016llx", (unsigned long long)text_fnv(b.p, b.n));
    return EF_OK;
}

void text_close(text_source *t)
{
    free(t->bytes);
    t->bytes = NULL;
}

/* Prefix of at least `want` bytes ending just before a newline when one is near. */
static size_t text_cut(const text_source *t, size_t want)
{
    if (want >= t->len) return t->len;
    size_t cut = want;
    while (cut < t->len && cut < want + 4096 && t->bytes[cut] != '\n') cut++;
    if (cut == t->len || t->bytes[cut] == '\n') return cut;
    /* no newline near: back up to a UTF-8 character boundary */
    cut = want;
    while (cut > 0 && ((unsigned char)t->bytes[cut] & 0xC0) == 0x80) cut--;
    return cut;
}

int text_tokens(const text_source *t, const tokenizer *tok, int n, int32_t **ids, ef_error *err)
{
    int bos = tokenizer_bos(tok), head = bos >= 0, need = n - head;
    *ids = NULL;
    if (n < 1) return ef_fail(err, EF_ERROR, "text %s: length %d", t->name, n);
    if (t->random) {
        int32_t *v = malloc((size_t)n * sizeof *v);
        int V = tokenizer_n_vocab(tok), normal = 0;
        if (!v) return ef_fail(err, EF_NOMEM, "text random: out of memory");
        for (int i = 0; i < V; i++) normal += tokenizer_token_type(tok, i) == TOKEN_TYPE_NORMAL;
        uint64_t s = t->seed;
        if (head) v[0] = bos;
        for (int i = head; i < n; i++) {
            /* uniform over the normal tokens: draw until one is normal */
            int id;
            do id = (int)(text_splitmix(&s) % (uint64_t)V);
            while (normal > 0 && tokenizer_token_type(tok, id) != TOKEN_TYPE_NORMAL);
            v[i] = id;
        }
        *ids = v;
        return EF_OK;
    }
    const int margin = 16; /* tokens near a cut may differ from the whole text's */
    size_t want = (size_t)need * 6 + 1024;
    for (;;) {
        size_t cut = text_cut(t, want);
        int32_t *v;
        int got;
        int rc = tokenizer_encode(tok, t->bytes, cut, 1, &v, &got, err);
        if (rc) return rc;
        int text_tokens = got - head;
        if (text_tokens >= need + (cut < t->len ? margin : 0)) {
            *ids = v;
            return EF_OK;
        }
        free(v);
        if (cut >= t->len)
            return ef_fail(err, EF_UNSUPPORTED,
                           "text %s has %d tokens, fewer than the %d "
                           "needed for length %d",
                           t->name, text_tokens, need, n);
        want = want * 2;
    }
}

int text_tokens_all(const text_source *t, const tokenizer *tok, size_t max_bytes, int32_t **ids,
                    int *n, ef_error *err)
{
    if (t->random) return ef_fail(err, EF_UNSUPPORTED, "text random has no natural end");
    size_t cut = max_bytes ? text_cut(t, max_bytes) : t->len;
    return tokenizer_encode(tok, t->bytes, cut, 1, ids, n, err);
}
