/* report/monitor_write.c — the results of `efbench monitor`: monitor.json (every
 * checkpoint's heads, the mu_K changes, the top five) and one mu_K heat map (layer x head)
 * per checkpoint, drawn by gnuplot as SVG. Everything is written under temporary names in
 * the output folder and renamed only when complete. Caller: cmd_monitor.c.
 */
#include "report/monitor_write.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/results.h"
#include "version.h"

enum { MON_MAX_FILES = 65 }; /* monitor.json + a heat map per checkpoint (cmd caps at 64) */

void mon_heatmap_name(int i, char *buf, size_t len) { snprintf(buf, len, "mu_k_%d.svg", i); }

static json_t *mon_num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *mon_head_json(const mon_head *h)
{
    return json_pack("{s:i,s:i,s:i,s:o,s:o,s:i,s:o,s:i,s:o,s:b}", "layer", h->layer, "head",
                     h->head, "kv_head", h->kv_head, "mu_k", mon_num(h->mu_k), "pr_over_n",
                     mon_num(h->pr_over_n), "rank_k", h->rank_k, "v_max", mon_num(h->v_max),
                     "lev_argmax", h->lev_argmax, "mu_limit", mon_num(h->mu_limit), "flagged",
                     h->flagged);
}

static json_t *mon_checkpoint_json(const mon_report *r, int i)
{
    const mon_checkpoint *c = &r->ck[i];
    char map[32];
    mon_heatmap_name(i, map, sizeof map);
    json_t *heads = json_array();
    int flagged = 0;
    for (int k = 0; k < c->n_layer * c->n_head; k++) {
        json_array_append_new(heads, mon_head_json(&c->heads[k]));
        flagged += c->heads[k].flagged;
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:I,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o}", "model", c->name,
                     "kind", c->kind, "path", c->path, "sha256",
                     *c->sha256 ? json_string(c->sha256) : json_null(), "size", (json_int_t)c->size,
                     "text", c->text, "n", c->n, "d", c->d, "n_layer", c->n_layer, "n_head",
                     c->n_head, "n_head_kv", c->n_head_kv, "flagged", flagged, "heatmap",
                     r->heatmaps ? json_string(map) : json_null(), "heads", heads);
}

static json_t *mon_change_json(const mon_report *r, const mon_change *x)
{
    const mon_head *h = &r->ck[x->from].heads[x->index];
    return json_pack("{s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:b}", "from", x->from, "to", x->from + 1,
                     "layer", h->layer, "head", h->head, "mu_k_from", mon_num(x->mu_old), "mu_k_to",
                     mon_num(x->mu_new), "rel_change", mon_num(x->rel), "flagged", x->flagged);
}

json_t *mon_report_json(const mon_report *r)
{
    char date[32];
    results_utc_now(date, sizeof date);
    json_t *cks = json_array(), *changes = json_array(), *top = json_array();
    for (int i = 0; i < r->n_ck; i++) json_array_append_new(cks, mon_checkpoint_json(r, i));
    for (int i = 0; i < r->n_changes; i++)
        json_array_append_new(changes, mon_change_json(r, &r->changes[i]));
    for (int i = 0; i < r->n_top; i++)
        json_array_append_new(top, mon_change_json(r, &r->changes[r->top[i]]));
    int flagged = r->flagged_mu + r->flagged_change;
    char rule[96];
    if (r->max_mu > 0) snprintf(rule, sizeof rule, "mu_k > %g", r->max_mu);
    else snprintf(rule, sizeof rule, "mu_k > 1 + %g (n/r - 1)", MON_DEFAULT_EXCESS);
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:s,s:f,s:i,s:i,s:s,s:o,s:o,s:o}", "efbench",
                     EF_VERSION, "date", date, "field", "full", "text",
                     r->n_ck ? r->ck[0].text : "", "n", r->n_ck ? r->ck[0].n : 0, "max_mu",
                     r->max_mu > 0 ? json_real(r->max_mu) : json_null(), "flag_rule", rule,
                     "max_change", r->max_change, "flagged_mu", r->flagged_mu, "flagged_change",
                     r->flagged_change, "status", flagged ? "flagged" : "ok", "checkpoints", cks,
                     "changes", changes, "top_changes", top);
}

/* Full path of an executable `prog` on PATH, or 0. */
static int mon_which(const char *prog, char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t)(colon - p) : strlen(p);
        int w = snprintf(buf, len, "%.*s/%s", (int)dl, dl ? p : ".", prog);
        if (w > 0 && (size_t)w < len && access(buf, X_OK) == 0) return 1;
        p = colon ? colon + 1 : p + dl;
    }
    return 0;
}

/* A gnuplot string literal: single quotes, a quote doubled. */
static void mon_gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* The gnuplot script of checkpoint i's heat map, drawn into `svg`: one cell per head
 * (boxxyerror, so any L x H works), layer 0 at the top, values printed in small tables,
 * flagged heads marked with '!'. */
static void mon_gp_script(FILE *f, const mon_report *r, int i, const char *svg)
{
    const mon_checkpoint *c = &r->ck[i];
    int L = c->n_layer, H = c->n_head;
    int w = 260 + 50 * (H < 40 ? H : 40), h = 140 + 22 * (L < 60 ? L : 60);
    fprintf(f, "set terminal svg size %d,%d dynamic font 'sans,11'\nset output ", w, h);
    mon_gp_str(f, svg);
    fprintf(f, "\nset title ");
    char title[512];
    char rule[64];
    if (r->max_mu > 0) snprintf(rule, sizeof rule, "%g", r->max_mu);
    else snprintf(rule, sizeof rule, "1 + %g (n/r - 1)", MON_DEFAULT_EXCESS);
    snprintf(title, sizeof title, "mu_K per head: %s on %s, n = %d (flagged ! : mu_K > %s)",
             c->name, c->text, c->n, rule);
    mon_gp_str(f, title);
    fprintf(f,
            " noenhanced\nset xlabel 'query head'\nset ylabel 'layer'\n"
            "set cblabel 'mu_K' noenhanced\nset xrange [-0.5:%g]\nset yrange [%g:-0.5]\n"
            "set xtics 0,%d out nomirror\nset ytics out nomirror (",
            H - 0.5, L - 0.5, H > 16 ? H / 8 : 1);
    int step = L > 36 ? L / 18 : 1;
    for (int l = 0; l < L; l += step)
        fprintf(f, "%s'%d' %d", l ? ", " : "", c->heads[(size_t)l * H].layer, l);
    fprintf(f, ")\nset cbrange [1:*]\nset palette defined (0 '#ffffe5', 0.5 '#fec44f', "
               "1 '#d95f0e')\nset style fill solid 1.0 noborder\nunset key\n"
               "$mu << EOD\n");
    for (int l = 0; l < L; l++)
        for (int k = 0; k < H; k++) {
            const mon_head *e = &c->heads[(size_t)l * H + k];
            if (isfinite(e->mu_k))
                fprintf(f, "%d %d %.6g \"%.2f%s\"\n", k, l, e->mu_k, e->mu_k,
                        e->flagged ? "!" : "");
        }
    fprintf(f, "EOD\nplot $mu using 1:2:(0.5):(0.5):3 with boxxyerror fc palette");
    if (L * H <= 600) fprintf(f, ", $mu using 1:2:4 with labels font ',9' tc rgb 'black'");
    fprintf(f, "\n");
}

/* Draws every checkpoint's heat map into tmp[i] with gnuplot; 0 all drawn, else sets the
 * note and leaves no temporary file behind. */
static int mon_heatmaps_draw(mon_report *r, char (*tmp)[1100])
{
    char gp[1024];
    if (!mon_which("gnuplot", gp, sizeof gp)) {
        snprintf(r->heatmap_note, sizeof r->heatmap_note, "gnuplot not found");
        return -1;
    }
    for (int i = 0; i < r->n_ck; i++) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "'%s'", gp); /* a PATH entry with a quote is not supported */
        FILE *p = strchr(gp, '\'') ? NULL : popen(cmd, "w");
        if (!p) {
            snprintf(r->heatmap_note, sizeof r->heatmap_note, "cannot run %.140s", gp);
            goto undo;
        }
        mon_gp_script(p, r, i, tmp[i]);
        int st = pclose(p);
        struct stat s;
        if (st != 0 || stat(tmp[i], &s) || s.st_size == 0) {
            snprintf(r->heatmap_note, sizeof r->heatmap_note, "gnuplot failed (%s %d)",
                     WIFEXITED(st) ? "exit status" : "wait status",
                     WIFEXITED(st) ? WEXITSTATUS(st) : st);
            unlink(tmp[i]);
            goto undo;
        }
        continue;
    undo:
        for (int k = 0; k < i; k++) unlink(tmp[k]);
        return -1;
    }
    return 0;
}

static int mon_mkdir_p(const char *dir, ef_error *err)
{
    if (results_mkdir_p(dir, err)) return MON_INPUT;
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return ef_fail(err, MON_INPUT, "--out '%s' is not a directory", dir);
    return MON_OK;
}

int mon_report_write(mon_report *r, const char *dir, ef_error *err)
{
    static char tmp[MON_MAX_FILES][1100], final[MON_MAX_FILES][1100];
    int rc, files = r->n_ck + 1;
    if (files > MON_MAX_FILES)
        return ef_fail(err, MON_INPUT, "more than %d checkpoints", MON_MAX_FILES - 1);
    if ((rc = mon_mkdir_p(dir, err))) return rc;
    for (int i = 0; i < files; i++) {
        char name[32];
        if (i < r->n_ck) mon_heatmap_name(i, name, sizeof name);
        else snprintf(name, sizeof name, "monitor.json");
        snprintf(final[i], sizeof final[i], "%s/%s", dir, name);
        snprintf(tmp[i], sizeof tmp[i], "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    }
    r->heatmaps = mon_heatmaps_draw(r, tmp) == 0;
    json_t *doc = mon_report_json(r);
    FILE *f = doc ? fopen(tmp[r->n_ck], "w") : NULL;
    if (!f) {
        rc = ef_fail(err, MON_FAIL, doc ? "cannot write %s: %s" : "%s: %s", tmp[r->n_ck],
                     doc ? strerror(errno) : "could not build the JSON document");
    } else {
        json_dumpf(doc, f, JSON_INDENT(1) | JSON_REAL_PRECISION(8));
        fputc('\n', f);
        if (ferror(f) | fclose(f))
            rc = ef_fail(err, MON_FAIL, "writing %s failed: %s", tmp[r->n_ck], strerror(errno));
    }
    json_decref(doc);
    /* all complete: only now do they take their names (monitor.json last) */
    for (int i = r->heatmaps ? 0 : r->n_ck; i < files; i++) {
        if (rc == MON_OK && rename(tmp[i], final[i]) != 0)
            rc = ef_fail(err, MON_FAIL, "cannot rename %s: %s", tmp[i], strerror(errno));
        if (rc != MON_OK) unlink(tmp[i]);
    }
    /* no heat map this time: one left by an earlier run would not match monitor.json */
    for (int i = 0; rc == MON_OK && !r->heatmaps && i < r->n_ck; i++) unlink(final[i]);
    return rc;
}
