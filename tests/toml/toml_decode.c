/*
 * toml_decode — test-only decoder for the toml-test suite.
 *
 *   toml_decode FILE     (or "-" / no argument for standard input)
 *
 * Parses FILE with lrs_toml_parse_file and prints the toml-test JSON encoding
 * of the document on standard output: tables as objects, arrays as arrays,
 * scalars as {"type": T, "value": S}.  On invalid TOML it prints the error
 * message on standard error and exits with status 1.
 */
#include "lrsweep/toml.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void put_json_string(const char *s, size_t len) {
  putchar('"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': fputs("\\\"", stdout); break;
    case '\\': fputs("\\\\", stdout); break;
    case '\b': fputs("\\b", stdout); break;
    case '\f': fputs("\\f", stdout); break;
    case '\n': fputs("\\n", stdout); break;
    case '\r': fputs("\\r", stdout); break;
    case '\t': fputs("\\t", stdout); break;
    default:
      if (c < 0x20 || c == 0x7F)
        printf("\\u%04x", c);
      else
        putchar(c); /* UTF-8 passes through: JSON is UTF-8 */
    }
  }
  putchar('"');
}

static void put_scalar(const char *type, const char *value) {
  fputs("{\"type\": ", stdout);
  put_json_string(type, strlen(type));
  fputs(", \"value\": ", stdout);
  put_json_string(value, strlen(value));
  putchar('}');
}

/* RFC 3339 spelling built from the components (upper-case 'T', fraction
 * without trailing zeros, "Z" for a zero offset). */
static void format_datetime(const lrs_toml_node *node, char *out, size_t size) {
  lrs_toml_datetime dt;
  lrs_toml_as_datetime(node, &dt);
  lrs_toml_type type = lrs_toml_type_of(node);
  size_t n = 0;
  if (type != LRS_TOML_TIME_LOCAL)
    n += (size_t)snprintf(out + n, size - n, "%04d-%02d-%02d", dt.year,
                          dt.month, dt.day);
  if (type == LRS_TOML_DATE_LOCAL)
    return;
  if (type != LRS_TOML_TIME_LOCAL)
    out[n++] = 'T';
  n += (size_t)snprintf(out + n, size - n, "%02d:%02d:%02d", dt.hour,
                        dt.minute, dt.second);
  if (dt.nanosecond) {
    char frac[16];
    snprintf(frac, sizeof frac, "%09" PRId64, dt.nanosecond);
    size_t k = strlen(frac);
    while (k > 0 && frac[k - 1] == '0')
      frac[--k] = '\0';
    n += (size_t)snprintf(out + n, size - n, ".%s", frac);
  }
  if (type != LRS_TOML_DATETIME)
    return;
  if (dt.offset_minutes == 0) {
    snprintf(out + n, size - n, "Z");
  } else {
    int off = dt.offset_minutes < 0 ? -dt.offset_minutes : dt.offset_minutes;
    snprintf(out + n, size - n, "%c%02d:%02d",
             dt.offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  }
}

/* Depth is bounded by the parser's nesting limit. */
static void put_node(const lrs_toml_node *node) {
  char buf[64];
  lrs_toml_type type = lrs_toml_type_of(node);
  switch (type) {
  case LRS_TOML_TABLE:
    putchar('{');
    for (size_t i = 0; i < lrs_toml_count(node); i++) {
      size_t len;
      const char *key = lrs_toml_key_at(node, i, &len);
      if (i)
        fputs(", ", stdout);
      put_json_string(key, len);
      fputs(": ", stdout);
      put_node(lrs_toml_at(node, i));
    }
    putchar('}');
    return;
  case LRS_TOML_ARRAY:
    putchar('[');
    for (size_t i = 0; i < lrs_toml_count(node); i++) {
      if (i)
        fputs(", ", stdout);
      put_node(lrs_toml_at(node, i));
    }
    putchar(']');
    return;
  case LRS_TOML_STRING: {
    const char *s;
    size_t len;
    lrs_toml_as_string(node, &s, &len);
    fputs("{\"type\": \"string\", \"value\": ", stdout);
    put_json_string(s, len);
    putchar('}');
    return;
  }
  case LRS_TOML_INTEGER: {
    int64_t v;
    lrs_toml_as_int(node, &v);
    snprintf(buf, sizeof buf, "%" PRId64, v);
    break;
  }
  case LRS_TOML_FLOAT: {
    double v;
    lrs_toml_as_double(node, &v);
    if (isnan(v))
      snprintf(buf, sizeof buf, "nan");
    else if (isinf(v))
      snprintf(buf, sizeof buf, "%sinf", v < 0 ? "-" : "");
    else
      snprintf(buf, sizeof buf, "%.17g", v);
    break;
  }
  case LRS_TOML_BOOL: {
    bool v;
    lrs_toml_as_bool(node, &v);
    snprintf(buf, sizeof buf, "%s", v ? "true" : "false");
    break;
  }
  default:
    format_datetime(node, buf, sizeof buf);
    break;
  }
  put_scalar(lrs_toml_type_name(type), buf);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "-";
  if (strcmp(path, "-") == 0)
    path = "/dev/stdin";
  lrs_toml_doc *doc = NULL;
  if (lrs_toml_parse_file(path, &doc) != LRS_OK) {
    fprintf(stderr, "%s\n", lrs_error_message());
    return 1;
  }
  put_node(lrs_toml_root(doc));
  putchar('\n');
  lrs_toml_destroy(&doc);
  return 0;
}
