/* cli/cmd_run.c — `efbench run`: parse options, run the suite (harness/runner.c) with
 * progress on stderr (progress.c), print the summary, write the results (harness/results.c
 * with report/summary.h). Exit 0 when every check passed, 1 when one failed
 * or a device errored, 2 on usage or input errors.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "harness/checkpoint.h"
#include "harness/outdir.h"
#include "harness/plan.h"
#include "harness/results.h"
#include "harness/runner.h"
#include "version.h"
#include "report/summary.h"

static void run_usage(FILE *f)
{
    fputs(
        "usage: efbench run [options]\n\n"
        "Runs a suite on every selected backend and device: each case is checked against the\n"
        "float64 CPU reference within its rounding bound, its invariants are evaluated on the\n"
        "device's own output, then it is timed. Prints a summary and writes results.json,\n"
        "results.csv and summary.md.\n\n"
        "  --suite NAME|FILE   suite to run: a name in suites/ (quick, default) or an .ini path [default]\n"
        "  --backend LIST      comma list of backends (ref, cpu, opencl, vulkan) [all compiled in]\n"
        "  --device SEL        comma list: a type (cpu, gpu), TYPE:N (gpu:1, each backend's second\n"
        "                      GPU), an index, BACKEND:INDEX, or part of the device name [all devices]\n"
        "  --precision LIST    input precisions, overriding the suite's (fp32, fp16, bf16)\n"
        "  --out DIR           where to write the results [results/local/<UTC timestamp>]; made\n"
        "                      ready (created, probed, locked) before any case runs\n"
        "  --shard I/N         run shard I of N (1 <= I <= N): the case groups `efbench plan --shards N`\n"
        "                      gives it; `efbench report` merges the N folders\n"
        "  --max-memory SIZE   what one case group may hold (float64 reference, device buffers), e.g.\n"
        "                      4G: the field is computed and reduced in row blocks that fit\n"
        "                      [half of a GPU's memory; a quarter of the host's for a host device]\n"
        "  --dry-run           print the estimated time and memory (from the plan) and stop\n"
        "  --resume DIR        continue the run in DIR (killed, or stopped by a full disk): its\n"
        "                      own suite, seed and options; recorded cases are kept, not rerun\n"
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
        "Every case is appended to DIR/cases.jsonl as it finishes (fsync'd every 2 s).\n\n"
        "exit status: 0 every check passed, 1 a check failed or a device errored, 2 usage or\n"
        "input error, or the results could not be written (one line on stderr)\n",
        f);
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
    printf("\n%-7s %-4s %-10s %-5s %6s %5s %5s %6s %12s %10s %11s\n", "backend", "dev", "workload",
           "prec", "cases", "pass", "fail", "unsup", "best ms", "GFLOP/s", "max relerr");
    for (int dv = 0; dv < run->device_count; dv++)
        for (int w = 0; w < EF_WL_COUNT; w++)
            for (int p = 0; p < EF_PREC_COUNT; p++) {
                int cases = 0, pass = 0, fail = 0, unsup = 0;
                double best_ms = NAN, best_gf = NAN, worst = NAN;
                for (int i = 0; i < run->case_count; i++) {
                    const ef_case *c = &run->cases[i];
                    if (c->device != dv || (int)c->workload != w || (int)c->precision != p)
                        continue;
                    cases++;
                    pass += c->status == EF_CASE_PASS;
                    fail += c->status == EF_CASE_FAIL || c->status == EF_CASE_ERROR;
                    unsup += c->status == EF_CASE_UNSUPPORTED;
                    if (c->gflops > 0 && !(c->gflops <= best_gf))
                        best_gf = c->gflops, best_ms = c->time.median_ms;
                    if (isfinite(c->accuracy.rel_fro_err) && !(c->accuracy.rel_fro_err <= worst))
                        worst = c->accuracy.rel_fro_err;
                }
                if (!cases) continue;
                printf("%-7s %-4d %-10s %-5s %6d %5d %5d %6d %12.4g %10.4g %11.2e\n",
                       run->devices[dv].backend->name, dv, ef_workload_name((ef_workload)w),
                       ef_precision_name((ef_precision)p), cases, pass, fail, unsup, best_ms,
                       best_gf, worst);
            }
    for (int dv = 0; dv < run->device_count; dv++)
        printf("device %d: %s %s (%s)\n", dv, run->devices[dv].backend->name,
               run->devices[dv].info.name, run->devices[dv].info.driver_version);
    if (*run->absent) printf("no device: %s\n", run->absent);
    int shown = 0;
    for (int i = 0; i < run->case_count && shown < 20; i++) {
        const ef_case *c = &run->cases[i];
        if (c->status != EF_CASE_FAIL && c->status != EF_CASE_ERROR) continue;
        char mask[32];
        ef_mask_format(c->mask, mask, sizeof mask);
        printf("%s: %s %s %s %s n=%d d=%d %s: %s\n", ef_case_status_name(c->status),
               run->devices[c->device].backend->name, ef_workload_name(c->workload), mask,
               ef_precision_name(c->precision), c->n, c->d, c->source, c->reasons);
        shown++;
    }
    printf("\n%d cases: %d pass, %d fail, %d unsupported, %d error\n", run->case_count,
           run->counts[EF_CASE_PASS], run->counts[EF_CASE_FAIL], run->counts[EF_CASE_UNSUPPORTED],
           run->counts[EF_CASE_ERROR]);
}

/* What the command line says; NULL / 0 where it says nothing (--resume fills those from
 * the run being continued). */
typedef struct run_opts {
    const char *suite, *backends, *device, *precisions, *out, *model, *text, *qk, *fault, *resume,
        *shard;
    int has_seed, no_peak, quiet, dry_run;
    const char *max_memory_text;
    double max_memory;
    int shard_index, shard_count;
    uint64_t seed;
} run_opts;

/* Returns -1 to go on, else the exit status. */
static int run_parse(int argc, char **argv, run_opts *o)
{
    static const struct option opts[] = {{"suite", required_argument, 0, 's'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"device", required_argument, 0, 'd'},
                                         {"precision", required_argument, 0, 'p'},
                                         {"out", required_argument, 0, 'o'},
                                         {"seed", required_argument, 0, 'S'},
                                         {"model", required_argument, 0, 'm'},
                                         {"text", required_argument, 0, 't'},
                                         {"qk", required_argument, 0, 'k'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"no-peak", no_argument, 0, 'P'},
                                         {"resume", required_argument, 0, 'R'},
                                         {"inject-fault", required_argument, 0, 'F'},
                                         {"shard", required_argument, 0, 'H'},
                                         {"dry-run", no_argument, 0, 'D'},
                                         {"max-memory", required_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 's': o->suite = optarg; break;
            case 'b': o->backends = optarg; break;
            case 'd': o->device = optarg; break;
            case 'p': o->precisions = optarg; break;
            case 'o': o->out = optarg; break;
            case 'm': o->model = optarg; break;
            case 't': o->text = optarg; break;
            case 'k': o->qk = optarg; break;
            case 'q': o->quiet = 1; break;
            case 'P': o->no_peak = 1; break;
            case 'R': o->resume = optarg; break;
            case 'D': o->dry_run = 1; break;
            case 'M':
                if (cli_size_parse(optarg, &o->max_memory)) {
                    fprintf(stderr,
                            "efbench run: --max-memory '%s' is not a size (e.g. 4G, 512M, 1e9)\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                o->max_memory_text = optarg;
                break;
            case 'H': o->shard = optarg; break;
            case 'F':
                if (strcmp(optarg, "mask-off-by-one") != 0) {
                    fprintf(stderr,
                            "efbench run: --inject-fault '%s': the only fault is mask-off-by-one\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                o->fault = optarg;
                break;
            case 'S': {
                char *end;
                unsigned long long x = strtoull(optarg, &end, 0);
                if (*end || end == optarg || *optarg == '-' || x >= (1ull << 53)) {
                    fprintf(stderr, "efbench run: --seed '%s' is not an integer in [0, 2^53)\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                o->seed = x, o->has_seed = 1;
                break;
            }
            case 'h': run_usage(stdout); return EF_EXIT_OK;
            default:
                fprintf(
                    stderr,
                    "efbench run: unknown option or missing value '%s' (see efbench run --help)\n",
                    argv[optind - 1]);
                return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench run: unexpected argument '%s' (see efbench run --help)\n",
                argv[optind]);
        return EF_EXIT_USAGE;
    }
    if (o->shard) {
        ef_error err = {{0}};
        if (plan_shard_parse(o->shard, &o->shard_index, &o->shard_count, &err)) {
            fprintf(stderr, "efbench run: %s\n", err.msg);
            return EF_EXIT_USAGE;
        }
    }
    if (o->resume && o->out && strcmp(o->resume, o->out)) {
        fprintf(stderr, "efbench run: --resume %s and --out %s name different folders\n", o->resume,
                o->out);
        return EF_EXIT_USAGE;
    }
    return -1;
}

/* --resume: what the command line leaves open comes from the run's first session. */
static void run_opts_from(run_opts *o, const ef_run_identity *id)
{
#define FROM(field, rec) \
    if (!o->field && *(rec)) o->field = rec
    FROM(suite, id->suite);
    FROM(backends, id->backends);
    FROM(device, id->device);
    FROM(precisions, id->precisions);
    FROM(model, id->model);
    FROM(text, id->text);
    FROM(qk, id->qk);
    FROM(fault, id->fault);
    FROM(shard, id->shard);
    FROM(max_memory_text, id->max_memory);
#undef FROM
    if (o->shard) plan_shard_parse(o->shard, &o->shard_index, &o->shard_count, &(ef_error){{0}});
    if (o->max_memory_text) cli_size_parse(o->max_memory_text, &o->max_memory);
    if (!o->has_seed && id->has_seed) o->seed = id->seed, o->has_seed = 1;
    if (!o->no_peak) o->no_peak = !id->measure_peak;
}

static void identity_of(const run_opts *o, const ef_run *run, const char *cmdline, const char *when,
                        ef_run_identity *id)
{
    memset(id, 0, sizeof *id);
#define SET(dst, src) snprintf(dst, sizeof dst, "%s", (src) ? (src) : "")
    SET(id->version, EF_VERSION);
    SET(id->suite, o->suite);
    SET(id->suite_path, run->suite.path);
    SET(id->suite_sha256, run->suite.sha256);
    SET(id->backends, o->backends);
    SET(id->device, o->device);
    SET(id->precisions, o->precisions);
    SET(id->model, o->model);
    SET(id->text, o->text);
    SET(id->qk, o->qk);
    SET(id->fault, o->fault);
    SET(id->shard, o->shard);
    SET(id->max_memory, o->max_memory_text);
    SET(id->command_line, cmdline);
    SET(id->utc_time, when);
#undef SET
    id->has_seed = o->has_seed;
    id->seed = run->suite.seed;
    id->measure_peak = !o->no_peak;
}

typedef struct run_progress {
    progress_state show;
    int quiet;
    long stop_after, made; /* EF_TEST_STOP_AFTER_CASES */
} run_progress;

/* Progress on stderr, without the records read back from the checkpoint. Tests only:
 * EF_TEST_STOP_AFTER_CASES=N stops the process (SIGSTOP) after the N-th case this session
 * made, its record already in the checkpoint, so a test can kill it at a known point
 * instead of racing a clock. */
static void run_progress_show(void *user, const ef_event *ev)
{
    run_progress *p = user;
    if (ev->kind == EF_EVENT_CASE && !ev->resumed && ++p->made == p->stop_after) raise(SIGSTOP);
    if (!p->quiet && !ev->resumed) progress_show(&p->show, ev);
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int status = run_parse(argc, argv, &o);
    if (status >= 0) return status;
    char cmdline[2048], when[32], dir[1024];
    ef_error err = {{0}};
    ef_run_identity recorded;
    if (o.resume) {
        if (checkpoint_identity_read(o.resume, &recorded, &err)) {
            fprintf(stderr, "efbench run: %s\n", err.msg);
            return EF_EXIT_USAGE;
        }
        run_opts_from(&o, &recorded);
        snprintf(cmdline, sizeof cmdline, "%s",
                 recorded.command_line); /* the files say how the run began */
        snprintf(when, sizeof when, "%s", recorded.utc_time);
        snprintf(dir, sizeof dir, "%s", o.resume);
    } else {
        join_args(argc, argv, cmdline, sizeof cmdline);
        results_utc_now(when, sizeof when);
        if (o.out) snprintf(dir, sizeof dir, "%s", o.out);
        else {
            char stamp[32];
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
            snprintf(dir, sizeof dir, "results/local/%s", stamp);
        }
    }
    /* a live line on a terminal; elsewhere (logs, CI) a summary line every 30 s */
    run_progress progress = {.quiet = o.quiet};
    progress_init(&progress.show);
    const char *stop = getenv("EF_TEST_STOP_AFTER_CASES");
    progress.stop_after = stop ? strtol(stop, NULL, 10) : 0;
    ef_run_config cfg = {.suite = o.suite ? o.suite : "default",
                         .backends = o.backends,
                         .device = o.device,
                         .precisions = o.precisions,
                         .has_seed = o.has_seed,
                         .seed = o.seed,
                         .model = o.model,
                         .text = o.text,
                         .qk = o.qk,
                         .measure_peak = !o.no_peak,
                         .fault = o.fault ? EF_FAULT_MASK_OFF_BY_ONE : EF_FAULT_NONE,
                         .shard_index = o.shard_index,
                         .shard_count = o.shard_count,
                         .max_memory = o.max_memory,
                         .progress = run_progress_show,
                         .progress_user = &progress};

    /* 1. everything that can be refused, 2. the folder, 3. the checkpoint; then the work */
    ef_run run;
    ef_runner *runner = NULL;
    ef_outdir od = {.lock_fd = -1};
    ef_checkpoint *ck = NULL;
    ef_run_identity id;
    status = EF_EXIT_USAGE;
    if (runner_open(&cfg, &run, &runner, &err)) goto fail;
    /* what it will cost, before it starts (stdout: a refusal stays one line on stderr);
     * --dry-run stops here, touching no folder */
    if (o.dry_run) {
        plan_print_estimate(stdout, runner_plan(runner), o.shard_index, o.shard_count,
                            run.device_count);
        status = EF_EXIT_OK;
        goto cleanup;
    }
    identity_of(&o, &run, cmdline, when, &id);
    if (outdir_open(dir, &od, &err)) goto fail;
    if (checkpoint_open(dir, &id, o.resume != NULL, &ck, &err)) goto fail;
    if (!o.quiet && o.resume)
        fprintf(stderr, "efbench run: continuing %s: %d cases recorded\n", dir,
                checkpoint_recorded_cases(ck));
    cfg.checkpoint = ck;
    /* the tasks of one SLURM job array are one sharded run, whatever nodes they ran on */
    const char *array = getenv("SLURM_ARRAY_JOB_ID");
    if (o.shard_count && array) snprintf(run.sweep, sizeof run.sweep, "slurm:%s", array);
    plan_print_estimate(stdout, runner_plan(runner), o.shard_index, o.shard_count,
                        run.device_count);
    fflush(stdout);
    int rc = runner_execute(runner, &err);
    runner_close(runner);
    runner = NULL;
    if (rc) goto fail; /* the checkpoint could not be written, or memory ran out: resumable */
    print_summary(&run);
    ef_results_meta meta = {.command_line = cmdline, .utc_time = when};
    const ef_results_file summary = {.name = "summary.md", .write = summary_markdown};
    if (results_write(&run, &meta, dir, &summary, 1, &err) != EF_OK) goto fail;
    printf("results: %s/results.json, results.csv, summary.md\n", dir);
    status = run.counts[EF_CASE_FAIL] || run.counts[EF_CASE_ERROR] ? EF_EXIT_FAIL : EF_EXIT_OK;
    goto cleanup;
fail:
    fprintf(stderr, "efbench run: %s\n", err.msg);
cleanup:
    runner_close(runner);
    checkpoint_close(ck);
    outdir_close(&od, ck == NULL);
    runner_free(&run);
    return status;
}
