/* Solver entry point, stopping rules, records and the GD loop
 * (lrsweep/solver.h, papers.md §1.2, §1.6). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrsweep/rate.h"
#include "lrsweep/two_layer.h"
#include "solver_impl.h"

double lrs_solver_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
  if (loss <= p->tol) {
    *out = LRS_POINT_CONVERGED;
    return LRS_OK;
  }
  if (isfinite(run->deadline)) { /* the same on every rank: +∞ or a limit */
    double late = lrs_solver_now() > run->deadline ? 1.0 : 0.0;
    LRS_TRY(lrs_linalg_max(run->model->la, &late, 1));
    if (late > 0.0)
      *out = LRS_POINT_TIMEOUT;
  }
  return LRS_OK;
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

/* ------------------------------------------------------------ GD records */

/* Sorted distinct steps to record (k = record_every > 0: multiples of k;
 * k = 0: ~records log-spaced steps in [1, max_iter]; step 0 always). */
typedef struct {
  int64_t every;
  int64_t *steps;
  size_t n, next;
} schedule;

static lrs_status schedule_make(const lrs_point *p, schedule *s, size_t *capacity) {
  memset(s, 0, sizeof *s);
  if (p->record_every < 0 || p->records < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "record_every = %lld, records = %lld must be ≥ 0",
                     (long long)p->record_every, (long long)p->records);
  if (p->record_every > 0) {
    s->every = p->record_every;
    *capacity = (size_t)(p->max_iter / p->record_every) + 3;
    return LRS_OK;
  }
  const size_t R = (size_t)p->records;
  s->steps = malloc((R + 1) * sizeof *s->steps);
  LRS_TRY(LRS_CHECK_ALLOC(s->steps));
  s->steps[s->n++] = 0;
  const double top = (double)p->max_iter;
  for (size_t i = 0; i < R && top >= 1.0; i++) {
    const double frac = R > 1 ? (double)i / (double)(R - 1) : 1.0;
    const int64_t st = (int64_t)llround(pow(top, frac)); /* 1 .. max_iter */
    if (st > s->steps[s->n - 1])
      s->steps[s->n++] = st;
  }
  *capacity = s->n + 2;
  return LRS_OK;
}

static bool schedule_due(schedule *s, int64_t t) {
  if (s->every > 0)
    return t % s->every == 0;
  while (s->next < s->n && s->steps[s->next] < t)
    s->next++;
  return s->next < s->n && s->steps[s->next] == t;
}

static lrs_record base_record(int64_t step, double time, double loss, double gn2) {
  lrs_record r = lrs_record_unset();
  r.step = step;
  r.time = time;
  r.loss = loss;
  r.grad_norm = sqrt(gn2);
  return r;
}

static void note_drift(lrs_result *res, const lrs_record *r) {
  if (isfinite(r->imbalance_drift) &&
      (isnan(res->summary.max_drift) || r->imbalance_drift > res->summary.max_drift))
    res->summary.max_drift = r->imbalance_drift;
}

/* ------------------------------------------------------------ GD */

/* L(θ) − ℓ* and ‖∇L(θ)‖² at the current θ; ∇L into run->grad unless fused
 * (lrsweep/model.h: the model then moves θ itself). */
static lrs_status gd_eval(lrs__run *run, bool fused, lrs__gd *g) {
  lrs_model *m = run->model;
  run->evals++;
  if (fused) {
    LRS_TRY(m->ops->eval(m, &g->loss, NULL));
    return m->ops->grad_norm2(m, &g->grad_norm2);
  }
  LRS_TRY(m->ops->eval(m, &g->loss, run->grad));
  return lrs_model_norm2(m, run->grad, &g->grad_norm2);
}

lrs_status lrs__gd_run(lrs__run *run) {
  lrs_model *m = run->model;
  const lrs_point *p = run->p;
  lrs_result *res = run->res;
  const lrs__step_rule *rule;
  LRS_TRY(lrs__step_rule_get(p, m, &rule));
  if (p->max_iter < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "max_iter = %lld must be ≥ 0", (long long)p->max_iter);

  lrs_status st = LRS_OK;
  schedule sched;
  size_t cap = 0;
  lrs__gd g = {.run = run};
  st = schedule_make(p, &sched, &cap);
  if (st == LRS_OK)
    st = lrs_result_reserve(res, res->n_records + cap);
  LRS_TRY_GOTO(st, lrs_linalg_agree(m->la, st), done);
  LRS_TRY_GOTO(st, lrs__alloc_doubles(run, run->P, &g.theta_prev), done);

  char why[LRS_RESULT_MESSAGE_MAX] = "";
  LRS_TRY_GOTO(st, rule->eta0(&g, &g.eta0, why, sizeof why), done);
  if (why[0]) {
    lrs__set_status(res, LRS_POINT_ERROR, "%s", why);
    goto done;
  }
  if (lrs_two_layer_is(m))
    lrs_two_layer_set_eta0(m, g.eta0);

  /* θ_0 */
  const bool fused = !rule->self_stepping && m->ops->gd_fused && m->ops->gd_fused(m);
  LRS_TRY_GOTO(st, gd_eval(run, fused, &g), done);
  run->L0 = g.loss;
  res->summary.loss0 = g.loss;

  /* The loop: no allocation below (records were reserved). */
  double time = 0.0;
  lrs_point_status outcome = LRS_POINT_PENDING;
  for (g.t = 0;; g.t++) {
    const bool finite = isfinite(g.loss) && isfinite(g.grad_norm2);
    if (finite)
      lrs__levels_update(run, g.loss, g.t, time, false);
    LRS_TRY_GOTO(st, lrs__stop_check(run, g.loss, g.grad_norm2, &outcome), done);
    if (outcome == LRS_POINT_PENDING && g.t >= p->max_iter)
      outcome = LRS_POINT_MAX_ITER;
    if (outcome != LRS_POINT_PENDING)
      break;
    const bool rec_now = schedule_due(&sched, g.t);
    lrs_record rec = base_record(g.t, time, g.loss, g.grad_norm2);
    const lrs_observe obs = {.step = g.t, .time = time, .loss = g.loss,
                             .grad_norm2 = g.grad_norm2, .finite = true, .discrete = true};
    LRS_TRY_GOTO(st, m->ops->observe(m, &obs, rec_now ? &rec : NULL), done);
    double eta = NAN;
    LRS_TRY_GOTO(st, rule->choose(&g, &eta), done);
    if (g.halt != LRS_POINT_PENDING) { /* the rule has no step here: θ is θ_t */
      outcome = g.halt;
      break;
    }
    if (m->ops->account_step)
      LRS_TRY_GOTO(st, m->ops->account_step(m, eta, rec_now ? &rec : NULL), done);
    if (rec_now) {
      rec.step_size = eta;
      LRS_TRY_GOTO(st, lrs_result_append(res, &rec), done);
      note_drift(res, &rec);
    }
    if (fused) /* θ_{t+1} = θ_t − η_t∇L(θ_t) (eq. 7–8) */
      LRS_TRY_GOTO(st, m->ops->descend(m, eta), done);
    else if (!rule->self_stepping)
      for (size_t i = 0; i < run->P; i++)
        run->theta[i] -= eta * run->grad[i];
    time += eta;
    LRS_TRY_GOTO(st, gd_eval(run, fused, &g), done);
  }
  /* The final state, always recorded (diverged states get only the solver's
   * fields). */
  {
    lrs_record rec = base_record(g.t, time, g.loss, g.grad_norm2);
    const bool finite = isfinite(g.loss) && isfinite(g.grad_norm2);
    const lrs_observe obs = {.step = g.t, .time = time, .loss = g.loss,
                             .grad_norm2 = g.grad_norm2, .finite = finite, .discrete = true};
    LRS_TRY_GOTO(st, m->ops->observe(m, &obs, &rec), done);
    LRS_TRY_GOTO(st, lrs_result_append(res, &rec), done);
    note_drift(res, &rec);
  }
  res->summary.iterations = g.t;
  res->summary.final_loss = g.loss;
  switch (outcome) {
  case LRS_POINT_DIVERGED:
    lrs__set_status(res, outcome, "diverged at iteration %lld: loss − ℓ* = %g (L0 − ℓ* = %g)",
                    (long long)g.t, g.loss, run->L0);
    break;
  case LRS_POINT_TIMEOUT:
    lrs__set_status(res, outcome, "wall-clock limit of %g s reached at iteration %lld",
                    p->max_point_seconds, (long long)g.t);
    break;
  default:
    if (g.halt != LRS_POINT_PENDING)
      lrs__set_status(res, outcome, "%s", g.halt_msg);
    else if (g.ls_failures > 0)
      lrs__set_status(res, outcome,
                      "backtracking (%s): the line search hit its guard in %lld of %lld "
                      "iterations; the sufficient-decrease test failed there (the tried step "
                      "with the smallest loss was taken)",
                      lrs_bt_test_names[p->bt_test], (long long)g.ls_failures, (long long)g.t);
    else
      lrs__set_status(res, outcome, "%s", "");
  }
  res->summary.loss_evals = g.loss_evals;
  res->summary.ls_failures = g.ls_failures;
  LRS_TRY_GOTO(st, lrs__fit_rate(res, false), done);
done:
  free(sched.steps);
  free(g.theta_prev);
  return st;
}

/* ------------------------------------------------------------ entry */

lrs_status lrs_solver_run(lrs_model *model, const lrs_point *point, double deadline,
                          lrs_result *result) {
  lrs_status st = LRS_OK;
  lrs__run run = {.model = model, .p = point, .res = result, .deadline = deadline,
                  .P = model->ops->param_count(model), .theta = model->ops->params(model)};
  if (!(point->tol >= 0.0) || !(point->blowup > 0.0))
    return LRS_RAISE(LRS_ERR_CONFIG, "tol = %g must be ≥ 0 and blowup = %g > 0", point->tol,
                     point->blowup);
  double *own_grad = NULL; /* when the model has no gradient storage to lend */
  if (model->ops->grad_storage) {
    run.grad = model->ops->grad_storage(model);
  } else {
    LRS_TRY(lrs__alloc_doubles(&run, run.P, &own_grad));
    run.grad = own_grad;
  }
  result->summary.loss_evals = result->summary.ls_failures = 0; /* GD sets its own */
  switch (point->method) {
  case LRS_METHOD_GD:
    LRS_TRY_GOTO(st, lrs__gd_run(&run), done);
    break;
  case LRS_METHOD_GF:
    LRS_TRY_GOTO(st, lrs__gf_run(&run), done);
    break;
  case LRS_METHOD_NONE: {
    double loss;
    LRS_TRY_GOTO(st, model->ops->eval(model, &loss, NULL), done);
    result->summary.loss0 = result->summary.final_loss = loss;
    if (lrs_two_layer_is(model))
      lrs_two_layer_set_eta0(model, lrs__default_eta0(point, model));
    lrs__set_status(result, LRS_POINT_THEORY_ONLY, "%s", "");
    break;
  }
  default:
    st = LRS_RAISE(LRS_ERR_CONFIG, "method %d unknown", (int)point->method);
    goto done;
  }
  result->summary.rhs_evals = run.evals;
  LRS_TRY_GOTO(st, model->ops->summarize(model, &result->summary), done);
  /* Raw losses: the records and the loop work with L − ℓ*. */
  if (isfinite(result->summary.loss_star)) {
    result->summary.loss0 += result->summary.loss_star;
    result->summary.final_loss += result->summary.loss_star;
  }
done:
  free(own_grad);
  /* Local failures after the last collective call (the rate fit's arrays):
   * every rank of a group reports the same status. */
  return lrs_linalg_agree(model->la, st);
}
