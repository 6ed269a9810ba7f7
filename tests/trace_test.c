/* tests/trace_test.c — the backends' trace sink (backends/trace.h): a set sink gets each
 * line formatted, with its user pointer, cut to the bounded buffer; without a sink (or
 * after it is cleared) lines are dropped and nothing is called.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backends/trace.h"

typedef struct trace_capture {
    int calls;
    char line[1024];
} trace_capture;

static void trace_keep(void *user, const char *line)
{
    trace_capture *c = user;
    c->calls++;
    snprintf(c->line, sizeof c->line, "%s", line);
}

Test(trace, sink_gets_the_formatted_line)
{
    trace_capture c = {0};
    ef_trace_set(trace_keep, &c);
    ef_trace("efbench opencl: %-6s global %zu x %d: %.3f ms", "gram", (size_t)256, 1, 1.5);
    cr_assert_eq(c.calls, 1);
    cr_assert_str_eq(c.line, "efbench opencl: gram   global 256 x 1: 1.500 ms");
    ef_trace_set(NULL, NULL);
}

Test(trace, long_line_is_cut_not_overrun)
{
    trace_capture c = {0};
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ef_trace_set(trace_keep, &c);
    ef_trace("%s", big);
    cr_assert_eq(c.calls, 1);
    cr_assert_eq(strlen(c.line), 511);
    ef_trace_set(NULL, NULL);
}

Test(trace, no_sink_drops_lines)
{
    trace_capture c = {0};
    ef_trace("dropped before any sink: %d", 1);
    ef_trace_set(trace_keep, &c);
    ef_trace_set(NULL, NULL);
    ef_trace("dropped after the sink is cleared: %s", "x");
    cr_assert_eq(c.calls, 0);
}
