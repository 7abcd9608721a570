/*
 * lrsweep/loss.h — the loss table: ℓ(W) of the non-overparametrized problem.
 *
 * Every loss is "entry-separable in Z = XW plus a ridge":
 *     ℓ(W) = Σ_{i,j} φ(z_ij; y_ij) + (λ_reg/2)‖W‖²,    Z = XW ∈ R^{N×m},
 * so ∇ℓ(W) = Xᵀφ'(Z) + λ_reg W and ∇²ℓ(W)[V] = Xᵀ(φ''(Z)∘XV) + λ_reg V.
 * A table entry gives φ, φ', φ'' (per entry), λ_reg, the constants μ and K,
 * and flags: this is the loss's row of the kinds catalog (lrsweep/kind.h).
 * ADDING A LOSS: one file src/loss/loss_<name>.c defining its lrs_loss_ops,
 * one line in LRS_LOSS_LIST of lrsweep/point.h naming it, and its
 * parameters in the parameter table (docs/kinds.md).
 *
 * The losses (papers.md §1.1):
 *   squared   φ = ½(z − y)²;  μ = σ²_min(X), K = σ²_max(X)  (σ_min: the n-th
 *             singular value, 0 when N < n); covered by [P1].
 *   logistic  multi-output ℓ2-regularized logistic regression with labels
 *             y_ij = sign(Y_ij) ∈ {±1} (sign(0) = +1) of the generated targets:
 *             ℓ(W) = (1/N) Σ_i Σ_j log(1 + exp(−y_ij x_iᵀW_:j)) + (λ/2)‖W‖²
 *             (one binary problem per output column).  μ = λ,
 *             K = λ + σ²_max(X)/(4N); covered, min ℓ > 0.
 *   huber     φ = ½r² for |r| ≤ δ, δ(|r| − δ/2) otherwise, r = z − y;
 *             K = σ²_max(X), μ = NaN (not strongly convex): not covered.
 *
 * ℓ* and W*: lrs_loss_minimize solves the convex n×m problem to machine
 * precision by damped Newton, column by column (the Hessian is block-diagonal
 * over output columns: H_j = Xᵀdiag(φ''(z_:j))X + λ_reg I).  When a loss has
 * min ℓ = 0 on interpolating data (squared, Huber) and N ≤ n with X of full
 * row rank, ℓ* is set to exactly 0.
 *
 * Collectiveness: every function taking matrices is collective over their
 * backend (reductions go through lrs_linalg_sum).
 */
#ifndef LRSWEEP_LOSS_H
#define LRSWEEP_LOSS_H

#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/linalg.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

/* The loss parameters of a point. */
typedef struct lrs_loss_params {
  lrs_loss_kind kind;
  double lambda; /* logistic: λ > 0 */
  double delta;  /* huber: δ > 0 */
} lrs_loss_params;

/* Per-entry functions get the parameters and the sample count N. */
typedef struct lrs_loss_entry_ctx {
  const lrs_loss_params *p;
  double inv_N; /* 1/N */
} lrs_loss_entry_ctx;

/* One loss: its row of the kinds catalog. */
typedef struct lrs_loss_ops {
  bool covered;        /* by [P1]: theory columns are computed */
  const char *uncovered_why; /* why not, for messages ("not strongly convex") */
  bool zero_min;       /* min ℓ = 0 when Y ∈ range(X) (ℓ* = 0 if N ≤ n) */
  bool labels;         /* targets are replaced by sign(Y) ∈ {±1} */
  bool quadratic;      /* φ = ½(z − y)², no ridge: ℓ − ℓ* = ½‖X(W − W*)‖²
                          exactly, which lrs_loss_excess uses (no cancellation
                          against ℓ* > 0) */
  double (*phi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*dphi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*d2phi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*ridge)(const lrs_loss_params *p); /* λ_reg (0 if none) */
  /* μ and K of ℓ from the extreme squared singular values of X. */
  void (*constants)(const lrs_loss_params *p, double smin2_X, double smax2_X,
                    size_t N, double *mu, double *K);
  /* Parameter validation: LRS_ERR_CONFIG naming the field. */
  lrs_status (*check)(const lrs_loss_params *p);
} lrs_loss_ops;

typedef struct lrs_loss lrs_loss;

/*
 * A loss bound to data X (N×n, borrowed: must outlive the loss) and targets Y
 * (N×m, copied; transformed to labels for `labels` losses), with workspaces
 * for n×m products W.  Computes μ and K from the singular values of X.
 * Statuses: LRS_ERR_CONFIG (bad parameters), LRS_ERR_RANGE (shapes),
 * LRS_ERR_NOMEM, LRS_ERR_LINALG.
 */
lrs_status lrs_loss_create(const lrs_loss_params *p, const lrs_mat *X,
                           const lrs_mat *Y, size_t m, lrs_loss **loss);
void lrs_loss_destroy(lrs_loss **loss);

const lrs_loss_ops *lrs_loss_ops_of(const lrs_loss *loss);
double lrs_loss_mu(const lrs_loss *loss);
double lrs_loss_K(const lrs_loss *loss);
/* ℓ* (NaN before lrs_loss_minimize). */
double lrs_loss_star(const lrs_loss *loss);
/* The targets the loss uses (labels for `labels` losses). */
const lrs_mat *lrs_loss_targets(const lrs_loss *loss);

/*
 * *value ← ℓ(W); when G != NULL, G ← ∇ℓ(W) (n×m).  Keeps Z = XW and φ''(Z)
 * for a following lrs_loss_hess_apply.  Never allocates.  Non-finite values
 * are returned as they are.  Statuses: LRS_ERR_RANGE (shapes), LRS_ERR_MPI.
 */
lrs_status lrs_loss_eval(lrs_loss *loss, const lrs_mat *W, double *value, lrs_mat *G);

/*
 * *excess ← ℓ(W) − ℓ* for the W of the last lrs_loss_eval, whose value was
 * `value`: for `quadratic` losses with ℓ* > 0 this is ½‖XW − XW*‖²
 * (Pythagoras: the cross term is ∇ℓ(W*) = 0), else value − ℓ*.  Call after
 * lrs_loss_minimize.  Never allocates.  Statuses: LRS_ERR_MPI.
 */
lrs_status lrs_loss_excess(const lrs_loss *loss, double value, double *excess);

/* HV ← ∇²ℓ(W)[V] at the W of the last lrs_loss_eval.  Never allocates. */
lrs_status lrs_loss_hess_apply(lrs_loss *loss, const lrs_mat *V, lrs_mat *HV);

/* Options of lrs_loss_minimize (defaults: max_iter 100, gtol 0 meaning
 * "until Newton stops decreasing ℓ", ridge_floor 1e-13). */
typedef struct lrs_loss_min_opts {
  int max_iter;
  double gtol;        /* stop when ‖∇ℓ‖ ≤ gtol (0: run to stagnation) */
  double ridge_floor; /* relative ridge added to singular Newton systems */
} lrs_loss_min_opts;
lrs_loss_min_opts lrs_loss_min_opts_default(void);

/*
 * Minimizes ℓ over W ∈ R^{n×m}: Wstar ← W*, returns ℓ* (also kept in the
 * loss).  Damped Newton per output column with Armijo backtracking, started
 * from Wstar's content; stops when an iteration no longer decreases ℓ or the
 * Newton decrement is below rounding.  opts may be NULL.  Allocates (setup).
 * On a distributed backend the (small) problem is solved whole on every
 * rank with a local backend from the gathered X and targets, and rank 0's
 * W* and ℓ* are broadcast (every rank holds the same bits); the result is
 * the local backend's.
 * Statuses: LRS_ERR_NUMERIC (non-finite iterate), LRS_ERR_LINALG,
 * LRS_ERR_NOMEM.
 */
lrs_status lrs_loss_minimize(lrs_loss *loss, const lrs_loss_min_opts *opts,
                             lrs_mat *Wstar, double *star);

#endif
