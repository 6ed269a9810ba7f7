/* model/unicode.c — UTF-8 validation/decoding and the GPT-2 byte map for the tokenizers
 * and texts.
 */
#include "model/unicode.h"

int unicode_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else goto bad;
        if (len - i <= (size_t)need) goto bad;
        for (int k = 1; k <= need; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
        i += (size_t)need + 1;
    }
    return 1;
bad:
    if (bad_offset) *bad_offset = i;
    return 0;
}

int unicode_utf8_lead_len(unsigned char c)
{
    static const int lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[c >> 4];
}

uint32_t unicode_utf8_decode(const char *s, size_t len, int *n)
{
    const unsigned char *p = (const unsigned char *)s;
    int k = unicode_utf8_lead_len(p[0]);
    if ((size_t)k > len) k = 1;
    uint32_t cp;
    switch (k) {
        case 2: cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F); break;
        case 3:
            cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            break;
        case 4:
            cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                 ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
            break;
        default:
            cp = p[0];
            k = 1;
            break;
    }
    *n = k;
    return cp;
}

int unicode_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Bytes that print as themselves keep their value; the other 68 get 256, 257, ... in
 * increasing byte order. */
static int unicode_byte_prints(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t unicode_byte_to_cp(unsigned char b)
{
    if (unicode_byte_prints(b)) return b;
    uint32_t next = 256;
    for (unsigned x = 0; x < b; x++)
        if (!unicode_byte_prints(x)) next++;
    return next;
}

int unicode_cp_to_byte(uint32_t cp)
{
    if (cp < 256) return unicode_byte_prints(cp) ? (int)cp : -1;
    uint32_t next = 256;
    for (unsigned x = 0; x < 256; x++) {
        if (unicode_byte_prints(x)) continue;
        if (next == cp) return (int)x;
        next++;
    }
    return -1;
}
