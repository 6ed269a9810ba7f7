/* harness/suite.c — reads a suite INI file with inih into an ef_suite and checks every
 * value; any problem is one message naming the file, line and key. Called by the runner.
 */
#include "suite.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "source.h"

enum { EF_MAX_N = 1 << 17, EF_MAX_D = 1024 };

typedef struct parse_state {
    ef_suite *suite;
    ef_case_set *set; /* the [cases ...] section being read, NULL in [suite] */
    char msg[512];    /* the first error, without its line */
    char key[128];    /* the key that caused it */
} parse_state;

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* Split a comma list; calls `item` on each trimmed, non-empty word. */
static int list_each(const char *value, int (*item)(parse_state *, const char *, const char *),
                     parse_state *ps, const char *key)
{
    char buf[EF_SUITE_MAX_LINE + 1];
    if (strlen(value) >= sizeof buf) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': list longer than %zu characters", key,
                 sizeof buf - 1);
        return 0;
    }
    strcpy(buf, value);
    int count = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *w = trim(tok);
        if (!*w) continue;
        if (!item(ps, key, w)) return 0;
        count++;
    }
    if (count == 0) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': empty list", key);
        return 0;
    }
    return 1;
}

static int parse_long(parse_state *ps, const char *key, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *trim(end) != '\0' || x < lo || x > hi) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': '%s' is not an integer in [%ld, %ld]", key, v,
                 lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

static int parse_double(parse_state *ps, const char *key, const char *v, double lo, double hi,
                        double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *trim(end) != '\0' || !(x >= lo && x <= hi)) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': '%s' is not a number in [%g, %g]", key, v, lo,
                 hi);
        return 0;
    }
    *out = x;
    return 1;
}

static int add_source(parse_state *ps, const char *key, const char *w)
{
    ef_case_set *s = ps->set;
    if (!source_known(w)) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': unknown source '%s'", key, w);
        return 0;
    }
    if (s->source_count == EF_SUITE_MAX_LIST || strlen(w) >= sizeof s->sources[0]) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': too many sources or name too long", key);
        return 0;
    }
    strcpy(s->sources[s->source_count++], w);
    return 1;
}

static int add_length(parse_state *ps, const char *key, const char *w)
{
    long x;
    if (!parse_long(ps, key, w, 2, EF_MAX_N, &x)) return 0;
    if (ps->set->length_count == EF_SUITE_MAX_LIST) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': more than %d lengths", key, EF_SUITE_MAX_LIST);
        return 0;
    }
    ps->set->lengths[ps->set->length_count++] = (int)x;
    return 1;
}

static int add_dim(parse_state *ps, const char *key, const char *w)
{
    long x;
    if (!parse_long(ps, key, w, 1, EF_MAX_D, &x)) return 0;
    if (ps->set->dim_count == EF_SUITE_MAX_LIST) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': more than %d dims", key, EF_SUITE_MAX_LIST);
        return 0;
    }
    ps->set->dims[ps->set->dim_count++] = (int)x;
    return 1;
}

static int add_mask(parse_state *ps, const char *key, const char *w)
{
    ef_mask m;
    if (strcmp(w, "model") == 0) m = (ef_mask){EF_MASK_MODEL, 0};
    else if (ef_mask_parse(w, &m) != EF_OK) {
        snprintf(ps->msg, sizeof ps->msg,
                 "key '%s': '%s' is not a mask (full, causal, window:W with W >= 1, model)", key,
                 w);
        return 0;
    }
    if (ps->set->mask_count == EF_SUITE_MAX_LIST) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': more than %d masks", key, EF_SUITE_MAX_LIST);
        return 0;
    }
    ps->set->masks[ps->set->mask_count++] = m;
    return 1;
}

static int add_precision(parse_state *ps, const char *key, const char *w)
{
    ef_case_set *s = ps->set;
    if (strcmp(w, "all") == 0) {
        for (int p = 0; p < EF_PREC_COUNT; p++) s->precisions[p] = (ef_precision)p;
        s->precision_count = EF_PREC_COUNT;
        return 1;
    }
    ef_precision p;
    if (ef_precision_parse(w, &p) != EF_OK) {
        snprintf(ps->msg, sizeof ps->msg,
                 "key '%s': '%s' is not a precision (fp32, fp16, bf16, all)", key, w);
        return 0;
    }
    for (int i = 0; i < s->precision_count; i++)
        if (s->precisions[i] == p) return 1;
    s->precisions[s->precision_count++] = p;
    return 1;
}

static int add_workload(parse_state *ps, const char *key, const char *w)
{
    ef_case_set *s = ps->set;
    if (strcmp(w, "all") == 0) {
        for (int i = 0; i < EF_WL_COUNT; i++) s->workloads[i] = (ef_workload)i;
        s->workload_count = EF_WL_COUNT;
        return 1;
    }
    ef_workload wl;
    if (ef_workload_parse(w, &wl) != EF_OK) {
        char names[128] = "";
        for (int i = 0; i < EF_WL_COUNT; i++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s, ", ef_workload_name((ef_workload)i));
        }
        snprintf(ps->msg, sizeof ps->msg, "key '%s': '%s' is not a workload (%sall)", key, w,
                 names);
        return 0;
    }
    for (int i = 0; i < s->workload_count; i++)
        if (s->workloads[i] == wl) return 1;
    s->workloads[s->workload_count++] = wl;
    return 1;
}

static int copy_string(parse_state *ps, const char *key, const char *v, char *dst, size_t len)
{
    if (strlen(v) >= len) {
        snprintf(ps->msg, sizeof ps->msg, "key '%s': value longer than %zu characters", key,
                 len - 1);
        return 0;
    }
    strcpy(dst, v);
    return 1;
}

static int suite_key(parse_state *ps, const char *key, const char *v)
{
    ef_suite *s = ps->suite;
    long x;
    if (strcmp(key, "name") == 0) return copy_string(ps, key, v, s->name, sizeof s->name);
    if (strcmp(key, "description") == 0)
        return copy_string(ps, key, v, s->description, sizeof s->description);
    if (strcmp(key, "seed") == 0) {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 0);
        if (errno || end == v || *end || *v == '-' || u >= (1ull << 53)) {
            snprintf(ps->msg, sizeof ps->msg, "key 'seed': '%s' is not an integer in [0, 2^53)", v);
            return 0;
        }
        s->seed = u;
        return 1;
    }
    if (strcmp(key, "target_time") == 0) return parse_double(ps, key, v, 0, 60, &s->target_time_s);
    if (strcmp(key, "warmup") == 0) return parse_double(ps, key, v, 0, 60, &s->warmup_s);
    if (strcmp(key, "min_reps") == 0)
        return parse_long(ps, key, v, 1, 1000000, &x) && (s->min_reps = (int)x, 1);
    if (strcmp(key, "max_reps") == 0)
        return parse_long(ps, key, v, 1, 1000000, &x) && (s->max_reps = (int)x, 1);
    if (strcmp(key, "check_rows") == 0)
        return parse_long(ps, key, v, 2, EF_MAX_N, &x) && (s->check_rows = (int)x, 1);
    if (strcmp(key, "full_check_max") == 0)
        return parse_long(ps, key, v, 2, 16384, &x) && (s->full_check_max_n = (int)x, 1);
    snprintf(ps->msg, sizeof ps->msg, "unknown key '%s' in [suite]", key);
    return 0;
}

static int cases_key(parse_state *ps, const char *key, const char *v)
{
    ef_case_set *c = ps->set;
    long x;
    if (strcmp(key, "sources") == 0) return c->source_count = 0, list_each(v, add_source, ps, key);
    if (strcmp(key, "lengths") == 0) return c->length_count = 0, list_each(v, add_length, ps, key);
    if (strcmp(key, "dims") == 0) return c->dim_count = 0, list_each(v, add_dim, ps, key);
    if (strcmp(key, "masks") == 0) return c->mask_count = 0, list_each(v, add_mask, ps, key);
    if (strcmp(key, "precisions") == 0)
        return c->precision_count = 0, list_each(v, add_precision, ps, key);
    if (strcmp(key, "workloads") == 0)
        return c->workload_count = 0, list_each(v, add_workload, ps, key);
    if (strcmp(key, "heads") == 0) {
        if (strcmp(v, "all") == 0) return c->heads = -1, 1;
        return parse_long(ps, key, v, 1, 4096, &x) && (c->heads = (int)x, 1);
    }
    if (strcmp(key, "device_heads") == 0) {
        if (strcmp(v, "all") == 0) return c->device_heads = -1, 1;
        return parse_long(ps, key, v, 0, 4096, &x) && (c->device_heads = (int)x, 1);
    }
    if (strcmp(key, "model") == 0) return copy_string(ps, key, v, c->model, sizeof c->model);
    if (strcmp(key, "texts") == 0) return copy_string(ps, key, v, c->texts, sizeof c->texts);
    if (strcmp(key, "layers") == 0) return copy_string(ps, key, v, c->layers, sizeof c->layers);
    snprintf(ps->msg, sizeof ps->msg, "unknown key '%s' in [cases %s]", key, c->name);
    return 0;
}

static void set_defaults(ef_case_set *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->heads = 1;
    c->device_heads = -1;
    c->dims[0] = 64;
    c->dim_count = 1;
    c->masks[0] = (ef_mask){EF_MASK_FULL, 0};
    c->mask_count = 1;
    c->precisions[0] = EF_PREC_FP32;
    c->precision_count = 1;
    for (int i = 0; i < EF_WL_COUNT; i++) c->workloads[i] = (ef_workload)i;
    c->workload_count = EF_WL_COUNT;
    snprintf(c->model, sizeof c->model, "default");
    snprintf(c->layers, sizeof c->layers, "all");
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    parse_state *ps = user;
    ef_suite *s = ps->suite;
    if (!key) return 1;     /* a section header alone */
    if (*ps->msg) return 1; /* report the first problem only */
    snprintf(ps->key, sizeof ps->key, "%s", key);
    char v[EF_SUITE_MAX_LINE + 1]; /* a value is shorter than its line (suite_lines_check) */
    snprintf(v, sizeof v, "%s", value);
    char *val = trim(v);
    if (strcmp(section, "suite") == 0) {
        ps->set = NULL;
        return suite_key(ps, key, val);
    }
    if (strncmp(section, "cases", 5) == 0 && (section[5] == '\0' || section[5] == ' ')) {
        const char *name = section[5] ? trim((char *)section + 6) : "cases";
        ef_case_set *cur = NULL;
        for (int i = 0; i < s->set_count; i++)
            if (strcmp(s->sets[i].name, name) == 0) cur = &s->sets[i];
        if (!cur) {
            if (s->set_count == EF_SUITE_MAX_SETS) {
                snprintf(ps->msg, sizeof ps->msg, "more than %d [cases] sections",
                         EF_SUITE_MAX_SETS);
                return 0;
            }
            cur = &s->sets[s->set_count++];
            set_defaults(cur, name);
        }
        ps->set = cur;
        return cases_key(ps, key, val);
    }
    snprintf(ps->msg, sizeof ps->msg, "unknown section [%s] (expected [suite] or [cases NAME])",
             section);
    return 0;
}

/* The trimmed text of line `line` (1-based). */
static void line_text(const char *text, int line, char *out, size_t len)
{
    for (int l = 1; l < line && text; l++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (!text) {
        snprintf(out, len, "?");
        return;
    }
    char buf[256];
    size_t n = strcspn(text, "\r\n"), o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof buf;
         i++) { /* control bytes shown as \xNN, not sent to a terminal */
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
        else buf[o++] = (char)c;
    }
    buf[o] = '\0';
    snprintf(out, len, "%s", trim(buf));
}

static void suite_defaults(ef_suite *s)
{
    memset(s, 0, sizeof *s);
    s->seed = 20261128;
    s->target_time_s = 0.3;
    s->warmup_s = 0.1;
    s->min_reps = 3;
    s->max_reps = 1000;
    s->check_rows = 256;
    s->full_check_max_n = 2048;
}

/* After parsing: required keys and combinations that cannot run. */
static int suite_validate(ef_suite *s, const char *label, ef_error *err)
{
    if (s->set_count == 0) return ef_fail(err, EF_ERROR, "%s: no [cases NAME] section", label);
    if (s->min_reps > s->max_reps)
        return ef_fail(err, EF_ERROR, "%s: [suite] min_reps (%d) exceeds max_reps (%d)", label,
                       s->min_reps, s->max_reps);
    for (int i = 0; i < s->set_count; i++) {
        ef_case_set *c = &s->sets[i];
        if (c->source_count == 0)
            return ef_fail(err, EF_ERROR, "%s: [cases %s] has no 'sources'", label, c->name);
        if (c->length_count == 0)
            return ef_fail(err, EF_ERROR, "%s: [cases %s] has no 'lengths'", label, c->name);
    }
    if (!*s->name) snprintf(s->name, sizeof s->name, "%s", label);
    return EF_OK;
}

/* inih reads a line into a buffer of ini_max_line bytes and parses whatever does not fit as
 * a line of its own, silently. So every line is measured first, and inih's buffer is made
 * large enough for the longest line the check lets through. Debian builds inih with its
 * limits as run-time variables; elsewhere the compiled-in INI_MAX_LINE is the limit. */
#ifdef EF_INIH_RUNTIME_LIMITS
enum { SUITE_LINE_LIMIT = EF_SUITE_MAX_LINE };
#else
enum {
    SUITE_LINE_LIMIT = INI_MAX_LINE - 3 < EF_SUITE_MAX_LINE ? INI_MAX_LINE - 3 : EF_SUITE_MAX_LINE
};
#endif

static int suite_lines_check(const char *text, const char *label, ef_error *err)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        size_t len = strcspn(p, "\n");
        if (len > 0 && p[len - 1] == '\r') len--;
        if (len > SUITE_LINE_LIMIT)
            return ef_fail(err, EF_ERROR, "%s:%d: line longer than %d characters", label, line,
                           SUITE_LINE_LIMIT);
        p += strcspn(p, "\n");
        if (*p) p++;
    }
#ifdef EF_INIH_RUNTIME_LIMITS
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = SUITE_LINE_LIMIT + 3; /* the line, "\r\n" and its NUL (ini.h) */
#endif
    return EF_OK;
}

/* SHA-256 of the text, hex (libcrypto), "" if it could not be computed. */
static void suite_hash(const char *text, char *hex)
{
    unsigned char dg[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    *hex = '\0';
    if (!EVP_Digest(text, strlen(text), dg, &len, EVP_sha256(), NULL) || len != 32) return;
    for (unsigned i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", dg[i]);
}

int suite_parse_string(const char *text, const char *label, ef_suite *suite, ef_error *err)
{
    parse_state ps = {.suite = suite};
    suite_defaults(suite);
    snprintf(suite->path, sizeof suite->path, "%s", label);
    suite_hash(text, suite->sha256);
    if (suite_lines_check(text, label, err)) return EF_ERROR;
    int line = ini_parse_string(text, on_entry, &ps);
    if (line < 0) return ef_fail(err, EF_ERROR, "%s: cannot read", label);
    if (line > 0) {
        /* inih reports the first bad line; it is our message's line only if it holds
         * our key, else it is a line inih itself could not parse */
        char bad[256];
        line_text(text, line, bad, sizeof bad);
        size_t kl = strlen(ps.key);
        if (*ps.msg && strncmp(bad, ps.key, kl) == 0 &&
            (isspace((unsigned char)bad[kl]) || bad[kl] == '=' || bad[kl] == ':'))
            return ef_fail(err, EF_ERROR, "%s:%d: %s", label, line, ps.msg);
        return ef_fail(err, EF_ERROR,
                       "%s:%d: syntax error: '%s' is neither [section] nor key = value", label,
                       line, bad);
    }
    return suite_validate(suite, label, err);
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int suite_load(const char *name_or_path, ef_suite *suite, ef_error *err)
{
    char path[512];
    const char *dir = getenv("EF_SUITE_DIR");
    if (strlen(name_or_path) >= sizeof path - 16)
        return ef_fail(err, EF_ERROR, "suite '%.64s...': a name or path longer than %zu characters",
                       name_or_path, sizeof path - 17);
    if (strchr(name_or_path, '/') || strstr(name_or_path, ".ini"))
        snprintf(path, sizeof path, "%s", name_or_path);
    else if (dir &&
             (snprintf(path, sizeof path, "%s/%s.ini", dir, name_or_path), file_exists(path)))
        ;
    else if (snprintf(path, sizeof path, "%s/%s.ini", EF_SUITE_DIR, name_or_path),
             file_exists(path))
        ;
    else snprintf(path, sizeof path, "suites/%s.ini", name_or_path);
    char *text;
    size_t len;
    ef_error why;
    int rc = ef_file_read_all(path, 16u << 20, &text, &len, &why);
    if (rc) {
        if (strcmp(path, name_or_path))
            return ef_fail(err, rc, "suite '%s' (%s): %s", name_or_path, path, why.msg);
        return ef_fail(err, rc, "suite %s: %s", path, why.msg);
    }
    if (strlen(text) != len)
        rc = ef_fail(err, EF_ERROR, "%s: contains a NUL byte: not a text file", path);
    else rc = suite_parse_string(text, path, suite, err);
    free(text);
    return rc;
}
