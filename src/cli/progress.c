/* Progress of one solve on stderr (cli.h: lrs_cli_progress). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "lrsweep/solve.h"

enum { LONGEST_SECONDS = 30 }; /* off a terminal, as the main job's default */
#define LIVE_SECONDS 0.5

static bool progress_poll(void *ctx, const lrs_solver_progress *at) {
  lrs_cli_progress *pr = ctx;
  const double now = lrs_now(), elapsed = now - pr->start;
  if (pr->first_step < 0) { /* the pace is measured from here, after the set-up */
    pr->first_step = at->step;
    pr->first_seconds = now;
  }
  const double wait = pr->tty ? LIVE_SECONDS : lrs_progress_interval(elapsed, LONGEST_SECONDS);
  if (now - pr->last < wait)
    return false;
  pr->last = now;
  pr->shown = true;
  const lrs_point *p = at->point;
  char where[96], took[32], left[48] = "";
  if (p->method == LRS_METHOD_GF) {
    /* t as a person writes it: 1280, not 1.28e+03 */
    const bool plain = at->time >= 1e3 && at->time < 1e7;
    snprintf(where, sizeof where, plain ? "t = %.0f of %g (step %" PRId64 ")"
                                        : "t = %.3g of %g (step %" PRId64 ")",
             at->time, p->horizon, at->step);
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
  snprintf(line, sizeof line, "%s: %s, L − ℓ* %.3g (L(0) − ℓ* %.3g), %s%s", pr->who, where,
           at->loss, at->loss0, lrs_format_seconds(elapsed, took, sizeof took), left);
  if (pr->tty)
    lrs_fit_terminal(STDERR_FILENO, line);
  fprintf(stderr, pr->tty ? "\r%s\x1b[K" : "%s\n", line);
  fflush(stderr);
  return false;
}

void lrs_cli_progress_start(lrs_cli_progress *pr, const char *who) {
  *pr = (lrs_cli_progress){
      .who = who, .tty = isatty(STDERR_FILENO) != 0, .start = lrs_now(), .first_step = -1};
  pr->last = pr->start;
  lrs_solve_set_cancel(progress_poll, pr);
}

void lrs_cli_progress_end(lrs_cli_progress *pr) {
  lrs_solve_set_cancel(NULL, NULL);
  if (pr->tty && pr->shown) { /* the live line goes; the summary follows */
    fputs("\r\x1b[K", stderr);
    fflush(stderr);
  }
}
