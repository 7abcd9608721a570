/* The DOP853 engine (src/solver/dop853.h) on problems with exact solutions:
 * quadrature exactness of the solution and of the interpolant, observed local
 * orders (8th-order solution: error ~ h⁹; 7th-order interpolant: ~ h⁸) and
 * the global order 8 with fixed steps, the interpolant's ends, tolerance
 * proportionality of the step control, rejections, non-finite and too-small
 * steps, the error norm's reduction callback, and the RHS count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "solver/dop853.h"

/* ------------------------------------------------------------------ problems */

/* y' = p(t): y0' = t⁶, y1' = 2.385t⁵ − t³, y2' = t⁷ (degrees ≤ 7: the
 * 8th-order quadrature is exact; the 7th-order interpolant for ≤ 6). */
static lrs_status poly_rhs(void *ctx, double t, const double *y, double *f) {
  (void)ctx;
  (void)y;
  f[0] = pow(t, 6);
  f[1] = 2.385 * pow(t, 5) - t * t * t;
  f[2] = pow(t, 7);
  return LRS_OK;
}
static void poly_exact(double t, double *y) {
  y[0] = pow(t, 7) / 7.0;
  y[1] = 2.385 * pow(t, 6) / 6.0 - pow(t, 4) / 4.0;
  y[2] = pow(t, 8) / 8.0;
}

/* A nonlinear autonomous system: (y0, y1) rotates at the angular speed
 * ω = y0² + y1² (conserved), y2' = −y2² (y2 = y2(0)/(1 + y2(0)t)). */
static lrs_status rot_rhs(void *ctx, double t, const double *y, double *f) {
  (void)ctx;
  (void)t;
  const double w = y[0] * y[0] + y[1] * y[1];
  f[0] = -w * y[1];
  f[1] = w * y[0];
  f[2] = -y[2] * y[2];
  return LRS_OK;
}
static const double ROT0[3] = {1.3, 0.8, 0.5};
static void rot_exact(double t, double *y) {
  const double w = ROT0[0] * ROT0[0] + ROT0[1] * ROT0[1];
  y[0] = cos(w * t) * ROT0[0] - sin(w * t) * ROT0[1];
  y[1] = sin(w * t) * ROT0[0] + cos(w * t) * ROT0[1];
  y[2] = ROT0[2] / (1.0 + ROT0[2] * t);
}

/* One accepted step of size h from (t0, y0) (tolerances far too loose to
 * reject, h_max = h).  Returns the engine. */
static lrs__dop853 *one_step(lrs__ode_rhs rhs, double t0, const double *y0, double h) {
  lrs__dop853 *s = NULL;
  if (lrs__dop853_create(3, &s) != LRS_OK)
    return NULL;
  const lrs__dop853_opts o = {.rtol = 1.0, .atol = 1e6, .h_init = h, .h_min = 0.0, .h_max = h};
  lrs__dop853_outcome out;
  if (lrs__dop853_start(s, &o, rhs, NULL, NULL, t0, y0) != LRS_OK ||
      lrs__dop853_step(s, t0 + 10.0 * h, &out) != LRS_OK || out != LRS__DOP853_ACCEPTED)
    lrs__dop853_destroy(&s);
  return s;
}

static void test_exactness(void) {
  const double t0 = 0.3, h = 0.7;
  double y0[3], y1[3], ex[3], yd[3];
  poly_exact(t0, y0);
  lrs__dop853 *s = one_step(poly_rhs, t0, y0, h);
  if (!LRS_CHECK(s != NULL, "one step of y' = p(t) is taken"))
    return;
  poly_exact(t0 + h, ex);
  memcpy(y1, s->y, sizeof y1);
  LRS_CHECK(s->t == t0 + h && lrs_test_max_abs_diff(y1, ex, 3) <= 1e-15,
            "the 8th-order solution integrates t⁶, t⁵, t³ and t⁷ exactly: error %.1e",
            lrs_test_max_abs_diff(y1, ex, 3));
  double worst6 = 0.0, err7 = 0.0;
  const double thetas[] = {0.1, 0.37, 0.5, 0.9};
  for (size_t q = 0; q < 4; q++) {
    const double t = t0 + thetas[q] * h;
    lrs__dop853_dense(s, t, yd);
    poly_exact(t, ex);
    worst6 = fmax(worst6, fmax(fabs(yd[0] - ex[0]), fabs(yd[1] - ex[1])));
    err7 = fmax(err7, fabs(yd[2] - ex[2]));
  }
  LRS_CHECK(worst6 <= 1e-15,
            "the interpolant is exact for integrands of degree ≤ 6 at θ = 0.1, 0.37, 0.5, 0.9: "
            "error %.1e",
            worst6);
  LRS_CHECK(err7 > 1e-9, "and not for t⁷ (order 7, not 8): error %.2e", err7);
  LRS_CHECK(s->n_rhs == 1 + 12 + 3 && s->n_dense == 1,
            "one step with dense output: 1 + 12 + 3 = %lld RHS evaluations (extra stages once)",
            (long long)s->n_rhs);
  lrs__dop853_destroy(&s);
}

/* Observed order from errors at h, h/2, h/4: log2 of the last ratio.  At
 * these step sizes the next term still shows (the interpolant's h⁸ comes
 * out as h^8.1–8.5), and smaller steps reach the rounding level; the
 * windows separate h⁸ from h⁹ only together with the exactness checks
 * above, while a wrong coefficient or index drops the order by far more. */
static double observed(const double e[3]) { return log2(e[1] / e[2]); }

static void test_local_orders(void) {
  /* y1's error is ~1e3 times smaller than the interpolant's: larger steps */
  const double hs_sol[3] = {0.3, 0.15, 0.075}, hs_den[3] = {0.16, 0.08, 0.04};
  const double thetas[3] = {0.3, 0.5, 0.85};
  double e_sol[3], e_den[3][3], y[3], ex[3];
  for (int k = 0; k < 3; k++) {
    lrs__dop853 *s = one_step(rot_rhs, 0.0, ROT0, hs_sol[k]);
    lrs__dop853 *d = one_step(rot_rhs, 0.0, ROT0, hs_den[k]);
    if (!s || !d) {
      LRS_CHECK(false, "one step of the rotation");
      return;
    }
    rot_exact(hs_sol[k], ex);
    e_sol[k] = lrs_test_max_abs_diff(s->y, ex, 3);
    for (int q = 0; q < 3; q++) {
      lrs__dop853_dense(d, thetas[q] * hs_den[k], y);
      rot_exact(thetas[q] * hs_den[k], ex);
      e_den[q][k] = lrs_test_max_abs_diff(y, ex, 3);
    }
    lrs__dop853_destroy(&s);
    lrs__dop853_destroy(&d);
  }
  const double p = observed(e_sol);
  LRS_CHECK(p > 8.6 && p < 9.8,
            "nonlinear system, one step: local error of y1 ~ h^%.2f (order 8: h⁹; errors %.1e, "
            "%.1e, %.1e)",
            p, e_sol[0], e_sol[1], e_sol[2]);
  for (int q = 0; q < 3; q++) {
    const double pd = observed(e_den[q]);
    LRS_CHECK(pd > 7.6 && pd < 8.8,
              "interpolant at θ = %.2f: local error ~ h^%.2f (order 7: h⁸; errors %.1e, %.1e, "
              "%.1e)",
              thetas[q], pd, e_den[q][0], e_den[q][1], e_den[q][2]);
  }
}

/* Fixed steps h = T/N (h_max = h, tolerances too loose to reject). */
static double fixed_run(int N, double T, double *y_mid) {
  lrs__dop853 *s = NULL;
  lrs__dop853_create(3, &s);
  const double h = T / N;
  const lrs__dop853_opts o = {.rtol = 1.0, .atol = 1e6, .h_init = h, .h_min = 0.0, .h_max = h};
  lrs__dop853_start(s, &o, rot_rhs, NULL, NULL, 0.0, ROT0);
  lrs__dop853_outcome out = LRS__DOP853_ACCEPTED;
  const double t_mid = 0.4321 * T;
  while (s->t < T && out == LRS__DOP853_ACCEPTED) {
    lrs__dop853_step(s, T, &out);
    if (s->t_prev <= t_mid && t_mid < s->t)
      lrs__dop853_dense(s, t_mid, y_mid);
  }
  double ex[3];
  rot_exact(T, ex);
  const double e = s->t == T && s->n_accepted == N ? lrs_test_max_abs_diff(s->y, ex, 3) : NAN;
  rot_exact(t_mid, ex);
  for (int i = 0; i < 3; i++)
    y_mid[i] -= ex[i];
  lrs__dop853_destroy(&s);
  return e;
}

static void test_global_order(void) {
  double e[3], em[3], ym[3];
  const int Ns[3] = {16, 32, 64};
  for (int k = 0; k < 3; k++) {
    e[k] = fixed_run(Ns[k], 3.0, ym);
    em[k] = lrs_test_max_abs_diff(ym, (double[3]){0, 0, 0}, 3);
  }
  const double p = observed(e), pm = observed(em);
  LRS_CHECK(p > 7.5 && p < 8.6, "fixed steps on [0, 3]: global error at T ~ h^%.2f (order 8; "
            "errors %.1e, %.1e, %.1e for N = 16, 32, 64)", p, e[0], e[1], e[2]);
  LRS_CHECK(pm > 7.4 && pm < 9.0,
            "and interpolated inside a step at t = 0.4321·T: ~ h^%.2f (errors %.1e, %.1e, %.1e)",
            pm, em[0], em[1], em[2]);
}

static void test_interpolant_ends(void) {
  lrs__dop853 *s = NULL;
  lrs__dop853_create(3, &s);
  const lrs__dop853_opts o = {.rtol = 1e-9, .atol = 1e-12, .h_init = 0.0, .h_min = 0.0,
                              .h_max = INFINITY};
  lrs__dop853_start(s, &o, rot_rhs, NULL, NULL, 0.0, ROT0);
  lrs__dop853_outcome out;
  bool ends = true, continuous = true;
  double worst = 0.0, prev_end[3], y[3];
  for (int k = 0; k < 6; k++) {
    lrs__dop853_step(s, 10.0, &out);
    lrs__dop853_dense(s, s->t_prev, y);
    ends = ends && memcmp(y, s->y_prev, sizeof y) == 0;
    if (k > 0)
      continuous = continuous && memcmp(y, prev_end, sizeof y) == 0;
    lrs__dop853_dense(s, s->t, y);
    ends = ends && memcmp(y, s->y, sizeof y) == 0;
    memcpy(prev_end, y, sizeof y);
    /* θ → 1 from inside: the polynomial reaches y1 (w(1) = b) */
    lrs__dop853_dense(s, s->t - 1e-9 * s->h_prev, y);
    worst = fmax(worst, lrs_test_max_abs_diff(y, s->y, 3));
  }
  LRS_CHECK(ends, "the interpolant gives y_prev at θ = 0 and y at θ = 1, bit for bit");
  LRS_CHECK(continuous, "consecutive steps' interpolants meet (θ = 1 of one is θ = 0 of the next)");
  LRS_CHECK(worst < 1e-8, "θ = 1 − 1e-9 is within %.1e of y1 (the polynomial is continuous there)",
            worst);
  lrs__dop853_destroy(&s);
}

/* y' = λ∘y: two decaying and one growing component. */
static const double LAM[3] = {-2.3, -0.41, 0.7};
static lrs_status lin_rhs(void *ctx, double t, const double *y, double *f) {
  (void)t;
  int *calls = ctx;
  if (calls)
    ++*calls;
  for (int i = 0; i < 3; i++)
    f[i] = LAM[i] * y[i];
  return LRS_OK;
}

/* Largest relative error of y against y0·e^{λt}. */
static double lin_rel_err(const double *y0, double t, const double *y) {
  double e = 0.0;
  for (int i = 0; i < 3; i++) {
    const double ex = y0[i] * exp(LAM[i] * t);
    e = fmax(e, fabs(y[i] - ex) / fabs(ex));
  }
  return e;
}

static void test_tolerance(void) {
  const double y0[3] = {1.3, -0.8, 0.25}, T = 3.0;
  double err[3];
  int64_t steps[3];
  const double rtols[3] = {1e-6, 1e-9, 1e-12};
  bool counted = true;
  for (int k = 0; k < 3; k++) {
    lrs__dop853 *s = NULL;
    lrs__dop853_create(3, &s);
    int calls = 0;
    const lrs__dop853_opts o = {.rtol = rtols[k], .atol = rtols[k] * 1e-3, .h_init = 0.0,
                                .h_min = 1e-12, .h_max = INFINITY};
    lrs__dop853_start(s, &o, lin_rhs, NULL, &calls, 0.0, y0);
    lrs__dop853_outcome out = LRS__DOP853_ACCEPTED;
    double tr = 0.1, y[3];
    err[k] = 0.0;
    while (s->t < T && out == LRS__DOP853_ACCEPTED) {
      lrs__dop853_step(s, T, &out);
      for (; tr < s->t; tr += 0.1) { /* interpolated records every 0.1 */
        lrs__dop853_dense(s, tr, y);
        err[k] = fmax(err[k], lin_rel_err(y0, tr, y));
      }
    }
    err[k] = fmax(err[k], lin_rel_err(y0, T, s->y));
    steps[k] = s->n_accepted;
    counted = counted && out == LRS__DOP853_ACCEPTED && s->t == T && calls == s->n_rhs &&
              s->n_rhs == 2 + 12 * s->n_accepted + 11 * s->n_rejected + 3 * s->n_dense;
    lrs__dop853_destroy(&s);
  }
  LRS_CHECK(counted, "RHS evaluations = 2 (start) + 12 per accepted + 11 per rejected + 3 per "
            "interpolated step; the run ends exactly at T");
  for (int k = 0; k < 3; k++)
    LRS_CHECK(err[k] <= 10.0 * rtols[k],
              "y' = λy, rtol %.0e: largest relative error (records every 0.1 and T) %.2e ≤ 10·rtol "
              "(%lld steps)",
              rtols[k], err[k], (long long)steps[k]);
  const double growth = (double)steps[2] / (double)steps[0];
  LRS_CHECK(growth > 2.5 && growth < 10.0,
            "steps grow like rtol^(-1/8): %lld → %lld steps over 6 decades (10^0.75 = 5.6)",
            (long long)steps[0], (long long)steps[2]);
}

/* y' = −k(y − cos t), y(0) = 0: a fast transient, then slow. */
static lrs_status relax_rhs(void *ctx, double t, const double *y, double *f) {
  (void)ctx;
  f[0] = -50.0 * (y[0] - cos(t));
  return LRS_OK;
}

static void test_rejections(void) {
  lrs__dop853 *s = NULL;
  lrs__dop853_create(1, &s);
  const double y0 = 0.0, T = 2.0, k = 50.0;
  const lrs__dop853_opts o = {.rtol = 1e-8, .atol = 1e-10, .h_init = 1.0, .h_min = 1e-12,
                              .h_max = INFINITY};
  lrs__dop853_start(s, &o, relax_rhs, NULL, NULL, 0.0, &y0);
  lrs__dop853_outcome out = LRS__DOP853_ACCEPTED;
  while (s->t < T && out == LRS__DOP853_ACCEPTED)
    lrs__dop853_step(s, T, &out);
  const double ex = (k * k * cos(T) + k * sin(T)) / (k * k + 1) - k * k / (k * k + 1) * exp(-k * T);
  LRS_CHECK(out == LRS__DOP853_ACCEPTED && s->n_rejected >= 3 && fabs(s->y[0] - ex) <= 1e-7,
            "a first step of 1 on a transient of rate 50: %lld rejections, then y(2) within "
            "%.1e of the exact value",
            (long long)s->n_rejected, fabs(s->y[0] - ex));
  lrs__dop853_destroy(&s);
}

/* y' = y, non-finite beyond y = 1.5. */
static lrs_status blowup_rhs(void *ctx, double t, const double *y, double *f) {
  (void)ctx;
  (void)t;
  f[0] = y[0] > 1.5 ? NAN : y[0];
  return LRS_OK;
}
static lrs_status failing_rhs(void *ctx, double t, const double *y, double *f) {
  (void)y;
  (void)f;
  int *calls = ctx;
  return ++*calls > 5 ? LRS_RAISE(LRS_ERR_NUMERIC, "model failed at t = %g", t) : LRS_OK;
}

static void test_failures(void) {
  lrs__dop853 *s = NULL;
  lrs__dop853_create(1, &s);
  const double one = 1.0;
  lrs__dop853_opts o = {.rtol = 1e-10, .atol = 1e-12, .h_init = 0.0, .h_min = 1e-12,
                        .h_max = INFINITY};
  lrs__dop853_start(s, &o, blowup_rhs, NULL, NULL, 0.0, &one);
  lrs__dop853_outcome out = LRS__DOP853_ACCEPTED;
  while (s->t < 5.0 && out == LRS__DOP853_ACCEPTED)
    lrs__dop853_step(s, 5.0, &out);
  LRS_CHECK(out == LRS__DOP853_NONFINITE && isfinite(s->y[0]) && s->y[0] <= 1.5 &&
                fabs(s->y[0] - exp(s->t)) <= 1e-9 * s->y[0],
            "a non-finite stage ends with NONFINITE; the state stays at the last accepted step "
            "(t = %.4f, y = e^t)",
            s->t);

  o.rtol = 0.0;
  o.atol = 1e-300;
  lrs__dop853_start(s, &o, lin_rhs, NULL, NULL, 0.0, &one);
  lrs__dop853_step(s, 1.0, &out);
  LRS_CHECK(out == LRS__DOP853_TOO_SMALL && s->t == 0.0,
            "atol = 1e-300, rtol = 0: TOO_SMALL after %lld rejections, not a hang",
            (long long)s->n_rejected);

  o.rtol = o.atol = 0.0;
  lrs_status st = lrs__dop853_start(s, &o, lin_rhs, NULL, NULL, 0.0, &one);
  LRS_CHECK(st == LRS_ERR_CONFIG, "rtol = atol = 0 is refused: %s", lrs_error_message());

  int calls = 0;
  o.rtol = 1e-8;
  o.atol = 1e-10;
  st = lrs__dop853_start(s, &o, failing_rhs, NULL, &calls, 0.0, &one);
  if (st == LRS_OK)
    st = lrs__dop853_step(s, 1.0, &out);
  LRS_CHECK(st == LRS_ERR_NUMERIC, "an RHS error ends the step with its status: %s",
            lrs_error_message());
  lrs__dop853_destroy(&s);
  lrs__dop853_destroy(&s); /* NULL-safe */
}

/* A vector split between two "ranks" holding identical halves: the sum
 * callback doubles the local sums, as the other rank's would add its own. */
static lrs_status twin_sum(void *ctx, double *vals, size_t count) {
  (void)ctx;
  for (size_t i = 0; i < count; i++)
    vals[i] *= 2.0;
  return LRS_OK;
}

/* The rotation on both halves of a 6-vector. */
static lrs_status twin_rot_rhs(void *ctx, double t, const double *y, double *f) {
  rot_rhs(ctx, t, y, f);
  return rot_rhs(ctx, t, y + 3, f + 3);
}

static lrs_status empty_rhs(void *ctx, double t, const double *y, double *f) {
  (void)ctx;
  (void)t;
  (void)y;
  (void)f;
  return LRS_OK;
}

static void test_reduction(void) {
  const double half[3] = {0.9, 0.6, 1.7};
  double whole[6];
  memcpy(whole, half, sizeof half);
  memcpy(whole + 3, half, sizeof half);
  lrs__dop853 *a = NULL, *b = NULL;
  lrs__dop853_create(6, &a);
  lrs__dop853_create(3, &b);
  const lrs__dop853_opts o = {.rtol = 1e-9, .atol = 1e-12, .h_init = 0.0, .h_min = 0.0,
                              .h_max = INFINITY};
  lrs__dop853_start(b, &o, rot_rhs, twin_sum, NULL, 0.0, half);
  bool same = b->n_global == 6.0; /* N counts the twin's components */
  lrs_status st = lrs__dop853_start(a, &o, twin_rot_rhs, NULL, NULL, 0.0, whole);
  lrs__dop853_outcome oa = LRS__DOP853_ACCEPTED, ob = LRS__DOP853_ACCEPTED;
  while (st == LRS_OK && a->t < 4.0 && oa == LRS__DOP853_ACCEPTED && ob == LRS__DOP853_ACCEPTED) {
    lrs__dop853_step(a, 4.0, &oa);
    lrs__dop853_step(b, 4.0, &ob);
    /* The sums differ in their order of addition, by rounding; err is a
     * sum of e5 = hΣ e5_j k_j, itself a cancelling sum (~1e-8 relative
     * rounding), so the step sizes drift apart by ~1e-9.  Without the
     * reduction N would be 3 and every h 2^(1/16) = 4% apart. */
    same = same && lrs_test_close(a->t, b->t, 1e-8, 0.0) &&
           (a->t == 4.0 || lrs_test_close(a->h, b->h, 1e-8, 0.0)); /* the last proposal is moot */
  }
  LRS_CHECK(same && a->n_accepted == b->n_accepted && a->n_rejected == b->n_rejected &&
                a->t == 4.0 && b->t == 4.0 && lrs_test_max_abs_diff(a->y, b->y, 3) <= 1e-12,
            "a half vector whose sums are reduced with its twin takes the whole vector's steps "
            "(%lld steps, within 1e-8)",
            (long long)a->n_accepted);
  lrs__dop853_destroy(&a);
  lrs__dop853_destroy(&b);

  /* n = 0 (a rank holding no parameters) */
  lrs__dop853 *z = NULL;
  lrs__dop853_create(0, &z);
  lrs__dop853_outcome oz = LRS__DOP853_ACCEPTED;
  st = lrs__dop853_start(z, &o, empty_rhs, NULL, NULL, 0.0, NULL);
  while (st == LRS_OK && z->t < 1.0 && oz == LRS__DOP853_ACCEPTED)
    st = lrs__dop853_step(z, 1.0, &oz);
  LRS_CHECK(st == LRS_OK && z->t == 1.0, "an empty vector integrates to the end (%lld steps)",
            (long long)z->n_accepted);
  lrs__dop853_destroy(&z);
}

int main(void) {
  test_exactness();
  test_local_orders();
  test_global_order();
  test_interpolant_ends();
  test_tolerance();
  test_rejections();
  test_failures();
  test_reduction();
  return lrs_test_done();
}
