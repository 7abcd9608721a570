/*
 * lrsweep/status.h — one status type, one message table, one error record.
 *
 * Every fallible lrsweep function returns an lrs_status.  The code that first
 * detects a failure calls LRS_RAISE(status, "printf-style why"), which records
 * where (file, line, function) and why in a per-thread error record and returns
 * the status; callers pass it up with LRS_TRY().  The command-line front end
 * prints lrs_error_message() as the one line a user sees.
 */
#ifndef LRSWEEP_STATUS_H
#define LRSWEEP_STATUS_H

#include <stdarg.h>
#include <stddef.h>

/* The single list the enum and lrs_strerror() are generated from. */
#define LRS_STATUS_LIST(X)                                                     \
  X(LRS_OK, "success")                                                         \
  X(LRS_ERR_NOMEM, "out of memory")                                            \
  X(LRS_ERR_IO, "input/output error")                                          \
  X(LRS_ERR_PARSE, "syntax error")                                             \
  X(LRS_ERR_CONFIG, "invalid sweep configuration")                             \
  X(LRS_ERR_USAGE, "invalid command-line usage")                               \
  X(LRS_ERR_RANGE, "value out of range")                                       \
  X(LRS_ERR_NUMERIC, "numerical failure")                                      \
  X(LRS_ERR_LINALG, "linear-algebra failure")                                  \
  X(LRS_ERR_GSL, "GSL failure")                                                \
  X(LRS_ERR_MPI, "MPI failure")                                                \
  X(LRS_ERR_HDF5, "HDF5 failure")                                              \
  X(LRS_ERR_STORE, "invalid or incompatible store")                            \
  X(LRS_ERR_NOT_FOUND, "not found")                                            \
  X(LRS_ERR_UNSUPPORTED, "not supported")                                      \
  X(LRS_ERR_INTERNAL, "internal error")                                        \
  X(LRS_ERR_WRITE, "cannot write (disk full, quota or file size limit)")     \
  X(LRS_ERR_CANCELLED, "cancelled (the point stays pending)")

typedef enum {
#define LRS__STATUS_ENUM(name, text) name,
  LRS_STATUS_LIST(LRS__STATUS_ENUM)
#undef LRS__STATUS_ENUM
  LRS_STATUS_COUNT
} lrs_status;

/* Short fixed description of a status ("out of memory"). Never NULL. */
const char *lrs_strerror(lrs_status status);

/*
 * Records a failure in the calling thread's error record and returns `status`.
 * The message replaces any earlier one.  Use through LRS_RAISE.
 */
lrs_status lrs__error_raise(lrs_status status, const char *file, int line,
                            const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Prefixes the current message with "context: " (e.g. a file name or a point
 * index) and returns `status`.  Use when passing an error up adds meaning. */
lrs_status lrs_error_prefix(lrs_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The user-facing message of the last failure ("" if none). */
const char *lrs_error_message(void);
/* "file:line (function)" of the code that raised the last failure. */
const char *lrs_error_origin(void);
/* The status of the last failure (LRS_OK if none). */
lrs_status lrs_error_status(void);
/* Forgets the last failure. */
void lrs_error_clear(void);

/* Checked narrowing of a size to the int counts of MPI, BLAS and BLACS:
 * LRS_ERR_RANGE (naming `what`) when it does not fit. */
lrs_status lrs_to_int(size_t value, int *out, const char *what);

/* The status of an MPI call's return code `rc`: LRS_OK for MPI_SUCCESS,
 * else LRS_ERR_MPI with "WHAT failed: MPI's text".  Only useful on a
 * communicator whose error handler is MPI_ERRORS_RETURN (the default,
 * MPI_ERRORS_ARE_FATAL, aborts before returning).  LRS_MPI_TRY(call) returns
 * the failure from the enclosing function. */
lrs_status lrs_mpi_check(int rc, const char *what);
#define LRS_MPI_TRY(call) LRS_TRY(lrs_mpi_check((call), #call))

/* Grows the array *buf (*cap elements of `size` bytes) to hold at least
 * `need` elements, doubling from 64; *buf and *cap are unchanged on
 * failure (LRS_ERR_NOMEM).  LRS_GROW(buf, cap, need) passes an lvalue array
 * pointer and its element size. */
lrs_status lrs_grow(void **buf, size_t *cap, size_t need, size_t size);
#define LRS_GROW(buf, cap, need) lrs_grow((void **)&(buf), &(cap), (need), sizeof *(buf))

/* Seconds of the monotonic clock (CLOCK_MONOTONIC): the one clock for
 * deadlines, timings and flush intervals. */
double lrs_now(void);

/* How long after the last progress line the next is due off a terminal
 * (mpirun's pipes, SLURM logs), `elapsed` seconds into the work: the first
 * after 2 s, then after half the time elapsed, up to `longest`, so a short
 * run shows several lines and a long one one every `longest` seconds. */
double lrs_progress_interval(double elapsed, double longest);
/* The longest interval by default (the main job's --progress-seconds); on a
 * terminal a live line is rewritten every LRS_PROGRESS_LIVE_SECONDS. */
#define LRS_PROGRESS_SECONDS 30.0
#define LRS_PROGRESS_LIVE_SECONDS 0.5

/* Cuts `text` (UTF-8) to at most the width of the terminal on file
 * descriptor fd less one column, so that a live line rewritten after "\r"
 * never wraps; unchanged when fd is not a terminal or its width unknown.
 * Counts code points (the project's symbols are one column each). */
void lrs_fit_terminal(int fd, char *text);

/* A duration as a person writes it, 3 significant digits in the unit that
 * fits: "850 µs", "15.4 ms", "2.35 s", "3 min 12 s", "10 min", "2 h 05 min", "3 d 4 h";
 * "?" when negative or not finite.  Returns buf. */
const char *lrs_format_seconds(double seconds, char *buf, size_t cap);

/* A size in bytes as a person writes it, binary units, 3 significant digits:
 * "512 B", "3.2 KiB", "1.5 GiB".  Returns buf. */
const char *lrs_format_bytes(double bytes, char *buf, size_t cap);

/* A number as a person writes it: `digits` significant digits (%.*g), the
 * exponent without '+' and leading zeros ("1e-8", "2.5e10", not "1e-08",
 * "2.5e+10"); "nan", "inf" as they are.  Returns buf. */
const char *lrs_format_number(double value, int digits, char *buf, size_t cap);
/* Rewrites the exponent of a printed number in place as lrs_format_number
 * writes it ("1e-08" → "1e-8", "1e+10" → "1e10"); other text unchanged. */
char *lrs_format_exponent(char *text);

/* Copies text[0..n) (up to a NUL) into buf[cap] with control characters
 * escaped so that one line stays one line: "\n", "\t", "\xHH" (cut, never
 * overflowing, between escapes).  Returns the bytes of text consumed. */
size_t lrs_escape_control(const char *text, size_t n, char *buf, size_t cap);

/* "Did you mean" for error messages, one rule for every suggestion (sweep-file
 * keys, command-line options, query columns and enum values): the name
 * closest to word[0..len) by edit distance (insertions, deletions,
 * substitutions and transpositions of neighbours count 1), when it is a
 * likely typo: distance ≤ max(1, len/3), so a short word must be nearly
 * right ("tl" → "tol", but not "foo" → "tol") and a long one may have a
 * few slips ("step_sise" → "step_size", "widht" → "width"); else NULL.
 * Candidates come from name_at(ctx, i), i < n; for a plain array of
 * strings pass lrs_name_in_array and the array. */
typedef const char *(*lrs_name_at_fn)(const void *ctx, size_t i);
const char *lrs_name_in_array(const void *names, size_t i);
const char *lrs_closest_name(const char *word, size_t len, lrs_name_at_fn name_at,
                             const void *ctx, size_t n);

#define LRS_RAISE(status, ...)                                                 \
  lrs__error_raise((status), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Evaluates a call returning lrs_status and returns from the enclosing
 * function with that status when it is not LRS_OK. */
#define LRS_TRY(call)                                                          \
  do {                                                                         \
    lrs_status lrs__st = (call);                                               \
    if (lrs__st != LRS_OK)                                                     \
      return lrs__st;                                                          \
  } while (0)

/* Like LRS_TRY, but stores the status in `st` and jumps to `label` (the
 * function's single cleanup path). */
#define LRS_TRY_GOTO(st, call, label)                                          \
  do {                                                                         \
    (st) = (call);                                                             \
    if ((st) != LRS_OK)                                                        \
      goto label;                                                              \
  } while (0)

/* Allocation check: raises LRS_ERR_NOMEM when `ptr` is NULL. */
#define LRS_CHECK_ALLOC(ptr)                                                   \
  ((ptr) ? LRS_OK : LRS_RAISE(LRS_ERR_NOMEM, "out of memory allocating %s", #ptr))

#endif
