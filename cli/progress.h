/* cli/progress.h — how `efbench run` and `efbench tune` show the engine's progress on
 * stderr: a live line on a terminal, a line every 30 s (and on every failure) in a log.
 */
#ifndef EF_CLI_PROGRESS_H
#define EF_CLI_PROGRESS_H

#include "harness/runner.h"
#include "model/forward.h"

typedef enum { PROGRESS_TERMINAL, PROGRESS_LINES } progress_style;

typedef struct progress_state {
    progress_style style;
    double last_line_ms; /* when the last PROGRESS_LINES line was printed */
} progress_state;

/* A terminal when stderr is one, else lines. */
void progress_init(progress_state *p);
/* The engine's callback (ef_run_config.progress, with the state as progress_user). */
void progress_show(void *user, const ef_event *ev);
/* A forward pass's progress (the monitor's and capture's captures): a live line on a
 * terminal, nothing in a log. */
void progress_capture(void *user, const char *label, int layers_done, int layers, int n,
                      double seconds);

#endif
