/* [P1] constants and per-step bounds (lrsweep/theory.h, papers.md §1.3–1.6). */
#include "lrsweep/theory.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

lrs_theory_opts lrs_theory_opts_default(void) {
  return (lrs_theory_opts){.root_rtol = 1e-14, .root_max_iter = 200, .eta2_lo = 1e-14,
                           .eta2_hi = 1e6, .eta2_points = 4000};
}

/* ------------------------------------------------------------ §1.5 scalars */

/* The §1.5 functions of η below take pc = η^c, computed once per η by their
 * callers (the η⁽²⁾ scan evaluates them at up to eta2_points η's, and pow
 * was most of its cost). */

/* μ̄ = μ[α1 + 2α2(1 − e^{η0^c})], with 1 − e^x = −expm1(x). */
static double mu_bar_pc(const lrs_theory_state *ts, double pc) {
  const lrs_theory *t = &ts->th;
  return t->mu * (t->alpha1 - 2.0 * t->alpha2 * expm1(pc));
}

double lrs_theory_mu_bar(const lrs_theory_state *ts, double eta0) {
  return mu_bar_pc(ts, pow(eta0, ts->c));
}

/* K̄_0 as a function of η0 (Δ^0 = ρ̄^0 = 1), used for η⁽¹⁾ and η⁽²⁾. */
static double K_bar0_pc(const lrs_theory_state *ts, double eta0, double pc) {
  const lrs_theory *t = &ts->th;
  const double K = t->K, s = sqrt(2.0 * K * ts->L0);
  return s + 6.0 * K * K * t->beta2 * ts->L0 * eta0 * eta0 +
         K * exp(pc) * t->alpha2 * (1.0 + 3.0 * s * eta0);
}

static double K_bar0_of(const lrs_theory_state *ts, double eta0) {
  return K_bar0_pc(ts, eta0, pow(eta0, ts->c));
}

/* 1 − ρ̄(η, 0) = 2μ̄η − μ̄K̄_0η² (no cancellation for small η). */
static double one_minus_rho_bar0_pc(const lrs_theory_state *ts, double eta, double pc) {
  const double mb = mu_bar_pc(ts, pc);
  return 2.0 * mb * eta - mb * K_bar0_pc(ts, eta, pc) * eta * eta;
}

static double one_minus_rho_bar0_of(const lrs_theory_state *ts, double eta) {
  return one_minus_rho_bar0_pc(ts, eta, pow(eta, ts->c));
}

double lrs_theory_K_bar(const lrs_theory_state *ts, double t) {
  const lrs_theory *th = &ts->th;
  const double K = th->K, eta0 = th->eta0, L0 = ts->L0;
  const double Dt = pow(ts->Delta, t);
  return sqrt(2.0 * K * L0 * pow(th->rho_bar0, t)) +
         6.0 * K * K * th->beta2 * L0 * eta0 * eta0 * Dt +
         K * exp(pow(eta0, ts->c)) * th->alpha2 * (1.0 + 3.0 * sqrt(2.0 * K * L0 * Dt) * eta0);
}

double lrs_theory_rho_bar(const lrs_theory_state *ts, double eta, double t) {
  const double mb = ts->th.mu_bar;
  return 1.0 - 2.0 * mb * eta + mb * lrs_theory_K_bar(ts, t) * eta * eta;
}

void lrs_theory_set_eta0(lrs_theory_state *ts, double eta0) {
  lrs_theory *t = &ts->th;
  t->eta0 = eta0;
  t->mu_bar = lrs_theory_mu_bar(ts, eta0);
  t->K_bar0 = K_bar0_of(ts, eta0);
  t->rho_bar0 = 1.0 - one_minus_rho_bar0_of(ts, eta0);
  ts->Delta = (1.0 + pow(eta0, ts->d)) * t->rho_bar0;
}

/* ------------------------------------------------------------ roots */

typedef struct {
  const lrs_theory_state *ts;
} root_ctx;

/* eq. (101): η K̄_0(η) − 1, increasing from −1 at 0. */
static double f_eta1(double eta, void *p) {
  const root_ctx *c = p;
  return eta * K_bar0_of(c->ts, eta) - 1.0;
}

/* eq. (102): (1 − e^{−η^c})(1 − Δ(η)) − 4KL0η², positive just above 0.
 * 1 − Δ = (1 − ρ̄) − η^d ρ̄ with ρ̄ = ρ̄(η, 0). */
static double f_eta2(double eta, void *p) {
  const root_ctx *c = p;
  const lrs_theory_state *ts = c->ts;
  const double pc = pow(eta, ts->c);
  const double omr = one_minus_rho_bar0_pc(ts, eta, pc);
  const double one_minus_Delta = omr - pow(eta, ts->d) * (1.0 - omr);
  return -expm1(-pc) * one_minus_Delta - 4.0 * ts->th.K * ts->L0 * eta * eta;
}

/* Whether eta2_positive_on's bound holds: the monotonicity below needs c, d > 0 and
 * nonnegative, finite coefficients. */
static bool eta2_bound_applies(const lrs_theory_state *ts) {
  const lrs_theory *t = &ts->th;
  const double v[] = {t->mu, t->K, ts->L0, t->alpha1, t->alpha2, t->beta2};
  bool ok = ts->c > 0.0 && ts->d > 0.0 && isfinite(ts->c) && isfinite(ts->d);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    ok = ok && v[i] >= 0.0 && isfinite(v[i]);
  return ok;
}

/* True only if f_eta2 > 0 on all of [a, b] (0 < a ≤ b), with a margin far above
 * f_eta2's rounding error, so that f_eta2 evaluates > 0 at every point of it.
 * On [a, b]: 1 − e^{−η^c} ≥ 1 − e^{−a^c}; μ̄(η) ≥ μ̄(b) (expm1(η^c) increases);
 * K̄_0(η) ≤ K̄_0(b); so if μ̄(b) > 0 and q = 2 − K̄_0(b)b > 0, then
 * 1 − ρ̄ = μ̄η(2 − K̄_0η) ≥ ω = μ̄(b)·a·q, and 1 − Δ = ω' + η^d(ω' − 1) for the
 * true ω' ≥ ω is ≥ ω + (ω − 1)·(b^d if ω ≤ 1, else a^d); 4KL0η² ≤ 4KL0b². */
static bool eta2_positive_on(const lrs_theory_state *ts, double a, double b) {
  const lrs_theory *t = &ts->th;
  const double pa = pow(a, ts->c), pb = pow(b, ts->c);
  const double em = expm1(pb);
  const double mb = t->mu * (t->alpha1 - 2.0 * t->alpha2 * em);
  const double Kb = K_bar0_pc(ts, b, pb);
  const double q = 2.0 - Kb * b;
  if (!(mb > 0.0 && q > 0.0))
    return false;
  const double om = mb * a * q;
  const double bd = pow(b, ts->d);
  const double omd = om + (om - 1.0) * (om <= 1.0 ? bd : pow(a, ts->d));
  const double quad = 4.0 * t->K * ts->L0 * b * b;
  const double lb = -expm1(-pa) * omd - quad;
  /* magnitudes of f_eta2's terms (and of μ̄'s and 1 − ρ̄'s) on [a, b] */
  const double omr_big = t->mu * (t->alpha1 + 2.0 * t->alpha2 * em) * b * (2.0 + Kb * b);
  const double size = -expm1(-pb) * (omr_big + bd * (1.0 + omr_big)) + quad;
  return isfinite(lb) && isfinite(size) && lb > 1e-10 * size;
}

/* Brent on [lo, hi] with f(lo), f(hi) of opposite signs. */
static lrs_status brent(double (*f)(double, void *), void *ctx, double lo, double hi,
                        const lrs_theory_opts *o, const char *what, double *root) {
  gsl_function F = {.function = f, .params = ctx};
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!s)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a GSL root solver");
  lrs_status st = LRS_OK;
  int rc = gsl_root_fsolver_set(s, &F, lo, hi);
  if (rc != GSL_SUCCESS) {
    st = LRS_RAISE(LRS_ERR_GSL, "%s: Brent setup on [%g, %g]: %s", what, lo, hi,
                   gsl_strerror(rc));
    goto done;
  }
  for (int it = 0; it < o->root_max_iter; it++) {
    rc = gsl_root_fsolver_iterate(s);
    if (rc != GSL_SUCCESS) {
      st = LRS_RAISE(LRS_ERR_GSL, "%s: Brent iteration: %s", what, gsl_strerror(rc));
      goto done;
    }
    const double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
    if (gsl_root_test_interval(a, b, 0.0, o->root_rtol) == GSL_SUCCESS)
      break;
  }
  *root = gsl_root_fsolver_root(s);
done:
  gsl_root_fsolver_free(s);
  return st;
}

lrs_status lrs_theory_init(const lrs_theory_in *in, const lrs_theory_opts *opts,
                           lrs_theory_state *ts) {
  const lrs_theory_opts o = opts ? *opts : lrs_theory_opts_default();
  lrs_theory *t = &ts->th;
  t->applicable = true;
  t->mu = in->mu;
  t->K = in->K;
  ts->L0 = in->L0;
  ts->c = in->c;
  ts->d = in->d;
  ts->Delta = NAN;
  t->eta0 = t->mu_bar = t->K_bar0 = t->rho_bar0 = NAN;

  /* Table 2 (papers.md §1.3). */
  const double pn = fmax(in->ln_D, 0.0), pm = fmax(in->lm_negD, 0.0);
  t->lambda_plus = fmax(in->lmax_D, 0.0);
  t->lambda_minus = fmax(in->lmax_negD, 0.0);
  t->delta_under = pn + pm;
  t->delta_plus = t->lambda_plus - pn;
  t->delta_minus = t->lambda_minus - pm;
  const double r = sqrt(in->K / in->mu) * in->dist0;
  t->beta1 = fmax(0.0, in->smin_Wstar - r);
  t->beta2 = in->smax_Wstar + r;
  const double b1 = 4.0 * t->beta1 * t->beta1, b2 = 4.0 * t->beta2 * t->beta2;
  t->alpha1 = 0.5 * (-t->delta_plus - t->delta_minus +
                     sqrt((t->delta_plus + t->delta_under) * (t->delta_plus + t->delta_under) + b1) +
                     sqrt((t->delta_minus + t->delta_under) * (t->delta_minus + t->delta_under) + b1));
  t->alpha2 = 0.5 * (t->lambda_plus + sqrt(t->lambda_plus * t->lambda_plus + b2)) +
              0.5 * (t->lambda_minus + sqrt(t->lambda_minus * t->lambda_minus + b2));
  t->asymptotic_rate = 1.0 - (in->mu / in->K) * (t->alpha1 / t->alpha2);

  /* η_log = [log(1 + α1/(2α2))]^{1/c}: keeps μ̄ > 0 (§1.5). */
  const double lg = log1p(t->alpha1 / (2.0 * t->alpha2));
  ts->eta_log = lg > 0.0 ? pow(lg, 1.0 / in->c) : 0.0;

  root_ctx ctx = {.ts = ts};
  /* η⁽¹⁾: f_eta1 increases from −1; since e^{η^c} ≥ 1, f(η) ≥ η(Kα2 + √(2KL0)) − 1,
   * so 1/(Kα2 + √(2KL0)) brackets it; fall back to doubling. */
  double hi = 1.0 / (in->K * t->alpha2 + sqrt(2.0 * in->K * in->L0));
  if (!isfinite(hi) || hi <= 0.0)
    hi = 1.0;
  for (int k = 0; k < 200 && f_eta1(hi, &ctx) < 0.0; k++)
    hi *= 2.0;
  if (!(f_eta1(hi, &ctx) >= 0.0))
    return LRS_RAISE(LRS_ERR_NUMERIC, "eta1 (eq. 101): no bracket found (K = %g, alpha2 = %g)",
                     in->K, t->alpha2);
  if (f_eta1(hi, &ctx) == 0.0)
    t->eta1 = hi;
  else
    LRS_TRY(brent(f_eta1, &ctx, 0.0, hi, &o, "eta1 (eq. 101)", &t->eta1));

  /* η⁽²⁾: first sign change of f_eta2 on a log grid, then Brent.  Runs of grid
   * points where eta2_positive_on proves f_eta2 > 0 are skipped (doubling runs,
   * halved on failure): the first non-positive grid point, and so the Brent
   * bracket and η⁽²⁾, are the plain scan's. */
  t->eta2 = INFINITY;
  const double lr = log(o.eta2_hi / o.eta2_lo) / (double)(o.eta2_points - 1);
  double prev_x = o.eta2_lo, prev_f = f_eta2(prev_x, &ctx);
  if (!(prev_f > 0.0)) {
    t->eta2 = o.eta2_lo; /* the root lies below the scan: report its lower end */
  } else {
    const bool skip = eta2_bound_applies(ts);
    int run = 2, cool = 0;
    for (int k = 1; k < o.eta2_points;) {
      if (skip && cool == 0 && run > 1) {
        const int e = k + run - 1 < o.eta2_points ? k + run - 1 : o.eta2_points - 1;
        const double xe = o.eta2_lo * exp(lr * (double)e);
        if (e > k && eta2_positive_on(ts, o.eta2_lo * exp(lr * (double)k), xe)) {
          prev_x = xe;
          k = e + 1;
          run *= 2;
          continue;
        }
        run /= 2;
        if (run == 1)
          cool = 8; /* near the sign change: plain steps for a while */
        continue;
      }
      const double x = o.eta2_lo * exp(lr * (double)k), fx = f_eta2(x, &ctx);
      if (!(fx > 0.0)) {
        if (fx == 0.0)
          t->eta2 = x;
        else if (isfinite(fx))
          LRS_TRY(brent(f_eta2, &ctx, prev_x, x, &o, "eta2 (eq. 102)", &t->eta2));
        else
          t->eta2 = prev_x;
        break;
      }
      prev_x = x;
      prev_f = fx;
      k++;
      if (cool > 0 && --cool == 0)
        run = 2;
    }
  }
  (void)prev_f;

  t->eta_max = t->eta1;
  t->eta_max_bound = LRS_ETA_BOUND_ETA1;
  if (t->eta2 < t->eta_max) {
    t->eta_max = t->eta2;
    t->eta_max_bound = LRS_ETA_BOUND_ETA2;
  }
  if (ts->eta_log < t->eta_max) {
    t->eta_max = ts->eta_log;
    t->eta_max_bound = LRS_ETA_BOUND_LOG;
  }
  return LRS_OK;
}

/* ------------------------------------------------------------ §1.4 per step */

static void K_t_coeffs(const lrs_local_consts *lc, double *a, double *b, double *c) {
  const double s = sqrt(2.0 * lc->K * lc->L);
  *a = lc->K * lc->smax2_T + s;
  *b = 3.0 * lc->K * lc->smax2_T * s;
  *c = 6.0 * lc->K * lc->K * lc->smax_W * lc->L;
}

double lrs_theory_K_t(const lrs_local_consts *lc, double eta) {
  double a, b, c;
  K_t_coeffs(lc, &a, &b, &c);
  return a + b * eta + c * eta * eta;
}

double lrs_theory_rho(const lrs_local_consts *lc, double eta) {
  const double mu_t = lc->mu * lc->smin2_T;
  return 1.0 - 2.0 * mu_t * eta + mu_t * lrs_theory_K_t(lc, eta) * eta * eta;
}

double lrs_theory_inv_K_t(const lrs_local_consts *lc) {
  double a, b, c;
  K_t_coeffs(lc, &a, &b, &c);
  if (!(a > 0.0))
    return INFINITY;
  /* f(η) = cη³ + bη² + aη − 1 is increasing and convex on η > 0 with f(1/a) ≥ 0:
   * Newton from 1/a decreases monotonically to the root. */
  double eta = 1.0 / a;
  for (int k = 0; k < 100; k++) {
    const double f = ((c * eta + b) * eta + a) * eta - 1.0;
    const double fp = (3.0 * c * eta + 2.0 * b) * eta + a;
    const double step = f / fp;
    if (!(step > DBL_EPSILON * eta))
      break;
    eta -= step;
  }
  return eta;
}

/* ------------------------------------------------------------ imbalance */

static int cmp_desc(const void *pa, const void *pb) {
  const double a = *(const double *)pa, b = *(const double *)pb;
  return (a < b) - (a > b);
}

lrs_status lrs_theory_imbalance(const lrs_mat *M, size_t n, size_t m, size_t h,
                                double *lmax_D, double *lmax_negD, double *ln_D,
                                double *lm_negD) {
  lrs_linalg *la = lrs_mat_linalg(M);
  const size_t s = lrs_mat_rows(M);
  if (n == 0 || m == 0 || s != lrs_mat_cols(M) || s > h)
    return LRS_RAISE(LRS_ERR_RANGE,
                     "imbalance: a %zux%zu matrix for D of width %zu (n = %zu, m = %zu)", s,
                     lrs_mat_cols(M), h, n, m);
  lrs_status st = LRS_OK;
  double *spec = calloc(h, sizeof *spec); /* entries beyond s stay 0 */
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(spec)), done);
  LRS_TRY_GOTO(st, lrs_mat_sym_eigvals(M, spec), done);
  /* D's spectrum is M's s eigenvalues and h − s zeros: sort the s, then open
   * the zero block between the positive and the non-positive ones (the order
   * a sort of all h would give, without its O(h log h) and buffer). */
  qsort(spec, s, sizeof *spec, cmp_desc);
  size_t pos = 0;
  while (pos < s && spec[pos] > 0.0)
    pos++;
  memmove(spec + pos + (h - s), spec + pos, (s - pos) * sizeof *spec);
  for (size_t i = pos; i < pos + (h - s); i++)
    spec[i] = 0.0;
  *lmax_D = spec[0];
  *lmax_negD = -spec[h - 1];
  /* k-th largest, with eigenvalues beyond D's size read as 0. */
  *ln_D = n <= h ? spec[n - 1] : 0.0;
  *lm_negD = m <= h ? -spec[h - m] : 0.0;
done:
  free(spec);
  return st;
}
