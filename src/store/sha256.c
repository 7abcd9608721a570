/* SHA-256 of sweep texts through OpenSSL's libcrypto (EVP; lrsweep/sha256.h):
 * the same digests as FIPS 180-4, checked against its example vectors by
 * tests/store/test_sha256.c. */
#include "lrsweep/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void lrs_sha256_init(lrs_sha256 *ctx) {
  ctx->md = EVP_MD_CTX_new();
  ctx->ok = ctx->md && EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) == 1;
}

void lrs_sha256_update(lrs_sha256 *ctx, const void *data, size_t len) {
  ctx->ok = ctx->ok && EVP_DigestUpdate(ctx->md, data, len) == 1;
}

bool lrs_sha256_final(lrs_sha256 *ctx, unsigned char digest[LRS_SHA256_BYTES]) {
  unsigned int n = 0;
  bool ok = ctx->ok && EVP_DigestFinal_ex(ctx->md, digest, &n) == 1 && n == LRS_SHA256_BYTES;
  if (!ok)
    memset(digest, 0, LRS_SHA256_BYTES);
  EVP_MD_CTX_free(ctx->md);
  ctx->md = NULL;
  ctx->ok = false;
  return ok;
}

lrs_status lrs_sha256_hex(const void *data, size_t len, char hex[LRS_SHA256_HEX]) {
  lrs_sha256 ctx;
  unsigned char d[LRS_SHA256_BYTES];
  lrs_sha256_init(&ctx);
  lrs_sha256_update(&ctx, data, len);
  bool ok = lrs_sha256_final(&ctx, d);
  for (int i = 0; i < LRS_SHA256_BYTES; i++)
    snprintf(hex + 2 * i, 3, "%02x", d[i]);
  if (!ok) {
    hex[0] = '\0';
    return LRS_RAISE(LRS_ERR_NOMEM, "SHA-256 of %zu bytes failed in libcrypto", len);
  }
  return LRS_OK;
}
