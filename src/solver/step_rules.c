/* The GD step-rule table (papers.md §1.6, lrsweep/solver.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lrsweep/two_layer.h"
#include "solver_impl.h"

double lrs__default_eta0(const lrs_point *p, const lrs_model *m) {
  if (isfinite(p->step_size))
    return p->step_size;
  if (lrs_two_layer_is(m)) {
    const lrs_theory_state *ts = lrs_two_layer_theory(m);
    if (ts->th.applicable)
      return ts->th.eta_max;
  }
  return NAN;
}

/* η0 = step_size, or η_max (NaN step_size); refused when not a positive number. */
static lrs_status eta0_default(lrs__gd *g, double *eta0, char *why, size_t why_len) {
  const lrs_point *p = g->run->p;
  *eta0 = lrs__default_eta0(p, g->run->model);
  if (!(*eta0 > 0.0) || !isfinite(*eta0)) {
    if (isfinite(p->step_size))
      snprintf(why, why_len, "step_size = %g is not a positive step", p->step_size);
    else if (lrs_two_layer_is(g->run->model) && lrs_two_layer_theory(g->run->model)->th.applicable)
      snprintf(why, why_len,
               "eta_max = %g is not a usable step (alpha1 = %g): give step_size explicitly",
               *eta0, lrs_two_layer_theory(g->run->model)->th.alpha1);
    else
      snprintf(why, why_len, "step_size is unset and eta_max needs a two_layer model with a "
                             "loss covered by [P1]");
  }
  return LRS_OK;
}

/* ---------------------------------------------------------------- fixed */
static lrs_status choose_fixed(lrs__gd *g, double *eta) {
  *eta = g->eta0;
  return LRS_OK;
}

/* ---------------------------------------------------------------- local */
/* Eq. 19 with ρ: η_t = min((1 + η0^d)^{t/2} η0, 1/K_t), 1/K_t the positive
 * root of η·K_t(η) = 1 at the current weights (papers.md §1.6). */
static double growth_cap(const lrs__gd *g) {
  const double d = g->run->p->theory_d;
  return pow(1.0 + pow(g->eta0, d), 0.5 * (double)g->t) * g->eta0;
}

static lrs_status choose_local(lrs__gd *g, double *eta) {
  lrs_local_consts lc;
  LRS_TRY(lrs_two_layer_local(g->run->model, &lc));
  const double cap = growth_cap(g), inv = lrs_theory_inv_K_t(&lc);
  *eta = cap < inv ? cap : inv;
  return LRS_OK;
}

/* ---------------------------------------------------------------- global */
/* Eq. 19 with ρ̄: η_t = min((1 + η0^d)^{t/2} η0, 1/K̄_t) (weights-free). */
static lrs_status choose_global(lrs__gd *g, double *eta) {
  const lrs_theory_state *ts = lrs_two_layer_theory(g->run->model);
  const double cap = growth_cap(g), inv = 1.0 / lrs_theory_K_bar(ts, (double)g->t);
  *eta = cap < inv ? cap : inv;
  return LRS_OK;
}

/* ---------------------------------------------------------------- backtracking */
/* App. G.2.1: from η_bt, η ← τη while L(θ − η∇L) > L(θ) − γ‖∇L‖² (as
 * printed: no η factor).  That test can be unsatisfiable (it asks for a
 * decrease of γ‖∇L‖² whatever η); once η falls below LRS_BT_MIN_FACTOR·η_bt
 * the rule takes the largest tried η that decreased L (or the smallest tried
 * η if none did) — see lrsweep/solver.h. */
static lrs_status choose_backtracking(lrs__gd *g, double *eta) {
  lrs__run *run = g->run;
  const lrs_point *p = run->p;
  const size_t P = run->P;
  memcpy(g->theta_prev, run->theta, P * sizeof *run->theta);
  const double target = g->loss - p->bt_sufficient * g->grad_norm2;
  double e = g->eta0, best = NAN;
  for (;;) {
    for (size_t i = 0; i < P; i++)
      run->theta[i] = g->theta_prev[i] - e * run->grad[i];
    double trial;
    LRS_TRY(run->model->ops->eval(run->model, &trial, NULL));
    run->evals++;
    if (trial <= target)
      break; /* the printed sufficient-decrease test holds */
    if (trial < g->loss && isnan(best))
      best = e;
    if (e * p->bt_shrink < LRS_BT_MIN_FACTOR * g->eta0) { /* fallback */
      g->fallbacks++;
      if (!isnan(best)) {
        e = best;
        for (size_t i = 0; i < P; i++)
          run->theta[i] = g->theta_prev[i] - e * run->grad[i];
      }
      break;
    }
    e *= p->bt_shrink;
  }
  *eta = e;
  return LRS_OK;
}

static const lrs__step_rule table[LRS_STEP_RULE_COUNT] = {
    [LRS_STEP_FIXED] = {LRS_STEP_FIXED, "fixed", false, false, eta0_default, choose_fixed},
    [LRS_STEP_LOCAL] = {LRS_STEP_LOCAL, "local", true, false, eta0_default, choose_local},
    [LRS_STEP_GLOBAL] = {LRS_STEP_GLOBAL, "global", true, false, eta0_default, choose_global},
    [LRS_STEP_BACKTRACKING] = {LRS_STEP_BACKTRACKING, "backtracking", false, true, eta0_default,
                               choose_backtracking},
    [LRS_STEP_XU2023] = {LRS_STEP_XU2023, "xu2023", true, false, NULL, NULL},
};

lrs_status lrs__step_rule_get(const lrs_point *p, const lrs_model *m,
                              const lrs__step_rule **rule) {
  *rule = NULL;
  if ((unsigned)p->step_rule >= LRS_STEP_RULE_COUNT)
    return LRS_RAISE(LRS_ERR_CONFIG, "step_rule %d unknown", (int)p->step_rule);
  const lrs__step_rule *r = &table[p->step_rule];
  if (!r->choose)
    return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                     "step_rule = %s (the AISTATS 2023 adaptive rule) is not implemented; "
                     "use local, global, fixed or backtracking",
                     r->name);
  if (r->needs_p1) {
    if (!lrs_two_layer_is(m))
      return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                       "step_rule = %s needs the two_layer model ([P1]), not %s", r->name,
                       m->ops->name);
    if (!lrs_two_layer_theory(m)->th.applicable)
      return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                       "step_rule = %s needs a loss covered by [P1] (squared, logistic), "
                       "not %s",
                       r->name, lrs_loss_names[p->loss]);
  }
  if (p->step_rule == LRS_STEP_BACKTRACKING) {
    if (!(p->bt_shrink > 0.0 && p->bt_shrink < 1.0))
      return LRS_RAISE(LRS_ERR_CONFIG, "bt_shrink = %g must be in (0, 1)", p->bt_shrink);
    if (!(p->bt_sufficient >= 0.0) || !isfinite(p->bt_sufficient))
      return LRS_RAISE(LRS_ERR_CONFIG, "bt_sufficient = %g must be ≥ 0", p->bt_sufficient);
    if (!(p->step_size > 0.0) || !isfinite(p->step_size))
      return LRS_RAISE(LRS_ERR_CONFIG,
                       "backtracking needs step_size (η_bt) > 0, got %g", p->step_size);
  }
  *rule = r;
  return LRS_OK;
}
