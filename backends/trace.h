/* backends/trace.h — where the backends' developer traces go (EF_OPENCL_TRACE,
 * EF_OPENCL_DUMP's failures): one line at a time to a sink the caller sets, as library
 * code never prints. The CLI sets a sink that writes to stderr (cli/main.c); without one
 * the lines are dropped.
 */
#ifndef EF_BACKENDS_TRACE_H
#define EF_BACKENDS_TRACE_H

/* Receives one trace line, without a trailing newline. */
typedef void (*ef_trace_fn)(void *user, const char *line);

/* Send every later trace line to fn(user, line); NULL drops them. Set once, before any
 * backend runs: the sink is read without a lock, and may be called from any thread. */
void ef_trace_set(ef_trace_fn fn, void *user);

/* Format one line (printf-like, cut at 511 bytes) and hand it to the sink, if one is set. */
void ef_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
