/*
 * lrsweep/two_layer.h — the [P1] model: L(W1, W2) = ℓ(W1W2ᵀ) (papers.md §1.1).
 *
 * ORIENTATION.  W1 ∈ R^{n×h}, W2 ∈ R^{m×h}, the product W = W1W2ᵀ ∈ R^{n×m}
 * maps inputs x ∈ Rⁿ (rows of X ∈ R^{N×n}) to outputs xᵀW ∈ R^m; this is
 * the transpose of f(x) = W2 W1' x with W1' = W1ᵀ (papers.md §1.1).
 *
 * PARAMETER LAYOUT (θ of lrsweep/model.h).  One (n+m)×w column-major matrix
 * B = [W1; W2]: θ[r + (n+m)·j] is W1[r, j] for r < n and W2[r − n, j] for
 * n ≤ r < n+m.  w = h in full coordinates (or when h ≤ k = n + m).  In
 * reduced coordinates (point->coordinates, the default, when h > k) θ holds
 * Z = BQ (w = k) with Q an orthonormal basis (h×k) of B(0)'s row space,
 * formed once: every GD/GF update of W1 (W2) combines the rows of W2 (W1)
 * (eq. 7–8), so B(t) = Z(t)Qᵀ, and W = Z1Z2ᵀ, the Gram matrices, ‖∇L‖²,
 * ‖B‖ and the imbalance's norm and nonzero spectrum are the h-wide model's:
 * the same iterates in exact arithmetic, at O(k³) per step instead of
 * O(k²h).  The h-wide weights are B(t) = Z(t)Qᵀ.  The gradient has the same layout: [∇_{W1}L; ∇_{W2}L] with
 * ∇_{W1}L = ∇ℓ(W)·W2 and ∇_{W2}L = ∇ℓ(W)ᵀ·W1 (eq. 7–8).  On a distributed
 * backend θ is this rank's (contiguous) local block of B, and the gradient
 * that of [∇_{W1}L; ∇_{W2}L], which is distributed alike.
 *
 * Per-record observations: σ²_min/max(T_t) (from n×n and m×m Gram
 * matrices), μ_t, K_t(η_t), ρ(η_t, t), the bound curves Π ρ·L0, Π ρ̄·L0 and
 * L0ρ̄(η0,0)^t, and ‖D(t) − D(0)‖ (in the k×k coordinates of B(0)'s row
 * space: no h×h matrix when h > k).  Theory columns (and the ρ
 * fields) are NaN for losses not covered by [P1] (Huber).
 */
#ifndef LRSWEEP_TWO_LAYER_H
#define LRSWEEP_TWO_LAYER_H

#include "lrsweep/linalg.h"
#include "lrsweep/loss.h"
#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/problem.h"
#include "lrsweep/theory.h"

/*
 * A point's two_layer model is built by lrs_model_create (lrsweep/model.h)
 * through the catalog row lrs_two_layer_type (lrsweep/kind.h): it generates
 * the problem (lrsweep/problem.h), solves the non-overparametrized problem
 * for W* and ℓ* (lrsweep/loss.h), and the t = 0 theory constants
 * (lrsweep/theory.h, with c = theory_c, d = theory_d, β2 read per
 * beta2_norm) when the loss is covered.
 */

/*
 * A two_layer model from an explicit problem (tests, benchmarks): takes ownership of
 * *problem (sets it to NULL, also on failure).  c, d: the §1.5 constants.
 * coords: reduced or full (see PARAMETER LAYOUT).  β2 as printed (spectral).
 * Statuses: LRS_ERR_CONFIG, LRS_ERR_NOMEM, LRS_ERR_LINALG, LRS_ERR_GSL.
 * Collective over la.
 */
lrs_status lrs_two_layer_create_from(lrs_problem **problem, const lrs_loss_params *lp,
                                     double c, double d, lrs_coords coords, lrs_linalg *la,
                                     lrs_model **model);

/* True when `m` is a two_layer model. */
bool lrs_two_layer_is(const lrs_model *m);

/* The problem (data, W* and the initial weights) of a two_layer model. */
const lrs_problem *lrs_two_layer_problem(const lrs_model *m);

/* The t = 0 theory state (th.applicable false for uncovered losses). */
const lrs_theory_state *lrs_two_layer_theory(const lrs_model *m);

/*
 * The local constants of eq. (10)–(12) at the θ of the last eval() (cached
 * until the next eval; computed from n×n and m×m Gram matrices, no
 * allocation).  Statuses: LRS_ERR_LINALG.
 */
lrs_status lrs_two_layer_local(lrs_model *m, lrs_local_consts *lc);

/*
 * The t = 0 inputs of xu2023's cap (lrsweep/theory.h, papers.md §3.1):
 * μ, K, L0, σ_min(Y), ‖Y‖_F, ‖E0‖ = ‖Y − XW(0)‖_F, and c1, c2 as given.
 * Squared loss only.  Allocates (setup use).  Statuses: LRS_ERR_UNSUPPORTED
 * (another loss), LRS_ERR_NOMEM, LRS_ERR_LINALG.  Collective over the model's
 * backend.
 */
lrs_status lrs_two_layer_xu2023_in(const lrs_model *m, double c1, double c2, lrs_xu2023_in *in);

/* The model's loss (lrsweep/loss.h) and its constants μ, K. */
const lrs_loss *lrs_two_layer_loss(const lrs_model *m);

#endif
