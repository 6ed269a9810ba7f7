/* harness/source_model.h — the input sources of real models: `model` (Q/K captured from a
 * GGUF on named texts, cached on disk) and `qk` (Q/K imported from a safetensors file in
 * the exchange layout). The harness lists both in its source table (harness/source.c).
 */
#ifndef EF_HARNESS_SOURCE_MODEL_H
#define EF_HARNESS_SOURCE_MODEL_H

#include "harness/source.h"

/* spec "model" (texts from args->texts, default text_default_list; if any text is too
 * short for a length, that length is EF_UNSUPPORTED for the source, naming the text) or
 * "model:TEXT" (one text, so each text gets its own status). args->model: "default" / NULL = the
 * fetched Gemma 3 270M in the efbench cache dir, else a GGUF path. */
extern const ef_source_ops ef_source_model;
/* spec "qk": args->qk is the safetensors file. */
extern const ef_source_ops ef_source_qk;

/* Imported (or captured) Q/K that cannot be measured: a value that is not finite, a KV
 * head whose keys are one vector at every position (the centered keys are zero: mu_K is
 * undefined and the field is zero), or a query head whose queries are all zero (the field
 * is zero). EF_ERROR with one line naming `path`, the tensor and the head; EF_OK else. */
struct capture_set;
int source_qk_check(const struct capture_set *c, const char *path, ef_error *err);

/* Path of the default model file (may not exist). */
int source_model_default_path(char *buf, size_t len, ef_error *err);

#endif
