/* Unit tests of the TOML API: typed getters, positions, key order, error
 * messages, embedded NULs, limits and large documents.  (Conformance with
 * the TOML 1.0 spec is tested by run_toml_test.py on the toml-test suite.) */
#include "lrs_test.h"
#include "lrsweep/toml.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Parses a NUL-terminated string named "t.toml"; NULL on failure. */
static lrs_toml_doc *parse(const char *text) {
  lrs_toml_doc *doc = NULL;
  lrs_error_clear();
  if (lrs_toml_parse_string(text, strlen(text), "t.toml", &doc) != LRS_OK)
    return NULL;
  return doc;
}

/* True when `text` is rejected with LRS_ERR_PARSE and exactly `message`. */
static bool fails_with(const char *text, const char *message) {
  lrs_toml_doc *doc = NULL;
  lrs_status st = lrs_toml_parse_string(text, strlen(text), "t.toml", &doc);
  bool ok = st == LRS_ERR_PARSE && doc == NULL &&
            lrs_error_status() == LRS_ERR_PARSE &&
            strcmp(lrs_error_message(), message) == 0;
  if (!ok)
    printf("# got status %d, message \"%s\"\n", (int)st, lrs_error_message());
  lrs_toml_destroy(&doc);
  return ok;
}

static bool at(const lrs_toml_node *node, int line, int col) {
  return node && lrs_toml_line(node) == line && lrs_toml_column(node) == col;
}

static void test_typed_getters(void) {
  lrs_toml_doc *doc = parse("s = \"h\\u00e9llo\"\n"
                            "i = -0x1\n"
                            "h = 0xdead_BEEF\n"
                            "o = 0o755\n"
                            "b2 = 0b1010\n"
                            "big = 9_223_372_036_854_775_807\n"
                            "f = 2.385e-1\n"
                            "ninf = -inf\n"
                            "t = true\n"
                            "odt = 1979-05-27T00:32:00.123456789999-07:30\n"
                            "ldt = 1979-05-27 07:32:00\n"
                            "ld = 2000-02-29\n"
                            "lt = 23:59:60.5\n");
  LRS_CHECK(doc == NULL, "sign on hexadecimal integer is rejected: %s",
            lrs_error_message());
  doc = parse("s = \"h\\u00e9llo\"\n"
              "i = -17\n"
              "h = 0xdead_BEEF\n"
              "o = 0o755\n"
              "b2 = 0b1010\n"
              "big = 9_223_372_036_854_775_807\n"
              "f = 2.385e-1\n"
              "ninf = -inf\n"
              "t = true\n"
              "odt = 1979-05-27T00:32:00.123456789999-07:30\n"
              "ldt = 1979-05-27 07:32:00\n"
              "ld = 2000-02-29\n"
              "lt = 23:59:60.5\n");
  if (!LRS_CHECK(doc != NULL, "typed document parses: %s", lrs_error_message()))
    return;
  const lrs_toml_node *root = lrs_toml_root(doc);
  const char *s = NULL;
  size_t len = 0;
  int64_t i = 42;
  double f = 0;
  bool b = false;
  lrs_toml_datetime dt;

  LRS_CHECK(lrs_toml_as_string(lrs_toml_get(root, "s"), &s, &len) &&
                len == 6 && strcmp(s, "h\xC3\xA9llo") == 0,
            "string with \\u escape decodes to UTF-8");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get(root, "i"), &i) && i == -17,
            "negative decimal integer");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get(root, "h"), &i) && i == 0xDEADBEEF,
            "hexadecimal integer with '_' and mixed case");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get(root, "o"), &i) && i == 0755,
            "octal integer");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get(root, "b2"), &i) && i == 10,
            "binary integer");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get(root, "big"), &i) && i == INT64_MAX,
            "INT64_MAX");
  LRS_CHECK(lrs_toml_as_double(lrs_toml_get(root, "f"), &f) && f == 2.385e-1,
            "float with exponent");
  LRS_CHECK(lrs_toml_as_double(lrs_toml_get(root, "ninf"), &f) && isinf(f) &&
                f < 0,
            "-inf");
  LRS_CHECK(lrs_toml_as_bool(lrs_toml_get(root, "t"), &b) && b, "true");

  const lrs_toml_node *odt = lrs_toml_get(root, "odt");
  LRS_CHECK(lrs_toml_type_of(odt) == LRS_TOML_DATETIME &&
                lrs_toml_as_datetime(odt, &dt) && dt.year == 1979 &&
                dt.month == 5 && dt.day == 27 && dt.hour == 0 &&
                dt.minute == 32 && dt.second == 0 &&
                dt.nanosecond == 123456789 && dt.offset_minutes == -450,
            "offset date-time components (fraction truncated to ns)");
  const char *text = lrs_toml_datetime_text(odt, &len);
  LRS_CHECK(text && len == strlen(text) &&
                strcmp(text, "1979-05-27T00:32:00.123456789999-07:30") == 0,
            "date-time keeps its source text");
  const lrs_toml_node *ldt = lrs_toml_get(root, "ldt");
  LRS_CHECK(lrs_toml_type_of(ldt) == LRS_TOML_DATETIME_LOCAL &&
                lrs_toml_as_datetime(ldt, &dt) && dt.hour == 7 &&
                dt.offset_minutes == 0 &&
                strcmp(lrs_toml_datetime_text(ldt, NULL),
                       "1979-05-27 07:32:00") == 0,
            "local date-time with a space separator");
  LRS_CHECK(lrs_toml_type_of(lrs_toml_get(root, "ld")) == LRS_TOML_DATE_LOCAL &&
                lrs_toml_as_datetime(lrs_toml_get(root, "ld"), &dt) &&
                dt.year == 2000 && dt.month == 2 && dt.day == 29 &&
                dt.hour == 0,
            "local date on a leap day");
  LRS_CHECK(lrs_toml_type_of(lrs_toml_get(root, "lt")) == LRS_TOML_TIME_LOCAL &&
                lrs_toml_as_datetime(lrs_toml_get(root, "lt"), &dt) &&
                dt.year == 0 && dt.second == 60 && dt.nanosecond == 500000000,
            "local time with a leap second and a fraction");

  /* Wrong types: false, and *out untouched. */
  i = 42;
  LRS_CHECK(!lrs_toml_as_int(lrs_toml_get(root, "f"), &i) && i == 42,
            "as_int on a float is false and leaves *out");
  f = 2.5;
  LRS_CHECK(!lrs_toml_as_double(lrs_toml_get(root, "i"), &f) && f == 2.5,
            "as_double on an integer is false (floats only)");
  LRS_CHECK(!lrs_toml_as_bool(lrs_toml_get(root, "s"), &b) &&
                !lrs_toml_as_string(lrs_toml_get(root, "t"), &s, &len) &&
                !lrs_toml_as_datetime(lrs_toml_get(root, "s"), &dt) &&
                lrs_toml_datetime_text(lrs_toml_get(root, "s"), NULL) == NULL,
            "other getters refuse other types");
  LRS_CHECK(!lrs_toml_as_int(NULL, &i) && lrs_toml_get(root, "nope") == NULL &&
                lrs_toml_get(lrs_toml_get(root, "i"), "x") == NULL &&
                lrs_toml_count(lrs_toml_get(root, "i")) == 0 &&
                lrs_toml_at(lrs_toml_get(root, "i"), 0) == NULL &&
                lrs_toml_key_at(root, 99, NULL) == NULL,
            "absent keys, scalars as containers, out-of-range indices");
  LRS_CHECK(strcmp(lrs_toml_type_name(LRS_TOML_DATETIME_LOCAL),
                   "datetime-local") == 0 &&
                strcmp(lrs_toml_type_name(LRS_TOML_TIME_LOCAL), "time-local") == 0 &&
                strcmp(lrs_toml_type_name(LRS_TOML_BOOL), "bool") == 0,
            "type names use the toml-test spelling");
  LRS_CHECK(strcmp(lrs_toml_source_name(doc), "t.toml") == 0,
            "source name is kept");
  lrs_toml_destroy(&doc);
  LRS_CHECK(doc == NULL, "destroy clears the pointer");
  lrs_toml_destroy(&doc);
  lrs_toml_destroy(NULL);
  LRS_CHECK(true, "destroy is NULL-safe");
}

static void test_positions(void) {
  lrs_toml_doc *doc = parse("# comment\n"
                            "a = 1\n"
                            "  [srv]   # x\n"
                            "\tname = \"é\" \n"
                            "x.y.z = [ 1,\n"
                            "   {k = 2} ]\n"
                            "\n"
                            "[[runs]]\n"
                            "[[runs]]\n"
                            "w = \"ñandú\"; \n");
  LRS_CHECK(doc == NULL, "stray ';' after a value is rejected");
  LRS_CHECK(strcmp(lrs_error_message(),
                   "t.toml:10:12: expected the end of the line after a value") == 0,
            "columns count characters, not bytes: %s", lrs_error_message());
  doc = parse("# comment\n"
              "a = 1\n"
              "  [srv]   # x\n"
              "\tname = \"é\"; u = 1\n");
  LRS_CHECK(doc == NULL && strncmp(lrs_error_message(), "t.toml:4:12:", 12) == 0,
            "tab is one column, é is one column: %s", lrs_error_message());

  doc = parse("# comment\r\n"
              "a = 1\r\n"
              "  [srv]   # x\r\n"
              "\tname = \"é\"\r\n"
              "x.y.z = [ 1,\r\n"
              "   {k = 2} ]\r\n"
              "\r\n"
              "[[runs]]\r\n"
              "[[runs]]\r\n"
              "  w = 'ñandú'\r\n");
  if (!LRS_CHECK(doc != NULL, "CRLF document parses: %s", lrs_error_message()))
    return;
  const lrs_toml_node *root = lrs_toml_root(doc);
  const lrs_toml_node *srv = lrs_toml_get(root, "srv");
  LRS_CHECK(at(root, 1, 1), "root at 1:1");
  LRS_CHECK(at(lrs_toml_get(root, "a"), 2, 5), "scalar at its value");
  LRS_CHECK(at(srv, 3, 3), "table at its header");
  LRS_CHECK(at(lrs_toml_get(srv, "name"), 4, 9), "string after a tab");
  const lrs_toml_node *x = lrs_toml_get(srv, "x");
  const lrs_toml_node *y = lrs_toml_get(x, "y");
  LRS_CHECK(at(x, 5, 1) && at(y, 5, 3), "dotted-key tables at their key part");
  const lrs_toml_node *arr = lrs_toml_get(y, "z");
  LRS_CHECK(at(arr, 5, 9) && at(lrs_toml_at(arr, 0), 5, 11) &&
                at(lrs_toml_at(arr, 1), 6, 4) &&
                at(lrs_toml_get(lrs_toml_at(arr, 1), "k"), 6, 9),
            "array, its items and an inline table across lines");
  const lrs_toml_node *runs = lrs_toml_get(root, "runs");
  LRS_CHECK(lrs_toml_type_of(runs) == LRS_TOML_ARRAY && lrs_toml_count(runs) == 2 &&
                at(runs, 8, 1) && at(lrs_toml_at(runs, 0), 8, 1) &&
                at(lrs_toml_at(runs, 1), 9, 1),
            "array of tables and its tables at their [[headers]]");
  LRS_CHECK(at(lrs_toml_get(lrs_toml_at(runs, 1), "w"), 10, 7),
            "value after two spaces on a CRLF line");
  lrs_toml_destroy(&doc);

  doc = parse("[a.b.c]\nv = 1\n[a]\nw = 2\n");
  LRS_CHECK(doc && at(lrs_toml_get(lrs_toml_root(doc), "a"), 3, 1),
            "implicit table takes the position of its later [header]");
  lrs_toml_destroy(&doc);

  doc = parse("\xEF\xBB\xBF" "a = 1\n");
  LRS_CHECK(doc && at(lrs_toml_get(lrs_toml_root(doc), "a"), 1, 5),
            "a byte order mark is skipped and not counted");
  lrs_toml_destroy(&doc);
}

static void test_key_order(void) {
  lrs_toml_doc *doc = parse("zeta = 1\nalpha = 2\n\"mu\" = 3\n[beta]\n[aa]\n");
  const char *expect[] = {"zeta", "alpha", "mu", "beta", "aa"};
  bool ok = doc && lrs_toml_count(lrs_toml_root(doc)) == 5;
  for (size_t i = 0; ok && i < 5; i++)
    ok = strcmp(lrs_toml_key_at(lrs_toml_root(doc), i, NULL), expect[i]) == 0;
  LRS_CHECK(ok, "keys keep document order");
  lrs_toml_destroy(&doc);

  /* Enough keys to use the hash index; written in descending order. */
  enum { N = 2000 };
  char *text = malloc((size_t)N * 32);
  size_t n = 0;
  for (int k = N - 1; k >= 0; k--)
    n += (size_t)sprintf(text + n, "key%04d = %d\n", k, k);
  doc = parse(text);
  ok = doc && lrs_toml_count(lrs_toml_root(doc)) == N;
  for (int k = 0; ok && k < N; k++) {
    char key[16];
    int64_t v = -1;
    snprintf(key, sizeof key, "key%04d", N - 1 - k);
    ok = strcmp(lrs_toml_key_at(lrs_toml_root(doc), (size_t)k, NULL), key) == 0 &&
         lrs_toml_at(lrs_toml_root(doc), (size_t)k) ==
             lrs_toml_get(lrs_toml_root(doc), key) &&
         lrs_toml_as_int(lrs_toml_get(lrs_toml_root(doc), key), &v) &&
         v == N - 1 - k;
  }
  LRS_CHECK(ok, "%d keys: order kept, every key found by name", N);
  lrs_toml_destroy(&doc);
  /* A duplicate deep in a large table is still caught. */
  n += (size_t)sprintf(text + n, "key0007 = 1\n");
  doc = parse(text);
  char want[128];
  snprintf(want, sizeof want, "t.toml:%d:1: duplicate key \"key0007\" "
                              "(first defined at %d:1)", N + 1, N - 7);
  LRS_CHECK(!doc && strcmp(lrs_error_message(), want) == 0,
            "duplicate found through the hash index: %s", lrs_error_message());
  free(text);
}

static void test_errors(void) {
  /* An inline table wrapped after a comma gets the reason, as one wrapped
   * after a value does (the message said only "expected a key"). */
  LRS_CHECK(fails_with("w = { lin = [1, 2],\n num = 2 }\n",
                       "t.toml:1:20: expected a key after ',' before the end of the line: "
                       "an inline table (opened at 1:5) must stay on one line"),
            "inline table wrapped after a comma: %s", lrs_error_message());
  LRS_CHECK(fails_with("w = { lin = [1, 2]\n, num = 2 }\n",
                       "t.toml:1:19: expected ',' or '}' before the end of the line: an "
                       "inline table (opened at 1:5) must stay on one line"),
            "inline table wrapped after a value: %s", lrs_error_message());
  LRS_CHECK(fails_with("a = 1\nb = 2\na = 3\n",
                       "t.toml:3:1: duplicate key \"a\" (first defined at 1:1)"),
            "duplicate key message");
  LRS_CHECK(fails_with("[sweep]\nwidth 4\n",
                       "t.toml:2:7: expected '=' after key \"width\""),
            "missing '=' message");
  LRS_CHECK(fails_with("[a]\nx = 1\n\n[a]\n",
                       "t.toml:4:1: duplicate table [a] (first defined at 1:1)"),
            "duplicate table message");
  LRS_CHECK(fails_with("[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
                       "t.toml:3:1: table [fruit.apple] was already defined "
                       "by a dotted key at 2:1"),
            "header after dotted key message");
  LRS_CHECK(fails_with("a = {b = 1}\n[a.c]\n",
                       "t.toml:2:2: inline table \"a\" (defined at 1:1) "
                       "cannot be extended"),
            "inline tables are closed");
  LRS_CHECK(fails_with("a = [1]\n[[a]]\n",
                       "t.toml:2:1: cannot append to static array [[a]] "
                       "(defined at 1:1)"),
            "[[a]] cannot extend a static array");
  LRS_CHECK(fails_with("a = 1\na.b = 2\n",
                       "t.toml:2:1: \"a\" is already an integer (defined at "
                       "1:1), not a table"),
            "dotted key through a scalar");
  LRS_CHECK(fails_with("x = 2024-02-30\n",
                       "t.toml:1:13: day 30 out of range [1, 29] in "
                       "'2024-02-30'"),
            "day out of range in a leap year");
  LRS_CHECK(fails_with("x = 1__0\n",
                       "t.toml:1:6: '_' in a number must stand between two "
                       "digits"),
            "underscore rule");
  LRS_CHECK(fails_with("x = 9223372036854775808\n",
                       "t.toml:1:5: integer '9223372036854775808' does not "
                       "fit in 64 bits"),
            "integer overflow");
  LRS_CHECK(fails_with("s = \"\\uD800\"\n",
                       "t.toml:1:6: escape \\uD800 is not a Unicode scalar "
                       "value"),
            "surrogate escape");
  LRS_CHECK(fails_with("s = \"abc\n",
                       "t.toml:1:5: unterminated string: expected a closing "
                       "\" on the same line"),
            "unterminated string");
  LRS_CHECK(fails_with("t = {a = 1,\n b = 2}\n",
                       "t.toml:1:12: expected a key after ',' before the end of the line: "
                       "an inline table (opened at 1:5) must stay on one line"),
            "newline inside an inline table");
  LRS_CHECK(fails_with("a = [1 2]\n",
                       "t.toml:1:8: expected ',' or ']' after an array item "
                       "(array opened at 1:5)"),
            "missing comma in array");
  LRS_CHECK(fails_with("ok = 1\n# caf\xC3\n",
                       "t.toml:2:6: invalid UTF-8 (byte 0xC3)"),
            "truncated UTF-8 sequence");
  LRS_CHECK(fails_with("s = \"\xC0\xAF\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xC0)"),
            "overlong UTF-8");
  LRS_CHECK(fails_with("s = \"\xED\xA0\x80\"\n",
                       "t.toml:1:6: invalid UTF-8 (byte 0xED)"),
            "UTF-8 encoded surrogate");
  LRS_CHECK(fails_with("a = 1\rb = 2\n",
                       "t.toml:1:6: carriage return not followed by a line "
                       "feed"),
            "lone CR");
  LRS_CHECK(fails_with("# bell \x07\n",
                       "t.toml:1:8: control character U+0007 is not allowed "
                       "in a comment"),
            "control character in a comment");
  LRS_CHECK(fails_with("a = \"\"\"x\"\"\"\"\"\"\n",
                       "t.toml:1:12: three \" in a row are not allowed inside "
                       "a multi-line string"),
            "too many quotes closing a multi-line string");

  /* The nesting limit, for arrays and for dotted keys. */
  enum { DEEP = 100000 };
  char *text = malloc(2 * DEEP + 16);
  memcpy(text, "a = ", 4);
  memset(text + 4, '[', DEEP);
  memset(text + 4 + DEEP, ']', DEEP);
  text[4 + 2 * DEEP] = '\0';
  LRS_CHECK(fails_with(text, "t.toml:1:517: nesting deeper than 512 levels"),
            "deeply nested arrays stop at the limit");
  size_t n = 0;
  for (int k = 0; k < 1000; k++)
    n += (size_t)sprintf(text + n, "k.");
  sprintf(text + n, "v = 1\n");
  LRS_CHECK(fails_with(text, "t.toml:1:1025: nesting deeper than 512 levels"),
            "a 1000-part dotted key stops at the limit");
  free(text);

  static char sentinel;
  lrs_toml_doc *doc = (lrs_toml_doc *)(void *)&sentinel; /* reset to NULL */
  lrs_status st = lrs_toml_parse_file("/nonexistent/dir/sweep.toml", &doc);
  LRS_CHECK(st == LRS_ERR_IO && doc == NULL &&
                strcmp(lrs_error_message(),
                       "/nonexistent/dir/sweep.toml: No such file or "
                       "directory") == 0,
            "unreadable file: LRS_ERR_IO with path and strerror: %s",
            lrs_error_message());
}

static void test_embedded_nul(void) {
  lrs_toml_doc *doc = parse("s = \"a\\u0000b\"\n"
                            "\"k\\u0000\" = 1\n"
                            "\"k\" = 2\n"
                            "m = \"\"\"\\U00000000\"\"\"\n");
  if (!LRS_CHECK(doc != NULL, "NUL escapes parse: %s", lrs_error_message()))
    return;
  const lrs_toml_node *root = lrs_toml_root(doc);
  const char *s;
  size_t len;
  LRS_CHECK(lrs_toml_as_string(lrs_toml_get(root, "s"), &s, &len) && len == 3 &&
                memcmp(s, "a\0b", 4) == 0,
            "string with U+0000 keeps its length and a final NUL");
  LRS_CHECK(lrs_toml_as_string(lrs_toml_get(root, "m"), &s, &len) && len == 1 &&
                s[0] == '\0',
            "multi-line string holding only U+0000");
  const char *key = lrs_toml_key_at(root, 1, &len);
  int64_t v = 0;
  LRS_CHECK(key && len == 2 && memcmp(key, "k\0", 3) == 0,
            "key with U+0000 keeps its length");
  LRS_CHECK(lrs_toml_as_int(lrs_toml_get_len(root, "k\0", 2), &v) && v == 1 &&
                lrs_toml_as_int(lrs_toml_get(root, "k"), &v) && v == 2,
            "\"k\\0\" and \"k\" are different keys");
  lrs_toml_destroy(&doc);
}

static void test_large_document(void) {
  /* 20000 tables with arrays, strings and an array of tables. */
  enum { N = 20000 };
  size_t cap = (size_t)N * 160, n = 0;
  char *text = malloc(cap);
  for (int k = 0; k < N; k++)
    n += (size_t)snprintf(text + n, cap - n,
                          "[point%d]\nindex = %d\nlr = %d.5\n"
                          "tag = \"p%d\"\nv = [%d, %d, %d]\n"
                          "[[runs]]\nseed = %d\n",
                          k, k, k % 10, k, k, k + 1, k + 2, k);
  lrs_toml_doc *doc = NULL;
  lrs_status st = lrs_toml_parse_string(text, n, "big.toml", &doc);
  bool ok = st == LRS_OK && lrs_toml_count(lrs_toml_root(doc)) == N + 1;
  const lrs_toml_node *runs = ok ? lrs_toml_get(lrs_toml_root(doc), "runs") : NULL;
  ok = ok && lrs_toml_count(runs) == N;
  for (int k = 0; ok && k < N; k += 997) {
    char name[32];
    int64_t v;
    double f;
    snprintf(name, sizeof name, "point%d", k);
    const lrs_toml_node *t = lrs_toml_get(lrs_toml_root(doc), name);
    ok = lrs_toml_as_int(lrs_toml_get(t, "index"), &v) && v == k &&
         lrs_toml_as_double(lrs_toml_get(t, "lr"), &f) &&
         f == k % 10 + 0.5 &&
         lrs_toml_as_int(lrs_toml_at(lrs_toml_get(t, "v"), 2), &v) && v == k + 2 &&
         lrs_toml_as_int(lrs_toml_get(lrs_toml_at(runs, (size_t)k), "seed"), &v) &&
         v == k && lrs_toml_line(t) == 7 * k + 1;
  }
  LRS_CHECK(ok, "large document (%zu bytes, %d tables) parses and reads back: %s",
            n, N, st == LRS_OK ? "" : lrs_error_message());
  lrs_toml_destroy(&doc);
  free(text);
}

static void test_locale_independence(void) {
  /* Floats must not depend on LC_NUMERIC; only testable where a locale with
   * a decimal comma is installed. */
  const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!setlocale(LC_NUMERIC, names[i]))
      continue;
    lrs_toml_doc *doc = parse("x = 2.385\n");
    double f = 0;
    LRS_CHECK(doc && lrs_toml_as_double(lrs_toml_get(lrs_toml_root(doc), "x"), &f) &&
                  f == 2.385,
              "float parses under LC_NUMERIC=%s", names[i]);
    lrs_toml_destroy(&doc);
    setlocale(LC_NUMERIC, "C");
    return;
  }
  printf("# no decimal-comma locale installed: locale check not run\n");
}

int main(void) {
  test_typed_getters();
  test_positions();
  test_key_order();
  test_errors();
  test_embedded_nul();
  test_large_document();
  test_locale_independence();
  return lrs_test_done();
}
