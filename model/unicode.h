/* model/unicode.h — the small amount of Unicode the tokenizers need beyond PCRE2: strict
 * UTF-8 validation and decoding, and GPT-2's byte <-> code point map. Used by
 * model/tokenizer_*.c and model/texts.c. (Character classes are PCRE2's.)
 */
#ifndef EF_MODEL_UNICODE_H
#define EF_MODEL_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8 check (no overlongs, surrogates or code points past U+10FFFF).
 * Returns 1 if s[0..len) is valid; else 0 with *bad_offset = first offending byte. */
int unicode_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Decodes the code point at s[0..len) (len >= 1) of VALID UTF-8; *n = bytes used. */
uint32_t unicode_utf8_decode(const char *s, size_t len, int *n);

/* Byte length of a UTF-8 sequence from its lead byte, SentencePiece style: 1 for ASCII
 * and for anything that is not a valid lead byte. */
int unicode_utf8_lead_len(unsigned char c);

/* Encodes cp as UTF-8 into out (>= 4 bytes); returns the byte count. */
int unicode_utf8_encode(uint32_t cp, char *out);

/* GPT-2 byte-level map: the code point standing for byte b, and back (-1 if cp stands
 * for no byte). */
uint32_t unicode_byte_to_cp(unsigned char b);
int unicode_cp_to_byte(uint32_t cp);

#endif
