/* report/summary.h — summary.md, the Markdown summary of one run written beside
 * results.json: provenance, throughput by device x workload x size, the inputs' invariants,
 * the "Invariants by model" sections, and every case that did not pass. `efbench run`
 * hands summary_markdown to results_write (harness/results.h).
 */
#ifndef EF_REPORT_SUMMARY_H
#define EF_REPORT_SUMMARY_H

#include <stdio.h>

#include "harness/results.h"

/* summary.md (summary_md.c). */
void summary_markdown(FILE *f, const ef_run *run, const ef_results_meta *meta);
/* The "Invariants by model" sections: per model of the run's real heads, the mechanism
 * invariants' pass counts and the model-level distributions (summary_paper.c). */
void summary_paper_markdown(FILE *f, const ef_run *run);

#endif
