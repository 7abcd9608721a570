/* [P1] constants and per-step bounds (lrsweep/theory.h, papers.md §1.3–1.6). */
#include "lrsweep/theory.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

lrs_theory_opts lrs_theory_opts_default(void) {
  return (lrs_theory_opts){.root_rtol = 1e-14, .root_max_iter = 200, .eta2_hi = 1e6,
                           .eta2_per_decade = 200, .eta2_evals = 0};
}

/* ------------------------------------------------------------ §1.5 scalars */

/* The §1.5 functions of η below take pc = η^c, computed once per η by their
 * callers (the η⁽²⁾ scan evaluates them at up to eta2_points η's, and pow
 * was most of its cost). */

/* μ̄ = μ[α1 + 2α2(1 − e^{η0^c})], with 1 − e^x = −expm1(x). */
static double mu_bar_pc(const lrs_theory_state *ts, double pc) {
  const lrs_theory *t = &ts->th;
  return t->mu * (t->alpha1 - 2.0 * ts->alpha2_drive * expm1(pc));
}

double lrs_theory_mu_bar(const lrs_theory_state *ts, double eta0) {
  return mu_bar_pc(ts, pow(eta0, ts->c));
}

/* K̄_0 as a function of η0 (Δ^0 = ρ̄^0 = 1), used for η⁽¹⁾ and η⁽²⁾. */
static double K_bar0_pc(const lrs_theory_state *ts, double eta0, double pc) {
  const lrs_theory *t = &ts->th;
  const double K = t->K, s = sqrt(2.0 * K * ts->L0);
  return s + 6.0 * K * K * ts->beta2_drive * ts->L0 * eta0 * eta0 +
         K * exp(pc) * ts->alpha2_drive * (1.0 + 3.0 * s * eta0);
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
         6.0 * K * K * ts->beta2_drive * L0 * eta0 * eta0 * Dt +
         K * exp(pow(eta0, ts->c)) * ts->alpha2_drive * (1.0 + 3.0 * sqrt(2.0 * K * L0 * Dt) * eta0);
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
  int64_t evals; /* f_eta2 calls (lrs_theory_opts.eta2_evals) */
} root_ctx;

/* eq. (101): η K̄_0(η) − 1, increasing from −1 at 0. */
static double f_eta1(double eta, void *p) {
  const root_ctx *c = p;
  return eta * K_bar0_of(c->ts, eta) - 1.0;
}

/* eq. (102) divided by η^{1+c} (papers.md §3.5):
 *   g(η) = A(η)·B(η) − 4KL0η^{1−c},  A = (1 − e^{−η^c})/η^c,
 *   B = (1 − Δ)/η = ω(1 + η^d) − η^{d−1},  ω = (1 − ρ̄(η, 0))/η = μ̄(2 − K̄_0η),
 * since 1 − Δ = 1 − (1 + η^d)(1 − ηω).  Same sign as eq. 102's difference,
 * no underflow for η ≥ DBL_MIN, and g → 2μα1 as η → 0. */
typedef struct {
  double A, omega, pd1, q; /* A, ω, η^{d−1}, 4KL0η^{1−c} */
} g_parts;

static g_parts eta2_parts(const lrs_theory_state *ts, double eta) {
  const double le = log(eta);
  const double pc = exp(ts->c * le);
  g_parts g;
  g.A = pc > 0.0 ? -expm1(-pc) / pc : 1.0;
  g.omega = mu_bar_pc(ts, pc) * (2.0 - K_bar0_pc(ts, eta, pc) * eta);
  g.pd1 = exp((ts->d - 1.0) * le);
  g.q = 4.0 * ts->th.K * ts->L0 * exp((1.0 - ts->c) * le);
  return g;
}

static double eta2_g_of(const lrs_theory_state *ts, double eta) {
  const g_parts g = eta2_parts(ts, eta);
  return g.A * (g.omega * (1.0 + g.pd1 * eta) - g.pd1) - g.q;
}

double lrs_theory_eta2_g(const lrs_theory_state *ts, double eta) { return eta2_g_of(ts, eta); }

static double f_eta2(double eta, void *p) {
  root_ctx *c = p;
  c->evals++;
  return eta2_g_of(c->ts, eta);
}

/* Whether eta2_positive_on's bound holds: the monotonicity below needs c, d > 0 and
 * nonnegative, finite coefficients. */
static bool eta2_bound_applies(const lrs_theory_state *ts) {
  const lrs_theory *t = &ts->th;
  const double v[] = {t->mu, t->K, ts->L0, t->alpha1, ts->alpha2_drive, ts->beta2_drive};
  bool ok = ts->c > 0.0 && ts->c < 1.0 && ts->d > 1.0 && isfinite(ts->d);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    ok = ok && v[i] >= 0.0 && isfinite(v[i]);
  return ok;
}

/* True only if g > 0 on all of [a, b] (0 ≤ a < b), with a margin far above
 * g's rounding error, so that g also evaluates > 0 at every point of it.
 * For η ≤ b: A(η) ≥ A(b) (x ↦ (1 − e^{−x})/x decreases); μ̄(η) ≥ μ̄(b)
 * (expm1(η^c) increases) and K̄_0(η)η ≤ K̄_0(b)b, so if μ̄(b) > 0 and
 * q = 2 − K̄_0(b)b > 0 then ω ≥ ω_lo = μ̄(b)q > 0 and, for η ≥ a,
 * B ≥ ω_lo(1 + a^d) − b^{d−1} (d > 1); 4KL0η^{1−c} ≤ 4KL0b^{1−c} (c < 1). */
static bool eta2_positive_on(const lrs_theory_state *ts, double a, double b) {
  const lrs_theory *t = &ts->th;
  const double pb = pow(b, ts->c);
  const double em = expm1(pb);
  const double mb = t->mu * (t->alpha1 - 2.0 * ts->alpha2_drive * em);
  const double Kb = K_bar0_pc(ts, b, pb);
  const double qf = 2.0 - Kb * b;
  if (!(mb > 0.0 && qf > 0.0))
    return false;
  const double Ab = pb > 0.0 ? -expm1(-pb) / pb : 1.0;
  const double wlo = mb * qf, bd1 = pow(b, ts->d - 1.0);
  const double Blo = wlo * (1.0 + (a > 0.0 ? pow(a, ts->d) : 0.0)) - bd1;
  const double quad = 4.0 * t->K * ts->L0 * pow(b, 1.0 - ts->c);
  const double lb = Ab * Blo - quad;
  /* magnitudes of g's terms on [a, b] (ω ≤ 2μ(α1 + 2α2·expm1(b^c))) */
  const double whi = 2.0 * t->mu * (t->alpha1 + 2.0 * ts->alpha2_drive * em);
  const double size = whi * (1.0 + b * bd1) + bd1 + quad;
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

double lrs_theory_alpha1_of(const lrs_theory *t, double b1) {
  const double q = 4.0 * b1 * b1;
  const double p = t->delta_plus + t->delta_under, m = t->delta_minus + t->delta_under;
  return 0.5 * (-t->delta_plus - t->delta_minus + sqrt(p * p + q) + sqrt(m * m + q));
}

double lrs_theory_alpha2_of(const lrs_theory *t, double b2) {
  const double q = 4.0 * b2 * b2;
  return 0.5 * (t->lambda_plus + sqrt(t->lambda_plus * t->lambda_plus + q)) +
         0.5 * (t->lambda_minus + sqrt(t->lambda_minus * t->lambda_minus + q));
}

/* η⁽²⁾ (see lrs_theory_init): the first sign change of g going up from
 * `start` (g > 0 below it) on a log grid, then Brent.  Runs of grid points
 * where eta2_positive_on proves g > 0 are skipped (doubling runs, halved on
 * failure): the first non-positive grid point, and so the bracket, are the
 * plain scan's. */
static lrs_status eta2_scan(lrs_theory_state *ts, const lrs_theory_opts *o, double start,
                            root_ctx *ctx) {
  lrs_theory *t = &ts->th;
  const double lr = log(10.0) / (double)o->eta2_per_decade;
  const int64_t npts = (int64_t)ceil((log(o->eta2_hi) - log(start)) / lr) + 1;
  const bool skip = eta2_bound_applies(ts);
  double prev_x = start;
  t->eta2 = INFINITY;
  int64_t run = 2;
  int cool = 0;
  for (int64_t k = 1; k < npts;) {
    if (skip && cool == 0 && run > 1) {
      const int64_t e = k + run - 1 < npts ? k + run - 1 : npts - 1;
      const double xe = start * exp(lr * (double)e);
      if (e > k && eta2_positive_on(ts, start * exp(lr * (double)k), xe)) {
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
    const double x = start * exp(lr * (double)k), fx = f_eta2(x, ctx);
    if (!(fx > 0.0)) {
      if (fx == 0.0)
        t->eta2 = x;
      else if (isfinite(fx))
        LRS_TRY(brent(f_eta2, ctx, prev_x, x, o, "eta2 (eq. 102)", &t->eta2));
      else
        t->eta2 = prev_x;
      return LRS_OK;
    }
    prev_x = x;
    k++;
    if (cool > 0 && --cool == 0)
      run = 2;
  }
  return LRS_OK;
}

lrs_status lrs_theory_init(const lrs_theory_in *in, lrs_theory_opts *opts,
                           lrs_theory_state *ts) {
  const lrs_theory_opts o = opts ? *opts : lrs_theory_opts_default();
  lrs_theory *t = &ts->th;
  ts->in = *in;
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
  t->beta2_fro = in->fro_Wstar + r; /* §3.3: ‖W*‖_F for σ_max(W*) */
  t->alpha1 = lrs_theory_alpha1_of(t, t->beta1);
  t->alpha2 = lrs_theory_alpha2_of(t, t->beta2);
  t->alpha2_fro = lrs_theory_alpha2_of(t, t->beta2_fro);
  t->asymptotic_rate = 1.0 - (in->mu / in->K) * (t->alpha1 / t->alpha2);
  t->asymptotic_rate_fro = 1.0 - (in->mu / in->K) * (t->alpha1 / t->alpha2_fro);
  ts->beta2_drive = in->beta2_frobenius ? t->beta2_fro : t->beta2;
  ts->alpha2_drive = in->beta2_frobenius ? t->alpha2_fro : t->alpha2;

  /* η_log = [log(1 + α1/(2α2))]^{1/c}: keeps μ̄ > 0 (§1.5). */
  const double lg = log1p(t->alpha1 / (2.0 * ts->alpha2_drive));
  ts->eta_log = lg > 0.0 ? pow(lg, 1.0 / in->c) : 0.0;

  root_ctx ctx = {.ts = ts};
  /* η⁽¹⁾: f_eta1 increases from −1; since e^{η^c} ≥ 1, f(η) ≥ η(Kα2 + √(2KL0)) − 1,
   * so 1/(Kα2 + √(2KL0)) brackets it; fall back to doubling. */
  double hi = 1.0 / (in->K * ts->alpha2_drive + sqrt(2.0 * in->K * in->L0));
  if (!isfinite(hi) || hi <= 0.0)
    hi = 1.0;
  for (int k = 0; k < 200 && f_eta1(hi, &ctx) < 0.0; k++)
    hi *= 2.0;
  if (!(f_eta1(hi, &ctx) >= 0.0))
    return LRS_RAISE(LRS_ERR_NUMERIC, "eta1 (eq. 101): no bracket found (K = %g, alpha2 = %g)",
                     in->K, ts->alpha2_drive);
  if (f_eta1(hi, &ctx) == 0.0)
    t->eta1 = hi;
  else
    LRS_TRY(brent(f_eta1, &ctx, 0.0, hi, &o, "eta1 (eq. 101)", &t->eta1));

  /* η⁽²⁾ (eq. 102, papers.md §3.5). */
  bool underflow = false;
  const double u = fmin(t->eta1, ts->eta_log);
  if (!(t->alpha1 > 0.0)) {
    t->eta2 = 0.0; /* g → 2μα1 ≤ 0: no interval (0, η] where eq. 102 holds */
  } else if (u > 0.0 && u < o.eta2_hi && eta2_bound_applies(ts) &&
             eta2_positive_on(ts, 0.0, u)) {
    LRS_TRY(eta2_scan(ts, &o, u, &ctx)); /* cannot bind below u: start there */
  } else {
    const double g0 = f_eta2(DBL_MIN, &ctx);
    if (!(g0 > 0.0)) {
      t->eta2 = 0.0; /* the root lies in (0, DBL_MIN) */
      underflow = true;
    } else {
      LRS_TRY(eta2_scan(ts, &o, DBL_MIN, &ctx));
    }
  }
  if (opts)
    opts->eta2_evals = ctx.evals;

  t->eta_max = t->eta1;
  t->eta_max_bound = LRS_ETA_BOUND_ETA1;
  if (t->eta2 < t->eta_max) {
    t->eta_max = t->eta2;
    t->eta_max_bound = underflow ? LRS_ETA_BOUND_ETA2_UNDERFLOW : LRS_ETA_BOUND_ETA2;
  }
  if (ts->eta_log < t->eta_max || (!(t->alpha1 > 0.0) && ts->eta_log <= t->eta_max)) {
    t->eta_max = ts->eta_log;
    t->eta_max_bound = LRS_ETA_BOUND_LOG;
  }
  return LRS_OK;
}

/* ------------------------------------------------------------ cubic roots */

double lrs_theory_cubic_root(double c3, double c2, double c1, double c0) {
  if (!(c1 > 0.0 && c0 > 0.0) || !(c2 >= 0.0 && c3 >= 0.0))
    return NAN;
  /* f(η) = ((c3η + c2)η + c1)η − c0 is increasing and convex on η > 0 with
   * f(c0/c1) ≥ 0: Newton from there decreases monotonically to the root. */
  double eta = c0 / c1;
  for (int k = 0; k < 200; k++) {
    const double f = ((c3 * eta + c2) * eta + c1) * eta - c0;
    const double fp = (3.0 * c3 * eta + 2.0 * c2) * eta + c1;
    const double step = f / fp;
    if (!(step > DBL_EPSILON * eta))
      break;
    eta -= step;
  }
  return eta;
}

/* ------------------------------------------------------------ xu2023 (§3.1) */

lrs_xu2023_coeffs lrs_xu2023_coeffs_at(const lrs_local_consts *lc, double r) {
  const double mu = lc->mu, K = lc->K, s = lc->smax_W, S = lc->smax2_T;
  return (lrs_xu2023_coeffs){.h1 = 2.0 * mu * lc->smin2_T,
                             .h2 = K * mu * S * S + 2.0 * mu * s * r,
                             .h3 = 2.0 * mu * K * S * s * r,
                             .h4 = mu * K * s * s * r * r};
}

double lrs_xu2023_rho(const lrs_xu2023_coeffs *h, double eta) {
  return 1.0 + eta * (-h->h1 + eta * (h->h2 + eta * (h->h3 + eta * h->h4)));
}

double lrs_xu2023_step(const lrs_xu2023_coeffs *h) {
  /* dρ/dη = 0 ⇔ 4h4η³ + 3h3η² + 2h2η = h1; Newton starts at h1/(2h2). */
  return lrs_theory_cubic_root(4.0 * h->h4, 3.0 * h->h3, 2.0 * h->h2, h->h1);
}

void lrs_xu2023_cap_init(const lrs_xu2023_in *in, const lrs_theory *th, lrs_xu2023_cap *cap) {
  const double mu = in->mu, K = in->K, L0 = in->L0, c1 = in->c1, c2 = in->c2;
  cap->p1 = fmax(in->smin_Y - in->fro_E0, 0.0) / sqrt(K);
  cap->p2 = (in->fro_Y + in->fro_E0) / sqrt(mu);
  cap->alpha0 = lrs_theory_alpha1_of(th, cap->p1);
  cap->beta0 = lrs_theory_alpha2_of(th, cap->p2);
  const double r0 = sqrt(2.0 * K * L0), b = c2 * cap->beta0, p2 = cap->p2;
  const double a1 = 2.0 * c1 * cap->alpha0 * mu;
  const double a2 = 2.0 * mu * p2 * r0 + K * mu * b * b;
  const double a3 = 2.0 * mu * K * b * p2 * r0;
  const double a4 = 2.0 * mu * K * K * p2 * p2 * L0;
  cap->eta1max = lrs_theory_cubic_root(a4, a3, a2 + 4.0 * c2 * L0 * K / (c2 - 1.0), a1);
  cap->eta2max = lrs_theory_cubic_root(
      a4, a3, a2 + 8.0 * c2 * cap->beta0 * L0 * K / ((1.0 - c1) * cap->alpha0), a1);
  cap->eta_max = fmin(cap->eta1max, cap->eta2max);
  if (isnan(cap->eta1max) || isnan(cap->eta2max))
    cap->eta_max = NAN;
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
