/* report/report_render.c — writes the tables built by report_tables.c as one Markdown
 * page (GitHub tables, charts linked), one CSV per table, or one self-contained HTML page
 * (styles and charts inline). Knows nothing of what the cells mean. Called by cmd_report.c.
 */
#include <stdio.h>
#include <string.h>

#include "report/report_tables.h"
#include "version.h"

static int is_fail(const char *cell) { return strstr(cell, "FAIL") != NULL; }

/* ---- Markdown ---- */

static void md_cell(FILE *f, const char *s)
{
    int bold = is_fail(s);
    fputs(bold ? " **" : " ", f);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputs(bold ? "** |" : " |", f);
}

static void md_table(FILE *f, const report_table *t)
{
    fprintf(f, "## %s\n\n", t->title);
    if (t->note) fprintf(f, "%s\n\n", t->note);
    if (t->rows < 2) {
        fputs("(none)\n\n", f);
        return;
    }
    for (int r = 0; r < t->rows; r++) {
        fputc('|', f);
        for (int c = 0; c < t->cols; c++) md_cell(f, t->cell[r * t->cols + c]);
        fputc('\n', f);
        if (r == 0) {
            fputc('|', f);
            for (int c = 0; c < t->cols; c++) fputs("---|", f);
            fputc('\n', f);
        }
    }
    fputc('\n', f);
}

static void md_charts(FILE *f, const report_charts *ch)
{
    fputs("## Charts\n\n", f);
    if (*ch->status) fprintf(f, "%s.\n\n", ch->status);
    for (int i = 0; i < ch->count; i++)
        if (ch->chart[i].svg) fprintf(f, "![%s](%s)\n\n", ch->chart[i].title, ch->chart[i].name);
    int skipped = 0;
    for (int i = 0; i < ch->count; i++)
        if (!ch->chart[i].svg) {
            if (!skipped++) fputs("Not drawn:\n\n", f);
            fprintf(f, "- %s: %s\n", ch->chart[i].title, ch->chart[i].skip);
        }
    if (skipped) fputc('\n', f);
}

void report_tables_md(FILE *f, const report_tables *t, const report_charts *charts)
{
    fprintf(f, "# efbench report\n\n%s, merged by efbench %s.\n\n", t->headline, EF_VERSION);
    for (int i = 0; i < t->count; i++) {
        if (!(t->table[i].formats & REPORT_MD)) continue;
        if (!strcmp(t->table[i].name, "provenance")) md_charts(f, charts);
        md_table(f, &t->table[i]);
    }
}

/* ---- CSV ---- */

static void csv_field(FILE *f, const char *s)
{
    if (!strcmp(s, "—")) return; /* no value */
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void report_tables_csv(FILE *f, const report_table *t)
{
    for (int r = 0; r < t->rows; r++)
        for (int c = 0; c < t->cols; c++) {
            csv_field(f, t->cell[r * t->cols + c]);
            fputc(c + 1 < t->cols ? ',' : '\n', f);
        }
}

/* ---- HTML ---- */

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"': fputs("&quot;", f); break;
            default: fputc(*s, f);
        }
    }
}

static void html_table(FILE *f, const report_table *t)
{
    fputs("<h2>", f);
    html_text(f, t->title);
    fputs("</h2>\n", f);
    if (t->note) {
        fputs("<p>", f);
        html_text(f, t->note);
        fputs("</p>\n", f);
    }
    if (t->rows < 2) {
        fputs("<p>(none)</p>\n", f);
        return;
    }
    fputs("<table>\n", f);
    for (int r = 0; r < t->rows; r++) {
        fputs("<tr>", f);
        for (int c = 0; c < t->cols; c++) {
            const char *s = t->cell[r * t->cols + c];
            fputs(r == 0 ? "<th>" : is_fail(s) ? "<td class=\"fail\">" : "<td>", f);
            html_text(f, s);
            fputs(r == 0 ? "</th>" : "</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void html_charts(FILE *f, const report_charts *ch)
{
    fputs("<h2>Charts</h2>\n", f);
    if (*ch->status) {
        fputs("<p>", f);
        html_text(f, ch->status);
        fputs(".</p>\n", f);
    }
    for (int i = 0; i < ch->count; i++) {
        const report_chart *c = &ch->chart[i];
        const char *svg = c->svg ? strstr(c->svg, "<svg") : NULL;
        if (!svg) continue;
        fputs("<figure>\n", f);
        fputs(svg, f);
        fputs("\n<figcaption>", f);
        html_text(f, c->title);
        fputs(" (", f);
        html_text(f, c->name);
        fputs(")</figcaption>\n</figure>\n", f);
    }
    int skipped = 0;
    for (int i = 0; i < ch->count; i++)
        if (!ch->chart[i].svg) {
            fputs(skipped++ ? "<li>" : "<p>Not drawn:</p>\n<ul>\n<li>", f);
            html_text(f, ch->chart[i].title);
            fputs(": ", f);
            html_text(f, ch->chart[i].skip);
            fputs("</li>\n", f);
        }
    if (skipped) fputs("</ul>\n", f);
}

void report_tables_html(FILE *f, const report_tables *t, const report_charts *charts)
{
    fputs(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>efbench report</title>\n"
        "<style>\n"
        "body { font-family: sans-serif; margin: 2em; }\n"
        "table { border-collapse: collapse; margin: 0.5em 0 1.5em; }\n"
        "th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: left; font-size: 90%; }\n"
        "th { background: #eee; }\n"
        "td.fail { background: #fcc; font-weight: bold; }\n"
        "figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }\n"
        "</style>\n</head>\n<body>\n<h1>efbench report</h1>\n<p>",
        f);
    html_text(f, t->headline);
    fprintf(f, ", merged by efbench %s.</p>\n", EF_VERSION);
    for (int i = 0; i < t->count; i++) {
        if (!(t->table[i].formats & REPORT_HTML)) continue;
        if (!strcmp(t->table[i].name, "provenance")) html_charts(f, charts);
        html_table(f, &t->table[i]);
    }
    fputs("</body>\n</html>\n", f);
}
