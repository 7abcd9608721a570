/* One status type, one message table, one per-thread error record. */
#include "lrsweep/status.h"

#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

enum { LRS_ERROR_MESSAGE_MAX = 1024, LRS_ERROR_ORIGIN_MAX = 256 };

static _Thread_local struct {
  lrs_status status;
  char message[LRS_ERROR_MESSAGE_MAX];
  char origin[LRS_ERROR_ORIGIN_MAX];
} last_error;

const char *lrs_strerror(lrs_status status) {
  static const char *const table[] = {
#define LRS__STATUS_TEXT(name, text) text,
      LRS_STATUS_LIST(LRS__STATUS_TEXT)
#undef LRS__STATUS_TEXT
  };
  if ((unsigned)status >= LRS_STATUS_COUNT)
    return "unknown status";
  return table[status];
}

lrs_status lrs__error_raise(lrs_status status, const char *file, int line,
                            const char *func, const char *fmt, ...) {
  last_error.status = status;
  const char *base = strrchr(file, '/');
  snprintf(last_error.origin, sizeof last_error.origin, "%s:%d (%s)",
           base ? base + 1 : file, line, func);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error.message, sizeof last_error.message, fmt, ap);
  va_end(ap);
  return status;
}

/* Appends `tail` to the string in buf[cap], cutting (never overflowing). */
static void append(char *buf, size_t cap, const char *tail) {
  size_t used = strlen(buf);
  size_t n = strlen(tail);
  if (n > cap - 1 - used)
    n = cap - 1 - used;
  memcpy(buf + used, tail, n);
  buf[used + n] = '\0';
}

lrs_status lrs_error_prefix(lrs_status status, const char *fmt, ...) {
  char joined[LRS_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(joined, sizeof joined, fmt, ap);
  va_end(ap);
  append(joined, sizeof joined, ": ");
  append(joined, sizeof joined, last_error.message);
  memcpy(last_error.message, joined, sizeof joined);
  if (last_error.status == LRS_OK)
    last_error.status = status;
  return status;
}

const char *lrs_error_message(void) { return last_error.message; }
const char *lrs_error_origin(void) { return last_error.origin; }
lrs_status lrs_error_status(void) { return last_error.status; }

void lrs_error_clear(void) {
  last_error.status = LRS_OK;
  last_error.message[0] = '\0';
  last_error.origin[0] = '\0';
}

lrs_status lrs_to_int(size_t value, int *out, const char *what) {
  if (value > INT_MAX)
    return LRS_RAISE(LRS_ERR_RANGE, "%s: %zu exceeds the int range of MPI/BLAS counts", what,
                     value);
  *out = (int)value;
  return LRS_OK;
}

lrs_status lrs_mpi_check(int rc, const char *what) {
  if (rc == MPI_SUCCESS)
    return LRS_OK;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    snprintf(text, sizeof text, "MPI error code %d", rc);
  return LRS_RAISE(LRS_ERR_MPI, "%s failed: %s", what, text);
}

/* Edit distance of short names with transpositions of neighbours (the
 * optimal-string-alignment distance: "widht" is one slip from "width");
 * longer names count as far apart. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb) {
  enum { MAX = 64 };
  if (la > MAX || lb > MAX)
    return (size_t)-1;
  size_t d[MAX + 1][MAX + 1];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

lrs_status lrs_grow(void **buf, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return LRS_OK;
  size_t c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  void *p = realloc(*buf, c * size);
  if (!p)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu items of %zu bytes", c, size);
  *buf = p;
  *cap = c;
  return LRS_OK;
}

const char *lrs_name_in_array(const void *names, size_t i) {
  return ((const char *const *)names)[i];
}

const char *lrs_closest_name(const char *word, size_t len, lrs_name_at_fn name_at,
                             const void *ctx, size_t n) {
  const char *pick = NULL;
  size_t best = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    const char *cand = name_at(ctx, i);
    size_t d = edit_distance(word, len, cand, strlen(cand));
    if (d < best) {
      best = d;
      pick = cand;
    }
  }
  size_t limit = len / 3 > 1 ? len / 3 : 1;
  return best <= limit ? pick : NULL;
}

double lrs_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lrs_fit_terminal(int fd, char *text) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col < 2)
    return;
  size_t points = 0;
  for (char *c = text; *c; c++) {
    if (((unsigned char)*c & 0xC0) == 0x80)
      continue; /* a continuation byte: the same code point */
    if (++points == ws.ws_col) {
      *c = '\0';
      return;
    }
  }
}

double lrs_progress_interval(double elapsed, double longest) {
  const double grow = elapsed / 2 > 2.0 ? elapsed / 2 : 2.0;
  return grow < longest ? grow : longest;
}

const char *lrs_format_seconds(double s, char *buf, size_t cap) {
  if (!(s >= 0) || !isfinite(s))
    snprintf(buf, cap, "?");
  else if (s < 999.5e-6) /* the bounds keep "%.3g" from rounding up to 1e+03 */
    snprintf(buf, cap, "%.3g µs", s * 1e6);
  else if (s < 0.9995)
    snprintf(buf, cap, "%.3g ms", s * 1e3);
  else if (s < 59.5)
    snprintf(buf, cap, "%.3g s", s);
  else if (s < 3600 - 0.5) { /* a whole number of the larger unit alone: "10 min" */
    long r = lround(s);
    snprintf(buf, cap, r % 60 ? "%ld min %ld s" : "%ld min", r / 60, r % 60);
  } else if (s < 86400 - 30) {
    long r = lround(s / 60);
    snprintf(buf, cap, r % 60 ? "%ld h %02ld min" : "%ld h", r / 60, r % 60);
  } else {
    long r = lround(s / 3600);
    snprintf(buf, cap, r % 24 ? "%ld d %ld h" : "%ld d", r / 24, r % 24);
  }
  return buf;
}

const char *lrs_format_bytes(double bytes, char *buf, size_t cap) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t u = 0;
  while (u + 1 < sizeof units / sizeof *units && bytes >= 1023.5)
    bytes /= 1024.0, u++;
  snprintf(buf, cap, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buf;
}

char *lrs_format_exponent(char *text) {
  char *e = strpbrk(text, "eE");
  if (!e || !(e[1] == '+' || e[1] == '-' || (e[1] >= '0' && e[1] <= '9')))
    return text;
  char *x = e + 1, *out = e + 1;
  if (*x == '-')
    *out++ = *x++;
  else if (*x == '+')
    x++;
  while (x[0] == '0' && x[1] >= '0' && x[1] <= '9')
    x++;
  memmove(out, x, strlen(x) + 1);
  return text;
}

const char *lrs_format_number(double value, int digits, char *buf, size_t cap) {
  snprintf(buf, cap, "%.*g", digits, value);
  return lrs_format_exponent(buf);
}

size_t lrs_escape_control(const char *text, size_t n, char *buf, size_t cap) {
  size_t used = 0, i = 0;
  for (; i < n && text[i]; i++) {
    unsigned char c = (unsigned char)text[i];
    char esc[8];
    if (c == '\n')
      snprintf(esc, sizeof esc, "\\n");
    else if (c == '\t')
      snprintf(esc, sizeof esc, "\\t");
    else if (c < 0x20 || c == 0x7f)
      snprintf(esc, sizeof esc, "\\x%02x", c);
    else
      esc[0] = (char)c, esc[1] = '\0';
    size_t len = strlen(esc);
    if (used + len + 1 > cap)
      break;
    memcpy(buf + used, esc, len);
    used += len;
  }
  if (cap)
    buf[used] = '\0';
  return i;
}
