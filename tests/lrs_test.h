/*
 * tests/lrs_test.h — a tiny TAP producer shared by the C tests.
 *
 * Each LRS_CHECK prints one TAP line ("ok N - what" / "not ok N - what"); a
 * test program ends with `return lrs_test_done();`, which prints the plan and
 * returns non-zero if any check failed.  tests/summarize.py counts the lines.
 */
#ifndef LRSWEEP_TEST_H
#define LRSWEEP_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

static int lrs_test_count_, lrs_test_failed_;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline bool lrs_test_check_(bool ok, const char *file, int line,
                                   const char *fmt, ...) {
  lrs_test_count_++;
  if (!ok)
    lrs_test_failed_++;
  printf("%s %d - ", ok ? "ok" : "not ok", lrs_test_count_);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if (!ok)
    printf(" # at %s:%d", file, line);
  printf("\n");
  fflush(stdout);
  return ok;
}

/* One test case: records and prints whether `cond` holds. */
#define LRS_CHECK(cond, ...) lrs_test_check_((cond), __FILE__, __LINE__, __VA_ARGS__)

/* |a − b| ≤ rtol·max(|a|,|b|) + atol, NaN never close. */
static inline bool lrs_test_close(double a, double b, double rtol, double atol) {
  double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= rtol * scale + atol;
}

/* max_i |a_i − b_i| over n entries. */
static inline double lrs_test_max_abs_diff(const double *a, const double *b, size_t n) {
  double d = 0.0;
  for (size_t i = 0; i < n; i++)
    d = fmax(d, fabs(a[i] - b[i]));
  return d;
}

/* max_i |a_i − b_i| / max_i |b_i| (the absolute difference when b is 0). */
static inline double lrs_test_max_rel_diff(const double *a, const double *b, size_t n) {
  double d = 0.0, s = 0.0;
  for (size_t i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    s = fmax(s, fabs(b[i]));
  }
  return s > 0.0 ? d / s : d;
}

static inline int lrs_test_done(void) {
  printf("1..%d\n", lrs_test_count_);
  return lrs_test_failed_ ? 1 : 0;
}

#endif
