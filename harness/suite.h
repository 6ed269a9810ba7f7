/* harness/suite.h — a suite: what to run, read from an INI file with inih.
 * A suite has one [suite] section (name, seed, timing) and one or more [cases NAME]
 * sections, each a cross product sources x lengths x dims x masks x precisions x
 * workloads. Errors name the file, line and key. Called by the runner and `efbench run`.
 */
#ifndef EF_SUITE_H
#define EF_SUITE_H

#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* EF_SUITE_MAX_LINE: the longest line a suite may have, in bytes without its newline; a
 * longer one is an error naming its line (inih would otherwise split it silently). */
enum { EF_SUITE_MAX_LIST = 32, EF_SUITE_MAX_SETS = 16, EF_SUITE_MAX_LINE = 4096 };

typedef struct ef_case_set {
    char name[64];
    char sources[EF_SUITE_MAX_LIST][128];
    int source_count;
    int lengths[EF_SUITE_MAX_LIST];
    int length_count;
    int dims[EF_SUITE_MAX_LIST];
    int dim_count;
    int heads;        /* heads per source and length; -1: all (models) */
    int device_heads; /* of those, how many (a seeded sample) also run on the
                       * devices; the rest feed only the float64 statistics;
                       * -1: all */
    ef_mask masks[EF_SUITE_MAX_LIST];
    int mask_count;
    ef_precision precisions[EF_PREC_COUNT];
    int precision_count;
    ef_workload workloads[EF_WL_COUNT];
    int workload_count;
    char model[512];  /* model sources: "default" or a GGUF path */
    char texts[1024]; /* model sources: comma list of text names or paths */
    char layers[256]; /* model sources: "all" or a comma list */
} ef_case_set;

/* The mask word `model` in a suite: each head runs with the mask its layer uses. */
#define EF_MASK_MODEL EF_MASK_COUNT

typedef struct ef_suite {
    char path[512];
    char sha256[65]; /* of the suite's text, hex: a resumed run's suite must match */
    char name[64];
    char description[256];
    uint64_t seed;
    double target_time_s; /* each timed batch lasts at least this long */
    double warmup_s;
    int min_reps, max_reps;
    int check_rows;       /* rows of E checked against the reference when n is large */
    int full_check_max_n; /* n up to which every row is checked */
    ef_case_set sets[EF_SUITE_MAX_SETS];
    int set_count;
} ef_suite;

/* Load `name_or_path`: a path to an .ini file, or a name looked up as suites/NAME.ini
 * next to the executable's source tree (EF_SUITE_DIR) or in the working directory. */
int suite_load(const char *name_or_path, ef_suite *suite, ef_error *err);
/* Parse INI text (tests); `label` stands for the file name in messages. */
int suite_parse_string(const char *text, const char *label, ef_suite *suite, ef_error *err);

#endif
