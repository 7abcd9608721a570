/*
 * lrsweep/sha256.h — SHA-256 (FIPS 180-4), used by the store to fingerprint
 * the text of each sweep file it holds.
 *
 * Incremental: init, update with any number of byte ranges, final.  The
 * digest is 32 bytes; lrs_sha256_hex gives the usual 64 lower-case hex digits.
 */
#ifndef LRSWEEP_SHA256_H
#define LRSWEEP_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum { LRS_SHA256_BYTES = 32, LRS_SHA256_HEX = 65 /* with the NUL */ };

typedef struct lrs_sha256 {
  uint32_t h[8];         /* chaining state */
  uint64_t length;       /* bytes hashed so far */
  unsigned char block[64];
  size_t used;           /* bytes waiting in `block` */
} lrs_sha256;

void lrs_sha256_init(lrs_sha256 *ctx);
void lrs_sha256_update(lrs_sha256 *ctx, const void *data, size_t len);
/* Writes the digest; ctx must be initialized again before reuse. */
void lrs_sha256_final(lrs_sha256 *ctx, unsigned char digest[LRS_SHA256_BYTES]);
/* One-shot: the hex digest of data[0..len) into hex[LRS_SHA256_HEX]. */
void lrs_sha256_hex(const void *data, size_t len, char hex[LRS_SHA256_HEX]);

#endif
