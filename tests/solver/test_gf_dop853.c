/* GF with ode_stepper = dop853 through lrs_solve_point (lrsweep/solver.h):
 * its records are GSL rk8pd's (same times, losses within the tolerances)
 * while its steps are not clipped to them, it conserves the imbalance D
 * (eq. 7–8), reduced and full coordinates agree, LoRA through the alignment
 * phase, and the stopping statuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "d0_norm.h"
#include "lrs_test.h"
#include "lrsweep/problem.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

/* The small problem (numerics_point.h), GF to t = 3 with 60 records. */
static lrs_point small_gf(void) {
  lrs_point p = lrs_test_small_point();
  p.method = LRS_METHOD_GF;
  p.horizon = 3.0;
  p.records = 60;
  p.tol = 0.0;
  p.ode_stepper = LRS_ODE_DOP853;
  return p;
}

/* Same record times (bitwise) and the largest |ΔL|/(L + floor). */
static bool same_times(const lrs_result *a, const lrs_result *b) {
  if (a->n_records != b->n_records)
    return false;
  for (size_t i = 0; i < a->n_records; i++)
    if (a->records[i].time != b->records[i].time || a->records[i].step != b->records[i].step)
      return false;
  return true;
}
static double worst_rel(const lrs_result *a, const lrs_result *b, double floor) {
  double w = 0.0;
  for (size_t i = 0; i < a->n_records && i < b->n_records; i++)
    w = fmax(w, fabs(a->records[i].loss - b->records[i].loss) / (fabs(b->records[i].loss) + floor));
  return w;
}

static void test_against_rk8pd(void) {
  lrs_point p = small_gf();
  lrs_status s1, s2, s3;
  /* tight: both far below the loss differences checked */
  p.rtol = 1e-13;
  p.atol = 1e-16;
  lrs_result *d = lrs_test_solve(&p, &s1);
  p.ode_stepper = LRS_ODE_RK8PD;
  lrs_result *r = lrs_test_solve(&p, &s2);
  const double L0 = d->records[0].loss, Lend = d->records[d->n_records - 1].loss;
  LRS_CHECK(s1 == LRS_OK && s2 == LRS_OK && d->summary.status == LRS_POINT_MAX_TIME &&
                r->summary.status == LRS_POINT_MAX_TIME && same_times(d, r) &&
                d->n_records >= 55 && d->summary.final_time == p.horizon,
            "two_layer GF: dop853 and rk8pd record at the same %zu times (t = 0, log-spaced, "
            "the horizon)",
            d->n_records);
  const double w = worst_rel(d, r, 0.0);
  LRS_CHECK(w <= 1e-9, "rtol 1e-13: every record loss within %.1e of rk8pd's (L %.3g → %.3g)", w,
            L0, Lend);
  LRS_CHECK(fabs(d->summary.time_to[0] - r->summary.time_to[0]) <= 0.05 * r->summary.time_to[0],
            "time to 1e-3·L0: %.4g (rk8pd %.4g; both resolved by the records)",
            d->summary.time_to[0], r->summary.time_to[0]);
  lrs_result_destroy(&d);
  lrs_result_destroy(&r);

  /* the default tolerances: rk8pd lands a step on every record time */
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.ode_stepper = LRS_ODE_DOP853;
  d = lrs_test_solve(&p, &s1);
  p.ode_stepper = LRS_ODE_RK8PD;
  r = lrs_test_solve(&p, &s2);
  LRS_CHECK(d->summary.iterations < r->summary.iterations - (int64_t)d->n_records / 2 &&
                r->summary.iterations >= (int64_t)d->n_records - 1,
            "records are interpolated, not stepped to: %lld dop853 steps vs %lld rk8pd steps "
            "for %zu records",
            (long long)d->summary.iterations, (long long)r->summary.iterations, d->n_records);
  LRS_CHECK(d->summary.rhs_evals < r->summary.rhs_evals,
            "RHS evaluations at equal tolerance: %lld (dop853) vs %lld (rk8pd)",
            (long long)d->summary.rhs_evals, (long long)r->summary.rhs_evals);
  lrs_result_destroy(&d);
  lrs_result_destroy(&r);

  /* the default tolerances against the tight rk8pd solution */
  p.ode_stepper = LRS_ODE_RK8PD;
  r = lrs_test_solve(&p, &s2);
  p.ode_stepper = LRS_ODE_DOP853;
  p.rtol = 1e-10;
  p.atol = 1e-12;
  d = lrs_test_solve(&p, &s1);
  p.rtol = 1e-8;
  p.atol = 1e-10;
  lrs_result *loose = lrs_test_solve(&p, &s3);
  const double w10 = worst_rel(d, r, 1e-12 * L0), w8 = worst_rel(loose, r, 1e-10 * L0);
  LRS_CHECK(s1 == LRS_OK && s3 == LRS_OK && w10 <= 1e-7 && w8 <= 1e-5 && w10 < w8,
            "rtol 1e-10 / 1e-8: record losses within %.1e / %.1e of the tight rk8pd solution",
            w10, w8);
  lrs_result_destroy(&d);
  lrs_result_destroy(&r);
  lrs_result_destroy(&loose);
}

static void test_invariant(void) {
  lrs_point p = small_gf();
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  const double D0 = d0_norm(&p);
  bool mono = true;
  for (size_t i = 1; i < r->n_records; i++)
    mono = mono && r->records[i].loss <= r->records[i - 1].loss * (1 + 1e-12) + 1e-300;
  LRS_CHECK(st == LRS_OK && r->summary.max_drift <= 1e-8 * D0,
            "GF conserves D: max ‖D(t) − D(0)‖ = %.2e ≤ 1e-8·‖D(0)‖ at interpolated records",
            r->summary.max_drift);
  LRS_CHECK(mono, "the loss is non-increasing along the records");
  LRS_CHECK(r->summary.rate > 0 && r->summary.rate < 1 && r->summary.rate_r2 > 0.99,
            "the fitted rate per unit time: %.4g (R² %.6f)", r->summary.rate, r->summary.rate_r2);
  lrs_result_destroy(&r);

  /* reduced vs full coordinates, h well above n + m: the same flow.  From
   * t ≈ 1 on the steps are bounded by stability (hλ_max near the boundary),
   * where the error estimate no longer bounds the error of the fast, decayed
   * components: at rtol 1e-10 the full run's 448-component RMS norm lets
   * L ≈ 4e-15 records differ by 2e-15 from the reduced run's; rtol 1e-12
   * keeps the two within 1e-6·L + 1e-9·L0. */
  p.width = 64;
  p.rtol = 1e-12;
  p.atol = 1e-14;
  p.coordinates = LRS_COORDS_FULL;
  lrs_status sf, sr;
  lrs_result *full = lrs_test_solve(&p, &sf);
  p.coordinates = LRS_COORDS_REDUCED;
  lrs_result *red = lrs_test_solve(&p, &sr);
  /* Late records (L down to 1e-21 here) carry the flow's absolute error,
   * not a relative one: compared above 1e-9·L0 as in test_solver.c. */
  const double w = worst_rel(red, full, 1e-9 * full->records[0].loss);
  LRS_CHECK(sf == LRS_OK && sr == LRS_OK && same_times(red, full) && w <= 1e-6,
            "h = 64: reduced and full coordinates agree to %.1e of L + 1e-9·L0 (%lld / %lld steps)", w,
            (long long)red->summary.iterations, (long long)full->summary.iterations);
  lrs_result_destroy(&full);
  lrs_result_destroy(&red);
}

static void test_lora(void) {
  lrs_point q = lrs_test_point();
  q.model = LRS_MODEL_LORA;
  q.width = 40;
  q.init = LRS_INIT_SMALL;
  q.init_scale = 1e-3;
  q.method = LRS_METHOD_GF;
  q.horizon = 2.0; /* through the alignment phase to the floor */
  q.records = 50;
  q.tol = 0.0;
  q.rtol = 1e-13;
  q.atol = 1e-16;
  q.ode_stepper = LRS_ODE_DOP853;
  lrs_status s1, s2;
  lrs_result *d = lrs_test_solve(&q, &s1);
  q.ode_stepper = LRS_ODE_RK8PD;
  lrs_result *r = lrs_test_solve(&q, &s2);
  const double w = worst_rel(d, r, 0.0);
  LRS_CHECK(s1 == LRS_OK && s2 == LRS_OK && same_times(d, r) && w <= 1e-6,
            "LoRA GF, small init, rtol 1e-13: every record loss within %.1e of rk8pd's "
            "(L %.3g → %.3g; the floor's ½‖E‖² is ill-conditioned in θ)",
            w, d->records[0].loss, d->records[d->n_records - 1].loss);
  lrs_result_destroy(&d);
  lrs_result_destroy(&r);
}

static void test_stops(void) {
  lrs_point p = small_gf();
  lrs_status st;
  p.tol = 1e-12;
  p.horizon = 1e4;
  lrs_result *r = lrs_test_solve(&p, &st);
  const lrs_record *last = &r->records[r->n_records - 1];
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_CONVERGED && last->loss <= 1e-12 &&
                last->time == r->summary.final_time && r->summary.final_time < p.horizon &&
                r->records[r->n_records - 2].loss > 1e-12,
            "converged at t = %.4g: the last record is the step end where L ≤ tol",
            r->summary.final_time);
  lrs_result_destroy(&r);

  p = small_gf();
  p.rtol = 0.0;
  p.atol = 1e-300;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_NUMERICAL_FAILURE &&
                strstr(r->summary.message, "dop853") && r->n_records >= 1,
            "atol = 1e-300: numerical_failure (%s)", r->summary.message);
  lrs_result_destroy(&r);

  p = small_gf();
  p.max_point_seconds = 1e-9;
  r = lrs_test_solve(&p, &st);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_TIMEOUT,
            "max_point_seconds: status timeout (%s)", r->summary.message);
  lrs_result_destroy(&r);
}

int main(void) {
  test_against_rk8pd();
  test_invariant();
  test_lora();
  test_stops();
  return lrs_test_done();
}
