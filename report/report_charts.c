/* report/report_charts.c — the charts of `efbench report`: aggregates the merged results
 * into plots (series of points, peak lines, a heat map), writes each as a gnuplot script
 * and data file in a temporary directory, runs gnuplot (terminal svg) and keeps the SVG
 * text. A plot with fewer than 2 points is refused with the reason. Called by cmd_report.c.
 */
#include "report/report_charts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/report_tables.h"

/* ---- plots in memory ---- */

typedef struct point {
    int series;
    double x, y, z;
} point;

typedef struct plot {
    char name[96], title[256], xlabel[64], ylabel[64], zlabel[64];
    int logx, logy, heat;          /* heat: x, y are grid indexes, z the value */
    char xtics[1024], ytics[1024]; /* gnuplot tic lists for categories, "" for numbers */
    const char *const *xcat;       /* names of categorical x values 0, 1, ..; NULL: numbers */
    char (*series)[160];
    int ns;
    point *pt;
    int np, pt_cap;
    char peaks[2048]; /* extra plot elements: the peak lines */
    int nomem;
} plot;

static void plot_reset(plot *p, const char *name, const char *title, const char *xlabel,
                       const char *ylabel)
{
    free(p->series);
    free(p->pt);
    *p = (plot){0};
    snprintf(p->name, sizeof p->name, "%s", name);
    for (char *c = p->name; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') &&
            *c != '.')
            *c = '-';
    snprintf(p->title, sizeof p->title, "%s", title);
    snprintf(p->xlabel, sizeof p->xlabel, "%s", xlabel);
    snprintf(p->ylabel, sizeof p->ylabel, "%s", ylabel);
}

static void plot_point(plot *p, const char *series, double x, double y, double z)
{
    if (!isfinite(x) || !isfinite(y) || (p->logy && !(y > 0)) || p->nomem) return;
    int s = 0;
    while (s < p->ns && strcmp(p->series[s], series)) s++;
    if (s == p->ns) {
        char(*grown)[160] = realloc(p->series, (p->ns + 1) * sizeof *grown);
        if (!grown) goto nomem;
        p->series = grown;
        snprintf(p->series[p->ns++], sizeof *grown, "%s", series);
    }
    if (p->np == p->pt_cap) {
        int cap = p->pt_cap ? 2 * p->pt_cap : 64;
        point *grown = realloc(p->pt, cap * sizeof *grown);
        if (!grown) goto nomem;
        p->pt = grown, p->pt_cap = cap;
    }
    p->pt[p->np++] = (point){s, x, y, z};
    return;
nomem:
    p->nomem = 1;
}

/* Distinct x values (heat maps: cells); 0 when the plot has no point. */
static int plot_spread(const plot *p)
{
    if (p->heat) return p->np;
    int distinct = 0;
    for (int i = 0; i < p->np; i++) {
        int seen = 0;
        for (int k = 0; k < i && !seen; k++) seen = p->pt[k].x == p->pt[i].x;
        distinct += !seen;
    }
    return distinct;
}

/* ---- gnuplot ---- */

typedef struct gp_env {
    char exe[1024]; /* the gnuplot to run */
    char dir[256];  /* temporary directory */
    int index;      /* charts drawn so far: file name suffix */
} gp_env;

/* $EF_GNUPLOT, else gnuplot on PATH; 0 when not found (why in `why`). */
static int gnuplot_find(char *exe, size_t len, char *why, size_t why_len)
{
    const char *env = getenv("EF_GNUPLOT"), *want = env && *env ? env : "gnuplot";
    if (strchr(want, '/')) {
        snprintf(exe, len, "%s", want);
        if (access(exe, X_OK) == 0) return 1;
    } else {
        const char *path = getenv("PATH");
        for (const char *p = path ? path : ""; *p;) {
            size_t n = strcspn(p, ":");
            snprintf(exe, len, "%.*s/%s", (int)n, p, want);
            if (n && access(exe, X_OK) == 0) return 1;
            p += n + (p[n] == ':');
        }
    }
    if (env && *env)
        snprintf(why, why_len, "charts skipped: gnuplot not found (EF_GNUPLOT=%s)", env);
    else snprintf(why, why_len, "charts skipped: gnuplot not found (install gnuplot-nox)");
    return 0;
}

/* A gnuplot single-quoted string: ' doubled. */
static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) fputs(*s == '\'' ? "''" : (char[]){*s, 0}, f);
    fputc('\'', f);
}

static int cmp_point(const void *pa, const void *pb)
{
    const point *a = pa, *b = pb;
    if (a->series != b->series) return a->series - b->series;
    return (a->x > b->x) - (a->x < b->x);
}

static void write_script(FILE *f, plot *p, const char *base)
{
    /* many series: the key goes below the plot in three columns, and the canvas grows
     * with it, so the plot keeps its width */
    int key_rows = p->ns > 8 ? (p->ns + 2) / 3 : 0;
    fprintf(
        f,
        "set terminal svg size 900,%d noenhanced font 'sans,11' background rgb 'white'\nset output ",
        540 + 18 * key_rows);
    fprintf(f, "'%s.svg'\nset title ", base);
    gp_quote(f, p->title);
    fputs("\nset xlabel ", f);
    gp_quote(f, p->xlabel);
    fputs("\nset ylabel ", f);
    gp_quote(f, p->ylabel);
    fputs(key_rows ? "\nset grid\nset key below maxcols 3\n"
                   : "\nset grid\nset key outside right top\n",
          f);
    fputs("set datafile missing 'NaN'\n", f);
    if (p->logx) fputs("set logscale x 2\n", f);
    if (p->logy) fputs("set logscale y\nset format y '%g'\n", f);
    if (*p->xtics) fprintf(f, "set xtics (%s)\n", p->xtics);
    if (*p->ytics) fprintf(f, "set ytics (%s)\n", p->ytics);
    if (p->heat) {
        double xmax = 0, ymax = 0;
        for (int i = 0; i < p->np; i++)
            xmax = fmax(xmax, p->pt[i].x), ymax = fmax(ymax, p->pt[i].y);
        fprintf(f, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset cblabel ", xmax + 0.5,
                ymax + 0.5);
        gp_quote(f, p->zlabel);
        fprintf(
            f,
            "\nunset grid\nplot '%s.dat' using 1:2:(0.5):(0.5):3 with boxxy fillstyle solid noborder "
            "fillcolor palette notitle\n",
            base);
        return;
    }
    if (*p->xtics) fputs("set xrange [-0.5:2.5]\n", f); /* the three precisions */
    fputs("plot ", f);
    for (int s = 0; s < p->ns; s++) {
        fprintf(f, "%s'%s.dat' index %d using 1:2 with linespoints title ", s ? ", \\\n     " : "",
                base, s);
        gp_quote(f, p->series[s]);
    }
    fprintf(f, "%s\n", p->peaks);
}

/* Run gnuplot on one plot; the SVG text into c->svg, or the reason into c->skip. */
static int plot_draw(gp_env *g, plot *p, report_chart *c, ef_error *err)
{
    snprintf(c->name, sizeof c->name, "%s.svg", p->name);
    snprintf(c->title, sizeof c->title, "%s", p->title);
    int spread = plot_spread(p);
    if (p->nomem) return ef_fail(err, EF_NOMEM, "out of memory for chart %s", p->name);
    if (spread < 2) {
        char x[32];
        if (spread && p->xcat) snprintf(x, sizeof x, "%s", p->xcat[(int)p->pt[0].x]);
        else if (spread) snprintf(x, sizeof x, "%g", p->pt[0].x);
        if (!spread) snprintf(c->skip, sizeof c->skip, "no data");
        else if (p->heat) snprintf(c->skip, sizeof c->skip, "fewer than 2 points (one cell)");
        else
            snprintf(c->skip, sizeof c->skip, "fewer than 2 points (only %.*s = %s)",
                     (int)strcspn(p->xlabel, " "), p->xlabel, x);
        return EF_OK;
    }
    char base[300], path[320], log[320];
    snprintf(base, sizeof base, "%s/c%d", g->dir, g->index++);
    qsort(p->pt, p->np, sizeof *p->pt, cmp_point);
    snprintf(path, sizeof path, "%s.dat", base);
    FILE *f = fopen(path, "w");
    if (!f) return ef_fail(err, EF_ERROR, "cannot write %s: %s", path, strerror(errno));
    for (int i = 0; i < p->np; i++) {
        if (!p->heat && i && p->pt[i].series != p->pt[i - 1].series) fputs("\n\n", f);
        if (p->heat) fprintf(f, "%g %g %.8g\n", p->pt[i].x, p->pt[i].y, p->pt[i].z);
        else fprintf(f, "%.10g %.8g\n", p->pt[i].x, p->pt[i].y);
    }
    int bad = ferror(f) | fclose(f);
    snprintf(path, sizeof path, "%s.gp", base);
    if (bad || !(f = fopen(path, "w")))
        return ef_fail(err, EF_ERROR, "cannot write %s: %s", path, strerror(errno));
    write_script(f, p, base);
    if (ferror(f) | fclose(f))
        return ef_fail(err, EF_ERROR, "cannot write %s: %s", path, strerror(errno));
    snprintf(log, sizeof log, "%s.log", base);
    pid_t pid = fork();
    if (pid < 0) return ef_fail(err, EF_ERROR, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(127);
        execl(g->exe, g->exe, path, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    snprintf(path, sizeof path, "%s.svg", base);
    FILE *svg = fopen(path, "r");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && svg) {
        struct stat sb;
        if (fstat(fileno(svg), &sb) == 0 && (c->svg = malloc(sb.st_size + 1))) {
            size_t got = fread(c->svg, 1, sb.st_size, svg);
            c->svg[got] = '\0';
        }
    }
    if (!c->svg) {
        char first[200] = "";
        FILE *lf = fopen(log, "r");
        if (lf && fgets(first, sizeof first, lf)) first[strcspn(first, "\n")] = '\0';
        if (lf) fclose(lf);
        snprintf(c->skip, sizeof c->skip, "gnuplot failed: %s", *first ? first : "no output");
    }
    if (svg) fclose(svg);
    const char *ext[] = {"dat", "gp", "svg", "log"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s.%s", base, ext[i]);
        unlink(path);
    }
    return EF_OK;
}

/* ---- the charts ---- */

typedef struct charts_ctx {
    const ef_results *r;
    report_charts *out;
    gp_env *g;
    plot p;
    int rc;
    ef_error *err;
} charts_ctx;

static void emit(charts_ctx *c)
{
    if (c->rc) return;
    report_chart *grown = realloc(c->out->chart, (c->out->count + 1) * sizeof *grown);
    if (!grown) {
        c->rc = ef_fail(c->err, EF_NOMEM, "out of memory for the charts");
        return;
    }
    c->out->chart = grown;
    report_chart *ch = &grown[c->out->count++];
    *ch = (report_chart){0};
    c->rc = plot_draw(c->g, &c->p, ch, c->err);
    c->out->drawn += ch->svg != NULL;
}

static int sign(long x) { return (x > 0) - (x < 0); }

/* Cases by workload, mask, device, variant, precision, d, n. */
static int cmp_case(const void *pa, const void *pb)
{
    const ef_result_case *a = *(const ef_result_case *const *)pa,
                         *b = *(const ef_result_case *const *)pb;
    int r;
    if ((r = sign(results_workload_rank(a->workload) - results_workload_rank(b->workload))) ||
        (r = strcmp(a->workload, b->workload)) ||
        (r = sign(results_mask_rank(a->mask) - results_mask_rank(b->mask))) ||
        (r = strcmp(a->mask, b->mask)) || (r = sign(a->device - b->device)) ||
        (r = strcmp(a->variant, b->variant)) ||
        (r = sign(results_precision_rank(a->precision) - results_precision_rank(b->precision))) ||
        (r = strcmp(a->precision, b->precision)) || (r = sign(a->d - b->d)) ||
        (r = sign(a->n - b->n)))
        return r;
    return 0;
}

/* Same chart: throughput by (workload, mask); accuracy by workload only. */
static int same_chart(const ef_result_case *a, const ef_result_case *b, int by_mask)
{
    return !strcmp(a->workload, b->workload) && (!by_mask || !strcmp(a->mask, b->mask));
}

static void series_name(char *buf, size_t len, const ef_results *r, const ef_result_case *c,
                        int with_precision)
{
    snprintf(buf, len, "D%d %s%s%s%s%s d=%d", c->device + 1, r->devices[c->device].backend,
             *c->variant ? " " : "", c->variant, with_precision ? " " : "",
             with_precision ? c->precision : "", c->d);
}

/* (a) median GFLOP/s vs n, one line per device x variant x precision x d, peaks dashed. */
static void throughput_charts(charts_ctx *c, const ef_result_case **order, int n, double *tmp)
{
    for (int i = 0, j; i < n && !c->rc; i = j) {
        for (j = i; j < n && same_chart(order[i], order[j], 1); j++) {}
        char name[128], title[256];
        snprintf(name, sizeof name, "throughput-%s-%s", order[i]->workload, order[i]->mask);
        snprintf(title, sizeof title, "Throughput: %s, %s mask (median GFLOP/s over the inputs)",
                 order[i]->workload, order[i]->mask);
        plot_reset(&c->p, name, title, "n (tokens)", "GFLOP/s");
        c->p.logx = c->p.logy = 1;
        int peak_seen[64] = {0};
        size_t at = 0;
        for (int k = i, e; k < j; k = e) {
            int m = 0;
            for (e = k; e < j && cmp_case(&order[k], &order[e]) == 0; e++)
                if (strcmp(order[e]->status, "unsupported")) tmp[m++] = order[e]->gflops;
            char s[160];
            series_name(s, sizeof s, c->r, order[k], 1);
            plot_point(&c->p, s, order[k]->n, results_median(tmp, m), 0);
            const ef_result_device *d = &c->r->devices[order[k]->device];
            int dv = order[k]->device;
            if (d->peak_gflops > 0 && dv < 64 && !peak_seen[dv]++ && at < sizeof c->p.peaks)
                at +=
                    snprintf(c->p.peaks + at, sizeof c->p.peaks - at,
                             ", \\\n     %.8g with lines dashtype 2 title 'D%d peak %.4g GFLOP/s'",
                             d->peak_gflops, dv + 1, d->peak_gflops);
        }
        emit(c);
    }
}

/* A case of an accuracy chart and its place in the chart's order. */
typedef struct acc_entry {
    const ef_result_case *c;
    int pos;
} acc_entry;

/* Accuracy points: by device, variant, d and precision. */
static int cmp_acc(const void *pa, const void *pb)
{
    const ef_result_case *a = ((const acc_entry *)pa)->c, *b = ((const acc_entry *)pb)->c;
    int r;
    if ((r = sign(a->device - b->device)) || (r = strcmp(a->variant, b->variant)) ||
        (r = sign(a->d - b->d)) || (r = strcmp(a->precision, b->precision)))
        return r;
    return sign(((const acc_entry *)pa)->pos - ((const acc_entry *)pb)->pos);
}

/* worst[k]: the largest rel_fro_err of the cases sharing order[k]'s device, variant, d and
 * precision (NAN if none is finite), found in one sort rather than a scan per case. */
static int accuracy_worst(const ef_result_case **order, int count, double *worst)
{
    acc_entry *e = malloc((count + 1) * sizeof *e);
    if (!e) return EF_NOMEM;
    for (int k = 0; k < count; k++) e[k] = (acc_entry){.c = order[k], .pos = k};
    qsort(e, count, sizeof *e, cmp_acc);
    for (int k = 0, q; k < count; k = q) {
        double w = NAN;
        for (q = k; q < count && cmp_acc(&(acc_entry){.c = e[k].c}, &(acc_entry){.c = e[q].c}) == 0;
             q++)
            if (!(w >= e[q].c->rel_fro_err)) w = e[q].c->rel_fro_err;
        for (int t = k; t < q; t++) worst[e[t].pos] = w;
    }
    free(e);
    return EF_OK;
}

/* (b) max rel_fro_err vs precision, one line per device x variant x d, per workload. */
static void accuracy_charts(charts_ctx *c, const ef_result_case **order, int n, double *worst)
{
    static const char *const prec[] = {"fp32", "fp16", "bf16"};
    for (int i = 0, j; i < n && !c->rc; i = j) {
        for (j = i; j < n && same_chart(order[i], order[j], 0); j++) {}
        if (accuracy_worst(order + i, j - i, worst)) {
            c->rc = ef_fail(c->err, EF_NOMEM, "out of memory for the accuracy charts");
            return;
        }
        char name[128], title[256];
        snprintf(name, sizeof name, "accuracy-%s", order[i]->workload);
        snprintf(title, sizeof title,
                 "Accuracy: %s (largest rel_fro_err over masks, sizes and inputs)",
                 order[i]->workload);
        plot_reset(&c->p, name, title, "precision of the inputs", "rel_fro_err");
        c->p.logy = 1;
        c->p.xcat = prec;
        snprintf(c->p.xtics, sizeof c->p.xtics, "'fp32' 0, 'fp16' 1, 'bf16' 2");
        for (int k = i; k < j; k++) {
            int x = results_precision_rank(order[k]->precision);
            if (x >= 3) continue;
            char s[160];
            series_name(s, sizeof s, c->r, order[k], 0);
            int dup = 0; /* one point per series and precision */
            for (int q = 0; q < c->p.np && !dup; q++)
                dup = c->p.pt[q].x == x && !strcmp(c->p.series[c->p.pt[q].series], s);
            if (!dup) plot_point(&c->p, s, x, worst[k - i], 0);
        }
        emit(c);
    }
}

static int cmp_input(const void *pa, const void *pb)
{
    const ef_result_input *a = *(const ef_result_input *const *)pa,
                          *b = *(const ef_result_input *const *)pb;
    int r;
    if ((r = strcmp(a->model, b->model)) || (r = strcmp(a->text, b->text)) ||
        (r = sign(results_mask_rank(a->mask) - results_mask_rank(b->mask))) ||
        (r = strcmp(a->mask, b->mask)) || (r = sign(a->n - b->n)))
        return r;
    return 0;
}

/* One heat-map value per (layer, head) cell on the sorted axes: the median mu_K of the
 * full-mask inputs of length len in it. The inputs are bucketed by cell in one sort, not
 * scanned once per cell (100 000 heads took minutes that way). */
typedef struct heat_entry {
    int cell;
    double v;
} heat_entry;

static int cmp_heat(const void *a, const void *b)
{
    int x = ((const heat_entry *)a)->cell, y = ((const heat_entry *)b)->cell;
    return (x > y) - (x < y);
}

static int axis_index(const int *axis, int count, int v)
{
    int lo = 0, hi = count;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (axis[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < count && axis[lo] == v ? lo : -1;
}

static void heatmap_cells(charts_ctx *c, const ef_result_input **in, int count, int len,
                          const int *layers, int nl, const int *heads, int nh, double *tmp)
{
    heat_entry *e = malloc((count + 1) * sizeof *e);
    if (!e) {
        c->rc = ef_fail(c->err, EF_NOMEM, "out of memory for the mu_K heat map");
        return;
    }
    int m = 0;
    for (int k = 0; k < count; k++) {
        if (strcmp(in[k]->mask, "full") || in[k]->n != len) continue;
        int y = axis_index(layers, nl, in[k]->layer), x = axis_index(heads, nh, in[k]->head);
        if (y >= 0 && x >= 0)
            e[m++] = (heat_entry){.cell = y * nh + x, .v = in[k]->inv[EF_INV_MU_K]};
    }
    qsort(e, m, sizeof *e, cmp_heat);
    for (int k = 0, q; k < m; k = q) {
        for (q = k; q < m && e[q].cell == e[k].cell; q++) tmp[q - k] = e[q].v;
        double v = results_median(tmp, q - k);
        if (isfinite(v)) plot_point(&c->p, "mu_K", e[k].cell % nh, e[k].cell / nh, v);
    }
    free(e);
}

/* (c) median PR/n and mu_K vs n, one line per text (x mask); (d) mu_K by layer x head at
 * the largest length with the full mask. `order`: the model inputs, sorted by cmp_input. */
static void input_charts(charts_ctx *c, const ef_result_input **order, int n, double *tmp)
{
    static const struct {
        ef_inv inv;
        const char *key, *label;
    } what[] = {{EF_INV_PR_OVER_N, "pr", "PR/n"}, {EF_INV_MU_K, "mu", "mu_K"}};
    for (int i = 0, j; i < n && !c->rc; i = j) {
        const char *model = order[i]->model;
        for (j = i; j < n && !strcmp(order[j]->model, model); j++) {}
        for (int w = 0; w < 2 && !c->rc; w++) {
            char name[128], title[256];
            snprintf(name, sizeof name, "inputs-%s-%s", what[w].key, model);
            snprintf(title, sizeof title,
                     "%s vs length per text: %s (median over layers and heads)", what[w].label,
                     model);
            plot_reset(&c->p, name, title, "n (tokens)", what[w].label);
            c->p.logx = 1;
            for (int k = i, e; k < j; k = e) {
                for (e = k; e < j && cmp_input(&order[k], &order[e]) == 0; e++)
                    tmp[e - k] = order[e]->inv[what[w].inv];
                char s[160];
                snprintf(s, sizeof s, "%s, %s mask", *order[k]->text ? order[k]->text : "(no text)",
                         order[k]->mask);
                plot_point(&c->p, s, order[k]->n, results_median(tmp, e - k), 0);
            }
            emit(c);
        }
        int len = -1, layers[256], heads[256], nl = 0, nh = 0;
        for (int k = i; k < j; k++)
            if (!strcmp(order[k]->mask, "full") && isfinite(order[k]->inv[EF_INV_MU_K]) &&
                order[k]->n > len)
                len = order[k]->n;
        char name[128], title[256];
        snprintf(name, sizeof name, "heatmap-mu-%s", model);
        snprintf(
            title, sizeof title,
            "mu_K by layer and head: %s, full mask, n = %d (largest length; median over texts)",
            model, len);
        plot_reset(&c->p, name, title, "head", "layer");
        c->p.heat = 1;
        snprintf(c->p.zlabel, sizeof c->p.zlabel, "mu_K");
        for (int k = i; k < j; k++) {
            const ef_result_input *in = order[k];
            if (strcmp(in->mask, "full") || in->n != len || in->layer < 0 || in->head < 0) continue;
            int *lists[2] = {layers, heads}, *counts[2] = {&nl, &nh},
                vals[2] = {in->layer, in->head};
            for (int a = 0; a < 2; a++) {
                int q = 0;
                while (q < *counts[a] && lists[a][q] != vals[a]) q++;
                if (q == *counts[a] && q < 256) lists[a][(*counts[a])++] = vals[a];
            }
        }
        /* sorted axes; each cell the median over the texts, seeds and precisions */
        for (int a = 0; a < 2; a++) {
            int *l = a ? heads : layers, cnt = a ? nh : nl;
            for (int x = 1; x < cnt; x++)
                for (int y = x; y > 0 && l[y - 1] > l[y]; y--) {
                    int t = l[y];
                    l[y] = l[y - 1];
                    l[y - 1] = t;
                }
            char *tics = a ? c->p.xtics : c->p.ytics;
            size_t at = 0;
            for (int x = 0; x < cnt && at < sizeof c->p.xtics; x++)
                at += snprintf(tics + at, sizeof c->p.xtics - at, "%s'%d' %d", x ? ", " : "", l[x],
                               x);
        }
        heatmap_cells(c, order + i, j - i, len, layers, nl, heads, nh, tmp);
        emit(c);
    }
}

int report_charts_make(const ef_results *r, report_charts *out, ef_error *err)
{
    *out = (report_charts){0};
    gp_env g = {0};
    if (!gnuplot_find(g.exe, sizeof g.exe, out->status, sizeof out->status)) return EF_OK;
    const char *tmpdir = getenv("TMPDIR");
    snprintf(g.dir, sizeof g.dir, "%s/efbench-charts-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(g.dir))
        return ef_fail(err, EF_ERROR, "cannot create a temporary directory %s: %s", g.dir,
                       strerror(errno));
    int n = r->case_count > r->input_count ? r->case_count : r->input_count;
    const ef_result_case **cases = malloc((r->case_count + 1) * sizeof *cases);
    const ef_result_input **inputs = malloc((r->input_count + 1) * sizeof *inputs);
    double *tmp = malloc((n + 1) * sizeof *tmp);
    charts_ctx c = {.r = r, .out = out, .g = &g, .err = err};
    if (!cases || !inputs || !tmp) {
        c.rc = ef_fail(err, EF_NOMEM, "out of memory for the charts");
        goto cleanup;
    }
    for (int i = 0; i < r->case_count; i++) cases[i] = &r->cases[i];
    qsort(cases, r->case_count, sizeof *cases, cmp_case);
    throughput_charts(&c, cases, r->case_count, tmp);
    accuracy_charts(&c, cases, r->case_count, tmp);
    int m = 0;
    for (int i = 0; i < r->input_count; i++)
        if (*r->inputs[i].model) inputs[m++] = &r->inputs[i];
    qsort(inputs, m, sizeof *inputs, cmp_input);
    input_charts(&c, inputs, m, tmp);
cleanup:
    plot_reset(&c.p, "", "", "", "");
    free(cases);
    free(inputs);
    free(tmp);
    rmdir(g.dir);
    if (c.rc) report_charts_free(out);
    return c.rc;
}

void report_charts_free(report_charts *c)
{
    for (int i = 0; i < c->count; i++) free(c->chart[i].svg);
    free(c->chart);
    *c = (report_charts){0};
}
