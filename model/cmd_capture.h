/* model/cmd_capture.h — `efbench capture`: run a model on a text and write its Q/K as
 * safetensors in the exchange layout. harness/main.c dispatches the subcommand here.
 */
#ifndef EF_MODEL_CMD_CAPTURE_H
#define EF_MODEL_CMD_CAPTURE_H

/* argv[0] is the subcommand name ("capture"). Returns the process exit status:
 * 0 written, 2 bad input (named on stderr, nothing written), 1 other failures. */
int cmd_capture(int argc, char **argv);

#endif
