/* model/tokenizer_pre.c — the BPE pre-tokenizers (tokenizer.ggml.pre) as rows of data:
 * each row is the list of regular expressions llama.cpp's llama-vocab.cpp applies for
 * those names, in order, plus its two flags (ignore_merges, the BOS default). PCRE2
 * (UTF + UCP, JIT) runs the patterns as written; tokenizer_bpe.c merges the pieces.
 * The patterns are the models' own (their tokenizer.json, as llama.cpp adapts them):
 * data that must be copied exactly to give the same ids, not code.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_impl.h"

/* Contractions as llama.cpp spells them case-insensitively without (?i:). */
#define PRE_CONTRACTIONS "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
/* GPT-2's pattern (also the second half of several lists). */
#define PRE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
/* Llama 3's pattern with N as the digit group (\\p{N}{1,3}, \\p{N}, ...). */
#define PRE_LLAMA3_LIKE(N)                               \
    PRE_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" N \
                     "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PRE_UPPER_LOWER(LM, TAIL)                                               \
    "[^\\r\\n\\p{L}\\p{N}]?((?=[" LM "])([^a-z]))*((?=[" LM "])([^A-Z]))+" TAIL \
    "|[^\\r\\n\\p{L}\\p{N}]?((?=[" LM "])([^a-z]))+((?=[" LM "])([^A-Z]))*" TAIL

#define PRE_LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* One row per distinct behaviour. `names` are every tokenizer.ggml.pre value llama.cpp maps
 * to it (the first names the row); `regex` runs in order, each on the pieces of the last. */
static const tok_pre_row tok_pre_rows[] = {
    {.names = PRE_LIST("default"),
     .regex = PRE_LIST("[\\p{P}\\$\\+<=>\\^~\\|]+", PRE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]")},
    {.names = PRE_LIST("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                       "midm-2.0", "lfm2", "jina-v5-nano"),
     .regex = PRE_LIST(PRE_LLAMA3_LIKE("\\p{N}{1,3}")),
     .ignore_merges = 1,
     .add_bos = 1},
    {.names = PRE_LIST("smaug-bpe", "dbrx"), .regex = PRE_LIST(PRE_LLAMA3_LIKE("\\p{N}{1,3}"))},
    {.names = PRE_LIST("jais-2"),
     .regex = PRE_LIST(PRE_CONTRACTIONS
                       "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                       "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)"
                       "|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)"
                       "|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}")},
    {.names = PRE_LIST("minicpm5"),
     .ignore_merges = 1,
     .regex = PRE_LIST("\\p{N}{1,3}", PRE_LLAMA3_LIKE("\\p{N}+"))},
    {.names = PRE_LIST("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2",
                       "hunyuan", "solar-open", "grok-2"),
     .regex = PRE_LIST(PRE_LLAMA3_LIKE("\\p{N}"))},
    {.names = PRE_LIST("qwen35"),
     .regex = PRE_LIST(PRE_CONTRACTIONS
                       "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
                       "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("seed-coder"),
     .regex =
         PRE_LIST(PRE_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}"
                                   "| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("ufakzeka"),
     .regex = PRE_LIST("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                       "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("laguna"), .regex = PRE_LIST("[^\\n]+|[\\n]+", PRE_LLAMA3_LIKE("\\p{N}"))},
    {.names = PRE_LIST("bailingmoe", "bailingmoe2", "llada-moe"),
     .regex = PRE_LIST("'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
                       "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("exaone-moe"),
     .regex = PRE_LIST(PRE_CONTRACTIONS
                       "|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+"
                       "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
                       "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "exaone4", "mpt", "olmo",
                       "jais", "trillion", "granite-docling"),
     .regex = PRE_LIST(PRE_GPT2)},
    {.names = PRE_LIST("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                       "minerva-7b", "mellum2"),
     .regex = PRE_LIST("\\p{N}", PRE_GPT2)},
    {.names = PRE_LIST("falcon"),
     .regex = PRE_LIST("[\\p{P}\\$\\+<=>\\^~\\|`]+", PRE_GPT2, "[0-9][0-9][0-9]")},
    /* llama.cpp matches patterns without \p{..} on text whose non-ASCII spaces became
     * U+000B, so its range U+3000-U+3002 never matches the ideographic space: hence 3001 */
    {.names = PRE_LIST("deepseek-llm"),
     .regex = PRE_LIST(
         "[\r\n]",
         "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
         "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}"
         "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-"
         "\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}"
         "\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}"
         "\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}"
         "\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}"
         "\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-"
         "\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-"
         "\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}"
         "\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-"
         "\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}"
         "\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}"
         "-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-"
         "\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-"
         "\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-"
         "\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-"
         "\\x{1E943}]+",
         "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3001}-"
         "\\x{3002}]+",
         "\\s+$", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}+")},
    {.names = PRE_LIST("deepseek-coder"),
     .regex = PRE_LIST("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+",
                       "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}")},
    {.names = PRE_LIST("deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"),
     .regex =
         PRE_LIST("\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
                  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                  "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*"
                  "|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("spark2_5"),
     .regex =
         PRE_LIST("\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
                  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                  "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]"
                  "|\\s+(?!\\S)|\\s+",
                  "\\p{N}")},
    {.names = PRE_LIST("youtu"),
     .ignore_merges = 1,
     .regex = PRE_LIST(
         "[\\x{AC00}-\\x{D7A3}\\x{3131}-\\x{318E}]+|[\\x{FF01}\\x{2026}\\x{201C}\\x{201D}"
         "\\x{2018}\\x{2019}\\x{2014}\\x{FF1A}\\x{FF1B}\\x{FF0C}\\x{3001}-\\x{303F}\\x{FE30}-"
         "\\x{FE4F}]+|[\\x{3105}-\\x{312F}]+|[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-"
         "\\x{30FF}]+",
         "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
         "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
         "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
         "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
         "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("tekken"),
     .ignore_merges = 1,
     .add_bos = 1,
     .regex = PRE_LIST(PRE_UPPER_LOWER("\\p{L}", "") "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
                                                     "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"),
     .regex = PRE_LIST(PRE_UPPER_LOWER(
         "\\p{L}", PRE_CONTRACTIONS
         "?") "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("granite-embed-multi-97m"),
     .ignore_merges = 1,
     .regex = PRE_LIST(PRE_UPPER_LOWER(
         "\\p{L}\\p{M}", PRE_CONTRACTIONS
         "?") "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")},
    {.names = PRE_LIST("poro-chat", "bloom", "gpt3-finnish"),
     .regex =
         PRE_LIST(" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+")},
    {.names = PRE_LIST("viking"),
     .regex = PRE_LIST(
         " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+", "\\p{N}")},
    {.names = PRE_LIST("chameleon"),
     .add_bos = 1,
     .regex = PRE_LIST("<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
                       "([\\t\\n]|    |  )", "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", PRE_GPT2)},
};

#define TOK_PRE_ROWS ((int)(sizeof tok_pre_rows / sizeof tok_pre_rows[0]))
#define TOK_PRE_MAX_REGEX 8

struct tok_pre {
    const tok_pre_row *row;
    int n;
    pcre2_code *re[TOK_PRE_MAX_REGEX];
};

const tok_pre_row *tok_pre_find(const char *name, size_t len)
{
    for (int r = 0; r < TOK_PRE_ROWS; r++)
        for (const char *const *n = tok_pre_rows[r].names; *n; n++)
            if (strlen(*n) == len && !memcmp(*n, name, len)) return &tok_pre_rows[r];
    return NULL;
}

int tok_pre_count(void) { return TOK_PRE_ROWS; }
const tok_pre_row *tok_pre_at(int i)
{
    return i >= 0 && i < TOK_PRE_ROWS ? &tok_pre_rows[i] : NULL;
}

/* llama.cpp runs these patterns with its own class tables, and two of its readings differ
 * from PCRE2's: \s is Unicode White_Space (PCRE2 adds U+180E), and \p{Lu}, \p{Ll},
 * \p{Lt}, \p{Lm}, \p{Lo} all mean \p{L}. Rewrite them so the ids are llama.cpp's. */
static char *tok_pre_translate(const char *re)
{
    /* the longest growth: the 2 bytes of \s become the 15 of \p{White_Space}, under 8x */
    size_t len = strlen(re), cap = 8 * len + 1, o = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (size_t i = 0; i < len;) {
        if (re[i] == '\\' && i + 1 < len) {
            char c = re[i + 1];
            if (c == 's' || c == 'S') {
                o += (size_t)sprintf(out + o, "\\%c{White_Space}", c == 's' ? 'p' : 'P');
                i += 2;
                continue;
            }
            if (c == 'p' && i + 5 < len && re[i + 2] == '{' && re[i + 3] == 'L' &&
                re[i + 5] == '}' && strchr("ultmo", re[i + 4])) {
                o += (size_t)sprintf(out + o, "\\p{L}");
                i += 6;
                continue;
            }
            out[o++] = re[i++]; /* any other escape: both characters as they are */
        }
        out[o++] = re[i++];
    }
    out[o] = 0;
    return out;
}

void tok_pre_free(tok_pre *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) pcre2_code_free(p->re[i]);
    free(p);
}

int tok_pre_compile(const tok_pre_row *row, tok_pre **out, ef_error *err)
{
    tok_pre *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p) return ef_fail(err, EF_NOMEM, "tokenizer: out of memory");
    p->row = row;
    for (const char *const *r = row->regex; *r; r++) {
        if (p->n == TOK_PRE_MAX_REGEX) {
            tok_pre_free(p);
            return ef_fail(err, EF_ERROR, "pre-tokenizer %s: more than %d patterns", row->names[0],
                           TOK_PRE_MAX_REGEX);
        }
        char *pat = tok_pre_translate(*r);
        if (!pat) {
            tok_pre_free(p);
            return ef_fail(err, EF_NOMEM, "tokenizer: out of memory");
        }
        int code;
        PCRE2_SIZE at;
        /* DOLLAR_ENDONLY: `$` is the end of the piece, never before a final newline (as
         * std::regex reads it in llama.cpp) */
        p->re[p->n] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &code, &at, NULL);
        free(pat);
        if (!p->re[p->n]) {
            PCRE2_UCHAR msg[160];
            int which = p->n + 1;
            pcre2_get_error_message(code, msg, sizeof msg);
            tok_pre_free(p);
            return ef_fail(err, EF_ERROR,
                           "pre-tokenizer %s: pattern %d does not compile at "
                           "offset %zu: %s",
                           row->names[0], which, (size_t)at, (char *)msg);
        }
        /* JIT when the platform has it; the interpreter gives the same matches otherwise */
        pcre2_jit_compile(p->re[p->n], PCRE2_JIT_COMPLETE);
        p->n++;
    }
    *out = p;
    return EF_OK;
}

const tok_pre_row *tok_pre_row_of(const tok_pre *p) { return p->row; }

static int tok_pieces_push(tok_pieces *v, size_t off, size_t len)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        tok_piece *np = realloc(v->p, cap * sizeof *np);
        if (!np) return -1;
        v->p = np;
        v->cap = cap;
    }
    v->p[v->n++] = (tok_piece){off, len};
    return 0;
}

/* Splits each piece of `in` by one pattern into `out` (llama.cpp's regex split: every
 * match is a piece, and so is the text between matches). */
static int tok_pre_split_one(const pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
                             const char *s, const tok_pieces *in, tok_pieces *out)
{
    out->n = 0;
    for (size_t k = 0; k < in->n; k++) {
        const char *ps = s + in->p[k].off;
        size_t plen = in->p[k].len, pos = 0, start = 0;
        while (pos < plen) {
            int rc = pcre2_match(re, (PCRE2_SPTR)ps, plen, pos, PCRE2_NO_UTF_CHECK, md, mc);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) return -2;
            const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t m0 = ov[0], m1 = ov[1];
            if (m0 > start && tok_pieces_push(out, in->p[k].off + start, m0 - start)) return -1;
            if (m1 > m0 && tok_pieces_push(out, in->p[k].off + m0, m1 - m0)) return -1;
            start = m1 > start ? m1 : start;
            if (m1 > m0) pos = m1;
            else { /* an empty match: step over one character */ pos = m1 + 1;
                while (pos < plen && ((unsigned char)ps[pos] & 0xC0) == 0x80) pos++;
            }
        }
        if (start < plen && tok_pieces_push(out, in->p[k].off + start, plen - start)) return -1;
    }
    return 0;
}

/* JIT stack: 32 KiB first, grown up to this. Patterns with nested repeats (exaone-moe's
 * letter groups) backtrack over a whole piece, and a long word needs the room (a
 * 100,000-letter word overflows PCRE2's default 32 KiB). */
#define TOK_PRE_JIT_STACK_MAX (64u << 20)

int tok_pre_split(const tok_pre *p, const char *s, size_t len, tok_pieces *out, ef_error *err)
{
    tok_pieces a = {0}, b = {0};
    pcre2_match_data *md = NULL;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_jit_stack *js = pcre2_jit_stack_create(32u << 10, TOK_PRE_JIT_STACK_MAX, NULL);
    int rc = EF_OK;
    out->n = 0;
    if (!mc || !js) goto nomem;
    pcre2_jit_stack_assign(mc, NULL, js);
    if (tok_pieces_push(&a, 0, len)) goto nomem;
    for (int i = 0; i < p->n; i++) {
        md = pcre2_match_data_create_from_pattern(p->re[i], NULL);
        if (!md) goto nomem;
        int r = tok_pre_split_one(p->re[i], md, mc, s, &a, &b);
        pcre2_match_data_free(md);
        md = NULL;
        if (r == -1) goto nomem;
        if (r == -2) {
            rc = ef_fail(err, EF_ERROR,
                         "pre-tokenizer %s: pattern %d ran out of its %u MiB "
                         "match stack on a %zu-byte stretch of text (a word that long?)",
                         p->row->names[0], i + 1, TOK_PRE_JIT_STACK_MAX >> 20, len);
            goto cleanup;
        }
        tok_pieces t = a;
        a = b;
        b = t;
    }
    free(out->p);
    *out = a;
    a.p = NULL;
    goto cleanup;
nomem:
    rc = ef_fail(err, EF_NOMEM, "tokenizer: out of memory splitting %zu bytes", len);
cleanup:
    pcre2_jit_stack_free(js);
    pcre2_match_context_free(mc);
    free(a.p);
    free(b.p);
    return rc;
}
