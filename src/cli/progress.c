/* A solve with its progress on stderr (cli.h: lrs_cli_solve_watched). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "lrsweep/solve.h"

typedef struct {
  char who[64]; /* "lrsweep run: point 3" */
  bool tty, shown;
  double start, last;
  int64_t first_step; /* at the first poll (-1: none yet), and when */
  double first_seconds;
} watch;

/* x printed with fmt, as a person writes it (1280, not 1.28e+03). */
static const char *human(double x, const char *fmt, char buf[32]) {
  char raw[32];
  snprintf(raw, sizeof raw, fmt, x);
  return lrs_cli_human_number(raw, buf, 32);
}

static bool progress_poll(void *ctx, const lrs_solver_progress *at) {
  watch *pr = ctx;
  const double now = lrs_now(), elapsed = now - pr->start;
  if (pr->first_step < 0) { /* the pace is measured from here, after the set-up */
    pr->first_step = at->step;
    pr->first_seconds = now;
  }
  const double wait = pr->tty ? LRS_PROGRESS_LIVE_SECONDS : lrs_progress_interval(elapsed, LRS_PROGRESS_SECONDS);
  if (now - pr->last < wait)
    return false;
  pr->last = now;
  pr->shown = true;
  const lrs_point *p = at->point;
  char where[96], took[32], left[48] = "", num[4][32];
  if (p->method == LRS_METHOD_GF) {
    snprintf(where, sizeof where, "t = %s of %s (step %" PRId64 ")",
             human(at->time, "%.3g", num[0]), human(p->horizon, "%g", num[1]), at->step);
  } else {
    snprintf(where, sizeof where, "iteration %" PRId64 " of %" PRId64, at->step, p->max_iter);
    /* At this pace; the point may meet its tolerance long before. */
    if (at->step > pr->first_step) {
      char eta[32];
      const double pace = (now - pr->first_seconds) / (double)(at->step - pr->first_step);
      snprintf(left, sizeof left, "; max_iter in ~%s",
               lrs_format_seconds(pace * (double)(p->max_iter - at->step), eta, sizeof eta));
    }
  }
  char line[320];
  snprintf(line, sizeof line, "%s: %s, L − ℓ* %s (L(0) − ℓ* %s), %s%s", pr->who, where,
           human(at->loss, "%.3g", num[2]), human(at->loss0, "%.3g", num[3]),
           lrs_format_seconds(elapsed, took, sizeof took), left);
  if (pr->tty)
    lrs_fit_terminal(STDERR_FILENO, line);
  fprintf(stderr, pr->tty ? "\r%s\x1b[K" : "%s\n", line);
  fflush(stderr);
  return false;
}

lrs_status lrs_cli_solve_watched(const lrs_point *point, const char *cmd,
                                 unsigned long long index, bool quiet, lrs_result *result) {
  if (quiet)
    return lrs_solve_point(point, MPI_COMM_SELF, result);
  watch w = {.tty = isatty(STDERR_FILENO) != 0, .start = lrs_now(), .first_step = -1};
  snprintf(w.who, sizeof w.who, "lrsweep %s: point %llu", cmd, index);
  w.last = w.start;
  lrs_solve_set_cancel(progress_poll, &w);
  const lrs_status st = lrs_solve_point(point, MPI_COMM_SELF, result);
  lrs_solve_set_cancel(NULL, NULL);
  if (w.tty && w.shown) { /* the live line goes; the summary follows */
    fputs("\r\x1b[K", stderr);
    fflush(stderr);
  }
  return st;
}
