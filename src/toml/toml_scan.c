/* The lexical level of TOML: the cursor (line and column bookkeeping), UTF-8
 * validation, whitespace and comments, keys, the four string kinds, numbers,
 * booleans and dates/times. */
#include "toml/toml_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------ */

lrs_status lrs__toml_fail(const lrs__toml_parser *p, int line, int col,
                          const char *file, int src_line, const char *func,
                          const char *fmt, ...) {
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return lrs__error_raise(LRS_ERR_PARSE, file, src_line, func, "%s:%d:%d: %s",
                          p->name, line, col, what);
}

const char *lrs__toml_quote_key(const char *key, size_t len, char *out,
                                size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  /* Room kept for an escape (6), "..." (3), the quote and NUL. */
  const size_t limit = size > 12 ? size - 12 : 0;
  out[o++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)key[i];
    /* Cut only before a character's first byte, never inside one. */
    if (o >= limit && (c & 0xC0) != 0x80) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7F) {
      memcpy(out + o, "\\u00", 4);
      out[o + 4] = hex[c >> 4];
      out[o + 5] = hex[c & 15];
      o += 6;
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

/* ---- scratch buffers --------------------------------------------------- */

lrs_status lrs__toml_buf_reserve(lrs__toml_buf *buf, size_t extra) {
  if (extra <= buf->cap - buf->len)
    return LRS_OK;
  size_t cap = buf->cap ? buf->cap : 64;
  while (cap - buf->len < extra) {
    if (cap > SIZE_MAX / 2)
      return LRS_RAISE(LRS_ERR_NOMEM, "TOML scratch buffer too large");
    cap *= 2;
  }
  char *data = realloc(buf->data, cap);
  if (!data)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory decoding a TOML string");
  buf->data = data;
  buf->cap = cap;
  return LRS_OK;
}

lrs_status lrs__toml_buf_append(lrs__toml_buf *buf, const char *bytes,
                                size_t n) {
  LRS_TRY(lrs__toml_buf_reserve(buf, n));
  if (n)
    memcpy(buf->data + buf->len, bytes, n);
  buf->len += n;
  return LRS_OK;
}

void lrs__toml_buf_free(lrs__toml_buf *buf) {
  free(buf->data);
  *buf = (lrs__toml_buf){0};
}

static lrs_status buf_putc(lrs__toml_buf *buf, char c) {
  return lrs__toml_buf_append(buf, &c, 1);
}

/* ---- the cursor -------------------------------------------------------- */

int lrs__toml_peek(const lrs__toml_parser *p) {
  return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}

int lrs__toml_peek_at(const lrs__toml_parser *p, size_t ahead) {
  return ahead < p->len - p->pos ? (unsigned char)p->src[p->pos + ahead] : -1;
}

/* Columns count characters, so only a character's first byte moves it. */
void lrs__toml_advance(lrs__toml_parser *p) {
  if (((unsigned char)p->src[p->pos] & 0xC0) != 0x80)
    p->col++;
  p->pos++;
}

static void advance_by(lrs__toml_parser *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    lrs__toml_advance(p);
}

void lrs__toml_skip_ws(lrs__toml_parser *p) {
  for (int c = lrs__toml_peek(p); c == ' ' || c == '\t'; c = lrs__toml_peek(p))
    lrs__toml_advance(p);
}

bool lrs__toml_at_newline(const lrs__toml_parser *p) {
  int c = lrs__toml_peek(p);
  return c == '\n' || (c == '\r' && lrs__toml_peek_at(p, 1) == '\n');
}

void lrs__toml_take_newline(lrs__toml_parser *p) {
  p->pos += lrs__toml_peek(p) == '\r' ? 2 : 1;
  p->line++;
  p->col = 1;
}

/* Control characters other than tab; a CR is one unless it starts CRLF. */
static bool is_control(int c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F; }

static lrs_status control_error(const lrs__toml_parser *p, const char *where) {
  int c = lrs__toml_peek(p);
  if (c == '\r')
    return LRS__TOML_FAIL_HERE(p, "carriage return not followed by a line "
                                  "feed %s", where);
  return LRS__TOML_FAIL_HERE(p, "control character U+%04X is not allowed %s",
                             (unsigned)c, where);
}

lrs_status lrs__toml_skip_comment(lrs__toml_parser *p) {
  if (lrs__toml_peek(p) != '#')
    return LRS_OK;
  lrs__toml_advance(p);
  for (int c = lrs__toml_peek(p); c != -1 && c != '\n'; c = lrs__toml_peek(p)) {
    if (lrs__toml_at_newline(p))
      break;
    if (is_control(c))
      return control_error(p, "in a comment");
    lrs__toml_advance(p);
  }
  return LRS_OK;
}

lrs_status lrs__toml_skip_blank(lrs__toml_parser *p) {
  for (;;) {
    lrs__toml_skip_ws(p);
    if (lrs__toml_peek(p) == '#')
      LRS_TRY(lrs__toml_skip_comment(p));
    if (!lrs__toml_at_newline(p))
      return LRS_OK;
    lrs__toml_take_newline(p);
  }
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 if there is
 * none (bad lead byte, truncated, overlong, surrogate, above U+10FFFF). */
static size_t utf8_length(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* U+D800..U+DFFF */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

lrs_status lrs__toml_check_utf8(const lrs__toml_parser *p) {
  const unsigned char *s = (const unsigned char *)p->src;
  size_t i = p->pos;
  while (i < p->len) {
    size_t n = utf8_length(s + i, p->len - i);
    if (n == 0)
      break;
    i += n;
  }
  if (i == p->len)
    return LRS_OK;
  /* Rare path: find the line and column of the bad byte. */
  int line = 1, col = 1;
  for (size_t j = p->pos; j < i; j++) {
    if (s[j] == '\n') {
      line++;
      col = 1;
    } else if ((s[j] & 0xC0) != 0x80) {
      col++;
    }
  }
  return LRS__TOML_FAIL(p, line, col, "invalid UTF-8 (byte 0x%02X)", s[i]);
}

static size_t utf8_encode(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---- strings ----------------------------------------------------------- */

static int hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* \uXXXX or \UXXXXXXXX; the cursor is on the 'u' or 'U'. */
static lrs_status scan_unicode_escape(lrs__toml_parser *p, int line, int col,
                                      lrs__toml_buf *out) {
  int ndigits = lrs__toml_peek(p) == 'u' ? 4 : 8;
  lrs__toml_advance(p);
  uint32_t cp = 0;
  for (int i = 0; i < ndigits; i++) {
    int d = hex_value(lrs__toml_peek(p));
    if (d < 0)
      return LRS__TOML_FAIL_HERE(p, "expected %d hexadecimal digits in "
                                    "unicode escape", ndigits);
    cp = cp * 16 + (uint32_t)d;
    lrs__toml_advance(p);
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return LRS__TOML_FAIL(p, line, col,
                          "escape \\%c%0*lX is not a Unicode scalar value",
                          ndigits == 4 ? 'u' : 'U', ndigits, (unsigned long)cp);
  char bytes[4];
  return lrs__toml_buf_append(out, bytes, utf8_encode(cp, bytes));
}

/* One escape sequence; the cursor is on the backslash.  In multi-line
 * strings a backslash ending a line removes the following blank space. */
static lrs_status scan_escape(lrs__toml_parser *p, bool multi,
                              lrs__toml_buf *out) {
  int line = p->line, col = p->col;
  lrs__toml_advance(p);
  int c = lrs__toml_peek(p);
  char plain = 0;
  switch (c) {
  case 'b': plain = '\b'; break;
  case 't': plain = '\t'; break;
  case 'n': plain = '\n'; break;
  case 'f': plain = '\f'; break;
  case 'r': plain = '\r'; break;
  case '"': plain = '"'; break;
  case '\\': plain = '\\'; break;
  case 'u':
  case 'U':
    return scan_unicode_escape(p, line, col, out);
  default:
    break;
  }
  if (plain) {
    lrs__toml_advance(p);
    return buf_putc(out, plain);
  }
  if (multi && (c == ' ' || c == '\t' || lrs__toml_at_newline(p))) {
    lrs__toml_skip_ws(p);
    if (!lrs__toml_at_newline(p))
      return LRS__TOML_FAIL(p, line, col, "a backslash followed by spaces "
                                          "must end the line");
    while (lrs__toml_at_newline(p)) {
      lrs__toml_take_newline(p);
      lrs__toml_skip_ws(p);
    }
    return LRS_OK;
  }
  if (c == -1)
    return LRS__TOML_FAIL(p, line, col, "unterminated string: input ends "
                                        "after a backslash");
  if (c < 0x20 || c >= 0x7F)
    return LRS__TOML_FAIL(p, line, col, "invalid escape sequence");
  return LRS__TOML_FAIL(p, line, col, "invalid escape sequence '\\%c'", c);
}

/* Appends the run of bytes that need no special handling to `out`. */
static lrs_status take_plain_run(lrs__toml_parser *p, int quote, bool literal,
                                 lrs__toml_buf *out) {
  size_t end = p->pos;
  while (end < p->len) {
    unsigned char c = (unsigned char)p->src[end];
    if (c == quote || (!literal && c == '\\') || is_control(c))
      break;
    end++;
  }
  size_t n = end - p->pos;
  LRS_TRY(lrs__toml_buf_append(out, p->src + p->pos, n));
  advance_by(p, n);
  return LRS_OK;
}

static lrs_status scan_single_line(lrs__toml_parser *p, int quote,
                                   lrs__toml_buf *out) {
  int line = p->line, col = p->col;
  bool literal = quote == '\'';
  lrs__toml_advance(p);
  for (;;) {
    LRS_TRY(take_plain_run(p, quote, literal, out));
    int c = lrs__toml_peek(p);
    if (c == quote) {
      lrs__toml_advance(p);
      return LRS_OK;
    }
    if (c == '\\') {
      LRS_TRY(scan_escape(p, false, out));
      continue;
    }
    if (c == -1 || lrs__toml_at_newline(p))
      return LRS__TOML_FAIL(p, line, col, "unterminated string: expected a "
                                          "closing %c on the same line",
                            quote);
    return control_error(p, literal ? "in a literal string"
                                    : "in a string (escape it)");
  }
}

static lrs_status scan_multi_line(lrs__toml_parser *p, int quote,
                                  lrs__toml_buf *out) {
  int line = p->line, col = p->col;
  bool literal = quote == '\'';
  advance_by(p, 3);
  /* A newline right after the opening delimiter is not part of the value. */
  if (lrs__toml_at_newline(p))
    lrs__toml_take_newline(p);
  for (;;) {
    LRS_TRY(take_plain_run(p, quote, literal, out));
    int c = lrs__toml_peek(p);
    if (c == quote) {
      /* Up to two quotes may sit right before the closing three. */
      size_t run = 0;
      while (lrs__toml_peek_at(p, run) == quote)
        run++;
      if (run < 3) {
        LRS_TRY(lrs__toml_buf_append(out, p->src + p->pos, run));
        advance_by(p, run);
        continue;
      }
      if (run > 5) {
        advance_by(p, 3);
        return LRS__TOML_FAIL_HERE(p, "three %c in a row are not allowed "
                                      "inside a multi-line string", quote);
      }
      LRS_TRY(lrs__toml_buf_append(out, p->src + p->pos, run - 3));
      advance_by(p, run);
      return LRS_OK;
    }
    if (c == '\\') {
      LRS_TRY(scan_escape(p, true, out));
      continue;
    }
    if (lrs__toml_at_newline(p)) {
      /* CRLF and LF both become "\n". */
      LRS_TRY(buf_putc(out, '\n'));
      lrs__toml_take_newline(p);
      continue;
    }
    if (c == -1)
      return LRS__TOML_FAIL(p, line, col, "unterminated multi-line string: "
                                          "expected a closing %c%c%c",
                            quote, quote, quote);
    return control_error(p, "in a multi-line string");
  }
}

lrs_status lrs__toml_scan_string(lrs__toml_parser *p, bool allow_multi,
                                 lrs__toml_buf *out) {
  int quote = lrs__toml_peek(p);
  if (allow_multi && lrs__toml_peek_at(p, 1) == quote &&
      lrs__toml_peek_at(p, 2) == quote)
    return scan_multi_line(p, quote, out);
  return scan_single_line(p, quote, out);
}

/* ---- keys -------------------------------------------------------------- */

static bool is_bare_key_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static lrs_status push_part(lrs__toml_parser *p, size_t off, int line,
                            int col) {
  if (p->nparts == p->partcap) {
    size_t cap = p->partcap ? 2 * p->partcap : 8;
    lrs__toml_keypart *parts = realloc(p->parts, cap * sizeof *parts);
    if (!parts)
      return LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading a TOML key");
    p->parts = parts;
    p->partcap = cap;
  }
  p->parts[p->nparts++] =
      (lrs__toml_keypart){off, p->keys.len - off, line, col};
  return LRS_OK;
}

lrs_status lrs__toml_scan_key(lrs__toml_parser *p) {
  p->nparts = 0;
  p->keys.len = 0;
  /* Parts point into keys.data, which must exist even for "" keys. */
  LRS_TRY(lrs__toml_buf_reserve(&p->keys, 1));
  for (;;) {
    int line = p->line, col = p->col;
    size_t off = p->keys.len;
    int c = lrs__toml_peek(p);
    if (c == '"' || c == '\'') {
      LRS_TRY(lrs__toml_scan_string(p, false, &p->keys));
    } else if (is_bare_key_char(c)) {
      size_t start = p->pos;
      while (is_bare_key_char(lrs__toml_peek(p)))
        lrs__toml_advance(p);
      LRS_TRY(lrs__toml_buf_append(&p->keys, p->src + start, p->pos - start));
    } else if (c == -1 || lrs__toml_at_newline(p)) {
      return LRS__TOML_FAIL_HERE(p, "expected a key before the end of the "
                                    "line");
    } else if (is_control(c)) {
      return control_error(p, "here");
    } else if (c >= 0x20 && c < 0x7F) {
      return LRS__TOML_FAIL_HERE(p, "expected a key, found '%c' (keys are "
                                    "A-Za-z0-9_- or quoted)", c);
    } else {
      return LRS__TOML_FAIL_HERE(p, "expected a key (keys are A-Za-z0-9_- "
                                    "or quoted)");
    }
    LRS_TRY(push_part(p, off, line, col));
    lrs__toml_skip_ws(p);
    if (lrs__toml_peek(p) != '.')
      return LRS_OK;
    lrs__toml_advance(p);
    lrs__toml_skip_ws(p);
  }
}

/* ---- numbers, booleans, dates and times -------------------------------- */

/* Characters a bare value (number, boolean, date/time) may be made of.
 * Anything else ends it; TOML has nothing that may follow a value directly
 * and use these characters, so the longest run is the value. */
static bool is_value_char(int c) {
  return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* A bare token being converted: s[0..n) starts at line:col (ASCII only, so
 * the i-th byte is at column col + i). */
typedef struct {
  const char *s;
  size_t n;
  int line, col;
} token;

static int tok_at(const token *t, size_t i) {
  return i < t->n ? (unsigned char)t->s[i] : -1;
}

/* Shortened token text for messages. */
static int tok_show_len(const token *t) { return t->n > 40 ? 40 : (int)t->n; }

#define TOK_FAIL(p, t, i, ...) LRS__TOML_FAIL((p), (t)->line, (t)->col + (int)(i), __VA_ARGS__)

static int digit_value(int c, int radix) {
  int d = hex_value(c);
  return d >= 0 && d < radix ? d : -1;
}

/* A run of digits of `radix` with single underscores between digits,
 * starting at *i.  Digits (no underscores) are appended to `out` if it is
 * non-NULL. */
static lrs_status scan_digits(lrs__toml_parser *p, const token *t, size_t *i,
                              int radix, const char *what,
                              lrs__toml_buf *out) {
  if (digit_value(tok_at(t, *i), radix) < 0)
    return TOK_FAIL(p, t, *i, "expected a digit %s", what);
  for (;;) {
    int c = tok_at(t, *i);
    if (digit_value(c, radix) >= 0) {
      if (out)
        LRS_TRY(buf_putc(out, (char)c));
      (*i)++;
    } else if (c == '_') {
      if (digit_value(tok_at(t, *i + 1), radix) < 0)
        return TOK_FAIL(p, t, *i, "'_' in a number must stand between two "
                                  "digits");
      (*i)++;
    } else {
      return LRS_OK;
    }
  }
}

static lrs_status make_node(lrs__toml_parser *p, const token *t,
                            lrs_toml_type type, lrs_toml_node **out) {
  return lrs__toml_node_new(p->doc, type, t->line, t->col, out);
}

/* p->text[from..] holds the digits (no sign, no '_') of an integer in
 * `radix`; magnitudes up to 2^63 are representable when negative. */
static lrs_status finish_int(lrs__toml_parser *p, const token *t, size_t from,
                             int radix, bool negative, lrs_toml_node **out) {
  const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  uint64_t v = 0;
  for (size_t k = from; k < p->text.len; k++) {
    unsigned d = (unsigned)digit_value((unsigned char)p->text.data[k], radix);
    if (v > (limit - d) / (unsigned)radix)
      return TOK_FAIL(p, t, 0, "integer '%.*s' does not fit in 64 bits",
                      tok_show_len(t), t->s);
    v = v * (unsigned)radix + d;
  }
  LRS_TRY(make_node(p, t, LRS_TOML_INTEGER, out));
  if (!negative)
    (*out)->u.integer = (int64_t)v;
  else if (v == (uint64_t)INT64_MAX + 1)
    (*out)->u.integer = INT64_MIN;
  else
    (*out)->u.integer = -(int64_t)v;
  return LRS_OK;
}

/* 0x, 0o, 0b integers: non-negative, no sign. */
static lrs_status scan_radix_int(lrs__toml_parser *p, const token *t,
                                 lrs_toml_node **out) {
  int radix = t->s[1] == 'x' ? 16 : t->s[1] == 'o' ? 8 : 2;
  size_t i = 2;
  p->text.len = 0;
  LRS_TRY(scan_digits(p, t, &i, radix, "after the base prefix", &p->text));
  if (i != t->n)
    return TOK_FAIL(p, t, i, "invalid character in integer '%.*s'",
                    tok_show_len(t), t->s);
  return finish_int(p, t, 0, radix, false, out);
}

/* p->text holds the float in C syntax with '.'; strtod reads the decimal
 * point of the current locale, so that is swapped in first. */
static lrs_status finish_float(lrs__toml_parser *p, const token *t,
                               lrs_toml_node **out) {
  const char *point = localeconv()->decimal_point;
  lrs__toml_buf *b = &p->text;
  if (point && strcmp(point, ".") != 0) {
    char *dot = memchr(b->data, '.', b->len);
    if (dot) {
      size_t at = (size_t)(dot - b->data), plen = strlen(point);
      LRS_TRY(lrs__toml_buf_reserve(b, plen));
      memmove(b->data + at + plen, b->data + at + 1, b->len - at - 1);
      memcpy(b->data + at, point, plen);
      b->len += plen - 1;
    }
  }
  LRS_TRY(buf_putc(b, '\0'));
  errno = 0;
  char *end = NULL;
  double v = strtod(b->data, &end);
  if (end != b->data + b->len - 1)
    return TOK_FAIL(p, t, 0, "invalid float '%.*s'", tok_show_len(t), t->s);
  if (errno == ERANGE && isinf(v))
    return TOK_FAIL(p, t, 0, "float '%.*s' is out of range", tok_show_len(t),
                    t->s);
  LRS_TRY(make_node(p, t, LRS_TOML_FLOAT, out));
  (*out)->u.real = v;
  return LRS_OK;
}

static lrs_status scan_number(lrs__toml_parser *p, const token *t,
                              lrs_toml_node **out) {
  size_t i = 0;
  int c = tok_at(t, 0);
  bool negative = c == '-';
  if (c == '0' && (tok_at(t, 1) == 'x' || tok_at(t, 1) == 'o' ||
                   tok_at(t, 1) == 'b'))
    return scan_radix_int(p, t, out);
  p->text.len = 0;
  if (c == '+' || c == '-') {
    i++;
    LRS_TRY(buf_putc(&p->text, (char)c));
    int d = tok_at(t, 1);
    if (d == '0' && (tok_at(t, 2) == 'x' || tok_at(t, 2) == 'o' ||
                     tok_at(t, 2) == 'b'))
      return TOK_FAIL(p, t, 0, "a sign is not allowed on hexadecimal, octal "
                               "or binary integers");
  }
  size_t int_start = i;
  LRS_TRY(scan_digits(p, t, &i, 10, "in number", &p->text));
  if (t->s[int_start] == '0' && i - int_start > 1)
    return TOK_FAIL(p, t, int_start, "leading zeros are not allowed in '%.*s'",
                    tok_show_len(t), t->s);
  bool is_float = false;
  if (tok_at(t, i) == '.') {
    is_float = true;
    i++;
    LRS_TRY(buf_putc(&p->text, '.'));
    LRS_TRY(scan_digits(p, t, &i, 10, "after the decimal point", &p->text));
  }
  c = tok_at(t, i);
  if (c == 'e' || c == 'E') {
    is_float = true;
    i++;
    LRS_TRY(buf_putc(&p->text, 'e'));
    c = tok_at(t, i);
    if (c == '+' || c == '-') {
      LRS_TRY(buf_putc(&p->text, (char)c));
      i++;
    }
    LRS_TRY(scan_digits(p, t, &i, 10, "in the exponent", &p->text));
  }
  if (i != t->n)
    return TOK_FAIL(p, t, i, "invalid character in number '%.*s'",
                    tok_show_len(t), t->s);
  if (is_float)
    return finish_float(p, t, out);
  return finish_int(p, t, int_start, 10, negative, out);
}

/* Two decimal digits at s[i]; -1 if absent. */
static int two_digits(const token *t, size_t i) {
  int a = tok_at(t, i), b = tok_at(t, i + 1);
  if (!is_digit(a) || !is_digit(b))
    return -1;
  return (a - '0') * 10 + (b - '0');
}

static int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/* A field of a date/time: two digits at t[*i] in [lo, hi], then `sep` (if
 * not 0).  `what` names the field in messages. */
static lrs_status scan_field(lrs__toml_parser *p, const token *t, size_t *i,
                             int lo, int hi, char sep, const char *what,
                             int *out) {
  int v = two_digits(t, *i);
  if (v < 0)
    return TOK_FAIL(p, t, *i, "expected two digits for the %s in '%.*s'",
                    what, tok_show_len(t), t->s);
  if (v < lo || v > hi)
    return TOK_FAIL(p, t, *i, "%s %02d out of range [%d, %d] in '%.*s'", what,
                    v, lo, hi, tok_show_len(t), t->s);
  *i += 2;
  if (sep) {
    if (tok_at(t, *i) != sep)
      return TOK_FAIL(p, t, *i, "expected '%c' after the %s in '%.*s'", sep,
                      what, tok_show_len(t), t->s);
    (*i)++;
  }
  *out = v;
  return LRS_OK;
}

/* HH:MM:SS[.fraction] at t[*i]. */
static lrs_status scan_time(lrs__toml_parser *p, const token *t, size_t *i,
                            lrs_toml_datetime *dt) {
  LRS_TRY(scan_field(p, t, i, 0, 23, ':', "hour", &dt->hour));
  LRS_TRY(scan_field(p, t, i, 0, 59, ':', "minute", &dt->minute));
  LRS_TRY(scan_field(p, t, i, 0, 60, 0, "second", &dt->second));
  if (tok_at(t, *i) != '.')
    return LRS_OK;
  (*i)++;
  if (!is_digit(tok_at(t, *i)))
    return TOK_FAIL(p, t, *i, "expected digits after '.' in '%.*s'",
                    tok_show_len(t), t->s);
  /* Digits past nanoseconds are dropped (truncation, as documented). */
  int64_t ns = 0;
  int kept = 0;
  for (; is_digit(tok_at(t, *i)); (*i)++)
    if (kept < 9) {
      ns = ns * 10 + (tok_at(t, *i) - '0');
      kept++;
    }
  for (; kept < 9; kept++)
    ns *= 10;
  dt->nanosecond = ns;
  return LRS_OK;
}

static lrs_status scan_datetime(lrs__toml_parser *p, const token *t,
                                lrs_toml_node **out) {
  lrs_toml_datetime dt = {0};
  lrs_toml_type type;
  size_t i = 0;
  if (tok_at(t, 2) == ':') {
    LRS_TRY(scan_time(p, t, &i, &dt));
    type = LRS_TOML_TIME_LOCAL;
  } else {
    for (; i < 4; i++)
      dt.year = dt.year * 10 + (t->s[i] - '0'); /* checked by the caller */
    i++;                                        /* '-' */
    LRS_TRY(scan_field(p, t, &i, 1, 12, '-', "month", &dt.month));
    LRS_TRY(scan_field(p, t, &i, 1, days_in_month(dt.year, dt.month), 0,
                       "day", &dt.day));
    type = LRS_TOML_DATE_LOCAL;
    int c = tok_at(t, i);
    if (c == 'T' || c == 't' || c == ' ') {
      i++;
      LRS_TRY(scan_time(p, t, &i, &dt));
      type = LRS_TOML_DATETIME_LOCAL;
      c = tok_at(t, i);
      if (c == 'Z' || c == 'z') {
        i++;
        type = LRS_TOML_DATETIME;
      } else if (c == '+' || c == '-') {
        int hh, mm;
        i++;
        LRS_TRY(scan_field(p, t, &i, 0, 23, ':', "offset hour", &hh));
        LRS_TRY(scan_field(p, t, &i, 0, 59, 0, "offset minute", &mm));
        dt.offset_minutes = (c == '-' ? -1 : 1) * (hh * 60 + mm);
        type = LRS_TOML_DATETIME;
      }
    }
  }
  if (i != t->n)
    return TOK_FAIL(p, t, i, "unexpected character in date/time '%.*s'",
                    tok_show_len(t), t->s);
  LRS_TRY(make_node(p, t, type, out));
  (*out)->u.dt.value = dt;
  (*out)->u.dt.text = malloc(t->n + 1);
  if (!(*out)->u.dt.text)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory storing a TOML date");
  memcpy((*out)->u.dt.text, t->s, t->n);
  (*out)->u.dt.text[t->n] = '\0';
  (*out)->u.dt.len = t->n;
  return LRS_OK;
}

static bool token_is(const token *t, size_t from, const char *word) {
  size_t n = strlen(word);
  return t->n - from == n && memcmp(t->s + from, word, n) == 0;
}

/* "1979-05-27" exactly (shape only): a date that a space and a time may
 * follow. */
static bool is_date_shape(const char *s, size_t n) {
  if (n < 10)
    return false;
  for (size_t i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? s[i] != '-' : !is_digit((unsigned char)s[i]))
      return false;
  return true;
}

lrs_status lrs__toml_scan_scalar(lrs__toml_parser *p, lrs_toml_node **out) {
  token t = {p->src + p->pos, 0, p->line, p->col};
  size_t n = 0;
  while (is_value_char(lrs__toml_peek_at(p, n)))
    n++;
  /* "1979-05-27 07:32:00": the one value with a space inside. */
  if (n == 10 && is_date_shape(t.s, n) && lrs__toml_peek_at(p, 10) == ' ' &&
      is_digit(lrs__toml_peek_at(p, 11))) {
    n = 11;
    while (is_value_char(lrs__toml_peek_at(p, n)))
      n++;
  }
  t.n = n;
  if (n == 0) {
    int c = lrs__toml_peek(p);
    if (c == -1 || lrs__toml_at_newline(p) || c == '#')
      return LRS__TOML_FAIL_HERE(p, "expected a value before the end of the "
                                    "line");
    if (is_control(c))
      return control_error(p, "here");
    if (c >= 0x20 && c < 0x7F)
      return LRS__TOML_FAIL_HERE(p, "expected a value, found '%c'", c);
    return LRS__TOML_FAIL_HERE(p, "expected a value (strings must be "
                                  "quoted)");
  }
  advance_by(p, n);
  int c = (unsigned char)t.s[0];
  if (token_is(&t, 0, "true") || token_is(&t, 0, "false")) {
    LRS_TRY(make_node(p, &t, LRS_TOML_BOOL, out));
    (*out)->u.boolean = c == 't';
    return LRS_OK;
  }
  size_t from = c == '+' || c == '-' ? 1 : 0;
  if (token_is(&t, from, "inf") || token_is(&t, from, "nan")) {
    LRS_TRY(make_node(p, &t, LRS_TOML_FLOAT, out));
    double v = t.s[from] == 'i' ? HUGE_VAL : NAN;
    (*out)->u.real = c == '-' ? -v : v;
    return LRS_OK;
  }
  if ((n >= 3 && is_digit(c) && is_digit(t.s[1]) && t.s[2] == ':') ||
      (n >= 5 && is_digit(c) && is_digit(t.s[1]) && is_digit(t.s[2]) &&
       is_digit(t.s[3]) && t.s[4] == '-'))
    return scan_datetime(p, &t, out);
  if (is_digit(c) || ((c == '+' || c == '-') && n > 1))
    return scan_number(p, &t, out);
  return TOK_FAIL(p, &t, 0, "expected a value, found '%.*s' (strings must be "
                            "quoted)", tok_show_len(&t), t.s);
}
