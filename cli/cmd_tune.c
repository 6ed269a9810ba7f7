/* cli/cmd_tune.c — `efbench tune`: asks each selected device to choose its tile
 * parameters now and cache them (backends without a `tune` slot have nothing to tune).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "harness/runner.h"

static void tune_usage(FILE *f)
{
    fputs("usage: efbench tune [--backend LIST] [--device SEL]\n\n"
          "Chooses tile parameters for each selected device by a short autotune and caches them\n"
          "per device and driver ($XDG_CACHE_HOME/efbench, else ~/.cache/efbench).\n\n"
          "  --backend LIST   comma list of backends [all compiled in]\n"
          "  --device SEL     as for efbench run [all devices]\n"
          "  --help           this text\n",
          f);
}

int cmd_tune(int argc, char **argv)
{
    static const struct option opts[] = {{"backend", required_argument, 0, 'b'},
                                         {"device", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    ef_run_config cfg = {0};
    int c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b') cfg.backends = optarg;
        else if (c == 'd') cfg.device = optarg;
        else if (c == 'h') {
            tune_usage(stdout);
            return EF_EXIT_OK;
        } else {
            fprintf(stderr, "efbench tune: unknown option '%s' (see efbench tune --help)\n",
                    argv[optind - 1]);
            return EF_EXIT_USAGE;
        }
    }
    static ef_run run;
    ef_device *open[32] = {0};
    ef_error err = {{0}};
    if (runner_devices_open(&cfg, &run, open, &err) != EF_OK) {
        fprintf(stderr, "efbench tune: %s\n", err.msg);
        runner_devices_close(&run, open);
        return EF_EXIT_USAGE;
    }
    int status = EF_EXIT_OK;
    for (int i = 0; i < run.device_count; i++) {
        const ef_run_device *d = &run.devices[i];
        if (!d->backend->tune) {
            printf("%s %s: nothing to tune\n", d->backend->name, d->info.name);
            continue;
        }
        if (d->backend->tune(open[i], &err) != EF_OK) {
            fprintf(stderr, "efbench tune: %s %s: %s\n", d->backend->name, d->info.name, err.msg);
            status = EF_EXIT_FAIL;
        } else {
            printf("%s %s: tuned\n", d->backend->name, d->info.name);
        }
    }
    runner_devices_close(&run, open);
    return status;
}
