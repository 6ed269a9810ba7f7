/* model/texts.h — the texts efbench feeds models, by name: `gpl3`, `fortunes`, `debref`,
 * `csource`, `pysource` (files any Debian machine has once the setup installs their
 * packages), the generated controls `csv` and `random`, texts in other languages and
 * scripts (`debref-ja`, `debref-zh-cn`, `debref-es`, `debref-fr`, `debref-de`: the Debian
 * reference manual's translations; `fortunes-ru`), or a path to any UTF-8 file; and the
 * token sequence of a length n. Callers: harness/source_model.c, cli/cmd_capture.c,
 * cli/cmd_tokenize.c, the monitor.
 */
#ifndef EF_MODEL_TEXTS_H
#define EF_MODEL_TEXTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "model/tokenizer.h"

/* The most text read from one file (after gunzip): a longer one is refused, so a gzip
 * bomb or an endless file costs at most this much memory. Lengths of 2^17 tokens need
 * about 1 MB of text. */
#define TEXT_MAX_BYTES (16u << 20)

/* Default text set, in report order. */
extern const char *const text_default_names[];
/* Comma list of the default set ("gpl3,fortunes,..."). */
extern const char text_default_list[];
/* The texts in other languages, and their comma list ("debref-ja,..."). */
extern const char *const text_language_names[];
extern const char text_language_list[];

/* The language and the script (writing system) of a named text, for reports grouped by
 * them: "English"/"Latin" for the default prose, "—" where a text has none (`random`, a
 * path). Never NULL. */
const char *text_language(const char *name);
const char *text_script(const char *name);

typedef struct text_source {
    char name[128]; /* as given: "gpl3" or the path */
    char path[512]; /* file read, or "" for generated texts */
    char *bytes;    /* UTF-8 text (NULL for `random`) */
    size_t len;
    int random; /* 1: seeded uniformly random token ids, no text */
    uint64_t seed;
    char hash[17]; /* 64-bit FNV-1a of the bytes (or of "random:<seed>"), hex */
} text_source;

/* Loads or generates a text. Missing default texts are EF_UNSUPPORTED naming the package
 * to install; an unreadable path or invalid UTF-8 is EF_ERROR naming the file. */
int text_open(const char *name, uint64_t seed, text_source *t, ef_error *err);
void text_close(text_source *t);

/* The model's input for length n: BOS (if the tokenizer adds one) followed by the first
 * tokens of the text, n ids in all — never padded or repeated: a text with too few tokens
 * is EF_UNSUPPORTED with the count in the reason. *ids is malloc'd. */
int text_tokens(const text_source *t, const tokenizer *tok, int n, int32_t **ids, ef_error *err);

/* Same tokens, all of them (BOS first if added), for scoring whole texts; `max_bytes`
 * bounds the prefix read (0 = all). */
int text_tokens_all(const text_source *t, const tokenizer *tok, size_t max_bytes, int32_t **ids,
                    int *n, ef_error *err);

#endif
