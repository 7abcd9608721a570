/* The GD loop (papers.md §1.2, §1.6; lrsweep/solver.h): records, the step
 * rule of the point's catalog row, stopping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver_impl.h"

/* Records reserved before the loop at most (~1 MB): the bound of a long
 * schedule is reached only by a point that runs that long. */
enum { RESERVE_CHUNK = 4096 };

/* Sorted distinct steps to record (k = record_every > 0: multiples of k;
 * k = 0: ~records log-spaced steps in [1, max_iter]; step 0 always). */
typedef struct {
  int64_t every;
  int64_t *steps;
  size_t n, next;
} schedule;

static lrs_status schedule_make(const lrs_point *p, schedule *s) {
  memset(s, 0, sizeof *s);
  if (p->record_every < 0 || p->records < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "record_every = %lld, records = %lld must be ≥ 0",
                     (long long)p->record_every, (long long)p->records);
  if (p->record_every > 0) {
    s->every = p->record_every;
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
  LRS_TRY(lrs_kind_method_ok(p));
  const bool gd = p->method == LRS_METHOD_GD;
  const lrs_step_rule_type *rule = gd ? lrs_step_rule_type_of(p->step_rule) : &lrs__adam_rule;
  if (p->max_iter < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "max_iter = %lld must be ≥ 0", (long long)p->max_iter);

  lrs_status st = LRS_OK;
  schedule sched;
  lrs__gd g = {.run = run};
  st = schedule_make(p, &sched);
  if (st == LRS_OK) { /* the catalog's bound on this schedule's records, up to a
                        * chunk: a point that meets tol early never needs the bound
                        * of max_iter = 10⁹ (append doubles beyond the chunk) */
    const size_t bound = (size_t)lrs_point_max_records(p);
    st = lrs_result_reserve(res, res->n_records + (bound < RESERVE_CHUNK ? bound : RESERVE_CHUNK));
  }
  LRS_TRY_GOTO(st, lrs_linalg_agree(m->la, st), done);
  LRS_TRY_GOTO(st, lrs__alloc_doubles(run, run->P, &g.theta_prev), done);

  char why[LRS_RESULT_MESSAGE_MAX] = "";
  LRS_TRY_GOTO(st, rule->eta0(&g, &g.eta0, why, sizeof why), done);
  if (why[0]) {
    lrs__set_status(res, LRS_POINT_ERROR, "%s", why);
    goto done;
  }
  lrs__set_eta0(run, g.eta0);

  /* θ_0 */
  const bool fused = !rule->self_stepping && m->ops->gd_fused && m->ops->gd_fused(m);
  LRS_TRY_GOTO(st, gd_eval(run, fused, &g), done);
  run->L0 = g.loss;
  res->summary.loss0 = g.loss;

  /* The loop: no allocation below but a record past the reserved chunk's. */
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
    LRS_TRY_GOTO(st, lrs__cancel_poll(run, g.t, time, g.loss, false), done);
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
    if (m->ops->account_step && gd) /* [P1]'s K_t(η), ρ_t are GD's */
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
  char at[48];
  snprintf(at, sizeof at, "iteration %lld", (long long)g.t);
  if (g.halt != LRS_POINT_PENDING)
    lrs__set_status(res, outcome, "%s", g.halt_msg);
  else if (g.ls_failures > 0 && outcome != LRS_POINT_DIVERGED && outcome != LRS_POINT_TIMEOUT)
    lrs__set_status(res, outcome,
                    "backtracking (%s): the line search hit its guard in %lld of %lld "
                    "iterations; the sufficient-decrease test failed there (the tried step "
                    "with the smallest loss was taken)",
                    lrs_bt_test_names[p->bt_test], (long long)g.ls_failures, (long long)g.t);
  else
    lrs__set_outcome(run, outcome, at, g.loss);
  res->summary.loss_evals = g.loss_evals;
  res->summary.ls_failures = g.ls_failures;
  LRS_TRY_GOTO(st, lrs__fit_rate(res, false), done);
done:
  free(sched.steps);
  free(g.theta_prev);
  free(g.state);
  return st;
}

