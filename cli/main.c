/* cli/main.c — `efbench`: the energy-field benchmark. Dispatches to a subcommand;
 * only the cmd_* functions print and choose the exit status. Sets the backends' trace sink
 * (backends/trace.h) to stderr for every command.
 */
#include <stdio.h>
#include <string.h>

#include "backends/trace.h"
#include "cli/cli.h"
#include "version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"devices", cmd_devices, "list every backend and device found (and why one is absent)"},
    {"plan", cmd_plan,
     "the case groups of a suite, their estimated cost and shards (run --shard I/N)"},
    {"run", cmd_run, "run a suite, verify against the float64 reference, time, write results"},
    {"tune", cmd_tune, "choose and cache tile parameters for the selected devices"},
    {"report", cmd_report,
     "merge results.json files (any runs, any machines) into tables and charts"},
    {"capture", cmd_capture,
     "run a GGUF model on a text and write its per-layer Q/K (safetensors)"},
    {"tokenize", cmd_tokenize, "the token ids (and pieces) a model is fed, as capture feeds them"},
    {"monitor", cmd_monitor,
     "per-head key incoherence mu_K (and PR/n) of a model, flags and checkpoint changes"},
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "efbench %s — the softmax-attention energy-field benchmark (OpenCL, Vulkan, CPU)\n\n"
        "usage: efbench COMMAND [options]   (efbench COMMAND --help for its options)\n\ncommands:\n",
        EF_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(
        f,
        "\nexit status (every command): 0 done and every check passed; 1 done and a check failed\n"
        "(a case on a device, a flagged head); 2 not done: usage or input error, or the output\n"
        "or memory failed (one line on stderr says which)\n");
}

/* The backends' developer traces (EF_OPENCL_TRACE=1, EF_OPENCL_DUMP failures), one line
 * each on stderr. */
static void trace_print(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
    ef_trace_set(trace_print, NULL);
    if (argc < 2) {
        usage(stderr);
        return EF_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EF_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("efbench %s\n", EF_VERSION);
        return EF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "efbench: unknown command '%s' (try efbench --help)\n", argv[1]);
    return EF_EXIT_USAGE;
}
