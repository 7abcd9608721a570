/* SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf",
 * "SHA2_Additional.pdf") and incremental use (lrsweep/sha256.h). */
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/sha256.h"

static bool hex_is(const void *data, size_t len, const char *want) {
  char hex[LRS_SHA256_HEX];
  lrs_sha256_hex(data, len, hex);
  return strcmp(hex, want) == 0;
}

int main(void) {
  LRS_CHECK(hex_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            "one-block message \"abc\"");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  LRS_CHECK(hex_is(two, strlen(two),
                   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            "two-block message (448 bits)");
  LRS_CHECK(hex_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "empty message");
  /* One million 'a' (SHA2_Additional.pdf #9). */
  size_t n = 1000000;
  char *a = malloc(n);
  memset(a, 'a', n);
  LRS_CHECK(hex_is(a, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
            "10^6 × 'a'");
  /* The same million fed in uneven pieces (crossing block edges). */
  lrs_sha256 ctx;
  unsigned char d1[LRS_SHA256_BYTES], d2[LRS_SHA256_BYTES];
  lrs_sha256_init(&ctx);
  for (size_t off = 0, step = 1; off < n; off += step, step = step % 131 + 7)
    lrs_sha256_update(&ctx, a + off, off + step <= n ? step : n - off);
  lrs_sha256_final(&ctx, d1);
  lrs_sha256_init(&ctx);
  lrs_sha256_update(&ctx, a, n);
  lrs_sha256_final(&ctx, d2);
  LRS_CHECK(memcmp(d1, d2, sizeof d1) == 0, "incremental updates give the one-shot digest");
  /* SHA2_Additional.pdf #3: 55 bytes of 0x00 → padding fits in one block;
   * #4: 56 bytes → padding needs a second block. */
  memset(a, 0, 64);
  LRS_CHECK(hex_is(a, 55, "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
            "55 zero bytes (padding fits the last block)");
  LRS_CHECK(hex_is(a, 56, "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
            "56 zero bytes (padding needs an extra block)");
  free(a);
  return lrs_test_done();
}
