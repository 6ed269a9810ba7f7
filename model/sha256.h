/* model/sha256.h — SHA-256 (FIPS 180-4), incremental and one-shot, hex output.
 * Used for cache keys: gguf_file_hash (model files) and text hashes in the capture cache.
 * No I/O; callers feed bytes.
 */
#ifndef EF_MODEL_SHA256_H
#define EF_MODEL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t total;   /* bytes fed so far */
    uint8_t buf[64];
    size_t used;      /* bytes waiting in buf */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void sha256_final(sha256_ctx *c, uint8_t digest[32]);
/* One shot: 64 lowercase hex characters and a NUL into hex. */
void sha256_hex(const void *data, size_t len, char hex[65]);
/* Tests only: 1 = use the portable code even where SHA-NI exists (process-wide). */
void sha256_force_portable(int on);
/* digest -> 64 lowercase hex characters and a NUL. */
void sha256_digest_hex(const uint8_t digest[32], char hex[65]);

#endif
