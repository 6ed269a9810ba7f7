/* cli/cmd_run.c — `efbench run`: parse options, run the suite (harness/runner.c) with
 * progress on stderr (progress.c), print the summary, write the results (harness/results.c
 * with report/summary.h). Exit 0 when every check passed, 1 when one failed
 * or a device errored, 2 on usage or input errors.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "harness/results.h"
#include "harness/runner.h"
#include "report/summary.h"

static void run_usage(FILE *f)
{
    fputs("usage: efbench run [options]\n\n"
          "Runs a suite on every selected backend and device: each case is checked against the\n"
          "float64 CPU reference within its rounding bound, its invariants are evaluated on the\n"
          "device's own output, then it is timed. Prints a summary and writes results.json,\n"
          "results.csv and summary.md.\n\n"
          "  --suite NAME|FILE   suite to run: a name in suites/ (quick, default) or an .ini path [default]\n"
          "  --backend LIST      comma list of backends (ref, cpu, opencl, vulkan) [all compiled in]\n"
          "  --device SEL        comma list: a type (cpu, gpu), an index, BACKEND:INDEX, or part of\n"
          "                      the device name [all devices]\n"
          "  --precision LIST    input precisions, overriding the suite's (fp32, fp16, bf16)\n"
          "  --out DIR           where to write the results [results/local/<UTC timestamp>]\n"
          "  --seed N            seed of the synthetic inputs and row samples, overriding the suite's\n"
          "  --model PATH        GGUF model for model sources (default: the cached Gemma 3 270M)\n"
          "  --text FILE         input text for model sources, overriding the suite's texts\n"
          "  --qk FILE           run the suite on Q/K imported from a safetensors file\n"
          "  --quiet             no progress on stderr (a live line on a terminal, else a line every 30 s)\n"
          "  --no-peak           do not measure each device's fp32 FMA and copy peaks first (tenths of a s each)\n"
          "  --inject-fault mask-off-by-one\n"
          "                      run the masked energy kernels with a deliberate off-by-one mask, to\n"
          "                      see the verifier fail on this device (exit status 1)\n"
          "  --help              this text\n\n"
          "exit status: 0 every check passed, 1 a check failed or a device errored, 2 usage or input error\n", f);
}

/* "efbench run ARGS...", as typed (argv[0] is "run"). */
static void join_args(int argc, char **argv, char *buf, size_t len)
{
    size_t at = snprintf(buf, len, "efbench");
    for (int i = 0; i < argc && at < len; i++) at += snprintf(buf + at, len - at, " %s", argv[i]);
}

/* One line per device x workload x precision: counts, best throughput, worst error. */
static void print_summary(const ef_run *run)
{
    printf("\n%-7s %-4s %-10s %-5s %6s %5s %5s %6s %12s %10s %11s\n", "backend", "dev", "workload", "prec", "cases",
           "pass", "fail", "unsup", "best ms", "GFLOP/s", "max relerr");
    for (int dv = 0; dv < run->device_count; dv++)
        for (int w = 0; w < EF_WL_COUNT; w++)
            for (int p = 0; p < EF_PREC_COUNT; p++) {
                int cases = 0, pass = 0, fail = 0, unsup = 0;
                double best_ms = NAN, best_gf = NAN, worst = NAN;
                for (int i = 0; i < run->case_count; i++) {
                    const ef_case *c = &run->cases[i];
                    if (c->device != dv || (int)c->workload != w || (int)c->precision != p) continue;
                    cases++;
                    pass += c->status == EF_CASE_PASS;
                    fail += c->status == EF_CASE_FAIL || c->status == EF_CASE_ERROR;
                    unsup += c->status == EF_CASE_UNSUPPORTED;
                    if (c->gflops > 0 && !(c->gflops <= best_gf)) best_gf = c->gflops, best_ms = c->time.median_ms;
                    if (isfinite(c->accuracy.rel_fro_err) && !(c->accuracy.rel_fro_err <= worst))
                        worst = c->accuracy.rel_fro_err;
                }
                if (!cases) continue;
                printf("%-7s %-4d %-10s %-5s %6d %5d %5d %6d %12.4g %10.4g %11.2e\n", run->devices[dv].backend->name, dv,
                       ef_workload_name((ef_workload)w), ef_precision_name((ef_precision)p), cases, pass, fail, unsup,
                       best_ms, best_gf, worst);
            }
    for (int dv = 0; dv < run->device_count; dv++)
        printf("device %d: %s %s (%s)\n", dv, run->devices[dv].backend->name, run->devices[dv].info.name,
               run->devices[dv].info.driver_version);
    if (*run->absent) printf("no device: %s\n", run->absent);
    int shown = 0;
    for (int i = 0; i < run->case_count && shown < 20; i++) {
        const ef_case *c = &run->cases[i];
        if (c->status != EF_CASE_FAIL && c->status != EF_CASE_ERROR) continue;
        char mask[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        printf("%s: %s %s %s %s n=%d d=%d %s: %s\n", ef_case_status_name(c->status), run->devices[c->device].backend->name,
               ef_workload_name(c->workload), mask, ef_precision_name(c->precision), c->n, c->d, c->source, c->reasons);
        shown++;
    }
    printf("\n%d cases: %d pass, %d fail, %d unsupported, %d error\n", run->case_count, run->counts[EF_CASE_PASS],
           run->counts[EF_CASE_FAIL], run->counts[EF_CASE_UNSUPPORTED], run->counts[EF_CASE_ERROR]);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"suite", required_argument, 0, 's'}, {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'}, {"precision", required_argument, 0, 'p'},
        {"out", required_argument, 0, 'o'},   {"seed", required_argument, 0, 'S'},
        {"model", required_argument, 0, 'm'}, {"text", required_argument, 0, 't'},
        {"qk", required_argument, 0, 'k'},    {"quiet", no_argument, 0, 'q'},
        {"no-peak", no_argument, 0, 'P'},
        {"inject-fault", required_argument, 0, 'F'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    /* a live line on a terminal; elsewhere (logs, CI) a summary line every 30 s */
    progress_state progress;
    progress_init(&progress);
    ef_run_config cfg = {.suite = "default", .measure_peak = 1, .progress = progress_show, .progress_user = &progress};
    const char *out = NULL;
    int c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': cfg.suite = optarg; break;
        case 'b': cfg.backends = optarg; break;
        case 'd': cfg.device = optarg; break;
        case 'p': cfg.precisions = optarg; break;
        case 'o': out = optarg; break;
        case 'm': cfg.model = optarg; break;
        case 't': cfg.text = optarg; break;
        case 'k': cfg.qk = optarg; break;
        case 'q': cfg.progress = NULL; break;
        case 'P': cfg.measure_peak = 0; break;
        case 'F':
            if (strcmp(optarg, "mask-off-by-one") != 0) {
                fprintf(stderr, "efbench run: --inject-fault '%s': the only fault is mask-off-by-one\n", optarg);
                return EF_EXIT_USAGE;
            }
            cfg.fault = EF_FAULT_MASK_OFF_BY_ONE;
            break;
        case 'S': {
            char *end;
            unsigned long long s = strtoull(optarg, &end, 0);
            if (*end || end == optarg || *optarg == '-' || s >= (1ull << 53)) {
                fprintf(stderr, "efbench run: --seed '%s' is not an integer in [0, 2^53)\n", optarg);
                return EF_EXIT_USAGE;
            }
            cfg.seed = s;
            cfg.has_seed = 1;
            break;
        }
        case 'h': run_usage(stdout); return EF_EXIT_OK;
        default:
            fprintf(stderr, "efbench run: unknown option or missing value '%s' (see efbench run --help)\n", argv[optind - 1]);
            return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench run: unexpected argument '%s' (see efbench run --help)\n", argv[optind]);
        return EF_EXIT_USAGE;
    }
    char cmdline[2048], when[32], dir[1024];
    join_args(argc, argv, cmdline, sizeof cmdline);
    results_utc_now(when, sizeof when);
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else {
        char stamp[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(dir, sizeof dir, "results/local/%s", stamp);
    }

    ef_run run;
    ef_error err = {{0}};
    if (runner_run(&cfg, &run, &err) != EF_OK) {
        fprintf(stderr, "efbench run: %s\n", err.msg);
        runner_free(&run);
        return EF_EXIT_USAGE;
    }
    print_summary(&run);
    ef_results_meta meta = {.command_line = cmdline, .utc_time = when};
    int status = run.counts[EF_CASE_FAIL] || run.counts[EF_CASE_ERROR] ? EF_EXIT_FAIL : EF_EXIT_OK;
    const ef_results_file summary = {.name = "summary.md", .write = summary_markdown};
    if (results_write(&run, &meta, dir, &summary, 1, &err) != EF_OK) {
        fprintf(stderr, "efbench run: %s\n", err.msg);
        status = EF_EXIT_FAIL;
    } else {
        printf("results: %s/results.json, results.csv, summary.md\n", dir);
    }
    runner_free(&run);
    return status;
}
