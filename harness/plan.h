/* harness/plan.h — the plan of a suite before it runs: its case groups (the units a shard
 * takes whole, so each float64 reference is built once), the estimated cost of each from
 * the workload table's flops and bytes, the shard of each, and the estimated time and peak
 * memory. Used by the runner (which groups to run under --shard) and by `efbench plan` and
 * `efbench run` (what they print); never prints itself.
 */
#ifndef EF_PLAN_H
#define EF_PLAN_H

#include <stdint.h>

#include "core/error.h"
#include "harness/suite.h"

/* One planned unit: every case of one source spec at one length under one mask and
 * precision. A model source is one unit per text and length (all masks and precisions),
 * since its heads come from one forward pass that a shard should not repeat. */
typedef struct ef_plan_unit {
    int set;        /* index into suite->sets */
    char spec[160]; /* the source as the runner opens it: "gaussian", "model:gpl3" */
    int dim;        /* index into the set's dims (0 for sources with their own d) */
    int n, d;
    int mask, precision;     /* indexes into the set's masks and precisions; -1: all */
    int heads, device_heads; /* heads the source yields; of those, run on the devices */
    int cases;               /* case records per device */
    double flops, bytes;     /* per device: one pass of every workload of every head */
    double ref_s;            /* estimated seconds of the float64 references */
    double device_s;         /* estimated seconds per device: verification and timing */
    double memory;           /* estimated peak bytes on the host while it runs */
    int shard;               /* 0-based */
} ef_plan_unit;

typedef struct ef_plan_config {
    const ef_suite *suite;         /* loaded, with the run's overrides applied */
    const char *model, *text, *qk; /* the run's --model, --text, --qk, or NULL */
    int shards;                    /* >= 1 */
    int devices;                   /* devices every case runs on (estimates only); 0 counts as 1 */
    int out_bytes;                 /* bytes of one element of E on the widest device; 0: 4 */
    double max_memory; /* --max-memory (bytes), bounding the field's row blocks; 0: none */
} ef_plan_config;

typedef struct ef_plan {
    ef_plan_unit *units;
    int count, shards;
    double *shard_s;    /* (shards) estimated seconds of each shard, all its devices */
    double total_s;     /* all shards */
    double peak_memory; /* largest unit */
    int cases;          /* case records, all devices */
    char hash[17];      /* hex: the units, their shards and the seed; shards of one
                         * run share it (report checks) */
} ef_plan;

/* Enumerate the suite's units (opening each source once, so a missing model or file is an
 * error here, before any work), estimate them and split them over cfg->shards shards:
 * largest estimated cost first, each to the least loaded shard. The split depends only on
 * the suite, the overrides and the shard count, never on the machine, so every shard of
 * an array computes the same one. */
int plan_build(const ef_plan_config *cfg, ef_plan *plan, ef_error *err);
void plan_free(ef_plan *plan);

/* The shard (0-based) of the unit holding the group (set, spec, dim, n, mask, precision),
 * or -1 when the plan has no such unit. */
int plan_shard_of(const ef_plan *plan, int set, const char *spec, int dim, int n, int mask,
                  int precision);
/* 1 if some unit of (set, spec, dim, n) is in shard `shard`: the runner skips a length, and
 * its forward pass, that this shard has nothing of. */
int plan_length_in(const ef_plan *plan, int shard, int set, const char *spec, int dim, int n);

/* "i/N" (1-based i) into *index (0-based) and *count; EF_ERROR naming the problem. */
int plan_shard_parse(const char *text, int *index, int *count, ef_error *err);

#endif
