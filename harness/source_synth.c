/* harness/source_synth.c — seeded synthetic Q and K, plain and with the structure that
 * makes the invariants bite (energy-field.md): an attention sink, low-rank keys, duplicated
 * tokens, outlier dimensions, RoPE-like rotating pairs. Each head records its seed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static const char *const synth_kinds[] = {
    "gaussian", "sink", "lowrank", "duplicate", "outlier", "rope", NULL,
};

/* splitmix64 seeds xoshiro256**; Box-Muller gives the normals. */
typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double rng_uniform(rng *r) { return ((rng_next(r) >> 11) + 0.5) * 0x1p-53; }

static double rng_normal(rng *r)
{
    return sqrt(-2.0 * log(rng_uniform(r))) * cos(2.0 * M_PI * rng_uniform(r));
}

static void fill_normal(rng *r, float *x, size_t count, double sd)
{
    for (size_t i = 0; i < count; i++) x[i] = (float)(sd * rng_normal(r));
}

/* FNV-1a of the kind name, so each kind draws from its own stream. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
    return h;
}

/* The generators: fill q and k (n x d) from r. */
static int gen_gaussian(rng *r, int n, int d, float *q, float *k)
{
    fill_normal(r, q, (size_t)n * d, 1.0);
    fill_normal(r, k, (size_t)n * d, 1.0);
    return EF_OK;
}

static int gen_sink(rng *r, int n, int d, float *q, float *k)
{
    gen_gaussian(r, n, d, q, k);
    for (int c = 0; c < d; c++) k[c] *= 30.0f; /* key 0, like a BOS sink */
    return EF_OK;
}

static int gen_lowrank(rng *r, int n, int d, float *q, float *k)
{
    int rank = d / 8 > 0 ? d / 8 : 1;
    float *A = malloc(sizeof(float) * n * rank), *B = malloc(sizeof(float) * rank * d);
    fill_normal(r, q, (size_t)n * d, 1.0);
    if (!A || !B) {
        free(A);
        free(B);
        return EF_NOMEM;
    }
    fill_normal(r, A, (size_t)n * rank, 1.0);
    fill_normal(r, B, (size_t)rank * d, 1.0 / sqrt(rank));
    for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++) {
            double s = 0;
            for (int t = 0; t < rank; t++)
                s += (double)A[(size_t)j * rank + t] * B[(size_t)t * d + c];
            k[(size_t)j * d + c] = (float)s;
        }
    free(A);
    free(B);
    return EF_OK;
}

static int gen_duplicate(rng *r, int n, int d, float *q, float *k)
{
    int vocab = n / 8 > 2 ? n / 8 : 2;
    /* the first `vocab` rows are the distinct tokens; every row copies one of them */
    gen_gaussian(r, vocab, d, q, k);
    for (int i = n - 1; i >= vocab; i--) {
        int t = (int)(rng_next(r) % (uint64_t)vocab);
        memcpy(q + (size_t)i * d, q + (size_t)t * d, sizeof(float) * d);
        memcpy(k + (size_t)i * d, k + (size_t)t * d, sizeof(float) * d);
    }
    return EF_OK;
}

static int gen_outlier(rng *r, int n, int d, float *q, float *k)
{
    int count = d / 32 > 2 ? d / 32 : 2;
    gen_gaussian(r, n, d, q, k);
    for (int t = 0; t < count && t < d; t++) {
        int c = (int)(rng_next(r) % (uint64_t)d);
        for (int i = 0; i < n; i++) {
            q[(size_t)i * d + c] *= 20.0f;
            k[(size_t)i * d + c] *= 20.0f;
        }
    }
    return EF_OK;
}

/* Rotate pairs (2p, 2p+1) of row i by angle i * 10000^(-2p/d), as RoPE does; the rows
 * share a common direction so the logits depend on relative position. */
static int gen_rope(rng *r, int n, int d, float *q, float *k)
{
    double cq[d], ck[d];
    for (int c = 0; c < d; c++) {
        cq[c] = 2.0 * rng_normal(r);
        ck[c] = 2.0 * rng_normal(r);
    }
    for (int i = 0; i < n; i++)
        for (int p = 0; p + 1 < d; p += 2) {
            double th = i * pow(10000.0, -(double)p / d), cs = cos(th), sn = sin(th);
            double q0 = cq[p] + 0.5 * rng_normal(r), q1 = cq[p + 1] + 0.5 * rng_normal(r);
            double k0 = ck[p] + 0.5 * rng_normal(r), k1 = ck[p + 1] + 0.5 * rng_normal(r);
            q[(size_t)i * d + p] = (float)(q0 * cs - q1 * sn);
            q[(size_t)i * d + p + 1] = (float)(q0 * sn + q1 * cs);
            k[(size_t)i * d + p] = (float)(k0 * cs - k1 * sn);
            k[(size_t)i * d + p + 1] = (float)(k0 * sn + k1 * cs);
        }
    if (d % 2) /* an odd last dimension does not rotate */
        for (int i = 0; i < n; i++) {
            q[(size_t)i * d + d - 1] = (float)(cq[d - 1] + 0.5 * rng_normal(r));
            k[(size_t)i * d + d - 1] = (float)(ck[d - 1] + 0.5 * rng_normal(r));
        }
    return EF_OK;
}

typedef int (*generator)(rng *, int, int, float *, float *);
static const generator generators[] = {gen_gaussian,  gen_sink,    gen_lowrank,
                                       gen_duplicate, gen_outlier, gen_rope};

typedef struct synth_state {
    int kind;
    ef_source_args args;
} synth_state;

static int synth_accepts(const char *spec)
{
    for (int i = 0; synth_kinds[i]; i++)
        if (strcmp(spec, synth_kinds[i]) == 0) return 1;
    return 0;
}

static int synth_open(const char *spec, const ef_source_args *args, void **state, ef_error *err)
{
    synth_state *s = calloc(1, sizeof *s);
    if (!s) return ef_fail(err, EF_NOMEM, "out of memory");
    for (int i = 0; synth_kinds[i]; i++)
        if (strcmp(spec, synth_kinds[i]) == 0) s->kind = i;
    s->args = *args;
    if (s->args.heads < 1) s->args.heads = 1;
    *state = s;
    return EF_OK;
}

static int synth_heads(void *state, int n, ef_head **heads, int *count, ef_error *err)
{
    synth_state *s = state;
    int d = s->args.d, h;
    ef_head *out = calloc(s->args.heads, sizeof *out);
    if (!out) return ef_fail(err, EF_NOMEM, "out of memory");
    for (h = 0; h < s->args.heads; h++) {
        ef_head *x = &out[h];
        x->n = n;
        x->d = d;
        x->q = malloc(sizeof(float) * n * d);
        x->k = malloc(sizeof(float) * n * d);
        if (!x->q || !x->k) {
            source_heads_free(out, h + 1);
            return ef_fail(err, EF_NOMEM, "synthetic head n = %d, d = %d: out of memory", n, d);
        }
        uint64_t mix = s->args.seed ^ name_hash(synth_kinds[s->kind]);
        mix = splitmix64(&mix) ^ ((uint64_t)n << 32 | (uint64_t)d << 8 | (uint64_t)h);
        x->seed = splitmix64(&mix) >> 11; /* 53 bits: exact in every JSON reader */
        rng r;
        rng_seed(&r, x->seed);
        if (generators[s->kind](&r, n, d, x->q, x->k) != EF_OK) {
            source_heads_free(out, h + 1);
            return ef_fail(err, EF_NOMEM, "synthetic head n = %d, d = %d: out of memory", n, d);
        }
        x->scale = 1.0 / sqrt((double)d);
        snprintf(x->source, sizeof x->source, "%s", synth_kinds[s->kind]);
        x->layer = x->head = x->kv_head = -1;
    }
    *heads = out;
    *count = s->args.heads;
    return EF_OK;
}

static void synth_close(void *state) { free(state); }

static void synth_shape(void *state, int *heads, int *d)
{
    const synth_state *s = state;
    *heads = s->args.heads, *d = s->args.d;
}

const ef_source_ops ef_source_synthetic = {
    .kind = "synthetic",
    .accepts = synth_accepts,
    .open = synth_open,
    .heads = synth_heads,
    .close = synth_close,
    .shape = synth_shape,
};
