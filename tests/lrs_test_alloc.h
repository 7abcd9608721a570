/*
 * tests/lrs_test_alloc.h — counts malloc/calloc/realloc between
 * lrs_test_alloc_begin and lrs_test_alloc_end, for the tests of the
 * workspace rule (lrsweep/model.h: the ops never allocate after creation).
 *
 * The test executable is linked with `link_args : alloc_count_link_args`
 * (tests/meson.build: -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc), so the
 * calls of the objects linked into it — the test and lrsweep's library, not
 * the shared libraries (MPI, BLACS, ScaLAPACK) — reach the wrappers below.
 * They are external definitions: include this header in one file per
 * executable.
 */
#ifndef LRSWEEP_TEST_ALLOC_H
#define LRSWEEP_TEST_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

static bool lrs_test_alloc_on_;
static long lrs_test_alloc_count_;

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) {
  lrs_test_alloc_count_ += lrs_test_alloc_on_;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b) {
  lrs_test_alloc_count_ += lrs_test_alloc_on_;
  return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n) {
  lrs_test_alloc_count_ += lrs_test_alloc_on_;
  return __real_realloc(p, n);
}

/* Starts a count at 0; with on = false nothing is counted until the end. */
static inline void lrs_test_alloc_begin(bool on) {
  lrs_test_alloc_count_ = 0;
  lrs_test_alloc_on_ = on;
}

/* Stops counting; the allocations since lrs_test_alloc_begin. */
static inline long lrs_test_alloc_end(void) {
  lrs_test_alloc_on_ = false;
  return lrs_test_alloc_count_;
}

#endif
