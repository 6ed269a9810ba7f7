/* report/report_tables.c — builds the tables of `efbench report` from merged results
 * (results_load.c) as rows of strings: devices, throughput, accuracy, invariant residuals,
 * inputs, provenance. Writing them as Markdown, CSV or HTML is report_render.c; the charts
 * are report_charts.c. What each cell means: results/README.md, "efbench report".
 */
#include "report/report_tables.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables of strings ---- */

typedef struct builder {
    report_tables *ts;
    report_table *t; /* the table being filled; NULL after an allocation failed */
    int used, cap, nomem;
} builder;

/* Close the current table; a row left incomplete (an allocation failed) is dropped. */
static void table_end(builder *b)
{
    if (!b->t) return;
    b->t->rows = b->used / b->t->cols;
    for (int k = b->t->rows * b->t->cols; k < b->used; k++) free(b->t->cell[k]);
    b->t = NULL;
}

static void cellf(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cellf(builder *b, const char *fmt, ...)
{
    report_table *t = b->t;
    if (!t) return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc(len + 1);
    if (s && b->used == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        char **grown = realloc(t->cell, cap * sizeof *grown);
        if (grown) t->cell = grown, b->cap = cap;
        else free(s), s = NULL;
    }
    if (!s) {
        b->nomem = 1;
        table_end(b);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, len + 1, fmt, ap);
    va_end(ap);
    t->cell[b->used++] = s;
}

static void table_begin(builder *b, const char *name, const char *title, int formats, int cols,
                        const char *const *header)
{
    table_end(b);
    report_table *grown = realloc(b->ts->table, (b->ts->count + 1) * sizeof *grown);
    if (!grown) {
        b->nomem = 1;
        return;
    }
    b->ts->table = grown;
    b->t = &grown[b->ts->count++];
    *b->t = (report_table){.name = name, .title = title, .formats = formats, .cols = cols};
    b->used = b->cap = 0;
    for (int i = 0; i < cols; i++) cellf(b, "%s", header[i]);
}

static void table_note(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void table_note(builder *b, const char *fmt, ...)
{
    if (!b->t) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(b->t->note = strdup(buf))) b->nomem = 1;
}

/* Three significant digits, whole numbers from 1000 on; "—" for NAN. */
static const char *fmt_g(char *buf, size_t len, double x)
{
    if (!isfinite(x)) snprintf(buf, len, "—");
    else snprintf(buf, len, fabs(x) >= 1000 ? "%.0f" : "%.3g", x);
    return buf;
}

static const char *fmt_e(char *buf, size_t len, double x)
{
    if (!isfinite(x)) snprintf(buf, len, "—");
    else snprintf(buf, len, "%.2e", x);
    return buf;
}

/* ---- grouping cases ---- */

static int sign(long x) { return (x > 0) - (x < 0); }

/* The throughput row: workload, variant, mask, precision, n, d. */
static int cmp_row(const ef_result_case *a, const ef_result_case *b)
{
    int r;
    if ((r = sign(results_workload_rank(a->workload) - results_workload_rank(b->workload))) ||
        (r = strcmp(a->workload, b->workload)) || (r = strcmp(a->variant, b->variant)) ||
        (r = sign(results_mask_rank(a->mask) - results_mask_rank(b->mask))) ||
        (r = strcmp(a->mask, b->mask)) ||
        (r = sign(results_precision_rank(a->precision) - results_precision_rank(b->precision))) ||
        (r = strcmp(a->precision, b->precision)) || (r = sign(a->n - b->n)) ||
        (r = sign(a->d - b->d)))
        return r;
    return 0;
}

static int cmp_row_device(const void *pa, const void *pb)
{
    const ef_result_case *a = *(const ef_result_case *const *)pa,
                         *b = *(const ef_result_case *const *)pb;
    int r = cmp_row(a, b);
    return r ? r : sign(a->device - b->device);
}

/* Accuracy rows: device, workload(/variant), precision. */
static int cmp_device_workload(const void *pa, const void *pb)
{
    const ef_result_case *a = *(const ef_result_case *const *)pa,
                         *b = *(const ef_result_case *const *)pb;
    int r;
    if ((r = sign(a->device - b->device)) ||
        (r = sign(results_workload_rank(a->workload) - results_workload_rank(b->workload))) ||
        (r = strcmp(a->workload, b->workload)) || (r = strcmp(a->variant, b->variant)) ||
        (r = sign(results_precision_rank(a->precision) - results_precision_rank(b->precision))) ||
        (r = strcmp(a->precision, b->precision)))
        return r;
    return 0;
}

static int cmp_device_precision(const void *pa, const void *pb)
{
    const ef_result_case *a = *(const ef_result_case *const *)pa,
                         *b = *(const ef_result_case *const *)pb;
    int r;
    if ((r = sign(a->device - b->device)) ||
        (r = sign(results_precision_rank(a->precision) - results_precision_rank(b->precision))) ||
        (r = strcmp(a->precision, b->precision)))
        return r;
    return 0;
}

/* One throughput cell: the cases of one row on one device. */
typedef struct cell_stats {
    int cases, pass, failed, unsupported, noisy;
    double gflops, gbps, ms, frac, spread; /* medians; frac of the binding peak; largest spread */
    const char *frac_kind;                 /* "FLOP/s" or "GB/s": which peak frac is of */
} cell_stats;

static void cell_stats_of(const ef_result_case *const *c, int count, double *tmp, cell_stats *s)
{
    *s = (cell_stats){.cases = count, .spread = NAN};
    double *gf = tmp, *gb = tmp + count, *ms = tmp + 2 * count, *ff = tmp + 3 * count,
           *fb = tmp + 4 * count;
    for (int i = 0; i < count; i++) {
        const ef_result_case *k = c[i];
        int ran = strcmp(k->status, "unsupported") != 0;
        s->unsupported += !ran;
        s->pass += !strcmp(k->status, "pass");
        s->failed += !strcmp(k->status, "fail") || !strcmp(k->status, "error");
        gf[i] = ran ? k->gflops : NAN;
        gb[i] = ran ? k->gbps : NAN;
        ms[i] = ran ? k->ms : NAN;
        ff[i] = ran && k->peak_gflops > 0 ? k->gflops / k->peak_gflops : NAN;
        fb[i] = ran && k->peak_gbps > 0 ? k->gbps / k->peak_gbps : NAN;
        double spread = (k->ms_max - k->ms_min) / k->ms;
        if (ran && k->ms > 0 && isfinite(spread)) {
            if (!(s->spread >= spread)) s->spread = spread;
            s->noisy += spread > REPORT_NOISE_THRESHOLD;
        }
    }
    s->gflops = results_median(gf, count);
    s->gbps = results_median(gb, count);
    s->ms = results_median(ms, count);
    double f = results_median(ff, count), b = results_median(fb, count);
    s->frac = isfinite(b) && !(f >= b) ? b : f;
    s->frac_kind = isfinite(b) && !(f >= b) ? "GB/s" : "FLOP/s";
}

/* Append to buf[len] at *at; a truncated write leaves *at at len - 1, so the next append
 * is a no-op rather than a write past the end (a loaded file can hold any figure: a
 * fraction of 1e306 prints 309 digits). */
static void appendf(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (w > 0) *at = *at + (size_t)w < len ? *at + (size_t)w : len - 1;
}

/* "12.5 GFLOP/s (45% of peak) · 0.0105 ms · pass 2/2 †" (results/README.md). */
static void cell_text(const cell_stats *s, char *buf, size_t len)
{
    char g[32], m[32];
    int ran = s->cases - s->unsupported;
    size_t at = 0;
    buf[0] = '\0';
    if (!ran) {
        snprintf(buf, len, "unsupported");
        return;
    }
    if (isfinite(s->gflops)) {
        appendf(buf, len, &at, "%s GFLOP/s", fmt_g(g, sizeof g, s->gflops));
        if (isfinite(s->frac))
            appendf(buf, len, &at, " (%.0f%% of peak%s)", 100 * s->frac,
                    strcmp(s->frac_kind, "GB/s") ? "" : " GB/s");
        appendf(buf, len, &at, " · ");
    }
    if (isfinite(s->ms)) appendf(buf, len, &at, "%s ms · ", fmt_g(m, sizeof m, s->ms));
    if (s->failed) appendf(buf, len, &at, "FAIL: %d/%d pass", s->pass, ran);
    else appendf(buf, len, &at, "pass %d/%d", s->pass, ran);
    if (s->noisy) appendf(buf, len, &at, " %s", REPORT_NOISE_MARK);
}

/* ---- the tables ---- */

static void devices_table(builder *b, const ef_results *r)
{
    static const char *const h[] = {"dev",  "backend",      "device",    "driver", "API",
                                    "host", "peak GFLOP/s", "peak GB/s", "files"};
    table_begin(b, "devices", "Devices", REPORT_MD | REPORT_CSV | REPORT_HTML, 9, h);
    table_note(
        b,
        "One column of the throughput table per device. A device is the same across files when its backend, "
        "name, driver version and host CPU are; peaks are the largest measured in its files.");
    for (int i = 0; i < r->device_count; i++) {
        const ef_result_device *d = &r->devices[i];
        char pg[32], pb[32];
        cellf(b, "D%d", i + 1);
        cellf(b, "%s", d->backend);
        cellf(b, "%s", d->name);
        cellf(b, "%s", d->driver);
        cellf(b, "%s", d->api);
        cellf(b, "%s", d->host);
        cellf(b, "%s", fmt_g(pg, sizeof pg, d->peak_gflops));
        cellf(b, "%s", fmt_g(pb, sizeof pb, d->peak_gbps));
        cellf(b, "%d", d->files);
    }
}

static void throughput_tables(builder *b, const ef_results *r, const ef_result_case **order,
                              double *tmp)
{
    int n = r->case_count, cols = 5 + r->device_count;
    const char **h = calloc(cols, sizeof *h);
    char(*labels)[48] = calloc(r->device_count + 1, sizeof *labels);
    if (!h || !labels) {
        b->nomem = 1;
        goto free_header;
    }
    const char *fixed[] = {"workload", "mask", "prec", "n", "d"};
    for (int i = 0; i < 5; i++) h[i] = fixed[i];
    for (int i = 0; i < r->device_count; i++) {
        snprintf(labels[i], sizeof labels[i], "D%d %.20s", i + 1, r->devices[i].backend);
        h[5 + i] = labels[i];
    }
    qsort(order, n, sizeof *order, cmp_row_device);
    table_begin(b, "throughput", "Throughput", REPORT_MD | REPORT_HTML, cols, h);
    table_note(
        b,
        "Medians over the inputs of each row: GFLOP/s (%% of the device's measured peak, FLOP/s or GB/s "
        "whichever is higher, when known), time, and how many cases passed verification (FAIL when one "
        "did not). %s: a case's time spread (max − min) / median exceeds %.2f.",
        REPORT_NOISE_MARK, REPORT_NOISE_THRESHOLD);
    for (int i = 0, j; i < n; i = j) {
        for (j = i; j < n && cmp_row(order[i], order[j]) == 0; j++) {}
        const ef_result_case *c = order[i];
        cellf(b, "%s%s%s", c->workload, *c->variant ? "/" : "", c->variant);
        cellf(b, "%s", c->mask);
        cellf(b, "%s", c->precision);
        cellf(b, "%d", c->n);
        cellf(b, "%d", c->d);
        for (int dv = 0, k = i; dv < r->device_count; dv++) {
            int e = k;
            while (e < j && order[e]->device == dv) e++;
            char text[160] = "";
            if (e > k) {
                cell_stats s;
                cell_stats_of(order + k, e - k, tmp, &s);
                cell_text(&s, text, sizeof text);
            }
            cellf(b, "%s", text);
            k = e;
        }
    }
    static const char *const lh[] = {
        "workload",  "variant",       "mask",        "precision",     "n",
        "d",         "device",        "backend",     "device_name",   "cases",
        "pass",      "failed",        "unsupported", "median_gflops", "median_gbps",
        "median_ms", "peak_fraction", "peak_kind",   "noisy_cases",   "max_spread"};
    table_begin(b, "throughput", "Throughput", REPORT_CSV, 20, lh);
    for (int i = 0, j; i < n; i = j) {
        for (j = i; j < n && cmp_row_device(&order[i], &order[j]) == 0; j++) {}
        const ef_result_case *c = order[i];
        cell_stats s;
        cell_stats_of(order + i, j - i, tmp, &s);
        cellf(b, "%s", c->workload);
        cellf(b, "%s", c->variant);
        cellf(b, "%s", c->mask);
        cellf(b, "%s", c->precision);
        cellf(b, "%d", c->n);
        cellf(b, "%d", c->d);
        cellf(b, "D%d", c->device + 1);
        cellf(b, "%s", r->devices[c->device].backend);
        cellf(b, "%s", r->devices[c->device].name);
        cellf(b, "%d", s.cases);
        cellf(b, "%d", s.pass);
        cellf(b, "%d", s.failed);
        cellf(b, "%d", s.unsupported);
        double v[] = {s.gflops, s.gbps, s.ms, s.frac};
        for (int k = 0; k < 4; k++) isfinite(v[k]) ? cellf(b, "%.6g", v[k]) : cellf(b, "%s", "");
        cellf(b, "%s", isfinite(s.frac) ? s.frac_kind : "");
        cellf(b, "%d", s.noisy);
        isfinite(s.spread) ? cellf(b, "%.4g", s.spread) : cellf(b, "%s", "");
    }
free_header:
    free(h);
    free(labels);
}

static void accuracy_table(builder *b, const ef_results *r, const ef_result_case **order,
                           double *tmp)
{
    static const char *const h[] = {"dev",   "workload",        "prec",
                                    "cases", "max rel_fro_err", "median rel_fro_err"};
    int n = r->case_count;
    qsort(order, n, sizeof *order, cmp_device_workload);
    table_begin(b, "accuracy", "Accuracy", REPORT_MD | REPORT_CSV | REPORT_HTML, 6, h);
    table_note(
        b,
        "accuracy.rel_fro_err of every case against the float64 reference, over masks, sizes and inputs "
        "(rowsum compares no output: its check is rowsum_rel, below).");
    for (int i = 0, j; i < n; i = j) {
        double worst = NAN;
        for (j = i; j < n && cmp_device_workload(&order[i], &order[j]) == 0; j++) {
            tmp[j - i] = order[j]->rel_fro_err;
            if (!(worst >= tmp[j - i]) && isfinite(tmp[j - i])) worst = tmp[j - i];
        }
        if (!isfinite(worst)) continue; /* rowsum: no compared output; see the residuals */
        const ef_result_case *c = order[i];
        char a[32], m[32];
        cellf(b, "D%d", c->device + 1);
        cellf(b, "%s%s%s", c->workload, *c->variant ? "/" : "", c->variant);
        cellf(b, "%s", c->precision);
        cellf(b, "%d", j - i);
        cellf(b, "%s", fmt_e(a, sizeof a, worst));
        cellf(b, "%s", fmt_e(m, sizeof m, results_median(tmp, j - i)));
    }
}

/* The case with the largest residual / bound (or residual, without a bound) as
 * "1.20e-07 / 3.10e-06", FAIL appended when it exceeds its bound; "—" when none. */
static void residual_cell(builder *b, const ef_result_case *const *c, int count, ef_inv value,
                          ef_inv bound)
{
    double worst_v = NAN, worst_b = NAN, worst = -1;
    for (int i = 0; i < count; i++) {
        double v = c[i]->inv[value], bd = c[i]->inv[bound];
        if (!isfinite(v)) continue;
        double key = bd > 0 ? v / bd : v;
        if (key > worst) worst = key, worst_v = v, worst_b = bd;
    }
    char vs[32], bs[32];
    if (!isfinite(worst_v)) cellf(b, "—");
    else
        cellf(b, "%s / %s%s", fmt_e(vs, sizeof vs, worst_v), fmt_e(bs, sizeof bs, worst_b),
              worst_v > worst_b ? " FAIL" : "");
}

static void invariants_table(builder *b, const ef_results *r, const ef_result_case **order)
{
    static const char *const h[] = {"dev", "prec", "rowsum_rel / bound", "rank_tail / bound",
                                    "sv_rel_err / bound"};
    int n = r->case_count;
    qsort(order, n, sizeof *order, cmp_device_precision);
    table_begin(b, "invariants", "Invariant residuals", REPORT_MD | REPORT_CSV | REPORT_HTML, 5, h);
    table_note(
        b,
        "Measured on each device's own output, the worst case (largest residual / bound) of each device "
        "and precision; FAIL when it exceeds its bound.");
    for (int i = 0, j; i < n; i = j) {
        int any = 0;
        for (j = i; j < n && cmp_device_precision(&order[i], &order[j]) == 0; j++)
            any |= isfinite(order[j]->inv[EF_INV_ROWSUM_REL]) ||
                   isfinite(order[j]->inv[EF_INV_RANK_TAIL]) ||
                   isfinite(order[j]->inv[EF_INV_SV_REL_ERR]);
        if (!any) continue;
        cellf(b, "D%d", order[i]->device + 1);
        cellf(b, "%s", order[i]->precision);
        residual_cell(b, order + i, j - i, EF_INV_ROWSUM_REL, EF_INV_ROWSUM_BOUND);
        residual_cell(b, order + i, j - i, EF_INV_RANK_TAIL, EF_INV_RANK_TAIL_BOUND);
        residual_cell(b, order + i, j - i, EF_INV_SV_REL_ERR, EF_INV_SV_REL_BOUND);
    }
}

/* Inputs: synthetic sources first, then models; text, mask, n. */
static int cmp_input(const void *pa, const void *pb)
{
    const ef_result_input *a = *(const ef_result_input *const *)pa,
                          *b = *(const ef_result_input *const *)pb;
    int r;
    if ((r = sign((long)!!*a->model - !!*b->model)) || (r = strcmp(a->source, b->source)) ||
        (r = strcmp(a->text, b->text)) ||
        (r = sign(results_mask_rank(a->mask) - results_mask_rank(b->mask))) ||
        (r = strcmp(a->mask, b->mask)) || (r = sign(a->n - b->n)))
        return r;
    return 0;
}

static void inputs_table(builder *b, const ef_results *r, double *tmp)
{
    static const char *const h[] = {"source", "text",        "mask",       "n",
                                    "inputs", "median PR/n", "median mu_K"};
    int n = r->input_count;
    const ef_result_input **order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        b->nomem = 1;
        return;
    }
    for (int i = 0; i < n; i++) order[i] = &r->inputs[i];
    qsort(order, n, sizeof *order, cmp_input);
    table_begin(b, "inputs", "Inputs", REPORT_MD | REPORT_CSV | REPORT_HTML, 7, h);
    table_note(
        b,
        "Invariants of the input heads from the float64 reference, medians over the heads (layers, heads, "
        "seeds, precisions) of each source, text, mask and length. mu_K is defined on the full mask only.");
    for (int i = 0, j; i < n; i = j) {
        for (j = i; j < n && cmp_input(&order[i], &order[j]) == 0; j++) {
            tmp[j - i] = order[j]->inv[EF_INV_PR_OVER_N];
            tmp[n + j - i] = order[j]->inv[EF_INV_MU_K];
        }
        char pr[32] = "—", mu[32];
        double p = results_median(tmp, j - i);
        if (isfinite(p)) snprintf(pr, sizeof pr, "%.3f", p);
        cellf(b, "%s", order[i]->source);
        cellf(b, "%s", *order[i]->text ? order[i]->text : "—");
        cellf(b, "%s", order[i]->mask);
        cellf(b, "%d", order[i]->n);
        cellf(b, "%d", j - i);
        cellf(b, "%s", pr);
        cellf(b, "%s", fmt_g(mu, sizeof mu, results_median(tmp + n, j - i)));
    }
    free(order);
}

static void files_table(builder *b, const ef_results *r)
{
    static const char *const h[] = {"file",  "tool version", "UTC time", "host",
                                    "suite", "cases",        "devices"};
    table_begin(b, "provenance", "Provenance", REPORT_MD | REPORT_CSV | REPORT_HTML, 7, h);
    table_note(
        b,
        "Every merged file: the commit that wrote it (tool.version), when, where, and its devices "
        "(their drivers are in the devices table).");
    for (int i = 0; i < r->file_count; i++) {
        const ef_result_file *f = &r->files[i];
        cellf(b, "%s", f->path);
        cellf(b, "%s", f->tool_version);
        cellf(b, "%s", f->utc_time);
        cellf(b, "%s, %d cores, %s", f->host_cpu, f->host_cores, f->host_os);
        cellf(b, "%s", f->suite);
        cellf(b, "%d (%d pass, %d fail, %d unsupported, %d error)", f->cases, f->pass, f->fail,
              f->unsupported, f->error);
        char devs[512] = "";
        size_t at = 0;
        for (int d = 0; d < r->device_count; d++) {
            int in = 0;
            for (int c = 0; c < r->case_count && !in; c++)
                in = r->cases[c].file == i && r->cases[c].device == d;
            if (in && at < sizeof devs)
                at += snprintf(devs + at, sizeof devs - at, "%sD%d (%s)", at ? ", " : "", d + 1,
                               r->devices[d].driver);
        }
        cellf(b, "%s", devs);
    }
}

int report_tables_build(const ef_results *r, report_tables *out, ef_error *err)
{
    *out = (report_tables){0};
    builder b = {.ts = out};
    int n = r->case_count > r->input_count ? r->case_count : r->input_count;
    const ef_result_case **order = malloc((r->case_count + 1) * sizeof *order);
    double *tmp = malloc((5 * (size_t)n + 1) * sizeof *tmp);
    if (!order || !tmp) {
        b.nomem = 1;
        goto done;
    }
    for (int i = 0; i < r->case_count; i++) order[i] = &r->cases[i];
    snprintf(out->headline, sizeof out->headline,
             "%d file%s, %d device%s, %d cases, %d input heads", r->file_count,
             r->file_count == 1 ? "" : "s", r->device_count, r->device_count == 1 ? "" : "s",
             r->case_count, r->input_count);
    devices_table(&b, r);
    throughput_tables(&b, r, order, tmp);
    accuracy_table(&b, r, order, tmp);
    invariants_table(&b, r, order);
    inputs_table(&b, r, tmp);
    files_table(&b, r);
    table_end(&b);
done:
    free(order);
    free(tmp);
    if (!b.nomem) return EF_OK;
    report_tables_free(out);
    return ef_fail(err, EF_NOMEM, "out of memory building the report tables");
}

void report_tables_free(report_tables *t)
{
    for (int i = 0; i < t->count; i++) {
        report_table *tb = &t->table[i];
        for (int k = 0; tb->cell && k < tb->rows * tb->cols; k++) free(tb->cell[k]);
        free(tb->cell);
        free(tb->note);
    }
    free(t->table);
    *t = (report_tables){0};
}
