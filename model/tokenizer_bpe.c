/* model/tokenizer_bpe.c — GPT-2 style byte-level BPE for tokenizer.ggml.model = "gpt2"
 * (gguf-models.md E.4): the model's pre-tokenizer (tokenizer_pre.c) cuts the text into
 * pieces, each piece's bytes are mapped to GPT-2's printable code points, and adjacent
 * symbols merge lowest merge rank first (ties: leftmost), as llama.cpp's BPE session does.
 * Pre-tokenizers with ignore_merges (Llama 3, Tekken, ...) take a piece that is itself a
 * token whole.
 */
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

/* BPE over one pre-token: symbols are the UTF-8 characters of the byte-mapped piece. */
static int bpe_word(const tokenizer *t, const char *s, size_t len, tok_ids *out)
{
    /* byte-map: each byte becomes the UTF-8 of its stand-in code point (<= 2 bytes) */
    char *m = malloc(2 * len + 1);
    size_t *off = malloc((len + 1) * sizeof *off);
    int *next = malloc((len + 1) * sizeof *next);
    int rc = -1;
    if (!m || !off || !next) goto cleanup;
    size_t ml = 0;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        off[n++] = ml;
        ml += (size_t)unicode_utf8_encode(unicode_byte_to_cp((unsigned char)s[i]), m + ml);
    }
    off[n] = ml;
    /* ignore_merges: a piece that is a token as a whole is that token, even where the
     * merges would not build it (" Vi\u1ec7t" in Llama 3's vocabulary) */
    if (tok_pre_row_of(t->pre)->ignore_merges) {
        int id = tok_lookup(t, m, ml);
        if (id >= 0) {
            rc = tok_ids_push(out, id);
            goto cleanup;
        }
    }
    /* symbols: merged spans [off[i], off[next[i]]) along the live list */
    for (int i = 0; i < n; i++) next[i] = i + 1;
    for (;;) {
        int best = -1, best_rank = 0;
        for (int i = 0; i < n && next[i] < n; i = next[i]) {
            int j = next[i];
            int r =
                tok_merge_rank(t, m + off[i], off[j] - off[i], m + off[j], off[next[j]] - off[j]);
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
            if (tok_ids_push(out, id)) goto cleanup;
            continue;
        }
        /* not a token: llama.cpp looks up each byte of the mapped text as a one-byte token
         * and drops the bytes that are none */
        for (size_t p = off[i]; p < off[next[i]]; p++) {
            int bid = tok_lookup(t, m + p, 1);
            if (bid >= 0 && tok_ids_push(out, bid)) goto cleanup;
        }
    }
    rc = 0;
cleanup:
    free(next);
    free(off);
    free(m);
    return rc;
}

int tok_bpe_fragment(const tokenizer *t, const char *s, size_t len, tok_ids *out, ef_error *err)
{
    tok_pieces pc = {0};
    int rc = tok_pre_split(t->pre, s, len, &pc, err);
    if (rc) goto cleanup;
    for (size_t k = 0; k < pc.n; k++)
        if (bpe_word(t, s + pc.p[k].off, pc.p[k].len, out)) {
            rc = ef_fail(err, EF_NOMEM, "tokenizer: out of memory encoding %zu bytes", len);
            break;
        }
cleanup:
    free(pc.p);
    return rc;
}
