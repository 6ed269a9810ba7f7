/* report/results_shards.h — the check results_load.c makes before merging: the shards of
 * each sharded run are all there, once each, from one suite version, seed and plan. */
#ifndef EF_RESULTS_SHARDS_H
#define EF_RESULTS_SHARDS_H

#include <jansson.h>

#include "core/error.h"

/* docs[i] was read from paths[i]. EF_OK when every sharded run among them is whole; else
 * EF_ERROR with one line naming the shard that is missing or twice there, or the two files
 * that disagree (suite SHA-256, seed, plan). Files without "shard" are not concerned. */
int results_shards_check(json_t *const *docs, const char *const *paths, int count, ef_error *err);

#endif
