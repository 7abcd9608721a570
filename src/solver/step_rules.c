/* The GD step rules, each a row of the kinds catalog (lrsweep/kind.h;
 * papers.md §1.6, §3.1–3.2; lrsweep/solver.h). */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lrsweep/two_layer.h"
#include "solver_impl.h"

double lrs__default_eta0(const lrs_point *p, const lrs_model *m) {
  if (isfinite(p->step_size))
    return p->step_size;
  return m->ops->eta_max ? m->ops->eta_max(m) : NAN;
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

/* A rule without a value here: the run ends with `st` (lrs__gd.halt). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void halt(lrs__gd *g, lrs_point_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->halt_msg, sizeof g->halt_msg, fmt, ap);
  va_end(ap);
  g->halt = st;
}

/* ---------------------------------------------------------------- global */
/* Eq. 19 with ρ̄: η_t = min((1 + η0^d)^{t/2} η0, 1/K̄_t) (weights-free).
 * K̄_t holds √(ρ̄(η0, 0)^t) and √(Δ^t): undefined when ρ̄(η0, 0) < 0, which
 * happens for η0 beyond η_max (papers.md §1.5); the rule then has no schedule
 * at all and the point ends rule_undefined before its first step. */
static lrs_status choose_global(lrs__gd *g, double *eta) {
  const lrs_theory_state *ts = lrs_two_layer_theory(g->run->model);
  const double rb = ts->th.rho_bar0;
  if (!(rb >= 0.0)) {
    halt(g, LRS_POINT_RULE_UNDEFINED,
         "global: rho_bar(eta0, 0) = %.3g < 0 at eta0 = %.3g (eta_max = %.3g): K_bar_t needs "
         "rho_bar^t >= 0, so eq. 19 with rho_bar is undefined",
         rb, g->eta0, ts->th.eta_max);
    return LRS_OK;
  }
  const double cap = growth_cap(g), inv = 1.0 / lrs_theory_K_bar(ts, (double)g->t);
  if (!(inv > 0.0)) {
    halt(g, LRS_POINT_RULE_UNDEFINED, "global: 1/K_bar_%lld = %g is not a step",
         (long long)g->t, inv);
    return LRS_OK;
  }
  *eta = cap < inv ? cap : inv;
  return LRS_OK;
}

/* ---------------------------------------------------------------- xu2023 */
/* [P1-2023]'s rule as [P1] Fig. 2 ran it (papers.md §3.1): η_t minimizes the
 * quartic ρ(η) of eq. 21 at the current iterate, with r_t = √(2KL_t) (or the
 * exact ‖∇ℓ(W_t)‖), uncapped unless xu2023_cap = eta_max. */
static lrs_status eta0_xu2023(lrs__gd *g, double *eta0, char *why, size_t why_len) {
  LRS_TRY(eta0_default(g, eta0, why, why_len)); /* the η0 of the bound curves */
  const lrs_point *p = g->run->p;
  if (why[0] || p->xu2023_cap != LRS_XU_CAP_ETA_MAX)
    return LRS_OK;
  lrs_xu2023_in in;
  LRS_TRY(lrs_two_layer_xu2023_in(g->run->model, p->xu2023_c1, p->xu2023_c2, &in));
  lrs_xu2023_cap_init(&in, &lrs_two_layer_theory(g->run->model)->th, &g->xu);
  if (!(g->xu.eta_max > 0.0) || !isfinite(g->xu.eta_max))
    snprintf(why, why_len,
             "xu2023: the cap eta_max' = %g is not a usable step (alpha0 = %g, p1 = %g)",
             g->xu.eta_max, g->xu.alpha0, g->xu.p1);
  return LRS_OK;
}

static lrs_status choose_xu2023(lrs__gd *g, double *eta) {
  const lrs_point *p = g->run->p;
  lrs_local_consts lc;
  LRS_TRY(lrs_two_layer_local(g->run->model, &lc));
  const double r = p->xu2023_grad == LRS_XU_GRAD_EXACT ? lc.grad_l : sqrt(2.0 * lc.K * lc.L);
  const lrs_xu2023_coeffs h = lrs_xu2023_coeffs_at(&lc, r);
  double e = lrs_xu2023_step(&h);
  if (!(e > 0.0) || !isfinite(e)) {
    halt(g, LRS_POINT_RULE_UNDEFINED,
         "xu2023: d rho/d eta has no positive root at iteration %lld (h1 = %g, h2 = %g)",
         (long long)g->t, h.h1, h.h2);
    return LRS_OK;
  }
  if (p->xu2023_cap == LRS_XU_CAP_ETA_MAX && g->xu.eta_max < e)
    e = g->xu.eta_max;
  *eta = e;
  return LRS_OK;
}

/* ---------------------------------------------------------------- backtracking */
/* Papers.md §3.2: from η_bt = step_size, η ← τη while the test fails:
 * armijo  L(θ − η∇L) ≤ L(θ) − c·η‖∇L‖²  (the η the printed form lacks), or
 * printed L(θ − η∇L) ≤ L(θ) − γ‖∇L‖²    (App. G.2.1; often unsatisfiable).
 * Guard: a search whose bt_max_shrinks shrinks all failed (bt_max_shrinks + 1
 * trials, η_bt·τ^0 … η_bt·τ^bt_max_shrinks), or (armijo) whose demanded
 * decrease c·η‖∇L‖² falls below the rounding of L, is a line-search failure: it
 * is counted and the tried step with the smallest loss is taken if that loss
 * is below L; if no trial decreased L the point ends numerical_failure. */
static void bt_move(lrs__run *run, const double *from, double e) {
  for (size_t i = 0; i < run->P; i++)
    run->theta[i] = from[i] - e * run->grad[i];
}

static lrs_status choose_backtracking(lrs__gd *g, double *eta) {
  lrs__run *run = g->run;
  const lrs_point *p = run->p;
  memcpy(g->theta_prev, run->theta, run->P * sizeof *run->theta);
  const bool armijo = p->bt_test == LRS_BT_ARMIJO;
  const double L = g->loss, gn2 = g->grad_norm2;
  double e = g->eta0, best = NAN, best_loss = L;
  for (int64_t k = 0;; k++) {
    const double demand = p->bt_sufficient * gn2 * (armijo ? e : 1.0);
    if (k > p->bt_max_shrinks || (armijo && !(demand > DBL_EPSILON * fabs(L))))
      break; /* the guard */
    bt_move(run, g->theta_prev, e);
    double trial;
    LRS_TRY(run->model->ops->eval(run->model, &trial, NULL));
    g->loss_evals++;
    if (trial <= L - demand) {
      *eta = e;
      return LRS_OK;
    }
    if (trial < best_loss) {
      best = e;
      best_loss = trial;
    }
    e *= p->bt_shrink;
  }
  g->ls_failures++;
  if (isnan(best)) {
    memcpy(run->theta, g->theta_prev, run->P * sizeof *run->theta);
    halt(g, LRS_POINT_NUMERICAL_FAILURE,
         "backtracking (%s): no trial step decreased L at iteration %lld (L - l* = %.3g, "
         "smallest eta tried %.3g)",
         lrs_bt_test_names[p->bt_test], (long long)g->t, L, e / p->bt_shrink);
    return LRS_OK;
  }
  bt_move(run, g->theta_prev, best);
  *eta = best;
  return LRS_OK;
}

/* App. G.2.1's parameters: η_bt, a shrink factor that ends the search, and
 * the guard's cap on shrinks (papers.md §3.2). */
static bool check_backtracking(const lrs_point *p, lrs_violation *v) {
  if (!(p->bt_shrink > 0.0 && p->bt_shrink < 1.0))
    return lrs_violate(v, LRS_ERR_CONFIG, "bt_shrink", "bt_shrink = %g must be in (0, 1)",
                       p->bt_shrink);
  if (!(p->bt_sufficient >= 0.0) || !isfinite(p->bt_sufficient))
    return lrs_violate(v, LRS_ERR_CONFIG, "bt_sufficient", "bt_sufficient = %g must be ≥ 0",
                       p->bt_sufficient);
  if (!(p->step_size > 0.0) || !isfinite(p->step_size))
    return lrs_violate(v, LRS_ERR_CONFIG, "step_size",
                       "backtracking needs step_size (η_bt) > 0, got %g", p->step_size);
  if (p->bt_max_shrinks < 1)
    return lrs_violate(v, LRS_ERR_CONFIG, "bt_max_shrinks", "bt_max_shrinks = %lld must be ≥ 1",
                       (long long)p->bt_max_shrinks);
  return true;
}

const lrs_step_rule_type lrs__step_fixed = {
    .needs_step_size = true, .evals_per_step = 1.0, .eta0 = eta0_default, .choose = choose_fixed};
const lrs_step_rule_type lrs__step_local = {
    .needs_p1 = true, .evals_per_step = 1.0, .eta0 = eta0_default, .choose = choose_local};
const lrs_step_rule_type lrs__step_global = {
    .needs_p1 = true, .evals_per_step = 1.0, .eta0 = eta0_default, .choose = choose_global};
/* A few trial losses per iteration on average (cost model only). */
const lrs_step_rule_type lrs__step_backtracking = {
    .needs_step_size = true, .self_stepping = true, .evals_per_step = 3.0,
    .check = check_backtracking, .eta0 = eta0_default, .choose = choose_backtracking};
/* [P1-2023]'s rule needs X and Y (p1, p2 of its cap): the squared loss. */
const lrs_step_rule_type lrs__step_xu2023 = {
    .needs_p1 = true, .losses = LRS_KIND_BIT(LRS_LOSS_SQUARED), .evals_per_step = 1.0,
    .eta0 = eta0_xu2023, .choose = choose_xu2023};
