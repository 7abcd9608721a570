/* The run bookkeeping shared by GD and GF (solver_impl.h): stopping checks,
 * levels, the rate fit, and the one table of outcome messages. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lrsweep/rate.h"
#include "solver_impl.h"

void lrs__set_status(lrs_result *res, lrs_point_status st, const char *fmt, ...) {
  res->summary.status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->summary.message, sizeof res->summary.message, fmt, ap);
  va_end(ap);
}

lrs_status lrs__stop_check(const lrs__run *run, double loss, double grad_norm2,
                           lrs_point_status *out) {
  const lrs_point *p = run->p;
  *out = LRS_POINT_PENDING;
  if (!isfinite(loss) || !isfinite(grad_norm2) || loss > p->blowup * run->L0) {
    *out = LRS_POINT_DIVERGED;
    return LRS_OK;
  }
  if (loss <= p->tol || loss <= p->tol_rel * run->L0) {
    *out = LRS_POINT_CONVERGED;
    return LRS_OK;
  }
  if (isfinite(run->deadline)) { /* the same on every rank: +∞ or a limit */
    double late = lrs_now() > run->deadline ? 1.0 : 0.0;
    LRS_TRY(lrs_linalg_max(run->model->la, &late, 1));
    if (late > 0.0)
      *out = LRS_POINT_TIMEOUT;
  }
  return LRS_OK;
}

/* The installed poll (lrs_solver_set_cancel); NULL: none. */
static lrs_cancel_fn cancel_fn;
static void *cancel_ctx;

void lrs_solver_set_cancel(lrs_cancel_fn fn, void *ctx) {
  cancel_fn = fn;
  cancel_ctx = ctx;
}

lrs_status lrs__cancel_poll(lrs__run *run, int64_t step, double t, double loss, bool gf) {
  if (!cancel_fn || ++run->poll_count < run->poll_every)
    return LRS_OK;
  run->poll_count = 0;
  const double now = lrs_now();
  const lrs_solver_progress at = {.point = run->p, .step = step, .time = t, .loss = loss,
                                  .loss0 = run->L0};
  /* The group's verdict and its slowest rank's interval: the same bits on
   * every rank, so every rank stops, and picks the next K, alike. */
  double v[2] = {cancel_fn(cancel_ctx, &at) ? 1.0 : 0.0, now - run->poll_last};
  run->poll_last = now;
  LRS_TRY(lrs_linalg_max(run->model->la, v, 2));
  if (v[1] < 0.5 * LRS_CANCEL_SYNC_SECONDS && run->poll_every < ((int64_t)1 << 30))
    run->poll_every *= 2;
  else if (v[1] > 2.0 * LRS_CANCEL_SYNC_SECONDS && run->poll_every > 1)
    run->poll_every /= 2;
  if (!(v[0] > 0.0))
    return LRS_OK;
  if (gf)
    return LRS_RAISE(LRS_ERR_CANCELLED, "cancelled at t = %g (step %lld): the point stays pending",
                     t, (long long)step);
  return LRS_RAISE(LRS_ERR_CANCELLED, "cancelled at iteration %lld: the point stays pending",
                   (long long)step);
}

lrs_status lrs__alloc_doubles(const lrs__run *run, size_t count, double **a) {
  *a = malloc((count ? count : 1) * sizeof **a);
  return lrs_linalg_agree(run->model->la, LRS_CHECK_ALLOC(*a));
}

void lrs__levels_update(lrs__run *run, double loss, int64_t step, double time, bool gf) {
  lrs_summary *s = &run->res->summary;
  for (int i = 0; i < LRS_RESULT_LEVELS; i++) {
    if (loss <= lrs_result_levels[i] * run->L0) {
      if (s->iters_to[i] < 0)
        s->iters_to[i] = step;
      if (gf && isnan(s->time_to[i]))
        s->time_to[i] = time;
    }
  }
}

lrs_status lrs__fit_rate(lrs_result *res, bool by_time) {
  const size_t n = res->n_records;
  if (n == 0)
    return LRS_OK;
  double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the rate fit of %zu records", n);
  }
  for (size_t i = 0; i < n; i++) {
    x[i] = by_time ? res->records[i].time : (double)res->records[i].step;
    y[i] = res->records[i].loss;
  }
  const lrs_rate_fit f = lrs_rate_fit_curve(x, y, n, NULL);
  if (f.ok) {
    res->summary.rate = f.rate;
    res->summary.rate_r2 = f.r2;
    res->summary.rate_begin = (int64_t)f.begin;
    res->summary.rate_end = (int64_t)f.end;
  }
  free(x);
  free(y);
  return LRS_OK;
}

void lrs__set_outcome(lrs__run *run, lrs_point_status outcome, const char *at, double loss) {
  switch (outcome) {
  case LRS_POINT_DIVERGED:
    lrs__set_status(run->res, outcome, "diverged at %s: loss − ℓ* = %g (L0 − ℓ* = %g)", at, loss,
                    run->L0);
    break;
  case LRS_POINT_TIMEOUT:
    lrs__set_status(run->res, outcome, "wall-clock limit of %g s reached at %s",
                    run->p->max_point_seconds, at);
    break;
  default:
    lrs__set_status(run->res, outcome, "%s", "");
  }
}

void lrs__set_eta0(lrs__run *run, double eta0) {
  if (run->model->ops->set_eta0)
    run->model->ops->set_eta0(run->model, eta0);
}
