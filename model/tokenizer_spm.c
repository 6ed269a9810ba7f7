/* model/tokenizer_spm.c — SentencePiece-style encoding of one raw fragment as llama.cpp
 * runs it for tokenizer.ggml.model = "llama" (gguf-models.md D.2): spaces become U+2581,
 * UTF-8 characters are merged pairwise, highest-scoring vocabulary piece first (ties:
 * leftmost), and characters that are no piece fall back to <0xXX> byte tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

typedef struct spm_symbol {
    int prev, next;  /* -1 at the ends */
    size_t off, len; /* bytes of the escaped text; len 0 = merged away */
} spm_symbol;

typedef struct spm_bigram {
    float score;
    int left, right;
    size_t len;
} spm_bigram;

typedef struct spm_heap {
    spm_bigram *v;
    size_t n, cap;
} spm_heap;

/* a comes out before b */
static int spm_before(const spm_bigram *a, const spm_bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static int spm_heap_push(spm_heap *h, spm_bigram x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        spm_bigram *v = realloc(h->v, cap * sizeof *v);
        if (!v) return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!spm_before(&x, &h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
    return 0;
}

static spm_bigram spm_heap_pop(spm_heap *h)
{
    spm_bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && spm_before(&h->v[c + 1], &h->v[c])) c++;
        if (!spm_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

static int spm_try_bigram(const tokenizer *t, const char *s, const spm_symbol *sym, int left,
                          int right, spm_heap *h)
{
    if (left < 0 || right < 0) return 0;
    size_t len = sym[left].len + sym[right].len;
    int id = tok_lookup(t, s + sym[left].off, len);
    if (id < 0) return 0;
    return spm_heap_push(h, (spm_bigram){t->scores[id], left, right, len});
}

static int spm_emit(const tokenizer *t, const char *s, size_t len, tok_ids *out)
{
    int id = tok_lookup(t, s, len);
    if (id >= 0) return tok_ids_push(out, id);
    for (size_t i = 0; i < len; i++) {
        int b = t->byte_tok[(unsigned char)s[i]];
        if (b < 0) b = t->unk;
        if (b < 0) continue; /* no byte piece and no <unk>: the byte is dropped */
        if (tok_ids_push(out, b)) return -1;
    }
    return 0;
}

int tok_spm_fragment(const tokenizer *t, const char *raw, size_t raw_len, tok_ids *out)
{
    size_t spaces = 0;
    for (size_t i = 0; i < raw_len; i++) spaces += raw[i] == ' ';
    size_t len = raw_len + 2 * spaces;
    char *s = malloc(len ? len : 1);
    spm_symbol *sym = malloc((len ? len : 1) * sizeof *sym);
    spm_heap heap = {0};
    int rc = -1;
    if (!s || !sym) goto cleanup;
    for (size_t i = 0, j = 0; i < raw_len; i++) {
        if (raw[i] == ' ') {
            memcpy(s + j, "\xE2\x96\x81", 3);
            j += 3;
        } else {
            s[j++] = raw[i];
        }
    }
    int n = 0;
    for (size_t off = 0; off < len; n++) {
        size_t cl = (size_t)unicode_utf8_lead_len((unsigned char)s[off]);
        if (cl > len - off) cl = len - off;
        sym[n] = (spm_symbol){n - 1, -1, off, cl};
        if (n > 0) sym[n - 1].next = n;
        off += cl;
    }
    for (int i = 1; i < n; i++)
        if (spm_try_bigram(t, s, sym, i - 1, i, &heap)) goto cleanup;
    while (heap.n) {
        spm_bigram b = spm_heap_pop(&heap);
        spm_symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->len == 0 || r->len == 0 || l->len + r->len != b.len) continue;
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        if (spm_try_bigram(t, s, sym, l->prev, b.left, &heap)) goto cleanup;
        if (spm_try_bigram(t, s, sym, b.left, l->next, &heap)) goto cleanup;
    }
    for (int i = n ? 0 : -1; i >= 0; i = sym[i].next)
        if (spm_emit(t, s + sym[i].off, sym[i].len, out)) goto cleanup;
    rc = 0;
cleanup:
    free(heap.v);
    free(sym);
    free(s);
    return rc;
}
