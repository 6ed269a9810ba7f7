/* cli/cmd_plan.c — `efbench plan`: the case groups of a suite, the estimated cost of each
 * (harness/plan.c), the shard each goes to under --shards N, and the estimated time and
 * memory; as a table or JSON. Also the estimate line `efbench run` prints before it starts
 * (plan_print_estimate). Opens no device: costs are per device.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "harness/plan.h"
#include "harness/runner.h"

static void plan_usage(FILE *f)
{
    fputs(
        "usage: efbench plan [--suite NAME|FILE] [--shards N] [--json]\n\n"
        "Lists the case groups of a suite (one source, length, mask and precision; a model\n"
        "source: one text and length), the estimated cost of each from the workload table\n"
        "(flops, bytes, seconds on one device at nominal rates, host memory), and the shard each\n"
        "goes to when the suite is split into N shards (`efbench run --shard I/N`): largest first,\n"
        "each to the least loaded shard, the same split on every machine.\n\n"
        "  --suite NAME|FILE   the suite [default]\n"
        "  --shards N          split into N shards [1]\n"
        "  --precision LIST    as efbench run: input precisions overriding the suite's\n"
        "  --seed N            as efbench run (recorded in the plan's hash)\n"
        "  --model PATH, --text FILE, --qk FILE   as efbench run\n"
        "  --max-memory SIZE   as efbench run: the memory estimate with row blocks under it\n"
        "  --json              the plan as JSON on stdout\n"
        "  --help              this text\n\n"
        "exit status: 0 printed, 2 usage or input error (one line on stderr)\n",
        f);
}

static void human_bytes(double b, char *buf, size_t len)
{
    if (b >= 1e9) snprintf(buf, len, "%.2f GB", b * 1e-9);
    else snprintf(buf, len, "%.0f MB", b * 1e-6 < 1 ? 1 : b * 1e-6);
}

static void human_seconds(double s, char *buf, size_t len)
{
    if (s >= 3600) snprintf(buf, len, "%.1f h", s / 3600);
    else if (s >= 60) snprintf(buf, len, "%.1f min", s / 60);
    else snprintf(buf, len, "%.0f s", s < 1 ? 1 : s);
}

void plan_print_estimate(FILE *f, const ef_plan *p, int shard_index, int shard_count, int devices)
{
    char t[32], m[32];
    int sharded = shard_count > 0;
    double s = sharded ? p->shard_s[shard_index] : p->total_s;
    int groups = 0, cases = 0;
    for (int i = 0; i < p->count; i++)
        if (!sharded || p->units[i].shard == shard_index)
            groups++, cases += p->units[i].cases * devices;
    human_seconds(s, t, sizeof t);
    human_bytes(p->peak_memory, m, sizeof m);
    fprintf(f,
            "estimate: %d case groups, %d cases on %d device%s%s (and the variants a device adds, "
            "e.g. clblast), about %s, peak host memory about %s\n",
            groups, cases, devices, devices == 1 ? "" : "s", sharded ? " (this shard)" : "", t, m);
}

static void mask_name(const ef_case_set *set, int m, char *buf, size_t len)
{
    if (m < 0) snprintf(buf, len, "all");
    else if (set->masks[m].kind == EF_MASK_MODEL) snprintf(buf, len, "model");
    else ef_mask_format(set->masks[m], buf, len);
}

static const char *precision_name(const ef_case_set *set, int p)
{
    return p < 0 ? "all" : ef_precision_name(set->precisions[p]);
}

static void plan_print_table(const ef_suite *s, const ef_plan *p)
{
    printf("suite %s (SHA-256 %.12s..., seed %llu): %d case groups, %d shard%s, plan %s\n\n",
           s->name, s->sha256, (unsigned long long)s->seed, p->count, p->shards,
           p->shards == 1 ? "" : "s", p->hash);
    printf("%5s %5s %-10s %-16s %6s %4s %-10s %-5s %5s %5s %10s %10s %9s %9s\n", "group", "shard",
           "set", "source", "n", "d", "mask", "prec", "heads", "cases", "GFLOP", "GB moved",
           "est s", "memory");
    for (int i = 0; i < p->count; i++) {
        const ef_plan_unit *u = &p->units[i];
        const ef_case_set *set = &s->sets[u->set];
        char mask[32], mem[32];
        mask_name(set, u->mask, mask, sizeof mask);
        human_bytes(u->memory, mem, sizeof mem);
        printf("%5d %5d %-10.10s %-16.16s %6d %4d %-10s %-5s %5d %5d %10.3g %10.3g %9.3g %9s\n",
               i + 1, u->shard + 1, set->name, u->spec, u->n, u->d, mask,
               precision_name(set, u->precision), u->heads, u->cases, u->flops * 1e-9,
               u->bytes * 1e-9, u->ref_s + u->device_s, mem);
    }
    printf("\n");
    for (int k = 0; k < p->shards; k++) {
        char t[32];
        int groups = 0;
        for (int i = 0; i < p->count; i++) groups += p->units[i].shard == k;
        human_seconds(p->shard_s[k], t, sizeof t);
        printf("shard %d/%d: %d groups, about %s per device\n", k + 1, p->shards, groups, t);
    }
    plan_print_estimate(stdout, p, 0, 0, 1);
}

static int plan_print_json(const ef_suite *s, const ef_plan *p)
{
    json_t *groups = json_array(), *shards = json_array();
    for (int i = 0; i < p->count; i++) {
        const ef_plan_unit *u = &p->units[i];
        const ef_case_set *set = &s->sets[u->set];
        char mask[32];
        mask_name(set, u->mask, mask, sizeof mask);
        json_array_append_new(
            groups,
            json_pack("{s:i,s:i,s:s,s:s,s:i,s:i,s:s,s:s,s:i,s:i,s:i,s:f,s:f,s:f,s:f}", "group",
                      i + 1, "shard", u->shard + 1, "set", set->name, "source", u->spec, "n", u->n,
                      "d", u->d, "mask", mask, "precision", precision_name(set, u->precision),
                      "heads", u->heads, "device_heads", u->device_heads, "cases", u->cases,
                      "flops", u->flops, "bytes", u->bytes, "seconds", u->ref_s + u->device_s,
                      "memory_bytes", u->memory));
    }
    for (int k = 0; k < p->shards; k++) json_array_append_new(shards, json_real(p->shard_s[k]));
    json_t *doc = json_pack("{s:s,s:s,s:I,s:i,s:s,s:o,s:o,s:f,s:f}", "suite", s->name, "sha256",
                            s->sha256, "seed", (json_int_t)s->seed, "shards", p->shards, "plan",
                            p->hash, "groups", groups, "shard_seconds", shards, "seconds",
                            p->total_s, "peak_memory_bytes", p->peak_memory);
    if (!doc) return EF_EXIT_USAGE;
    int rc = json_dumpf(doc, stdout, JSON_INDENT(1)) ? EF_EXIT_USAGE : EF_EXIT_OK;
    putchar('\n');
    json_decref(doc);
    return rc;
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {{"suite", required_argument, 0, 's'},
                                         {"shards", required_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'j'},
                                         {"precision", required_argument, 0, 'p'},
                                         {"seed", required_argument, 0, 'S'},
                                         {"model", required_argument, 0, 'm'},
                                         {"text", required_argument, 0, 't'},
                                         {"qk", required_argument, 0, 'k'},
                                         {"max-memory", required_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    ef_run_config cfg = {.suite = "default"};
    int shards = 1, json = 0, c;
    double max_memory = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (c) {
            case 's': cfg.suite = optarg; break;
            case 'p': cfg.precisions = optarg; break;
            case 'm': cfg.model = optarg; break;
            case 't': cfg.text = optarg; break;
            case 'k': cfg.qk = optarg; break;
            case 'j': json = 1; break;
            case 'M':
                if (cli_size_parse(optarg, &max_memory)) {
                    fprintf(stderr,
                            "efbench plan: --max-memory '%s' is not a size (e.g. 4G, 512M, 1e9)\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                break;
            case 'n': {
                long x = strtol(optarg, &end, 10);
                if (*end || end == optarg || x < 1 || x > 100000) {
                    fprintf(stderr,
                            "efbench plan: --shards '%s' is not an integer from 1 to 100000\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                shards = (int)x;
                break;
            }
            case 'S': {
                unsigned long long x = strtoull(optarg, &end, 0);
                if (*end || end == optarg || *optarg == '-' || x >= (1ull << 53)) {
                    fprintf(stderr, "efbench plan: --seed '%s' is not an integer in [0, 2^53)\n",
                            optarg);
                    return EF_EXIT_USAGE;
                }
                cfg.seed = x, cfg.has_seed = 1;
                break;
            }
            case 'h': plan_usage(stdout); return EF_EXIT_OK;
            default:
                fprintf(
                    stderr,
                    "efbench plan: unknown option or missing value '%s' (see efbench plan --help)\n",
                    argv[optind - 1]);
                return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench plan: unexpected argument '%s' (see efbench plan --help)\n",
                argv[optind]);
        return EF_EXIT_USAGE;
    }
    ef_suite *suite = malloc(sizeof *suite); /* large: its sets hold every list */
    ef_plan plan = {0};
    ef_error err = {{0}};
    int status = EF_EXIT_USAGE;
    if (!suite) {
        fprintf(stderr, "efbench plan: out of memory\n");
        return EF_EXIT_USAGE;
    }
    ef_plan_config pc = {.suite = suite,
                         .model = cfg.model,
                         .text = cfg.text,
                         .qk = cfg.qk,
                         .shards = shards,
                         .devices = 1,
                         .max_memory = max_memory};
    if (runner_suite_load(&cfg, suite, &err) || plan_build(&pc, &plan, &err))
        fprintf(stderr, "efbench plan: %s\n", err.msg);
    else if (json) status = plan_print_json(suite, &plan);
    else plan_print_table(suite, &plan), status = EF_EXIT_OK;
    plan_free(&plan);
    free(suite);
    return status;
}
