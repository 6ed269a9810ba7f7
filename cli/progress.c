/* cli/progress.c — progress on stderr for the engine's events (harness/runner.h): on a
 * terminal one live line, rewritten per case, kept when a case does not pass; in a log
 * (CI, nohup) a summary line every 30 s and one for every failure, so a long run shows it
 * is alive without flooding the log.
 */
#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "core/host.h"

void progress_init(progress_state *p)
{
    *p = (progress_state){.style = isatty(STDERR_FILENO) ? PROGRESS_TERMINAL : PROGRESS_LINES,
                          .last_line_ms = host_clock_ms()};
}

static void show_peak(const ef_event *ev)
{
    const ef_run_device *d = &ev->run->devices[ev->device];
    if (ev->ok)
        fprintf(stderr, "peak: %s %d (%s): %.4g GFLOP/s, %.4g GB/s in %.2f s (%s)\n",
                d->backend->name, d->index, d->info.name, d->info.peak_gflops, d->info.peak_gbps,
                ev->seconds, d->info.peak_method);
    else
        fprintf(stderr, "peak: %s %d (%s): not measured: %s\n", d->backend->name, d->index,
                d->info.name, ev->msg);
}

static void show_case(progress_state *p, const ef_run *run, const ef_case *c)
{
    if (p->style == PROGRESS_LINES) {
        double now = host_clock_ms();
        if (now - p->last_line_ms < 30e3 && c->status != EF_CASE_FAIL && c->status != EF_CASE_ERROR)
            return;
        p->last_line_ms = now;
        fprintf(
            stderr,
            "efbench: %d cases (%d pass, %d fail, %d unsupported, %d error), last: %s %s n=%d\n",
            run->case_count, run->counts[EF_CASE_PASS], run->counts[EF_CASE_FAIL],
            run->counts[EF_CASE_UNSUPPORTED], run->counts[EF_CASE_ERROR],
            run->devices[c->device].backend->name, ef_workload_name(c->workload), c->n);
        return;
    }
    char mask[32];
    ef_mask_format(c->mask, mask, sizeof mask);
    const ef_run_device *d = &run->devices[c->device];
    fprintf(stderr, "\r\033[K[%d] %s:%d %s%s%s %s %s n=%d d=%d %s: %s", run->case_count,
            d->backend->name, d->index, ef_workload_name(c->workload), *c->variant ? "/" : "",
            c->variant, mask, ef_precision_name(c->precision), c->n, c->d, c->source,
            ef_case_status_name(c->status));
    if (c->status == EF_CASE_PASS || c->status == EF_CASE_FAIL)
        fprintf(stderr, " %.3f ms", c->time.median_ms);
    fprintf(stderr, c->status == EF_CASE_PASS ? "" : "\n");
    fflush(stderr);
}

/* A group whose reference was built for the statistics only (suite key device_heads). */
static void show_input(progress_state *p, const ef_run *run, const ef_input *in)
{
    if (in->on_devices) return;
    if (p->style == PROGRESS_LINES) {
        double now = host_clock_ms();
        if (now - p->last_line_ms < 30e3) return;
        p->last_line_ms = now;
        fprintf(stderr, "efbench: %d cases, %d inputs, last reference only: %s/%s L%d H%d n=%d\n",
                run->case_count, run->input_count, in->source, in->text, in->layer, in->head,
                in->n);
        return;
    }
    char mask[32];
    ef_mask_format(in->mask, mask, sizeof mask);
    fprintf(stderr, "\r\033[K[%d cases, %d inputs] reference only: %s/%s L%d H%d %s n=%d",
            run->case_count, run->input_count, in->source, in->text, in->layer, in->head, mask,
            in->n);
    fflush(stderr);
}

void progress_capture(void *user, const char *label, int layers_done, int layers, int n,
                      double seconds)
{
    (void)user;
    if (!isatty(STDERR_FILENO)) return;
    double tps = seconds > 0 ? (double)n * layers_done / layers / seconds : 0.0;
    fprintf(stderr, "\r  %s%slayer %d/%d, %d tokens, %.0f tokens/s ", label ? label : "",
            label ? ": " : "", layers_done, layers, n, tps);
    if (layers_done == layers) fputc('\n', stderr);
    fflush(stderr);
}

void progress_show(void *user, const ef_event *ev)
{
    progress_state *p = user;
    switch (ev->kind) {
        case EF_EVENT_PEAK: show_peak(ev); break;
        case EF_EVENT_CASE: show_case(p, ev->run, ev->c); break;
        case EF_EVENT_INPUT: show_input(p, ev->run, ev->input); break;
        case EF_EVENT_CAPTURE:
            progress_capture(p, ev->msg, ev->layer, ev->layers, ev->n, ev->seconds);
            break;
        case EF_EVENT_DONE:
            if (p->style == PROGRESS_TERMINAL) fprintf(stderr, "\r\033[K");
            break;
    }
}
