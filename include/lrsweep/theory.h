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
  double dist0;                  /* ‖W1(0)W2(0)ᵀ − W*‖_F */
} lrs_theory_in;

/* The t = 0 constants plus what the per-step bounds need. */
typedef struct lrs_theory_state {
  lrs_theory th;   /* the public columns (result.h) */
  double L0, c, d;
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
} lrs_local_consts;

/* Root-finding tolerances (documented defaults; see lrs_theory_init). */
typedef struct lrs_theory_opts {
  double root_rtol;   /* Brent relative tolerance, default 1e-14 */
  int root_max_iter;  /* Brent iterations, default 200 */
  double eta2_lo, eta2_hi; /* η⁽²⁾ scan range, default [1e-14, 1e6] */
  int eta2_points;    /* log-spaced scan points, default 4000 */
} lrs_theory_opts;

/* The defaults listed in lrs_theory_opts. */
lrs_theory_opts lrs_theory_opts_default(void);

/*
 * Fills the t = 0 constants of papers.md §1.3 and §1.5 from `in`:
 * λ±, Δ̲, Δ±, β1, β2, α1, α2, η⁽¹⁾ (eq. 101: unique positive root of
 * η·K̄_0(η) = 1, bracketed by doubling, then Brent), η⁽²⁾ (eq. 102: the
 * smallest positive root of 4KL0η² = (1 − e^{−η^c})(1 − Δ(η)), found by a
 * log-spaced sign scan of [eta2_lo, eta2_hi] then Brent; +∞ when no sign
 * change — a pair of roots closer than the scan spacing can be missed),
 * η_max = min(η⁽¹⁾, η⁽²⁾, η_log) and which term bound it, asymptotic rate
 * 1 − (μ/K)α1/α2, th.applicable = true.  The η0-dependent columns stay NaN
 * until lrs_theory_set_eta0.  opts may be NULL (defaults).
 * Statuses: LRS_ERR_GSL (Brent failure, message has GSL's reason).
 */
lrs_status lrs_theory_init(const lrs_theory_in *in, const lrs_theory_opts *opts,
                           lrs_theory_state *ts);

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
