/*
 * lrsweep/loss.h — the loss table: ℓ(W) of the non-overparametrized problem,
 * W ∈ R^{n×m}.  A loss's row (lrs_loss_ops) is its entry in the kinds
 * catalog (lrsweep/kind.h).
 *
 * TWO KINDS OF ROWS.
 *   Entry-separable in Z = XW plus a ridge (squared, logistic, huber, sensing):
 *       ℓ(W) = Σ_{i,j} φ(z_ij; y_ij) + (λ_reg/2)‖W‖²,    Z = XW ∈ R^{N×m},
 *   so ∇ℓ(W) = Xᵀφ'(Z) + λ_reg W and ∇²ℓ(W)[V] = Xᵀ(φ''(Z)∘XV) + λ_reg V; the
 *   row gives φ, φ', φ'' (per entry), λ_reg and the constants μ, K from the
 *   extreme singular values of X, and loss.c does the rest.  A `vectorized`
 *   row reads W through vec(W) ∈ R^{nm} (column-major): its X is an operator
 *   N×(n·m) whose row i is vec(A_i)ᵀ, its Y is N×1, and Z = X·vec(W).
 *   Its own implementation (softmax): the row's `impl` gives ℓ, ∇ℓ and ∇²ℓ[V]
 *   on W itself and the solve of the Newton system (lrs_loss_impl below); μ
 *   and K still come from `constants`, ℓ* from loss.c's damped Newton.
 * ADDING A LOSS: one file src/loss/loss_<name>.c defining its lrs_loss_ops,
 * its line in src/loss/meson.build, one line in LRS_LOSS_LIST of
 * lrsweep/point.h naming it, and its parameters in the parameter table
 * (docs/kinds.md).
 *
 * The losses (papers.md §1.1, §4):
 *   squared   φ = ½(z − y)²;  μ = σ²_min(X), K = σ²_max(X)  (σ_min: the n-th
 *             singular value, 0 when N < n); covered by [P1].
 *   logistic  multi-output ℓ2-regularized logistic regression with labels
 *             y_ij = sign(Y_ij) ∈ {±1} (sign(0) = +1) of the generated targets:
 *             ℓ(W) = (1/N) Σ_i Σ_j log(1 + exp(−y_ij x_iᵀW_:j)) + (λ/2)‖W‖²
 *             (one binary problem per output column).  μ = λ,
 *             K = λ + σ²_max(X)/(4N); covered, min ℓ > 0.
 *   huber     φ = ½r² for |r| ≤ δ, δ(|r| − δ/2) otherwise, r = z − y;
 *             K = σ²_max(X), μ = NaN (not strongly convex): not covered.
 *   sensing   matrix sensing, vectorized: ℓ(W) = ½ Σ_i (⟨A_i, W⟩ − y_i)²
 *             = ½‖𝒜 vec(W) − y‖², 𝒜 ∈ R^{N×nm} the operator (X above);
 *             μ = σ²_min(𝒜) (the nm-th singular value; N ≥ nm is required,
 *             lrs_loss_ops.check_point), K = σ²_max(𝒜); exact (the Hessian
 *             is 𝒜ᵀ𝒜); covered.
 *   softmax   multiclass cross-entropy, ℓ2-regularized, labels c_i = argmax_j
 *             Y_ij of the generated targets (first index on ties), stored as
 *             one-hot rows: ℓ(W) = (1/N) Σ_i [logsumexp(z_i) − z_{i,c_i}]
 *             + (λ/2)‖W‖², z_i = x_iᵀW; μ = λ (exact: V = v1ᵀ adds the same
 *             logit to every class), K = λ + σ²_max(X)/(2N) (the softmax
 *             Hessian diag(p) − ppᵀ is ≤ ½I); covered, min ℓ > 0.
 *
 * ℓ* and W*: lrs_loss_minimize solves the convex n×m problem to machine
 * precision by damped Newton: for separable rows column by column (the
 * Hessian is block-diagonal over output columns: H_j = Xᵀdiag(φ''(z_:j))X +
 * λ_reg I), for rows with their own implementation by the row's Newton solve
 * on the whole nm-dimensional problem.  When a loss has min ℓ = 0 on
 * interpolating data (squared, Huber, sensing) and N ≤ n with X of full row
 * rank, ℓ* is set to exactly 0.
 *
 * Collectiveness: every function taking matrices is collective over their
 * backend (reductions go through lrs_linalg_sum).
 */
#ifndef LRSWEEP_LOSS_H
#define LRSWEEP_LOSS_H

#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/kind.h"
#include "lrsweep/linalg.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

/* The loss parameters of a point. */
typedef struct lrs_loss_params {
  lrs_loss_kind kind;
  double lambda; /* logistic, softmax: λ > 0 */
  double delta;  /* huber: δ > 0 */
} lrs_loss_params;

/* Per-entry functions get the parameters and the sample count N. */
typedef struct lrs_loss_entry_ctx {
  const lrs_loss_params *p;
  double inv_N; /* 1/N */
} lrs_loss_entry_ctx;

typedef struct lrs_loss lrs_loss;
typedef struct lrs_loss_impl lrs_loss_impl;

/* One loss: its row of the kinds catalog. */
typedef struct lrs_loss_ops {
  bool covered;        /* by [P1]: theory columns are computed */
  const char *uncovered_why; /* why not, for messages ("not strongly convex") */
  bool zero_min;       /* min ℓ = 0 when Y ∈ range(X) (ℓ* = 0 if N ≤ n) */
  bool labels;         /* targets are replaced by sign(Y) ∈ {±1} */
  bool quadratic;      /* φ = ½(z − y)², no ridge: ℓ − ℓ* = ½‖X(W − W*)‖²
                          exactly, which lrs_loss_excess uses (no cancellation
                          against ℓ* > 0) */
  bool vectorized;     /* X is N×(n·m) with rows vec(A_i)ᵀ, Y is N×1, and
                          Z = X·vec(W) (see TWO KINDS OF ROWS); the problem
                          draws this operator instead of X (lrsweep/problem.h) */
  /* Entry-separable rows: φ and its derivatives (NULL with `impl`). */
  double (*phi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*dphi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*d2phi)(double z, double y, const lrs_loss_entry_ctx *c);
  double (*ridge)(const lrs_loss_params *p); /* λ_reg (0 if none) */
  /* μ and K of ℓ from the extreme squared singular values of X (σ²_min:
   * the cols(X)-th, 0 when N < cols(X)). */
  void (*constants)(const lrs_loss_params *p, double smin2_X, double smax2_X,
                    size_t N, double *mu, double *K);
  /* Parameter validation: LRS_ERR_CONFIG naming the field. */
  lrs_status (*check)(const lrs_loss_params *p);
  /* Constraints between the loss and the rest of a point (NULL: none); run
   * by lrs_kind_check_model (lrsweep/kind.h) for every model. */
  bool (*check_point)(const lrs_point *p, lrs_violation *v);
  /* A loss that is not entry-separable: its own numerics (NULL: φ above). */
  const lrs_loss_impl *impl;
  /* Bytes of the row's own state (impl's bind and Newton solve) for N
   * samples, n inputs and m outputs (NULL: none); lrs_loss_memory adds it. */
  double (*state_bytes)(double N, double n, double m);
} lrs_loss_ops;

/*
 * The numerics of a row that is not entry-separable, on W ∈ R^{n×m} itself.
 * The loss's fields are reached through the accessors below and its private
 * state through lrs__loss_state.  Each function is collective like the
 * public one it serves.
 */
struct lrs_loss_impl {
  /* After the generic set-up (targets copied, μ and K): targets' transform
   * (lrs__loss_targets_mut), workspaces; *state is freed by release. */
  lrs_status (*bind)(lrs_loss *l, void **state);
  void (*release)(void *state);
  /* As lrs_loss_eval and lrs_loss_hess_apply (no allocation); eval also
   * gives *data, ℓ(W) without the ridge (lrs_loss_data_term). */
  lrs_status (*eval)(lrs_loss *l, const lrs_mat *W, double *value, double *data, lrs_mat *G);
  lrs_status (*hess_apply)(lrs_loss *l, const lrs_mat *V, lrs_mat *HV);
  /* D ← ∇²ℓ(W)⁻¹D at the W of the last eval (the Newton step of
   * lrs_loss_minimize; a local backend; may allocate). */
  lrs_status (*newton_solve)(lrs_loss *l, lrs_mat *D);
};

/* For rows with `impl`: the data (N×n), the targets (after bind's
 * transform), the sizes, the ridge λ_reg and the row's private state. */
const lrs_mat *lrs__loss_data(const lrs_loss *loss);
lrs_mat *lrs__loss_targets_mut(lrs_loss *loss);
void lrs__loss_dims(const lrs_loss *loss, size_t *N, size_t *n, size_t *m);
double lrs__loss_lambda(const lrs_loss *loss);
void *lrs__loss_state(const lrs_loss *loss);

/*
 * A loss bound to data X (N×n, borrowed: must outlive the loss) and targets Y
 * (N×m, copied; transformed to labels for `labels` losses and by an impl's
 * bind), with workspaces for n×m products W.  Computes μ and K from the
 * singular values of X.  `vectorized` rows: X is N×(n·m) (n = cols(X)/m)
 * and Y is N×1.
 * Statuses: LRS_ERR_CONFIG (bad parameters), LRS_ERR_RANGE (shapes),
 * LRS_ERR_NOMEM, LRS_ERR_LINALG.
 */
/*
 * Bytes a point's loss needs at most on one rank (plan's memory estimate,
 * lrs_point_memory): its data X and Y in the shapes the problem holds for
 * the row (N×n and N×m; `vectorized`: the N×nm operator and N×1 measurements;
 * N = samples, or n when 0), the loss's copy of Y and its workspaces
 * (lrs_loss_create), the backend scratch that keeps a copy of X from its
 * singular values, lrs_loss_minimize's Newton set-up (a scaled copy of X
 * and a cols(X)² Hessian for separable rows) and the row's state_bytes.
 */
double lrs_loss_memory(const lrs_point *p);

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
 * The data term of the last lrs_loss_eval: ℓ(W) without its ridge
 * (λ_reg/2)‖W‖², e.g. for softmax the plain cross-entropy
 * (1/N) Σ_i [logsumexp(z_i) − z_{i,c_i}] and for logistic the plain mean
 * logistic loss; the value itself for losses without a ridge.  It is the sum
 * the value was formed from (value = data + (λ_reg/2)‖W‖², rounded once), so
 * no cancellation.  NaN before the first evaluation.  Local (no collective).
 */
double lrs_loss_data_term(const lrs_loss *loss);

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
 * loss).  Damped Newton with Armijo backtracking (per output column for
 * separable rows, the row's newton_solve for rows with `impl`), started
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

/* Leaves the loss as lrs_loss_minimize would, from that call's results W*
 * and ℓ* (kept from an earlier point on the same data: the set-up cache,
 * lrsweep/problem.h): ℓ* for lrs_loss_excess, and for quadratic losses
 * XW* from one evaluation at W*, as minimize's last.  Statuses: those of
 * lrs_loss_eval, LRS_ERR_NOMEM. */
lrs_status lrs_loss_set_minimum(lrs_loss *loss, const lrs_mat *Wstar, double star);

#endif
