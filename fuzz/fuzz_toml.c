/*
 * fuzz_toml — libFuzzer target for the TOML parser.
 *
 * Parses the input with lrs_toml_parse_string and, when it is accepted, walks
 * the whole tree through the public getters so that every stored node, key
 * and string is read (the sanitizers then check every byte of it).
 */
#include "lrsweep/toml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Recursion is bounded by the parser's nesting limit. */
static size_t walk(const lrs_toml_node *node) {
  size_t sum = (size_t)lrs_toml_line(node) + (size_t)lrs_toml_column(node);
  if (lrs_toml_line(node) < 1 || lrs_toml_column(node) < 1)
    abort();
  const char *s;
  size_t len;
  int64_t i;
  double d;
  bool b;
  lrs_toml_datetime dt;
  switch (lrs_toml_type_of(node)) {
  case LRS_TOML_TABLE:
    for (size_t k = 0; k < lrs_toml_count(node); k++) {
      const char *key = lrs_toml_key_at(node, k, &len);
      const lrs_toml_node *value = lrs_toml_at(node, k);
      /* Lookup by key must find the same node. */
      if (lrs_toml_get_len(node, key, len) != value || key[len] != '\0')
        abort();
      if (strlen(key) == len && lrs_toml_get(node, key) != value)
        abort();
      sum += walk(value);
    }
    break;
  case LRS_TOML_ARRAY:
    for (size_t k = 0; k < lrs_toml_count(node); k++)
      sum += walk(lrs_toml_at(node, k));
    if (lrs_toml_at(node, lrs_toml_count(node)) != NULL)
      abort();
    break;
  case LRS_TOML_STRING:
    if (!lrs_toml_as_string(node, &s, &len) || s[len] != '\0')
      abort();
    for (size_t k = 0; k < len; k++)
      sum += (unsigned char)s[k];
    break;
  case LRS_TOML_INTEGER:
    if (!lrs_toml_as_int(node, &i))
      abort();
    sum += (size_t)i;
    break;
  case LRS_TOML_FLOAT:
    if (!lrs_toml_as_double(node, &d))
      abort();
    sum += d > 0;
    break;
  case LRS_TOML_BOOL:
    if (!lrs_toml_as_bool(node, &b))
      abort();
    sum += b;
    break;
  default:
    if (!lrs_toml_as_datetime(node, &dt) || !lrs_toml_datetime_text(node, &len))
      abort();
    sum += (size_t)dt.nanosecond + len;
    break;
  }
  return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lrs_toml_doc *doc = NULL;
  if (lrs_toml_parse_string((const char *)data, size, "fuzz", &doc) == LRS_OK) {
    volatile size_t sink = walk(lrs_toml_root(doc));
    (void)sink;
    lrs_toml_destroy(&doc);
  } else if (doc != NULL || (lrs_error_status() == LRS_ERR_PARSE &&
                              strncmp(lrs_error_message(), "fuzz:", 5) != 0)) {
    /* A failure leaves no document, and a syntax error names the input. */
    abort();
  }
  return 0;
}
