/* cli/cli.h — the subcommands of `efbench`, one file each; main.c dispatches. Each
 * returns the process exit status, one rule for all (README.md, exit status): 0 done and
 * every check passed, 1 done and a check failed (a verdict on a device or model), 2 not
 * done: usage or input error, or an I/O or memory failure while working.
 */
#ifndef EF_CLI_H
#define EF_CLI_H

enum { EF_EXIT_OK = 0, EF_EXIT_FAIL = 1, EF_EXIT_USAGE = 2 };

int cmd_devices(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_plan(int argc, char **argv);

#include <stdio.h>
/* "4G", "512M", "1e9": bytes into *bytes (K, M, G, T: powers of 1024); -1 when not a
 * positive size (cli/size_parse.c). */
int cli_size_parse(const char *text, double *bytes);
struct ef_plan;
/* One line: groups, cases, estimated time and peak host memory of a plan on `devices`
 * devices; of shard shard_index alone when shard_count > 0 (cmd_plan.c). */
void plan_print_estimate(FILE *f, const struct ef_plan *p, int shard_index, int shard_count,
                         int devices);

#endif
