/* harness/checkpoint.h — a run's record as it goes: DIR/cases.jsonl, one JSON document a
 * line. The first line says what run it is (efbench version, suite file and its SHA-256,
 * seed, options); then the devices with their measured peaks, and every input record and
 * case record as soon as it is made, and a `done` line when a group has run on a device.
 * Each line is one write(2), so a killed process loses nothing written; the file is
 * fsync'd at least every CHECKPOINT_SYNC_S seconds while records come, and before any long
 * computation starts (checkpoint_flush), so a power cut loses at most the case in progress
 * and the records of the last seconds. `efbench run --resume DIR` reads it back, refuses a
 * different run with the reason, and the runner (runner.c) skips what is recorded, so the
 * final files are those of an uninterrupted run. Format: results/README.md.
 *
 * Records are keyed by their group (runner_group_key: the set, source, text, layer, head,
 * n, d, mask, precision, seed, and which occurrence of that group it is) and, for a case,
 * by device, workload and variant; a key never depends on where the group falls in the
 * walk, so a subset of the groups (a shard) can keep its own file and be merged by key.
 */
#ifndef EF_CHECKPOINT_H
#define EF_CHECKPOINT_H

#include <jansson.h>
#include <stdint.h>

#include "harness/record.h"

#define CHECKPOINT_FILE "cases.jsonl"
#define CHECKPOINT_SYNC_S 2.0

/* What makes two sessions one run: compared field by field on --resume. */
typedef struct ef_run_identity {
    char version[64];      /* efbench's (git describe)                               */
    char suite[512];       /* --suite as given                                        */
    char suite_path[512];  /* the file it named                                       */
    char suite_sha256[65]; /* of that file's text                                     */
    int has_seed;          /* --seed given                                            */
    uint64_t seed;         /* the run's seed (--seed, else the suite's)               */
    char backends[256], device[256], precisions[128]; /* "" when not given               */
    char model[1024], text[1024], qk[1024];           /* "" when not given               */
    char fault[32];          /* --inject-fault, "" when none                           */
    char shard[32];          /* --shard I/N, "" when not given                         */
    char max_memory[32];     /* --max-memory as given, "" when not given               */
    int measure_peak;        /* not --no-peak                                          */
    char command_line[2048]; /* of the session that started the run                    */
    char utc_time[32];       /* when it started                                         */
} ef_run_identity;

typedef struct ef_checkpoint ef_checkpoint;

/* The identity on the first line of DIR/cases.jsonl (for --resume before anything else). */
int checkpoint_identity_read(const char *dir, ef_run_identity *id, ef_error *err);

/* Fresh: create DIR/cases.jsonl with id's line (refused when DIR already holds a run).
 * Resume (`resume` set): read it back, refuse when `id` differs from the recorded identity
 * (one line with the reason), drop a torn last line, and append from there. */
int checkpoint_open(const char *dir, const ef_run_identity *id, int resume, ef_checkpoint **out,
                    ef_error *err);
/* fsync what was written since the last fsync (the runner calls it before a reference or
 * a device group runs). */
int checkpoint_flush(ef_checkpoint *ck, ef_error *err);
/* fsync and close; NULL is fine. */
void checkpoint_close(ef_checkpoint *ck);

/* Cases read back (resume); 0 for a fresh run. */
int checkpoint_recorded_cases(const ef_checkpoint *ck);

/* The devices: when recorded, the run's devices must be the same (backend, index, name)
 * and their peaks are restored (*restored = 1); else *restored = 0. */
int checkpoint_devices_restore(ef_checkpoint *ck, ef_run *run, int *restored, ef_error *err);
int checkpoint_devices_write(ef_checkpoint *ck, const ef_run *run, ef_error *err);

/* A group's full key: `base` and which occurrence of it this is in the walk. */
void checkpoint_group_key(ef_checkpoint *ck, const char *base, char *key, size_t len);
/* The recorded input of group `key`, or EF_UNSUPPORTED when none (EF_ERROR: unreadable). */
int checkpoint_input_get(ef_checkpoint *ck, const char *key, ef_input *in, ef_error *err);
int checkpoint_input_put(ef_checkpoint *ck, const char *key, const ef_input *in, ef_error *err);
/* Has group `key` run on device dv? */
int checkpoint_device_done(const ef_checkpoint *ck, const char *key, int dv);
int checkpoint_device_done_put(ef_checkpoint *ck, const char *key, int dv, ef_error *err);
/* The recorded cases of group `key` on device dv, in the order they were made: *cases
 * (malloc'd) and *count. */
int checkpoint_device_cases(ef_checkpoint *ck, const char *key, int dv, int device_count,
                            ef_case **cases, int *count, ef_error *err);
/* A case of group `key` just made: if the same case (device, workload, variant) is
 * recorded, *kept gets the recorded one, *recorded = 1 and nothing is written; else it is
 * appended, *kept = *c and *recorded = 0. */
int checkpoint_case(ef_checkpoint *ck, const char *key, const ef_run *run, const ef_case *c,
                    ef_case *kept, int *recorded, ef_error *err);

#endif
