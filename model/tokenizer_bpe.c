/* model/tokenizer_bpe.c — GPT-2 style byte-level BPE for tokenizer.ggml.model = "gpt2"
 * (gguf-models.md E.4): pre-tokenise with the model's pattern (GPT-2, Llama 3 or Qwen2,
 * hand-written scanners over code points), map bytes to GPT-2's printable code points,
 * then merge adjacent symbols lowest merge rank first (ties: leftmost). Llama 3 first
 * looks the whole piece up and skips the merges when it is a token (ignore_merges).
 */
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

/* Code point classes of the patterns. */
static int bpe_is_nl(uint32_t c) { return c == '\r' || c == '\n'; }
static int bpe_is_other(uint32_t c) /* [^\s\p{L}\p{N}] */
{
    return !unicode_is_space(c) && !unicode_is_letter(c) && !unicode_is_number(c);
}
static uint32_t bpe_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Length (in code points) of the contraction at cp[i], or 0. `any_case`: Llama 3 / Qwen2
 * spell them case-insensitively, GPT-2 only lowercase. */
static int bpe_contraction(const uint32_t *cp, int n, int i, int any_case)
{
    if (cp[i] != '\'' || i + 1 >= n) return 0;
    uint32_t a = any_case ? bpe_lower(cp[i + 1]) : cp[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= n) return 0;
    uint32_t b = any_case ? bpe_lower(cp[i + 2]) : cp[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* Whitespace alternatives shared by all patterns, at a whitespace code point:
 *   \s*[\r\n]+   (Llama 3 / Qwen2 only: up to the run's last newline)
 *   \s+(?!\S)    (the run, minus its last char when a non-space follows)
 *   \s+          */
static int bpe_space(const uint32_t *cp, int n, int i, int newline_rule)
{
    int j = i;
    while (j < n && unicode_is_space(cp[j])) j++;
    if (newline_rule) {
        int last_nl = -1;
        for (int k = i; k < j; k++)
            if (bpe_is_nl(cp[k])) last_nl = k;
        if (last_nl >= 0) return last_nl + 1 - i;
    }
    if (j < n && j - i > 1) return j - i - 1;
    return j - i;
}

/* Length of the piece at cp[i] (>= 1). */
static int bpe_piece_len(tokenizer_pre pre, const uint32_t *cp, int n, int i)
{
    uint32_t c = cp[i];
    if (pre == TOKENIZER_PRE_GPT2) {
        /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
        int k = bpe_contraction(cp, n, i, 0);
        if (k) return k;
        int j = i + (c == ' ' && i + 1 < n);
        if (unicode_is_letter(cp[j])) {
            while (j < n && unicode_is_letter(cp[j])) j++;
            return j - i;
        }
        if (unicode_is_number(cp[j])) {
            while (j < n && unicode_is_number(cp[j])) j++;
            return j - i;
        }
        if (bpe_is_other(cp[j])) {
            while (j < n && bpe_is_other(cp[j])) j++;
            return j - i;
        }
        if (unicode_is_space(c)) return bpe_space(cp, n, i, 0);
        return 1;
    }
    /* Llama 3 / Qwen2:
     * (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|
     * \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+   (Qwen2: \p{N}) */
    int k = bpe_contraction(cp, n, i, 1);
    if (k) return k;
    if (unicode_is_letter(c) ||
        (!bpe_is_nl(c) && !unicode_is_number(c) && i + 1 < n && unicode_is_letter(cp[i + 1]))) {
        int j = i + 1;
        while (j < n && unicode_is_letter(cp[j])) j++;
        return j - i;
    }
    if (unicode_is_number(c)) {
        int max = pre == TOKENIZER_PRE_QWEN2 ? 1 : 3, j = i;
        while (j < n && j - i < max && unicode_is_number(cp[j])) j++;
        return j - i;
    }
    {
        int j = i + (c == ' ' && i + 1 < n);
        if (bpe_is_other(cp[j])) {
            while (j < n && bpe_is_other(cp[j])) j++;
            while (j < n && bpe_is_nl(cp[j])) j++;
            return j - i;
        }
    }
    if (unicode_is_space(c)) return bpe_space(cp, n, i, 1);
    return 1;
}

/* BPE over one pre-token: symbols are the UTF-8 characters of the byte-mapped piece. */
static int bpe_word(const tokenizer *t, const char *s, size_t len, tok_ids *out)
{
    /* byte-map: each byte becomes the UTF-8 of its stand-in code point (<= 2 bytes) */
    char *m = malloc(2 * len + 1);
    size_t *off = malloc((len + 1) * sizeof *off);
    int rc = -1;
    if (!m || !off) goto cleanup;
    size_t ml = 0;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        off[n++] = ml;
        ml += (size_t)unicode_utf8_encode(unicode_byte_to_cp((unsigned char)s[i]), m + ml);
    }
    off[n] = ml;
    /* Llama 3 (llama.cpp ignore_merges): a piece that is a token as a whole is that token,
     * even where the merges would not build it (" Vi\u1ec7t" in Llama 3's vocabulary) */
    if (t->pre == TOKENIZER_PRE_LLAMA3) {
        int id = tok_lookup(t, m, ml);
        if (id >= 0) {
            rc = tok_ids_push(out, id);
            goto cleanup;
        }
    }
    /* symbols: merged spans [off[i], off[next]) with next implied by the live list */
    int *next = malloc((size_t)(n + 1) * sizeof *next);
    if (!next) goto cleanup;
    for (int i = 0; i < n; i++) next[i] = i + 1;
    for (;;) {
        int best = -1, best_rank = 0;
        for (int i = 0; i < n && next[i] < n; i = next[i]) {
            int j = next[i];
            int r = tok_merge_rank(t, m + off[i], off[j] - off[i], m + off[j], off[next[j]] - off[j]);
            if (r >= 0 && (best < 0 || r < best_rank)) {
                best = i;
                best_rank = r;
            }
        }
        if (best < 0) break;
        next[best] = next[next[best]];
    }
    for (int i = 0; i < n; i = next[i]) {
        size_t sl = off[next[i]] - off[i];
        int id = tok_lookup(t, m + off[i], sl);
        if (id >= 0) {
            if (tok_ids_push(out, id)) goto cleanup_next;
            continue;
        }
        /* not a token: one token per mapped byte (llama.cpp's fallback) */
        for (size_t p = off[i]; p < off[next[i]];) {
            int k;
            unicode_utf8_decode(m + p, off[next[i]] - p, &k);
            int bid = tok_lookup(t, m + p, (size_t)k);
            if (bid < 0) bid = t->unk;
            if (bid >= 0 && tok_ids_push(out, bid)) goto cleanup_next;
            p += (size_t)k;
        }
    }
    rc = 0;
cleanup_next:
    free(next);
cleanup:
    free(off);
    free(m);
    return rc;
}

int tok_bpe_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out)
{
    uint32_t *cp = malloc((len + 1) * sizeof *cp);
    size_t *boff = malloc((len + 1) * sizeof *boff);
    int rc = -1;
    if (!cp || !boff) goto cleanup;
    int n = 0;
    for (size_t i = 0; i < len;) {
        int k;
        boff[n] = i;
        cp[n++] = unicode_utf8_decode(s + i, len - i, &k);
        i += (size_t)k;
    }
    boff[n] = len;
    for (int i = 0; i < n;) {
        int k = bpe_piece_len(t->pre, cp, n, i);
        if (bpe_word(t, s + boff[i], boff[i + k] - boff[i], out)) goto cleanup;
        i += k;
    }
    rc = 0;
cleanup:
    free(boff);
    free(cp);
    return rc;
}
