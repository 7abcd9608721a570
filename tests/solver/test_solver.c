/* GD and GF through lrs_solve_point (lrsweep/solver.h, lrsweep/solve.h):
 * GF conserves the imbalance, GF steppers agree, losses converge with fixed
 * and backtracking steps, a too large step diverges (a result, not a crash),
 * stopping statuses, record schedules, level counts, refusals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "d0_norm.h"
#include "lrs_test.h"
#include "lrsweep/problem.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

/* The small problem (numerics_point.h) with fixed GD steps. */
static lrs_point small_point(void) {
  lrs_point p = lrs_test_small_point();
  p.step_rule = LRS_STEP_FIXED;
  p.max_iter = 20000;
  p.tol = 1e-20;
  return p;
}

static void test_gf(void) {
  lrs_point p = small_point();
  p.method = LRS_METHOD_GF;
  p.horizon = 3.0;
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.records = 60;
  p.tol = 0.0;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  const double D0 = d0_norm(&p);
  double worst = 0.0;
  bool mono = true;
  for (size_t i = 0; i < r->n_records; i++) {
    worst = fmax(worst, r->records[i].imbalance_drift);
    if (i > 0)
      mono = mono && r->records[i].loss <= r->records[i - 1].loss * (1 + 1e-12) + 1e-300;
  }
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_MAX_TIME,
            "GF rk8pd ran to the horizon (status %s)", lrs_point_status_names[r->summary.status]);
  LRS_CHECK(worst <= 1e-8 * D0, "GF conserves D: max ‖D(t) − D(0)‖ = %.2e ≤ 1e-8·‖D(0)‖ = %.2e",
            worst, 1e-8 * D0);
  LRS_CHECK(r->summary.max_drift == worst, "summary.max_drift is the records' maximum");
  LRS_CHECK(mono, "GF loss is non-increasing along the records");
  LRS_CHECK(r->records[0].time == 0.0 && r->records[r->n_records - 1].time == p.horizon &&
                r->n_records >= 55 && r->n_records <= 62,
            "GF records: t = 0, ~%lld log-spaced times, ending at the horizon (%zu records)",
            (long long)p.records, r->n_records);
  LRS_CHECK(r->summary.rhs_evals > r->summary.iterations && r->summary.iterations > 0 &&
                r->summary.final_time == p.horizon,
            "GF counts RHS evaluations (%lld) and accepted steps (%lld)",
            (long long)r->summary.rhs_evals, (long long)r->summary.iterations);
  const double Lend = r->records[r->n_records - 1].loss;
  /* The fitted GF rate is per unit time: L(t) ≈ C·rate^t. */
  LRS_CHECK(r->summary.rate > 0 && r->summary.rate < 1 && r->summary.rate_r2 > 0.99,
            "GF rate per unit time %.4g (R² %.6f)", r->summary.rate, r->summary.rate_r2);

  /* Other steppers agree with rk8pd at the horizon. */
  const struct {
    lrs_ode_stepper s;
    lrs_jacobian j;
    const char *name;
    double rtol;
  } alt[] = {{LRS_ODE_RKF45, LRS_JACOBIAN_ANALYTIC, "rkf45", 1e-9},
             {LRS_ODE_MSBDF, LRS_JACOBIAN_ANALYTIC, "msbdf analytic", 1e-9},
             {LRS_ODE_MSBDF, LRS_JACOBIAN_FD, "msbdf fd", 1e-9}};
  for (size_t a = 0; a < sizeof alt / sizeof alt[0]; a++) {
    lrs_point q = p;
    q.ode_stepper = alt[a].s;
    q.jacobian = alt[a].j;
    q.horizon = 1.0;
    q.records = 5;
    q.rtol = alt[a].rtol;
    q.atol = 1e-13;
    lrs_point q8 = q;
    q8.ode_stepper = LRS_ODE_RK8PD;
    lrs_status s1, s2;
    lrs_result *ra = lrs_test_solve(&q, &s1), *rb = lrs_test_solve(&q8, &s2);
    const double la = ra->records[ra->n_records - 1].loss, lb = rb->records[rb->n_records - 1].loss;
    LRS_CHECK(s1 == LRS_OK && ra->summary.status == LRS_POINT_MAX_TIME &&
                  lrs_test_close(la, lb, 1e-4, 0),
              "GF %s agrees with rk8pd at t = 1: %.10g vs %.10g", alt[a].name, la, lb);
    lrs_result_destroy(&ra);
    lrs_result_destroy(&rb);
  }
  (void)Lend;
  lrs_result_destroy(&r);

  /* GF converged status when the tolerance is reached (a horizon far beyond
   * what linear convergence needs on this instance). */
  p.tol = 1e-12;
  p.horizon = 1e4;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED &&
                r->records[r->n_records - 1].loss <= 1e-12 && r->summary.final_time < p.horizon,
            "GF stops as converged at t = %.4g", r->summary.final_time);
  LRS_CHECK(r->summary.time_to[0] > 0 && r->summary.time_to[0] < r->summary.time_to[1],
            "GF time_to levels are increasing (%.3g, %.3g, %.3g)", r->summary.time_to[0],
            r->summary.time_to[1], r->summary.time_to[2]);
  lrs_result_destroy(&r);

  /* Unmeetable tolerances: numerical_failure with a reason, not a hang. */
  lrs_point f = p;
  f.rtol = 0.0;
  f.atol = 1e-300;
  r = lrs_test_solve(&f, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_NUMERICAL_FAILURE &&
                r->summary.message[0] != '\0' && r->n_records >= 2,
            "GF with atol = 1e-300: numerical_failure (%s)", r->summary.message);
  lrs_result_destroy(&r);
  f = p;
  f.max_point_seconds = 1e-9;
  r = lrs_test_solve(&f, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_TIMEOUT,
            "GF max_point_seconds: status timeout (%s)", r->summary.message);
  lrs_result_destroy(&r);

  p.ode_stepper = LRS_ODE_MSBDF;
  p.width = 2000; /* P = 14000 > the dense-Jacobian limit (full coordinates) */
  p.coordinates = LRS_COORDS_FULL;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_ERR_UNSUPPORTED && r->summary.status == LRS_POINT_ERROR &&
                strstr(r->summary.message, "msbdf"),
            "msbdf on a large problem is refused: %s", r->summary.message);
  lrs_result_destroy(&r);
}

/* A fixed step that GD must converge with on this instance, derived from the
 * theory rather than guessed: η = 1/(2 K α2) keeps η K σ²_max(T_t) ≤ ½ along
 * a squared-loss run ([P1] Lemma 3.1: α2 bounds σ²_max(T_t)); the logistic and
 * Huber losses on the same data are no smoother. */
static double safe_step(const lrs_point *base) {
  lrs_point q = *base;
  q.loss = LRS_LOSS_SQUARED;
  q.method = LRS_METHOD_NONE;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&q, &st);
  double eta = 0.5 / (r->summary.theory.K * r->summary.theory.alpha2);
  lrs_result_destroy(&r);
  return eta;
}

static void test_losses_converge(void) {
  const lrs_loss_kind kinds[] = {LRS_LOSS_SQUARED, LRS_LOSS_LOGISTIC, LRS_LOSS_HUBER};
  const lrs_step_rule rules[] = {LRS_STEP_FIXED, LRS_STEP_BACKTRACKING};
  for (size_t k = 0; k < 3; k++)
    for (size_t r = 0; r < 2; r++) {
      lrs_point p = small_point();
      p.loss = kinds[k];
      p.step_rule = rules[r];
      p.logistic_lambda = 0.05;
      p.huber_delta = 0.3;
      p.step_size = rules[r] == LRS_STEP_FIXED ? safe_step(&p) : 1.0;
      p.tol = 1e-12;
      p.record_every = 0;
      p.records = 50;
      lrs_status st;
      lrs_result *res = lrs_test_solve(&p, &st);
      const lrs_summary *s = &res->summary;
      LRS_CHECK(st == LRS_OK && s->status == LRS_POINT_CONVERGED,
                "%s + %s converges: status %s after %lld iterations, L − ℓ* = %.2e (ℓ* = %.6g)",
                lrs_loss_names[p.loss], lrs_step_rule_names[p.step_rule],
                lrs_point_status_names[s->status], (long long)s->iterations,
                res->records[res->n_records - 1].loss, s->loss_star);
      if (p.loss == LRS_LOSS_HUBER)
        LRS_CHECK(!s->theory.applicable && isnan(s->theory.alpha1) &&
                      isnan(res->records[1].rho_t) && isfinite(res->records[1].sigma_max2_T),
                  "huber: theory columns NaN, σ²(T) still recorded");
      else
        LRS_CHECK(s->theory.applicable && isfinite(s->theory.alpha1) &&
                      s->theory.eta0 == p.step_size,
                  "%s: theory filled, η0 = step_size", lrs_loss_names[p.loss]);
      lrs_result_destroy(&res);
    }
}

static void test_backtracking_printed(void) {
  lrs_point p = small_point();
  p.step_rule = LRS_STEP_BACKTRACKING;
  p.step_size = 1.0;
  p.tol = 1e-12;
  p.bt_test = LRS_BT_PRINTED;
  p.bt_shrink = 0.1;
  p.bt_sufficient = 1e-3; /* a satisfiable printed test: no fallback */
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED &&
                r->summary.message[0] == '\0' && r->summary.ls_failures == 0 &&
                r->summary.rhs_evals == r->summary.iterations + 1 &&
                r->summary.loss_evals >= r->summary.iterations,
            "backtracking with γ = 1e-3: converged without fallback, %lld gradient and %lld "
            "trial-loss evaluations",
            (long long)r->summary.rhs_evals, (long long)r->summary.loss_evals);
  bool ok = true;
  for (size_t i = 0; i + 1 < r->n_records; i++)
    ok = ok && r->records[i].step_size <= 1.0 &&
         r->records[i + 1].loss <= r->records[i].loss - 1e-3 * r->records[i].grad_norm *
                                                            r->records[i].grad_norm * (1 - 1e-9);
  LRS_CHECK(ok, "every accepted step satisfies L(t+1) ≤ L(t) − γ‖∇L(t)‖²");
  lrs_result_destroy(&r);
  p.bt_sufficient = 0.9;
  p.max_iter = 50;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.ls_failures > 0 &&
                r->summary.loss_evals >= r->summary.ls_failures * p.bt_max_shrinks &&
                strstr(r->summary.message, "sufficient-decrease test failed") != NULL,
            "γ = 0.9 (as printed) is unsatisfiable here: %lld line-search failures, and the "
            "message says so (%s)",
            (long long)r->summary.ls_failures, r->summary.message);
  lrs_result_destroy(&r);
}

/* Armijo (papers.md §3.2): every accepted step satisfies
 * L(t+1) ≤ L(t) − c·η_t‖∇L(t)‖² with η_t = η_bt·τ^k, and the trial count is
 * Σ(k_t + 1); a search cut by bt_max_shrinks is a counted failure; at a
 * minimum no step decreases L and the point ends numerical_failure. */
static void test_backtracking_armijo(void) {
  lrs_point p = small_point();
  p.step_rule = LRS_STEP_BACKTRACKING;
  p.bt_test = LRS_BT_ARMIJO;
  p.step_size = 1.0;
  p.bt_shrink = 0.7;
  p.bt_sufficient = 0.5;
  p.tol = 1e-16;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  bool ok = st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED && r->n_records > 2;
  int64_t trials = 0;
  for (size_t i = 0; ok && i + 1 < r->n_records; i++) {
    const lrs_record *a = &r->records[i];
    const double k = log(a->step_size) / log(0.7); /* η_t = 0.7^k */
    ok = ok && fabs(k - round(k)) < 1e-9 &&
         r->records[i + 1].loss <= a->loss - 0.5 * a->step_size * a->grad_norm * a->grad_norm;
    trials += (int64_t)llround(k) + 1;
  }
  LRS_CHECK(ok && r->summary.ls_failures == 0 && r->summary.loss_evals == trials &&
                r->summary.rhs_evals == r->summary.iterations + 1,
            "armijo: every step η_bt·τ^k with L(t+1) ≤ L(t) − cη_t‖∇L‖², %lld trial losses "
            "= Σ(k_t + 1) (%lld), %lld gradients",
            (long long)r->summary.loss_evals, (long long)trials, (long long)r->summary.rhs_evals);
  lrs_result_destroy(&r);

  p.step_size = 1e6; /* two shrinks cannot reach a decrease from here */
  p.bt_max_shrinks = 2;
  p.max_iter = 3;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_NUMERICAL_FAILURE &&
                r->summary.ls_failures == 1 && r->summary.loss_evals == 3 &&
                r->summary.iterations == 0 && strstr(r->summary.message, "no trial step decreased") &&
                strstr(r->summary.message, "smallest eta tried 4.9e+05"),
            "armijo from η_bt = 1e6 with 2 shrinks: 3 trials (1e6, 7e5, 4.9e5: the cap counts "
            "shrinks), one failure, no decrease: numerical_failure (%s)", r->summary.message);
  lrs_result_destroy(&r);

  /* At the loss floor the demanded decrease falls below rounding: the guard ends
   * each search within a bounded number of trials. */
  p.step_size = 1.0;
  p.bt_max_shrinks = 1000;
  p.tol = 0.0;
  p.max_iter = 400;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.ls_failures >= 1 &&
                r->summary.loss_evals < 200 * (r->summary.iterations + 1) &&
                r->summary.final_loss - r->summary.loss_star < 1e-12 * r->summary.loss0 &&
                (r->summary.status == LRS_POINT_NUMERICAL_FAILURE ||
                 r->summary.status == LRS_POINT_MAX_ITER),
            "armijo with tol = 0: the search at the floor ends by its guard (%lld failures, "
            "%lld trials in %lld iterations, %s)",
            (long long)r->summary.ls_failures, (long long)r->summary.loss_evals,
            (long long)r->summary.iterations, lrs_point_status_names[r->summary.status]);
  lrs_result_destroy(&r);
}

/* D1: `global` with η0 beyond η_max, where ρ̄(η0, 0) < 0 makes K̄_t (which
 * holds √(ρ̄^t)) undefined: the point ends rule_undefined with a message, not
 * "diverged", and no record carries a negative or NaN-from-garbage bound;
 * under `local` the same η0 runs, and the ρ̄ curves are NaN (missing). */
static void test_global_undefined(void) {
  lrs_point p = lrs_test_point();
  p.init_scale = NAN;
  p.init_exponent = 0.5;
  p.sigma2 = 0.1;
  p.step_rule = LRS_STEP_GLOBAL;
  p.step_size = 0.3;
  p.max_iter = 20;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  const double rb = r->summary.theory.rho_bar0;
  LRS_CHECK(st == LRS_OK && rb < 0 && r->summary.status == LRS_POINT_RULE_UNDEFINED &&
                strstr(r->summary.message, "undefined") && r->summary.iterations == 0 &&
                r->n_records == 1 && r->records[0].loss == r->summary.loss0,
            "global, η0 = 0.3 > η_max = %.3g (ρ̄(η0, 0) = %.3g): rule_undefined before any "
            "step, not diverged (%s: %s)",
            r->summary.theory.eta_max, rb, lrs_point_status_names[r->summary.status],
            r->summary.message);
  lrs_result_destroy(&r);
  p.step_rule = LRS_STEP_LOCAL;
  r = lrs_test_solve(&p, &st);
  bool ok = st == LRS_OK && r->n_records > 2;
  for (size_t i = 0; ok && i < r->n_records; i++) {
    const lrs_record *q = &r->records[i];
    ok = isnan(q->bound_const) && (i == 0 || isnan(q->bound_global)) &&
         (isnan(q->bound_local) || q->bound_local >= 0);
  }
  LRS_CHECK(ok, "local with the same η0 (%s): the ρ̄ curves are NaN (missing), never negative",
            lrs_point_status_names[r->summary.status]);
  lrs_result_destroy(&r);
}

static void test_divergence_and_statuses(void) {
  /* X orthogonal ⇒ K = σ²_max(X) = 1: η = 10 × 2/K = 20 diverges. */
  lrs_point p = lrs_test_point();
  p.width = 30;
  p.step_rule = LRS_STEP_FIXED;
  p.step_size = 20.0;
  p.max_iter = 1000;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_DIVERGED,
            "η = 10·2/K: status diverged (a result, not a crash): %s", r->summary.message);
  const lrs_record *last = &r->records[r->n_records - 1];
  LRS_CHECK(r->n_records >= 2 && (!isfinite(last->loss) || last->loss > p.blowup * r->records[0].loss),
            "the diverged trajectory is kept (%zu records, last loss %g)", r->n_records,
            last->loss);
  lrs_result_destroy(&r);

  /* Non-finite blow-up also ends as diverged. */
  p.blowup = INFINITY;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_DIVERGED &&
                !isfinite(r->records[r->n_records - 1].loss),
            "with blowup = ∞ the run stops at the first non-finite loss");
  lrs_result_destroy(&r);

  /* max_iter, records, levels */
  p = lrs_test_point();
  p.width = 40;
  p.max_iter = 7;
  p.record_every = 3;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_MAX_ITER &&
                r->summary.iterations == 7,
            "max_iter: status max_iter after 7 iterations");
  LRS_CHECK(r->n_records == 4 && r->records[0].step == 0 && r->records[1].step == 3 &&
                r->records[2].step == 6 && r->records[3].step == 7,
            "record_every = 3: steps 0, 3, 6 and the last (7)");
  double tsum = 0.0;
  for (size_t i = 0; i < 3; i++)
    tsum += r->records[i].step_size; /* only every 3rd step size is recorded... */
  LRS_CHECK(r->records[1].time > 0 && r->records[3].time > r->records[2].time &&
                isnan(r->records[3].step_size) && tsum > 0,
            "GD record time is the sum of steps; the last record has no step");
  lrs_result_destroy(&r);

  /* A record every step under a huge max_iter: the point meets tol early and
   * keeps its records; the schedule's bound (10¹² records, ~10¹⁴ bytes) is
   * never allocated. */
  p = lrs_test_point();
  p.width = 40;
  p.max_iter = 1000000000000;
  p.record_every = 1;
  p.tol = 1e-6;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED &&
                r->n_records == (size_t)r->summary.iterations + 1,
            "max_iter = 10¹², record_every = 1: converged after %lld iterations with a "
            "record each (%zu records): %s",
            (long long)r->summary.iterations, r->n_records, r->summary.message);
  lrs_result_destroy(&r);

  p.max_iter = 1000;
  p.record_every = 0;
  p.records = 20;
  p.tol = 1e-20;
  r = lrs_test_solve(&p, &st);
  bool inc = true;
  for (size_t i = 1; i < r->n_records; i++)
    inc = inc && r->records[i].step > r->records[i - 1].step;
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED && inc &&
                r->records[0].step == 0 &&
                r->records[r->n_records - 1].step == r->summary.iterations,
            "log-spaced records: increasing steps from 0 to the last (%zu records)", r->n_records);
  lrs_result_destroy(&r);

  p.record_every = 1;
  r = lrs_test_solve(&p, &st);
  bool levels = true;
  for (int l = 0; l < LRS_RESULT_LEVELS; l++) {
    int64_t first = -1;
    for (size_t i = 0; i < r->n_records && first < 0; i++)
      if (r->records[i].loss <= lrs_result_levels[l] * r->records[0].loss)
        first = r->records[i].step;
    levels = levels && first == r->summary.iters_to[l] && first > 0;
  }
  LRS_CHECK(levels, "iters_to: first iterations below 1e-3/1e-6/1e-10 of L0 (%lld, %lld, %lld)",
            (long long)r->summary.iters_to[0], (long long)r->summary.iters_to[1],
            (long long)r->summary.iters_to[2]);
  LRS_CHECK(r->summary.rate > 0 && r->summary.rate < 1 && r->summary.rate_r2 > 0.99 &&
                r->summary.rate_begin >= 0 && r->summary.rate_end > r->summary.rate_begin,
            "GD rate %.4g (R² %.5f) on records [%lld, %lld]", r->summary.rate,
            r->summary.rate_r2, (long long)r->summary.rate_begin, (long long)r->summary.rate_end);
  LRS_CHECK(r->summary.wall_seconds > 0 && r->summary.rhs_evals == r->summary.iterations + 1 &&
                r->summary.loss_star == 0.0 && r->summary.loss0 == r->records[0].loss,
            "summary: wall time, one gradient per iteration, ℓ* = 0 for square X");
  lrs_result_destroy(&r);

  /* timeout */
  p.max_point_seconds = 1e-9;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_TIMEOUT,
            "max_point_seconds: status timeout (%s)", r->summary.message);
  lrs_result_destroy(&r);

  /* theory only */
  p = lrs_test_point();
  p.method = LRS_METHOD_NONE;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_THEORY_ONLY && r->n_records == 0 &&
                r->summary.theory.applicable && r->summary.theory.eta0 == r->summary.theory.eta_max &&
                isfinite(r->summary.theory.rho_bar0),
            "method none: theory only, η0 = η_max, no records");
  lrs_result_destroy(&r);
}

static void test_refusals(void) {
  lrs_point p = lrs_test_point();
  p.step_rule = LRS_STEP_XU2023;
  p.loss = LRS_LOSS_LOGISTIC;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_ERR_UNSUPPORTED && strstr(r->summary.message, "squared loss only"),
            "xu2023 with the logistic loss refused: %s", r->summary.message);
  lrs_result_destroy(&r);
  p = lrs_test_point();
  p.loss = LRS_LOSS_HUBER;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_ERR_UNSUPPORTED && strstr(r->summary.message, "huber"),
            "local rule with an uncovered loss refused: %s", r->summary.message);
  lrs_result_destroy(&r);
  p = lrs_test_point();
  p.model = LRS_MODEL_LORA;
  p.init = LRS_INIT_SMALL;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_ERR_UNSUPPORTED && r->summary.status == LRS_POINT_ERROR &&
                strstr(r->summary.message, "two_layer"),
            "the [P1] local rule on a lora model is refused: %s", r->summary.message);
  lrs_result_destroy(&r);
  p = lrs_test_point();
  p.step_rule = LRS_STEP_BACKTRACKING;
  p.step_size = NAN;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_ERR_CONFIG, "backtracking without η_bt is a config error: %s",
            r->summary.message);
  lrs_result_destroy(&r);
  p = lrs_test_point();
  r = lrs_test_solve(&p, &st);
  lrs_result *r2 = NULL;
  lrs_result_create(0, &r2);
  st = lrs_solve_point(&p, MPI_COMM_WORLD, r2);
  LRS_CHECK(st == LRS_ERR_USAGE, "without MPI_Init only MPI_COMM_SELF is accepted");
  lrs_result_destroy(&r2);
  lrs_result_destroy(&r);
}

static void test_global_rule(void) {
  lrs_point p = lrs_test_point();
  p.width = 200;
  p.step_rule = LRS_STEP_GLOBAL;
  p.max_iter = 400;
  p.tol = 1e-20;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  bool below = true, steps = true;
  for (size_t i = 0; i < r->n_records; i++) {
    below = below && r->records[i].loss <= r->records[i].bound_global * (1 + 1e-9);
    if (i + 1 < r->n_records)
      steps = steps && r->records[i].step_size <= r->summary.theory.eta0 *
                                                     pow(1 + pow(r->summary.theory.eta0, p.theory_d),
                                                         0.5 * (double)i) * (1 + 1e-12);
  }
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED,
            "global rule converges (%lld iterations)", (long long)r->summary.iterations);
  LRS_CHECK(below && steps, "global rule: L ≤ Πρ̄·L0 and η_t ≤ (1 + η0^d)^{t/2}η0");
  lrs_result_destroy(&r);
}

/* Largest disagreement of two runs' records over the double fields of
 * lrs_record: |a − b| / (rtol·max(|a|, |b|) + floor), floor = 1e-9·(the
 * field's largest |value| in run a), for the imbalance drift drift_floor (a
 * difference of terms of size ‖D(0)‖: its rounding does not scale with it);
 * ≤ 1 means agreement; fields NaN in both runs are skipped. */
static double record_disagreement(const lrs_result *a, const lrs_result *b, double rtol,
                                  double drift_floor, const char **worst) {
  double w = 0.0;
  *worst = "";
  for (size_t f = 0; f < lrs_record_field_count; f++) {
    const lrs_field *fd = &lrs_record_fields[f];
    if (fd->type != LRS_FIELD_F64)
      continue;
    double scale = 0.0, va, vb;
    for (size_t i = 0; i < a->n_records; i++) {
      memcpy(&va, (const char *)&a->records[i] + fd->offset, sizeof va);
      if (isfinite(va))
        scale = fmax(scale, fabs(va));
    }
    for (size_t i = 0; i < a->n_records && i < b->n_records; i++) {
      memcpy(&va, (const char *)&a->records[i] + fd->offset, sizeof va);
      memcpy(&vb, (const char *)&b->records[i] + fd->offset, sizeof vb);
      if (isnan(va) && isnan(vb))
        continue;
      const double floor =
          strcmp(fd->name, "imbalance_drift") == 0 ? drift_floor : 1e-9 * scale;
      const double e = fabs(va - vb) / (rtol * fmax(fabs(va), fabs(vb)) + floor);
      if (!(e <= w)) {
        w = isnan(e) ? INFINITY : e;
        *worst = fd->name;
      }
    }
  }
  return w;
}

/* coordinates = reduced solves for Z = BQ (k×k) instead of the h-wide B: the
 * same iterates in exact arithmetic (eq. 7–8 keep B in B(0)'s row space), so
 * every record, the status, the iteration count (GD) and the [P1] constants
 * agree with the full-coordinate run to rounding (GD) or to the ODE tolerance
 * (GF; its steps differ: the error norm is taken in other coordinates);
 * across losses, step rules and GF, with h well above k = n + m. */
static void test_coordinates(void) {
  struct {
    const char *what;
    lrs_loss_kind loss;
    lrs_method method;
    lrs_step_rule rule;
    int64_t h;
    double rtol;
  } cases[] = {
      {"paper setting, local rule", LRS_LOSS_SQUARED, LRS_METHOD_GD, LRS_STEP_LOCAL, 500, 1e-7},
      {"squared, global rule", LRS_LOSS_SQUARED, LRS_METHOD_GD, LRS_STEP_GLOBAL, 64, 1e-7},
      {"logistic, fixed step", LRS_LOSS_LOGISTIC, LRS_METHOD_GD, LRS_STEP_FIXED, 64, 1e-7},
      {"huber, backtracking", LRS_LOSS_HUBER, LRS_METHOD_GD, LRS_STEP_BACKTRACKING, 64, 1e-7},
      {"squared, GF rk8pd", LRS_LOSS_SQUARED, LRS_METHOD_GF, LRS_STEP_FIXED, 64, 1e-6},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    lrs_point p = c == 0 ? lrs_test_point() : small_point();
    p.width = cases[c].h;
    p.loss = cases[c].loss;
    p.method = cases[c].method;
    p.step_rule = cases[c].rule;
    p.logistic_lambda = 0.05;
    p.huber_delta = 0.3;
    if (c > 0)
      p.step_size = cases[c].rule == LRS_STEP_FIXED ? safe_step(&p)
                    : cases[c].rule == LRS_STEP_BACKTRACKING ? 1.0
                                                            : NAN;
    p.max_iter = 60;
    p.tol = 0.0;
    p.horizon = 5.0;
    p.records = 40;
    lrs_status st_f, st_r;
    p.coordinates = LRS_COORDS_FULL;
    lrs_result *full = lrs_test_solve(&p, &st_f);
    p.coordinates = LRS_COORDS_REDUCED;
    lrs_result *red = lrs_test_solve(&p, &st_r);
    const lrs_summary *a = &full->summary, *b = &red->summary;
    const char *worst;
    const bool gf = p.method == LRS_METHOD_GF; /* GF: drift is integration error */
    const double d = record_disagreement(full, red, cases[c].rtol,
                                         (gf ? cases[c].rtol : 1e-12) * d0_norm(&p), &worst);
    LRS_CHECK(st_f == LRS_OK && st_r == LRS_OK && a->status == b->status &&
                  (gf || a->iterations == b->iterations) &&
                  full->n_records == red->n_records &&
                  full->n_records > 10 && d <= 1.0,
              "%s (h = %lld): reduced and full coordinates agree (status %s/%s, %lld/%lld "
              "iterations, %zu/%zu records, worst field %s at %.2g of the tolerance)",
              cases[c].what, (long long)p.width, lrs_point_status_names[a->status],
              lrs_point_status_names[b->status], (long long)a->iterations,
              (long long)b->iterations, full->n_records, red->n_records, worst, d);
    if (a->theory.applicable) {
      const double t[][2] = {{a->theory.alpha1, b->theory.alpha1},
                             {a->theory.alpha2, b->theory.alpha2},
                             {a->theory.lambda_plus, b->theory.lambda_plus},
                             {a->theory.eta_max, b->theory.eta_max}};
      double e = 0.0;
      for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        e = fmax(e, fabs(t[i][0] - t[i][1]) / fabs(t[i][0]));
      LRS_CHECK(b->theory.applicable && e < 1e-9,
                "%s: α1, α2, λ+, η_max agree to %.1e relative", cases[c].what, e);
    }
    lrs_result_destroy(&full);
    lrs_result_destroy(&red);
  }
}

int main(void) {
  test_gf();
  test_losses_converge();
  test_backtracking_printed();
  test_backtracking_armijo();
  test_global_undefined();
  test_divergence_and_statuses();
  test_refusals();
  test_global_rule();
  test_coordinates();
  return lrs_test_done();
}
