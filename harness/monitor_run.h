/* harness/monitor_run.h — the work behind `efbench monitor`: per-head mu_K, PR/n and
 * v_max of every layer x head of a checkpoint (a GGUF model on a text through the capture
 * cache, or imported Q/K) and the mu_K changes between consecutive checkpoints; the
 * results folder (monitor.json, mu_K heat maps) is report/monitor_write.h. The math is the
 * efbench-monitor library (include/efbench/monitor.h). Never prints: cli/cmd_monitor.c
 * does. Codes: MON_OK, MON_INPUT (the user's input is wrong: exit 2), MON_FAIL (other).
 */
#ifndef EF_MONITOR_RUN_H
#define EF_MONITOR_RUN_H

#include "core/error.h"
#include "core/types.h"
#include "model/forward.h"
#include "model/texts.h"

enum { MON_OK = 0, MON_FAIL = 1, MON_INPUT = 2 };

/* The default flag rule, free of n and d. mu_K = (n/r) l_max lies between 1 (every key
 * holds the even share r/n of the key space) and n/r (one key owns a direction alone).
 * A head is flagged when its most coherent key is more than MON_DEFAULT_EXCESS of the way
 * from the one to the other: (mu_K - 1) / (n/r - 1) > 0.85, i.e. l_max > r/n + 0.85 (1 - r/n).
 * At n = 512 that is mu_K > 1.85 for r = 256 (Gemma 3 270M), > 6.95 for r = 64. Measured
 * on the seven default texts (README "Monitor"): it flags 44 of Gemma 3 270M's 504 heads
 * (8.7%: every head the former fixed 1.9 flagged, and layer 2 on csv) and 18 of
 * SmolLM2-135M's 1890 (1.0%, all on csv; the fixed 1.9 flagged 97.8%). */
#define MON_DEFAULT_EXCESS 0.85

/* The mu_K above which a head of n positions and key rank r is flagged by the default
 * rule with `excess` (MON_DEFAULT_EXCESS): 1 + excess (n/r - 1). */
double mon_mu_limit(int n, int r, double excess);

typedef struct mon_head {
    int layer, head, kv_head;
    double mu_k;      /* (n / r) max_j l_j of the centered keys (NAN: all keys equal)   */
    int rank_k;       /* r                                                              */
    int lev_argmax;   /* the position whose key has the largest leverage                */
    double pr_over_n; /* column-energy participation ratio of the full field, over n   */
    double v_max;     /* largest column-energy fraction                                 */
    double mu_limit;  /* the flag threshold this head met: --max-mu, or mon_mu_limit    */
    int flagged;      /* mu_k > mu_limit                                                */
} mon_head;

typedef struct mon_checkpoint {
    char name[64];    /* the model's name                                             */
    char path[1024];  /* the GGUF or safetensors file read                            */
    char sha256[65];  /* of the GGUF file; "" for imported Q/K                        */
    long long size;   /* bytes of that file                                           */
    const char *kind; /* "gguf" or "qk"                                               */
    char arch[16];    /* gemma3, llama, qwen2; "" for imported Q/K                    */
    char text[128];   /* the text's name (the file's metadata for imported Q/K)       */
    int n, d;
    int n_layer, n_head, n_head_kv; /* layers analysed (all the model or file has)       */
    mon_head *heads; /* (n_layer * n_head), layer-major in increasing layer index   */
    int from_cache;  /* GGUF: the Q/K came from the capture cache                    */
    double seconds;  /* capture + analysis time                                      */
} mon_checkpoint;

/* Called after each analysed layer (done of total) of the current checkpoint. */
typedef void (*mon_progress_fn)(void *user, int done, int total);

typedef struct mon_source {
    const char *model; /* "default" or a GGUF path, or NULL when qk is set            */
    const char *qk;    /* a safetensors file in efbench's exchange layout, or NULL    */
    const forward_progress *capture_progress; /* of the model's forward pass; may be NULL */
    /* called once the GGUF is open, before any work, with model_describe's line; may be NULL */
    void (*loaded)(void *user, const char *description);
    void *loaded_user;
} mon_source;

/* Analyse one checkpoint at n positions: a GGUF model on text t (the capture cache makes a
 * second run free), or an imported file (its text; n <= its length, cut only from causal
 * captures; n = 0: the file's length). Bad model, short text, n < d + 2: MON_INPUT. */
int mon_checkpoint_run(const mon_source *src, const text_source *t, int n, mon_progress_fn progress,
                       void *user, mon_checkpoint *out, ef_error *err);
void mon_checkpoint_free(mon_checkpoint *c);

/* Everything mon_checkpoint_run would refuse, checked without the work: the model opens
 * and its text has n positions (n >= d + 2), or the Q/K file reads, has one shape and can
 * give n positions, with nothing degenerate in it (source_qk_check). Fills the shape fields
 * of *out (no heads), for mon_checkpoints_match. MON_OK, MON_INPUT or MON_FAIL. */
int mon_source_check(const mon_source *src, const text_source *t, int n, mon_checkpoint *out,
                     ef_error *err);

/* Checkpoints of one model: same layers, heads and d (and n), else MON_INPUT naming both
 * (the layer indices compared when both have their heads). */
int mon_checkpoints_match(const mon_checkpoint *a, const mon_checkpoint *b, ef_error *err);

/* One head's mu_K change between checkpoints `from` and from + 1. */
typedef struct mon_change {
    int from;                   /* checkpoint index                                              */
    int index;                  /* head index into heads[]                                       */
    double mu_old, mu_new, rel; /* rel = efm_mu_change(mu_old, mu_new)                  */
    int flagged;                /* |rel| > max_change                                            */
} mon_change;

typedef struct mon_report {
    mon_checkpoint *ck;
    int n_ck;
    double max_mu; /* an explicit --max-mu, or 0: the default rule                */
    double max_change;
    mon_change *changes; /* (n_ck - 1) * heads, checkpoint-pair-major                 */
    int n_changes;
    int top[5], n_top;      /* indices into changes, largest |rel| first                 */
    int flagged_mu;         /* heads over their mu_limit, over all checkpoints           */
    int flagged_change;     /* changes over max_change                                   */
    int heatmaps;           /* 1 once mon_report_write drew the heat maps                */
    char heatmap_note[160]; /* why they were not drawn, "" if they were                 */
} mon_report;

/* Flags heads (mu_k > max_mu, or with max_mu = 0 the default rule on each head's n and
 * r), computes the changes and the top five. */
int mon_report_build(mon_report *r, mon_checkpoint *ck, int n_ck, double max_mu, double max_change,
                     ef_error *err);
void mon_report_free(mon_report *r);

#endif
