/* report/monitor_write.h — the results folder of `efbench monitor`: monitor.json and one
 * mu_K heat map (layer x head, gnuplot SVG) per checkpoint of a mon_report
 * (harness/monitor_run.h). Called by cli/cmd_monitor.c.
 */
#ifndef EF_REPORT_MONITOR_WRITE_H
#define EF_REPORT_MONITOR_WRITE_H

#include <jansson.h>

#include "harness/monitor_run.h"

/* Heat-map file name of checkpoint i ("mu_k_<i>.svg"). */
void mon_heatmap_name(int i, char *buf, size_t len);

/* The monitor.json document. */
json_t *mon_report_json(const mon_report *r);

/* Writes monitor.json and, when gnuplot is found, one mu_K heat map per checkpoint into
 * dir (created), each under a temporary name renamed only when all are complete. Without
 * gnuplot (or when it fails) the heat maps are skipped and r->heatmap_note says why. */
int mon_report_write(mon_report *r, const char *dir, ef_error *err);

#endif
