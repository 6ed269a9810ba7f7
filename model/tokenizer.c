/* model/tokenizer.c — the vocabulary side of the tokenizers: building the tables from a
 * GGUF or from arrays, the split of text at user-defined tokens (llama.cpp's special
 * partition), dispatch to the SPM / BPE algorithms and decoding. Algorithms live in
 * tokenizer_spm.c and tokenizer_bpe.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

#define TOK_FNV_OFFSET 1469598103934665603ull
#define TOK_FNV_PRIME 1099511628211ull

static uint64_t tok_hash_bytes(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * TOK_FNV_PRIME;
    return h;
}

static int tok_table_init(tok_table *tab, int count)
{
    uint64_t size = 16;
    while (size < (uint64_t)count * 2) size <<= 1;
    tab->slots = calloc(size, sizeof *tab->slots);
    tab->mask = size - 1;
    return tab->slots ? 0 : -1;
}

/* Inserts value `v` whose string is arena[off[v] .. off[v+1]); a later equal string wins
 * (llama.cpp overwrites its map the same way). */
static void tok_table_put(tok_table *tab, const char *arena, const uint64_t *off, int v)
{
    const char *s = arena + off[v];
    size_t len = (size_t)(off[v + 1] - off[v]);
    uint64_t i = tok_hash_bytes(TOK_FNV_OFFSET, s, len) & tab->mask;
    for (;; i = (i + 1) & tab->mask) {
        uint32_t slot = tab->slots[i];
        if (!slot) break;
        int o = (int)slot - 1;
        size_t olen = (size_t)(off[o + 1] - off[o]);
        if (olen == len && memcmp(arena + off[o], s, len) == 0) break;
    }
    tab->slots[i] = (uint32_t)v + 1;
}

int tok_lookup(const tokenizer *t, const char *s, size_t len)
{
    uint64_t i = tok_hash_bytes(TOK_FNV_OFFSET, s, len) & t->tok_index.mask;
    for (;; i = (i + 1) & t->tok_index.mask) {
        uint32_t slot = t->tok_index.slots[i];
        if (!slot) return -1;
        int id = (int)slot - 1;
        size_t tl;
        const char *ts = tok_text(t, id, &tl);
        if (tl == len && memcmp(ts, s, len) == 0) return id;
    }
}

int tok_merge_rank(const tokenizer *t, const char *l, size_t ll, const char *r, size_t rl)
{
    if (!t->n_merges) return -1;
    uint64_t h = tok_hash_bytes(TOK_FNV_OFFSET, l, ll);
    h = tok_hash_bytes(h, " ", 1);
    h = tok_hash_bytes(h, r, rl);
    for (uint64_t i = h & t->merge_index.mask;; i = (i + 1) & t->merge_index.mask) {
        uint32_t slot = t->merge_index.slots[i];
        if (!slot) return -1;
        int m = (int)slot - 1;
        const char *ms = t->arena + t->merge_off[m];
        size_t ml = (size_t)(t->merge_off[m + 1] - t->merge_off[m]);
        if (ml == ll + 1 + rl && memcmp(ms, l, ll) == 0 && ms[ll] == ' ' &&
            memcmp(ms + ll + 1, r, rl) == 0)
            return m;
    }
}

int tok_ids_push(tok_ids *o, int32_t id)
{
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 256;
        int32_t *v = realloc(o->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = id;
    return 0;
}

void tokenizer_free(tokenizer *t)
{
    if (!t) return;
    free(t->arena);
    free(t->tok_off);
    free(t->scores);
    free(t->types);
    free(t->tok_index.slots);
    free(t->merge_off);
    free(t->merge_index.slots);
    free(t->user_ids);
    tok_pre_free(t->pre);
    free(t);
}

/* Sort key of a user-defined token: by first byte, then longest first, then id
 * (llama.cpp leaves ties unordered). */
typedef struct tok_user_key {
    unsigned first;
    size_t len;
    int id;
} tok_user_key;

static int tok_user_cmp(const void *a, const void *b)
{
    const tok_user_key *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int tok_user_index(tokenizer *t)
{
    int count = 0;
    for (int i = 0; i < t->n_vocab; i++) {
        size_t len;
        tok_text(t, i, &len);
        if (t->types[i] == TOKEN_TYPE_USER_DEFINED && len > 0) count++;
    }
    t->user_ids = malloc((size_t)(count ? count : 1) * sizeof *t->user_ids);
    tok_user_key *keys = malloc((size_t)(count ? count : 1) * sizeof *keys);
    if (!t->user_ids || !keys) {
        free(keys);
        return -1;
    }
    int k = 0;
    for (int i = 0; i < t->n_vocab; i++) {
        size_t len;
        const char *s = tok_text(t, i, &len);
        if (t->types[i] == TOKEN_TYPE_USER_DEFINED && len > 0)
            keys[k++] = (tok_user_key){(unsigned char)s[0], len, i};
    }
    if (count) qsort(keys, (size_t)count, sizeof *keys, tok_user_cmp);
    for (int i = 0; i < count; i++) t->user_ids[i] = keys[i].id;
    free(keys);
    memset(t->user_start, 0, sizeof t->user_start);
    for (int i = 0; i < count; i++) {
        size_t len;
        t->user_start[(unsigned char)tok_text(t, t->user_ids[i], &len)[0] + 1]++;
    }
    for (int b = 0; b < 256; b++) t->user_start[b + 1] += t->user_start[b];
    return 0;
}

int tokenizer_init(const tokenizer_vocab *v, tokenizer **out, ef_error *err)
{
    *out = NULL;
    if (v->n_vocab <= 0) return ef_fail(err, EF_ERROR, "tokenizer: empty vocabulary");
    tokenizer *t = calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->kind = v->kind;
    t->n_vocab = v->n_vocab;
    t->n_merges = v->merges ? v->n_merges : 0;
    if (t->kind == TOKENIZER_SPM) {
        snprintf(t->name, sizeof t->name, "spm.1");
        snprintf(t->label, sizeof t->label, "spm");
    } else {
        const char *pre = v->pre ? v->pre : "default";
        const tok_pre_row *row = tok_pre_find(pre, strlen(pre));
        if (!row) {
            tokenizer_free(t);
            return ef_fail(err, EF_UNSUPPORTED,
                           "BPE pre-tokenizer '%.64s' is not supported (not "
                           "one of the %d llama.cpp pre-tokenizers efbench runs: efbench tokenize "
                           "--help lists them)",
                           pre, tok_pre_count());
        }
        int rc = tok_pre_compile(row, &t->pre, err);
        if (rc) {
            tokenizer_free(t);
            return rc;
        }
        /* version 3: PCRE2 runs the patterns (2: hand-written scanners) */
        snprintf(t->name, sizeof t->name, "bpe-%s.3", row->names[0]);
        snprintf(t->label, sizeof t->label, "bpe/%.40s", pre); /* the file's own name */
    }

    uint64_t total = 0;
    for (int i = 0; i < v->n_vocab; i++)
        total += v->token_lens ? v->token_lens[i] : strlen(v->tokens[i]);
    for (int i = 0; i < t->n_merges; i++)
        total += v->merge_lens ? v->merge_lens[i] : strlen(v->merges[i]);
    t->arena = malloc(total ? total : 1);
    t->tok_off = malloc(((size_t)v->n_vocab + 1) * sizeof *t->tok_off);
    t->merge_off = malloc(((size_t)t->n_merges + 1) * sizeof *t->merge_off);
    t->scores = malloc((size_t)v->n_vocab * sizeof *t->scores);
    t->types = malloc((size_t)v->n_vocab * sizeof *t->types);
    if (!t->arena || !t->tok_off || !t->merge_off || !t->scores || !t->types) goto nomem;
    uint64_t pos = 0;
    for (int i = 0; i < v->n_vocab; i++) {
        size_t len = v->token_lens ? v->token_lens[i] : strlen(v->tokens[i]);
        t->tok_off[i] = pos;
        memcpy(t->arena + pos, v->tokens[i], len);
        pos += len;
        t->scores[i] = v->scores ? v->scores[i] : 0.0f;
        t->types[i] = v->types ? v->types[i] : TOKEN_TYPE_NORMAL;
    }
    t->tok_off[v->n_vocab] = pos;
    for (int i = 0; i < t->n_merges; i++) {
        size_t len = v->merge_lens ? v->merge_lens[i] : strlen(v->merges[i]);
        t->merge_off[i] = pos;
        memcpy(t->arena + pos, v->merges[i], len);
        pos += len;
    }
    t->merge_off[t->n_merges] = pos;
    /* merge offsets are absolute in the arena */

    if (tok_table_init(&t->tok_index, v->n_vocab)) goto nomem;
    for (int i = 0; i < v->n_vocab; i++) tok_table_put(&t->tok_index, t->arena, t->tok_off, i);
    if (t->n_merges) {
        if (tok_table_init(&t->merge_index, t->n_merges)) goto nomem;
        for (int i = 0; i < t->n_merges; i++)
            tok_table_put(&t->merge_index, t->arena, t->merge_off, i);
    }
    if (tok_user_index(t)) goto nomem;

    for (int i = 0; i < 3; i++) {
        int id = i == 0 ? v->bos : i == 1 ? v->eos : v->unk;
        if (id >= v->n_vocab)
            return tokenizer_free(t),
                   ef_fail(err, EF_ERROR, "tokenizer: special token id %d >= vocabulary size %d",
                           id, v->n_vocab);
    }
    t->bos = v->bos;
    t->eos = v->eos;
    t->unk = v->unk;
    t->add_bos = v->add_bos && v->bos >= 0;
    t->add_space_prefix = v->add_space_prefix;
    for (int b = 0; b < 256; b++) {
        char buf[8];
        snprintf(buf, sizeof buf, "<0x%02X>", b);
        t->byte_tok[b] = tok_lookup(t, buf, 6);
    }
    *out = t;
    return EF_OK;
nomem:
    tokenizer_free(t);
    return ef_fail(err, EF_NOMEM, "tokenizer: out of memory for a %d-token vocabulary", v->n_vocab);
}

/* ---- GGUF ----------------------------------------------------------------------- */

static int tok_gguf_int(const gguf_file *f, const char *key, int def)
{
    uint32_t u;
    return gguf_get_u32(f, key, &u, NULL) == EF_OK && u <= INT32_MAX ? (int)u : def;
}

static int tok_gguf_bool(const gguf_file *f, const char *key, int def)
{
    int b;
    return gguf_get_bool(f, key, &b, NULL) == EF_OK ? b : def;
}

int tokenizer_load(const gguf_file *f, tokenizer **out, ef_error *err)
{
    const char *path = gguf_path(f);
    tokenizer_vocab v = {0};
    const char **tokens = NULL, **merges = NULL;
    size_t *lens = NULL, *mlens = NULL;
    float *scores = NULL;
    int32_t *types = NULL;
    int rc;
    *out = NULL;

    const char *model;
    size_t model_len;
    rc = gguf_get_str(f, "tokenizer.ggml.model", &model, &model_len, err);
    if (rc) return rc;
    if (model_len == 5 && !memcmp(model, "llama", 5)) v.kind = TOKENIZER_SPM;
    else if (model_len == 4 && !memcmp(model, "gpt2", 4)) v.kind = TOKENIZER_BPE;
    else
        return ef_fail(err, EF_UNSUPPORTED,
                       "%s: tokenizer.ggml.model '%.*s' is not supported (llama, gpt2)", path,
                       (int)(model_len > 64 ? 64 : model_len), model);
    char pre[128] = "default"; /* llama.cpp: a missing key is "default" */
    const tok_pre_row *row = NULL;
    if (v.kind == TOKENIZER_BPE) {
        const char *ps;
        size_t pl;
        if (gguf_get_str(f, "tokenizer.ggml.pre", &ps, &pl, NULL) == EF_OK)
            snprintf(pre, sizeof pre, "%.*s", (int)(pl < sizeof pre - 1 ? pl : sizeof pre - 1), ps);
        row = tok_pre_find(pre, strlen(pre));
        if (!row)
            return ef_fail(err, EF_UNSUPPORTED,
                           "%s: BPE pre-tokenizer '%.64s' is not supported (not one of the %d "
                           "llama.cpp pre-tokenizers efbench runs: efbench tokenize --help lists "
                           "them)",
                           path, pre, tok_pre_count());
        v.pre = pre;
    }

    int et;
    uint64_t count;
    const void *data;
    rc = gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &count, &data, err);
    if (rc) return rc;
    if (et != GGUF_TYPE_STRING || count == 0 || count > INT32_MAX)
        return ef_fail(err, EF_ERROR, "%s: tokenizer.ggml.tokens is not a non-empty string array",
                       path);
    v.n_vocab = (int)count;
    tokens = malloc(count * sizeof *tokens);
    lens = malloc(count * sizeof *lens);
    types = malloc(count * sizeof *types);
    scores = malloc(count * sizeof *scores);
    if (!tokens || !lens || !types || !scores) {
        rc = ef_fail(err, EF_NOMEM, "%s: out of memory reading the vocabulary", path);
        goto cleanup;
    }
    for (uint64_t i = 0; i < count; i++) {
        rc = gguf_arr_str(f, "tokenizer.ggml.tokens", i, &tokens[i], &lens[i], err);
        if (rc) goto cleanup;
        types[i] = TOKEN_TYPE_NORMAL;
        scores[i] = 0.0f;
    }
    static const char *const arr_keys[2] = {"tokenizer.ggml.token_type", "tokenizer.ggml.scores"};
    for (int a = 0; a < 2; a++) {
        if (gguf_kv_find(f, arr_keys[a]) < 0) continue;
        uint64_t c2;
        rc = gguf_get_arr(f, arr_keys[a], &et, &c2, &data, err);
        if (rc) goto cleanup;
        if (c2 != count) {
            rc = ef_fail(err, EF_ERROR, "%s: %s has %llu entries but there are %llu tokens", path,
                         arr_keys[a], (unsigned long long)c2, (unsigned long long)count);
            goto cleanup;
        }
        for (uint64_t i = 0; i < count; i++) {
            if (a == 0) {
                int64_t x;
                rc = gguf_arr_i64(f, arr_keys[a], i, &x, err);
                types[i] = (int32_t)x;
            } else {
                double x;
                rc = gguf_arr_f64(f, arr_keys[a], i, &x, err);
                scores[i] = (float)x;
            }
            if (rc) goto cleanup;
        }
    }
    v.tokens = tokens;
    v.token_lens = lens;
    v.types = types;
    v.scores = scores;
    if (v.kind == TOKENIZER_BPE) {
        rc = gguf_get_arr(f, "tokenizer.ggml.merges", &et, &count, &data, err);
        if (rc) goto cleanup;
        if (et != GGUF_TYPE_STRING || count > INT32_MAX) {
            rc = ef_fail(err, EF_ERROR, "%s: tokenizer.ggml.merges is not a string array", path);
            goto cleanup;
        }
        v.n_merges = (int)count;
        merges = malloc((count ? count : 1) * sizeof *merges);
        mlens = malloc((count ? count : 1) * sizeof *mlens);
        if (!merges || !mlens) {
            rc = ef_fail(err, EF_NOMEM, "%s: out of memory reading the merges", path);
            goto cleanup;
        }
        for (uint64_t i = 0; i < count; i++) {
            rc = gguf_arr_str(f, "tokenizer.ggml.merges", i, &merges[i], &mlens[i], err);
            if (rc) goto cleanup;
        }
        v.merges = merges;
        v.merge_lens = mlens;
    }
    v.bos = tok_gguf_int(f, "tokenizer.ggml.bos_token_id", -1);
    v.eos = tok_gguf_int(f, "tokenizer.ggml.eos_token_id", -1);
    v.unk = tok_gguf_int(f, "tokenizer.ggml.unknown_token_id", -1);
    /* llama.cpp's defaults when the key is absent: SPM and some pre-tokenizers (Llama 3,
     * Tekken, Chameleon) add BOS */
    v.add_bos = tok_gguf_bool(f, "tokenizer.ggml.add_bos_token",
                              v.kind == TOKENIZER_SPM || (row && row->add_bos));
    v.add_space_prefix =
        tok_gguf_bool(f, "tokenizer.ggml.add_space_prefix", v.kind == TOKENIZER_SPM);
    if (v.kind == TOKENIZER_BPE) v.add_space_prefix = 0;
    for (int i = 0; i < 3; i++) {
        int id = i == 0 ? v.bos : i == 1 ? v.eos : v.unk;
        if (id >= v.n_vocab) {
            rc =
                ef_fail(err, EF_ERROR, "%s: special token id %d is outside the %d-token vocabulary",
                        path, id, v.n_vocab);
            goto cleanup;
        }
    }
    rc = tokenizer_init(&v, out, err);
cleanup:
    free(tokens);
    free(lens);
    free(types);
    free(scores);
    free(merges);
    free(mlens);
    return rc;
}

/* ---- encode ---------------------------------------------------------------------- */

/* A span of the input: raw text (id < 0) or a user-defined token. */
typedef struct tok_span {
    size_t off, len;
    int id;
} tok_span;

/* llama.cpp splits at user-defined tokens longest token first, each token left to right
 * over the still-raw text. Equivalent: collect every occurrence, order them by (length
 * desc, id, offset) and accept one when all its bytes are still raw. */
typedef struct tok_match {
    size_t off, len;
    int id;
} tok_match;

static int tok_match_cmp(const void *a, const void *b)
{
    const tok_match *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->off > y->off) - (x->off < y->off);
}

static int tok_match_off_cmp(const void *a, const void *b)
{
    const tok_match *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

static int tok_partition(const tokenizer *t, const char *s, size_t len, tok_span **spans,
                         int *n_spans)
{
    tok_match *m = NULL;
    size_t nm = 0, cap = 0;
    unsigned char *taken = NULL;
    tok_span *sp = NULL;
    int rc = -1;
    for (size_t i = 0; i < len; i++) {
        unsigned b = (unsigned char)s[i];
        for (int k = t->user_start[b]; k < t->user_start[b + 1]; k++) {
            size_t tl;
            const char *ts = tok_text(t, t->user_ids[k], &tl);
            if (tl > len - i || memcmp(ts, s + i, tl) != 0) continue;
            if (nm == cap) {
                cap = cap ? cap * 2 : 1024;
                tok_match *nmv = realloc(m, cap * sizeof *m);
                if (!nmv) goto cleanup;
                m = nmv;
            }
            m[nm++] = (tok_match){i, tl, t->user_ids[k]};
        }
    }
    if (nm) qsort(m, nm, sizeof *m, tok_match_cmp);
    taken = calloc(len + 1, 1); /* 1 = inside an accepted token */
    if (!taken) goto cleanup;
    size_t n_acc = 0;
    for (size_t k = 0; k < nm; k++) {
        int ok = 1;
        for (size_t j = 0; j < m[k].len && ok; j++) ok = !taken[m[k].off + j];
        if (!ok) continue;
        memset(taken + m[k].off, 1, m[k].len);
        m[n_acc++] = m[k];
    }
    if (n_acc) qsort(m, n_acc, sizeof *m, tok_match_off_cmp); /* accepted, in text order */
    sp = malloc((2 * n_acc + 1) * sizeof *sp);
    if (!sp) goto cleanup;
    int ns = 0;
    size_t pos = 0;
    for (size_t k = 0; k < n_acc; k++) {
        if (m[k].off > pos) sp[ns++] = (tok_span){pos, m[k].off - pos, -1};
        sp[ns++] = (tok_span){m[k].off, m[k].len, m[k].id};
        pos = m[k].off + m[k].len;
    }
    if (pos < len) sp[ns++] = (tok_span){pos, len - pos, -1};
    *spans = sp;
    *n_spans = ns;
    sp = NULL;
    rc = 0;
cleanup:
    free(sp);
    free(taken);
    free(m);
    return rc;
}

int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int add_special,
                     int32_t **ids, int *n, ef_error *err)
{
    tok_ids out = {0};
    tok_span *spans = NULL;
    char *buf = NULL;
    int n_spans = 0, rc = EF_OK;
    size_t bad;
    *ids = NULL;
    *n = 0;
    if (!unicode_utf8_valid(text, len, &bad))
        return ef_fail(err, EF_ERROR, "text is not valid UTF-8 (byte offset %zu)", bad);
    if (tok_partition(t, text, len, &spans, &n_spans)) goto nomem;
    if (add_special && t->add_bos && tok_ids_push(&out, t->bos)) goto nomem;
    int prev_special = 1;
    for (int k = 0; k < n_spans; k++) {
        const tok_span *sp = &spans[k];
        if (sp->id >= 0) {
            if (tok_ids_push(&out, sp->id)) goto nomem;
            prev_special = 1;
            continue;
        }
        const char *frag = text + sp->off;
        size_t flen = sp->len;
        int r;
        if (t->kind == TOKENIZER_SPM) {
            if (t->add_space_prefix && prev_special) {
                free(buf);
                buf = malloc(flen + 1);
                if (!buf) goto nomem;
                buf[0] = ' ';
                memcpy(buf + 1, frag, flen);
                frag = buf;
                flen++;
            }
            if (tok_spm_fragment(t, frag, flen, &out)) goto nomem;
        } else if ((r = tok_bpe_fragment(t, frag, flen, &out, err))) {
            rc = r;
            goto cleanup;
        }
        prev_special = 0;
    }
    *ids = out.v;
    *n = out.n;
    out.v = NULL;
    goto cleanup;
nomem:
    rc = ef_fail(err, EF_NOMEM, "tokenizer: out of memory encoding %zu bytes", len);
cleanup:
    free(out.v);
    free(spans);
    free(buf);
    return rc;
}

/* ---- decode ---------------------------------------------------------------------- */

static int tok_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int tokenizer_decode(const tokenizer *t, const int32_t *ids, int n, char **text, size_t *len,
                     ef_error *err)
{
    size_t cap = 64, pos = 0;
    char *o = malloc(cap);
    if (!o) goto nomem;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_vocab) {
            free(o);
            return ef_fail(err, EF_ERROR, "token id %d is outside the %d-token vocabulary", ids[i],
                           t->n_vocab);
        }
        size_t pl;
        const char *p = tok_text(t, ids[i], &pl);
        int type = t->types[ids[i]];
        if (pos + pl + 8 > cap) {
            while (pos + pl + 8 > cap) cap *= 2;
            char *no = realloc(o, cap);
            if (!no) goto nomem;
            o = no;
        }
        if (type == TOKEN_TYPE_CONTROL || type == TOKEN_TYPE_UNUSED || type == TOKEN_TYPE_UNKNOWN)
            continue;
        if (type == TOKEN_TYPE_BYTE && pl == 6 && tok_hex(p[3]) >= 0 && tok_hex(p[4]) >= 0) {
            o[pos++] = (char)(tok_hex(p[3]) * 16 + tok_hex(p[4]));
            continue;
        }
        if (type == TOKEN_TYPE_USER_DEFINED) {
            memcpy(o + pos, p, pl);
            pos += pl;
            continue;
        }
        if (t->kind == TOKENIZER_SPM) {
            for (size_t j = 0; j < pl;) {
                if (pl - j >= 3 && !memcmp(p + j, "\xE2\x96\x81", 3)) {
                    o[pos++] = ' ';
                    j += 3;
                } else {
                    o[pos++] = p[j++];
                }
            }
        } else {
            for (size_t j = 0; j < pl;) {
                int k;
                uint32_t cp = unicode_utf8_decode(p + j, pl - j, &k);
                int b = unicode_cp_to_byte(cp);
                if (b >= 0) {
                    o[pos++] = (char)b;
                } else {
                    memcpy(o + pos, p + j, (size_t)k);
                    pos += (size_t)k;
                }
                j += (size_t)k;
            }
        }
    }
    /* SPM with add_space_prefix put one space before the text: take it back */
    if (t->kind == TOKENIZER_SPM && t->add_space_prefix && pos > 0 && o[0] == ' ') {
        memmove(o, o + 1, pos - 1);
        pos--;
    }
    o[pos] = 0;
    *text = o;
    *len = pos;
    return EF_OK;
nomem:
    free(o);
    return ef_fail(err, EF_NOMEM, "tokenizer: out of memory decoding %d tokens", n);
}

int tokenizer_n_vocab(const tokenizer *t) { return t->n_vocab; }
int tokenizer_bos(const tokenizer *t) { return t->add_bos ? t->bos : -1; }
int tokenizer_token_type(const tokenizer *t, int id)
{
    return id >= 0 && id < t->n_vocab ? t->types[id] : 0;
}
const char *tokenizer_piece(const tokenizer *t, int id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) return NULL;
    return tok_text(t, id, len);
}
int tokenizer_find(const tokenizer *t, const char *piece, size_t len)
{
    return tok_lookup(t, piece, len);
}
const char *tokenizer_name(const tokenizer *t) { return t->name; }
const char *tokenizer_label(const tokenizer *t) { return t->label; }
const char *tokenizer_pre_supported(int i)
{
    for (int r = 0; r < tok_pre_count(); r++)
        for (const char *const *n = tok_pre_at(r)->names; *n; n++)
            if (i-- == 0) return *n;
    return NULL;
}
