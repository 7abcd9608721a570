/* [P1] scalar theory (lrsweep/theory.h) against formulas re-derived here from
 * papers.md §1.3–1.5: α's, roots η⁽¹⁾/η⁽²⁾ by residuals, η_max, μ̄, K̄_t,
 * ρ̄, K_t(η), ρ, 1/K_t. */
#include <math.h>

#include "lrs_test.h"
#include "lrsweep/theory.h"

/* Own copies of the §1.5 formulas (independent of src/theory). */
typedef struct {
  double mu, K, L0, c, d, a1, a2, b2;
} ref_t;
static double r_mubar(const ref_t *r, double e) {
  return r->mu * (r->a1 + 2.0 * r->a2 * (1.0 - exp(pow(e, r->c))));
}
static double r_Kbar(const ref_t *r, double e0, double t, double rho0, double Delta) {
  return sqrt(2.0 * r->K * r->L0 * pow(rho0, t)) +
         6.0 * r->K * r->K * r->b2 * r->L0 * e0 * e0 * pow(Delta, t) +
         r->K * exp(pow(e0, r->c)) * r->a2 * (1.0 + 3.0 * sqrt(2.0 * r->K * r->L0 * pow(Delta, t)) * e0);
}
static double r_rho0(const ref_t *r, double e) {
  return 1.0 - 2.0 * r_mubar(r, e) * e + r_mubar(r, e) * r_Kbar(r, e, 0, 1, 1) * e * e;
}
static double r_g2(const ref_t *r, double e) { /* eq. 102 as a difference */
  const double Delta = (1.0 + pow(e, r->d)) * r_rho0(r, e);
  return (1.0 - exp(-pow(e, r->c))) * (1.0 - Delta) - 4.0 * r->K * r->L0 * e * e;
}

static void check_case(const char *name, const lrs_theory_in *in) {
  lrs_theory_state ts;
  LRS_CHECK(lrs_theory_init(in, NULL, &ts) == LRS_OK, "%s: init", name);
  const lrs_theory *t = &ts.th;
  /* Table 2 by hand. */
  const double lp = fmax(in->lmax_D, 0), lm = fmax(in->lmax_negD, 0);
  const double pn = fmax(in->ln_D, 0), pm = fmax(in->lm_negD, 0);
  const double du = pn + pm, dp = lp - pn, dm = lm - pm;
  const double rr = sqrt(in->K / in->mu) * in->dist0;
  const double b1 = fmax(0, in->smin_Wstar - rr), b2 = in->smax_Wstar + rr;
  const double a1 = (-dp - dm + sqrt((dp + du) * (dp + du) + 4 * b1 * b1) +
                     sqrt((dm + du) * (dm + du) + 4 * b1 * b1)) / 2;
  const double a2 = (lp + sqrt(lp * lp + 4 * b2 * b2)) / 2 + (lm + sqrt(lm * lm + 4 * b2 * b2)) / 2;
  LRS_CHECK(lrs_test_close(t->alpha1, a1, 1e-14, 0) && lrs_test_close(t->alpha2, a2, 1e-14, 0) &&
                lrs_test_close(t->beta1, b1, 1e-14, 1e-300) && lrs_test_close(t->beta2, b2, 1e-14, 0),
            "%s: α1 = %.6g, α2 = %.6g, β1, β2 as in Table 2", name, a1, a2);
  LRS_CHECK(lrs_test_close(t->asymptotic_rate, 1 - in->mu / in->K * a1 / a2, 1e-14, 0),
            "%s: asymptotic rate 1 − (μ/K)α1/α2", name);
  /* The Frobenius reading (papers.md §3.3): ‖W*‖_F for σ_max(W*). */
  const double b2f = in->fro_Wstar + rr;
  const double a2f =
      (lp + sqrt(lp * lp + 4 * b2f * b2f)) / 2 + (lm + sqrt(lm * lm + 4 * b2f * b2f)) / 2;
  LRS_CHECK(lrs_test_close(t->beta2_fro, b2f, 1e-14, 0) &&
                lrs_test_close(t->alpha2_fro, a2f, 1e-14, 0) &&
                lrs_test_close(t->asymptotic_rate_fro, 1 - in->mu / in->K * a1 / a2f, 1e-14, 0),
            "%s: β2_fro, α2_fro, rate_fro with ‖W*‖_F", name);
  const ref_t r = in->beta2_frobenius ? (ref_t){in->mu, in->K, in->L0, in->c, in->d, a1, a2f, b2f}
                                       : (ref_t){in->mu, in->K, in->L0, in->c, in->d, a1, a2, b2};
  /* η⁽¹⁾: residual of η K̄_0(η) = 1. */
  const double res1 = t->eta1 * r_Kbar(&r, t->eta1, 0, 1, 1) - 1.0;
  LRS_CHECK(t->eta1 > 0 && fabs(res1) < 1e-12, "%s: η⁽¹⁾ = %.10g solves eq. 101 (res %.1e)", name,
            t->eta1, res1);
  /* η⁽²⁾: a root of eq. 102 with g > 0 on a fine grid below it (smallest). */
  if (isfinite(t->eta2)) {
    const double g = r_g2(&r, t->eta2);
    /* a root: the sign changes within ±1e-11 relative around it */
    const bool brackets = r_g2(&r, t->eta2 * (1 - 1e-11)) > 0 && r_g2(&r, t->eta2 * (1 + 1e-11)) < 0;
    bool pos = true;
    for (int i = 1; i < 2000; i++) {
      const double e = t->eta2 * (1.0 - 1e-6) * pow(1e-10, 1.0 - i / 2000.0);
      pos = pos && r_g2(&r, e) > 0;
    }
    LRS_CHECK(brackets && pos,
              "%s: η⁽²⁾ = %.10g is the smallest root of eq. 102 (res %.1e)", name, t->eta2, g);
  } else {
    bool pos = true;
    for (int i = 0; i < 3000; i++)
      pos = pos && !(r_g2(&r, 1e-14 * pow(1e20, i / 2999.0)) <= 0);
    LRS_CHECK(pos, "%s: η⁽²⁾ = ∞ and eq. 102 has no sign change on the grid", name);
  }
  const double elog = pow(log(1 + a1 / (2 * r.a2)), 1 / in->c);
  const double emax = fmin(fmin(t->eta1, t->eta2), elog);
  const lrs_eta_bound want = emax == t->eta1 ? LRS_ETA_BOUND_ETA1
                             : emax == t->eta2 ? LRS_ETA_BOUND_ETA2
                                               : LRS_ETA_BOUND_LOG;
  LRS_CHECK(lrs_test_close(t->eta_max, emax, 1e-14, 0) && t->eta_max_bound == want,
            "%s: η_max = min(η⁽¹⁾, η⁽²⁾, η_log) = %.6g bound by %s", name, emax,
            lrs_eta_bound_names[t->eta_max_bound]);
  /* η0-dependent columns and the bound curves. */
  const double e0 = 0.7 * t->eta_max;
  lrs_theory_set_eta0(&ts, e0);
  const double mb = r_mubar(&r, e0), K0 = r_Kbar(&r, e0, 0, 1, 1);
  const double rho0 = 1 - 2 * mb * e0 + mb * K0 * e0 * e0;
  const double Delta = (1 + pow(e0, in->d)) * rho0;
  LRS_CHECK(lrs_test_close(t->mu_bar, mb, 1e-13, 0) && lrs_test_close(t->K_bar0, K0, 1e-13, 0) &&
                lrs_test_close(t->rho_bar0, rho0, 1e-12, 0),
            "%s: μ̄, K̄_0, ρ̄(η0, 0) at η0 = 0.7η_max", name);
  const double K3 = r_Kbar(&r, e0, 3, rho0, Delta), eta = 0.9 * e0;
  LRS_CHECK(lrs_test_close(lrs_theory_K_bar(&ts, 3), K3, 1e-13, 0) &&
                lrs_test_close(lrs_theory_rho_bar(&ts, eta, 3), 1 - 2 * mb * eta + mb * K3 * eta * eta,
                               1e-12, 0),
            "%s: K̄_3 and ρ̄(η, 3)", name);
  LRS_CHECK(rho0 < 1 && rho0 > 0, "%s: 0 < ρ̄(η0, 0) = %.6g < 1 for η0 < η_max", name, rho0);
}

int main(void) {
  /* A generic imbalanced case (numbers of the paper's scale). */
  const lrs_theory_in paper = {.mu = 1, .K = 1, .L0 = 4.3e-3, .c = 0.5, .d = 1.01,
                               .lmax_D = 638.47, .lmax_negD = 600.27, .ln_D = 372.6,
                               .lm_negD = 403.3, .smin_Wstar = 12.97, .smax_Wstar = 127.4,
                               .dist0 = 0.1};
  check_case("paper-scale", &paper);
  lrs_theory_in paper_fro = paper;
  paper_fro.fro_Wstar = 181.3;
  paper_fro.beta2_frobenius = true;
  check_case("paper-scale, frobenius β2", &paper_fro);
  { /* the η⁽²⁾ search costs a handful of evaluations of eq. 102, not a scan */
    lrs_theory_opts o = lrs_theory_opts_default();
    lrs_theory_state ts0;
    lrs_theory_init(&paper, &o, &ts0);
    LRS_CHECK(o.eta2_evals > 0 && o.eta2_evals < 100,
              "paper-scale: η⁽²⁾ found with %lld evaluations of eq. 102",
              (long long)o.eta2_evals);
  }
  /* Large L0: eq. 102 binds. */
  lrs_theory_in big = paper;
  big.L0 = 5e4;
  check_case("large L0", &big);
  /* Well conditioned, small: the log term can bind. */
  const lrs_theory_in small = {.mu = 0.5, .K = 2, .L0 = 1e-6, .c = 0.5, .d = 2,
                               .lmax_D = 0.3, .lmax_negD = 0.1, .ln_D = 0.2, .lm_negD = 0.05,
                               .smin_Wstar = 0.05, .smax_Wstar = 1.5, .dist0 = 0.01};
  check_case("small", &small);

  /* A root far below 1e-14 (papers.md §3.5): with d = 1.01 and 2μα1 ≈ 0.2 it sits
   * near (2μα1)^100; below DBL_MIN it is reported as underflow, never a floor. */
  for (int k = 0; k < 2; k++) {
    const double s = k ? 2e-4 : 0.09; /* σ_min(W*) = σ_max(W*) = s, D0 = 0 */
    const lrs_theory_in tiny = {.mu = 1, .K = 1, .L0 = 1e-3, .c = 0.5, .d = 1.01,
                                .smin_Wstar = s, .smax_Wstar = s, .fro_Wstar = s, .dist0 = 0};
    lrs_theory_state ts;
    LRS_CHECK(lrs_theory_init(&tiny, NULL, &ts) == LRS_OK, "tiny α1 = %g: init", 4 * s);
    const double e2 = ts.th.eta2;
    if (!k) {
      /* the root: g changes sign around it and is > 0 below it (eq. 102 in double
       * cannot resolve 1 − Δ ≈ 1e-45 here: tests/theory/test_eta2_mpmath.py
       * checks such roots against the literal equation in high precision) */
      const double gl = lrs_theory_eta2_g(&ts, e2 * (1 - 1e-9)),
                   gh = lrs_theory_eta2_g(&ts, e2 * (1 + 1e-9));
      bool pos = true;
      for (int i = 1; i < 400; i++)
        pos = pos && lrs_theory_eta2_g(&ts, e2 * pow(1e-300 / e2, i / 400.0)) > 0;
      LRS_CHECK(e2 > 1e-300 && e2 < 1e-30 && gl > 0 && gh < 0 && pos &&
                    ts.th.eta_max_bound == LRS_ETA_BOUND_ETA2 && ts.th.eta_max == e2 &&
                    fabs(log(e2 / pow(2 * ts.th.alpha1, 100))) < 0.1,
                "2μα1 = %.2g: η⁽²⁾ = %.6g (≈ (2μα1)^100 = %.2g) is a root of eq. 102, the smallest",
                2 * ts.th.alpha1, e2, pow(2 * ts.th.alpha1, 100));
    } else {
      LRS_CHECK(e2 == 0 && ts.th.eta_max == 0 && ts.th.eta_max_bound == LRS_ETA_BOUND_ETA2_UNDERFLOW &&
                    lrs_theory_eta2_g(&ts, 2.2250738585072014e-308) < 0,
                "2μα1 = %.2g: the root is below DBL_MIN: η⁽²⁾ = 0, bound eta2_underflow",
                2 * ts.th.alpha1);
    }
  }

  /* The cubic root helper: c3η³ + c2η² + c1η = c0. */
  const double cr = lrs_theory_cubic_root(0.7, 2.5, 3.1, 4.2);
  LRS_CHECK(fabs(((0.7 * cr + 2.5) * cr + 3.1) * cr - 4.2) < 1e-14 * 4.2 && cr > 0 &&
                isnan(lrs_theory_cubic_root(1, 1, 0, 1)) && lrs_theory_cubic_root(0, 0, 2, 3) == 1.5,
            "cubic root %.17g solves 0.7η³ + 2.5η² + 3.1η = 4.2; NaN without c1; c0/c1 when linear",
            cr);

  /* Balanced init (D0 = 0): α1 = 2β1, α2 = 2β2. */
  const lrs_theory_in bal = {.mu = 1, .K = 4, .L0 = 0.1, .c = 0.5, .d = 2,
                             .smin_Wstar = 2, .smax_Wstar = 5, .dist0 = 0.3};
  lrs_theory_state ts;
  lrs_theory_init(&bal, NULL, &ts);
  LRS_CHECK(lrs_test_close(ts.th.alpha1, 2 * (2 - 2 * 0.3), 1e-14, 0) &&
                lrs_test_close(ts.th.alpha2, 2 * (5 + 2 * 0.3), 1e-14, 0),
            "balanced: α1 = 2β1, α2 = 2β2");

  /* Per-step K_t(η), ρ(η, t), and 1/K_t as the root of ηK_t(η) = 1 (§1.4). */
  const lrs_local_consts lc = {.L = 0.02, .mu = 0.8, .K = 1.5, .smin2_T = 3.1, .smax2_T = 7.4,
                               .smax_W = 2.2};
  const double s = sqrt(2 * 1.5 * 0.02), eta = 0.05;
  const double Kt = 1.5 * 7.4 + s + 6 * 1.5 * 1.5 * 2.2 * 0.02 * eta * eta + 3 * 1.5 * 7.4 * s * eta;
  LRS_CHECK(lrs_test_close(lrs_theory_K_t(&lc, eta), Kt, 1e-15, 0), "K_t(η) of eq. 11");
  const double mut = 0.8 * 3.1;
  LRS_CHECK(lrs_test_close(lrs_theory_rho(&lc, eta), 1 - 2 * mut * eta + mut * Kt * eta * eta, 1e-15,
                           0),
            "ρ(η, t) of eq. 12");
  const double inv = lrs_theory_inv_K_t(&lc);
  LRS_CHECK(inv > 0 && fabs(inv * lrs_theory_K_t(&lc, inv) - 1) < 1e-15,
            "1/K_t = %.15g solves η·K_t(η) = 1", inv);
  const lrs_local_consts zero = {0};
  LRS_CHECK(isinf(lrs_theory_inv_K_t(&zero)), "1/K_t = ∞ when K_t ≡ 0");
  return lrs_test_done();
}
