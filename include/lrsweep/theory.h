/*
 * lrsweep/theory.h — the constants and per-step quantities of [P1]
 * (papers.md §1.3–1.6): imbalance spectrum, margins β, bounds α on σ²(T),
 * μ̄ and K̄_t of the global analysis, the largest initial step η_max (eq. 101,
 * 102), the local smoothness K_t(η) and rates ρ, ρ̄ (eq. 10–12, Thm 3.2).
 *
 * The scalar formulas are pure functions (libm + GSL root finding), unit
 * testable without matrices.  The two matrix functions at the end use only
 * lrsweep/linalg.h and never form an SVD of an n×h matrix: they work with
 * the (n+m)×(n+m) lower-triangular factor of [W1; W2] (an LQ factorization)
 * or with n×n / m×m Gram matrices.
 *
 * Losses with min ℓ > 0: every "L" below is the excess L − ℓ* (that is the
 * quantity the descent lemma bounds once ℓ is shifted by its minimum).
 */
#ifndef LRSWEEP_THEORY_H
#define LRSWEEP_THEORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/linalg.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

/* Inputs of the t = 0 constants (papers.md §1.3). */
typedef struct lrs_theory_in {
  double mu, K;        /* of ℓ in W (lrsweep/loss.h) */
  double L0;           /* L(0) − ℓ* */
  double c, d;         /* §1.5 constants, 0 < c < 1 < d */
  /* Imbalance D0 = W1ᵀW1 − W2ᵀW2 (see lrs_theory_imbalance). */
  double lmax_D, lmax_negD; /* λ_max(D0), λ_max(−D0) */
  double ln_D, lm_negD;     /* λ_n(D0), λ_m(−D0) (n-th / m-th largest) */
  /* Minimizer W* of ℓ and the distance of the initial product to it. */
  double smin_Wstar, smax_Wstar; /* σ_min(W*) (min(n,m)-th), σ_max(W*) */
  double fro_Wstar;              /* ‖W*‖_F (the β2 the figures used, §3.3) */
  double dist0;                  /* ‖W1(0)W2(0)ᵀ − W*‖_F */
  /* Which β2 drives η_max, μ̄, K̄_t and ρ̄ (papers.md §3.3): false = the printed
   * σ_max(W*) + √(K/μ)‖W(0) − W*‖, true = ‖W*‖_F in place of σ_max(W*).
   * Both are computed and reported either way. */
  bool beta2_frobenius;
} lrs_theory_in;

/* The t = 0 constants plus what the per-step bounds need. */
typedef struct lrs_theory_state {
  lrs_theory th;   /* the public columns (result.h) */
  lrs_theory_in in; /* the inputs it was made from */
  double L0, c, d;
  /* The (β2, α2) pair that drives η_max, μ̄, K̄_t, ρ̄: th.beta2/alpha2 (printed)
   * or th.beta2_fro/alpha2_fro, per in.beta2_frobenius. */
  double beta2_drive, alpha2_drive;
  double eta_log;  /* [log(1 + α1/(2α2))]^{1/c} (§1.5) */
  double Delta;    /* (1 + η0^d) ρ̄(η0, 0), set by lrs_theory_set_eta0 */
} lrs_theory_state;

/* Per-step inputs of eq. (10)–(12) at an iterate (papers.md §1.4). */
typedef struct lrs_local_consts {
  double L;        /* L_t − ℓ* */
  double mu, K;    /* of ℓ */
  double smin2_T;  /* σ²_min(T_t) = λ_min(W1W1ᵀ) + λ_min(W2W2ᵀ) */
  double smax2_T;  /* σ²_max(T_t) = λ_max(W1W1ᵀ) + λ_max(W2W2ᵀ) */
  double smax_W;   /* σ_max(W1W2ᵀ) */
  double grad_l;   /* ‖∇ℓ(W_t)‖_F (the n×m gradient in W; xu2023's exact r) */
} lrs_local_consts;

/* Root-finding tolerances (documented defaults; see lrs_theory_init). */
typedef struct lrs_theory_opts {
  double root_rtol;   /* Brent relative tolerance, default 1e-14 */
  int root_max_iter;  /* Brent iterations, default 200 */
  double eta2_hi;     /* top of the η⁽²⁾ scan, default 1e6 */
  int eta2_per_decade; /* log-spaced scan points per decade, default 200 */
  int64_t eta2_evals;  /* out: evaluations of eq. 102 the last init made */
} lrs_theory_opts;

/* The defaults listed in lrs_theory_opts. */
lrs_theory_opts lrs_theory_opts_default(void);

/*
 * Fills the t = 0 constants of papers.md §1.3 and §1.5 from `in`:
 * λ±, Δ̲, Δ±, β1, β2, α1, α2 and the asymptotic rate 1 − (μ/K)α1/α2 for
 * both β2 readings (§3.3: th.beta2/alpha2/asymptotic_rate printed,
 * th.*_fro with ‖W*‖_F), and with the driving pair (in.beta2_frobenius):
 * η⁽¹⁾ (eq. 101: unique positive root of η·K̄_0(η) = 1, bracketed, then
 * Brent), η⁽²⁾ (eq. 102, below), η_max = min(η⁽¹⁾, η⁽²⁾, η_log) and which
 * term bound it, th.applicable = true.
 *
 * η⁽²⁾ is the smallest positive root of 4KL0η² = (1 − e^{−η^c})(1 − Δ(η)).
 * The scan works on g(η) = [(1 − e^{−η^c})(1 − Δ) − 4KL0η²]/η^{1+c}, which
 * has the same sign, is computed without underflow down to DBL_MIN and tends
 * to 2μα1 as η → 0 (§3.5: with d near 1 the root sits near (2μα1)^{1/(d−1)},
 * e.g. 1e-36 or 2e-71).  Intervals where a rigorous lower bound of g is
 * positive are skipped; the rest of [DBL_MIN, eta2_hi] is scanned on a log grid
 * (eta2_per_decade points per decade) to the first non-positive point, then
 * Brent on the last bracket.  Outcomes: a root; +∞ when g > 0 on the whole
 * grid; 0 with eta_max_bound = eta2_underflow when g(DBL_MIN) ≤ 0 while
 * α1 > 0 (the root lies in (0, DBL_MIN): not representable as a normal
 * double, so η_max = 0); 0 when α1 ≤ 0 (no interval (0, η] where eq. 102's
 * inequality holds; η_log = 0 binds as well).  When g > 0 is proven on all of
 * (0, min(η⁽¹⁾, η_log)] the scan starts there: the grid below cannot change
 * η⁽²⁾.  A pair of roots closer than the grid spacing where the bound is not
 * tight can be missed.
 * The η0-dependent columns stay NaN until lrs_theory_set_eta0.  opts may be
 * NULL (defaults); its eta2_evals is written when given.
 * Statuses: LRS_ERR_GSL (Brent failure, message has GSL's reason),
 * LRS_ERR_NUMERIC (no bracket for η⁽¹⁾).
 */
lrs_status lrs_theory_init(const lrs_theory_in *in, lrs_theory_opts *opts,
                           lrs_theory_state *ts);

/* α1 of Table 2 (papers.md §1.3) from the imbalance terms in `th`
 * (delta_plus, delta_minus, delta_under) and a margin b1 (β1, or [P1-2023]'s
 * p1). */
double lrs_theory_alpha1_of(const lrs_theory *th, double b1);
/* α2 of Table 2 from th's λ₊, λ₋ and a margin b2 (β2, ‖W*‖_F's β2 or p2). */
double lrs_theory_alpha2_of(const lrs_theory *th, double b2);

/* g(η) of eq. 102 scaled by η^{−(1+c)} (see lrs_theory_init), exposed for
 * tests: same sign as eq. 102's difference for η > 0. */
double lrs_theory_eta2_g(const lrs_theory_state *ts, double eta);

/* Sets η0 and the columns depending on it: μ̄, K̄_0, ρ̄(η0, 0), Δ. */
void lrs_theory_set_eta0(lrs_theory_state *ts, double eta0);

/* μ̄(η0) = μ[α1 + 2α2(1 − e^{η0^c})] (§1.5). */
double lrs_theory_mu_bar(const lrs_theory_state *ts, double eta0);
/* K̄_t at the η0 of lrs_theory_set_eta0 (§1.5; t real ≥ 0). */
double lrs_theory_K_bar(const lrs_theory_state *ts, double t);
/* ρ̄(η, t) = 1 − 2μ̄η + μ̄K̄_tη² at the η0 of lrs_theory_set_eta0. */
double lrs_theory_rho_bar(const lrs_theory_state *ts, double eta, double t);

/* K_t(η) = Kσ²max(T) + √(2KL) + 6K²σmax(W)Lη² + 3Kσ²max(T)√(2KL)η (eq. 11). */
double lrs_theory_K_t(const lrs_local_consts *lc, double eta);
/* ρ(η, t) = 1 − 2μ_tη + μ_tK_t(η)η², μ_t = μσ²min(T) (eq. 12). */
double lrs_theory_rho(const lrs_local_consts *lc, double eta);
/* The unique positive root of η·K_t(η) = 1 (a cubic with positive
 * coefficients, papers.md §1.6): Newton from 1/K_t(0), which converges
 * monotonically from above.  Never allocates. */
double lrs_theory_inv_K_t(const lrs_local_consts *lc);

/* The unique positive root of c3η³ + c2η² + c1η = c0 for c1, c0 > 0 and
 * c2, c3 ≥ 0 (the left side increases and is convex on η > 0): Newton from
 * c0/c1, which decreases monotonically to the root.  NaN when c1 ≤ 0 or
 * c0 ≤ 0.  Never allocates. */
double lrs_theory_cubic_root(double c3, double c2, double c1, double c0);

/* ------------------------------------------- [P1-2023]'s rule, xu2023 (§3.1) */

/* ρ(η) = 1 − h1η + h2η² + h3η³ + h4η⁴ ([P1-2023] eq. 21) at an iterate:
 * h1 = 2μσ²min(T), h2 = Kμσ⁴max(T) + 2μ s r, h3 = 2μKσ²max(T) s r,
 * h4 = μK s² r², with s = σ_max(W_t) and r the size of ‖∇ℓ(W_t)‖: its bound
 * √(2KL_t) (as printed and in the authors' code: then h4 = 2μK²s²L_t) or the
 * exact norm (papers.md §3.1). */
typedef struct lrs_xu2023_coeffs {
  double h1, h2, h3, h4;
} lrs_xu2023_coeffs;

/* The h's of lc's iterate with gradient size r. */
lrs_xu2023_coeffs lrs_xu2023_coeffs_at(const lrs_local_consts *lc, double r);
/* ρ(η) of the h's. */
double lrs_xu2023_rho(const lrs_xu2023_coeffs *h, double eta);
/* η minimizing ρ: the unique positive root of dρ/dη = 4h4η³ + 3h3η² + 2h2η − h1
 * (Newton from h1/(2h2), lrs_theory_cubic_root).  NaN unless h1, h2 > 0. */
double lrs_xu2023_step(const lrs_xu2023_coeffs *h);

/* Inputs of [P1-2023]'s cap η_max' (Table 2, eq. 27–30; squared loss). */
typedef struct lrs_xu2023_in {
  double mu, K;         /* σ²_min(X), σ²_max(X) */
  double L0;            /* L(0) − ℓ* */
  double smin_Y, fro_Y; /* σ_min(Y) (min(N,m)-th), ‖Y‖_F */
  double fro_E0;        /* ‖Y − XW(0)‖_F */
  double c1, c2;        /* 0 < c1 < 1 < c2 ([P1] p.13: 0.5, 1.5) */
} lrs_xu2023_in;

typedef struct lrs_xu2023_cap {
  double p1, p2;         /* max(σ_min(Y) − ‖E0‖, 0)/σ_max(X), (‖Y‖ + ‖E0‖)/σ_min(X) */
  double alpha0, beta0;  /* [P1]'s α1, α2 formulas with (β1, β2) → (p1, p2) */
  double eta1max, eta2max, eta_max; /* the two roots and their min, η_max' */
} lrs_xu2023_cap;

/* The cap of papers.md §3.1 from `in` and the imbalance terms of `th`
 * (lrs_theory_init's λ±, Δ̲, Δ±): a1 = 2c1α0μ, a2 = 2μp2√(2KL0) + Kμ(c2β0)²,
 * a3 = 2μKc2β0p2√(2KL0), a4 = 2μK²p2²L0; η1max, η2max the positive roots of
 * a4η³ + a3η² + (a2 + 4c2L0K/(c2 − 1))η = a1 and
 * a4η³ + a3η² + (a2 + 8c2β0L0K/((1 − c1)α0))η = a1.  NaN roots when α0 = 0. */
void lrs_xu2023_cap_init(const lrs_xu2023_in *in, const lrs_theory *th, lrs_xu2023_cap *cap);

/* -------------------------------------------------------- matrix quantities */

/*
 * Spectrum data of the imbalance D = W1ᵀW1 − W2ᵀW2 (h×h) of B = [W1; W2]
 * ((n+m)×h, W1 its first n rows), from a symmetric s×s matrix M (s ≤ h)
 * whose eigenvalues, with h − s zeros added, are D's: D itself, or, when
 * h > n+m, M = ZᵀJZ with Z = BQ, Q (h×(n+m)) an orthonormal basis of a space
 * holding B's rows and J = diag(I_n, −I_m) (then D = Q·M·Qᵀ; the two_layer
 * model keeps this M for its imbalance drift).  Only M's lower triangle is
 * read.  Outputs λ_max(D), λ_max(−D), λ_n(D), λ_m(−D) (k-th largest).
 * Allocates (setup use).  Statuses: LRS_ERR_RANGE (M not square or larger
 * than h, n or m 0), LRS_ERR_NOMEM and those of lrs_mat_sym_eigvals.
 */
lrs_status lrs_theory_imbalance(const lrs_mat *M, size_t n, size_t m, size_t h,
                                double *lmax_D, double *lmax_negD, double *ln_D,
                                double *lm_negD);

#endif
