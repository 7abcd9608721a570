/*
 * lrsweep/sha256.h — SHA-256 (FIPS 180-4), used by the store to fingerprint
 * the text of each sweep file it holds; computed by OpenSSL's libcrypto.
 *
 * Incremental: init, update with any number of byte ranges, final.  The
 * digest is 32 bytes; lrs_sha256_hex gives the usual 64 lower-case hex digits.
 */
#ifndef LRSWEEP_SHA256_H
#define LRSWEEP_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/status.h"

enum { LRS_SHA256_BYTES = 32, LRS_SHA256_HEX = 65 /* with the NUL */ };

typedef struct lrs_sha256 {
  void *md; /* OpenSSL EVP_MD_CTX (opaque here) */
  bool ok;  /* every call so far succeeded */
} lrs_sha256;

void lrs_sha256_init(lrs_sha256 *ctx);
void lrs_sha256_update(lrs_sha256 *ctx, const void *data, size_t len);
/* Writes the digest and releases ctx (init it again before reuse); false,
 * with a zero digest, when libcrypto failed (out of memory). */
bool lrs_sha256_final(lrs_sha256 *ctx, unsigned char digest[LRS_SHA256_BYTES]);
/* One-shot: the hex digest of data[0..len) into hex[LRS_SHA256_HEX];
 * LRS_ERR_NOMEM (hex "") when libcrypto failed. */
lrs_status lrs_sha256_hex(const void *data, size_t len, char hex[LRS_SHA256_HEX]);

#endif
