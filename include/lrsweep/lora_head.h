/*
 * lrsweep/lora_head.h — LoRA on a pre-trained linear classifier head
 * ([P2] §5.2, papers.md §4): model = "lora_head".
 *
 * MODEL.  Data from a data file (data = "file", lrsweep/datafile.h): inputs
 * X (N×n), labels (or one-hot Y, N×m), optional test split, and the
 * pre-trained head W0 (n×m, orientation of the prediction XW0; required: the
 * file's producer trains it on its source task, e.g. scripts/make_digits.py).
 * In the network's orientation the head maps x to W0ᵀx (W0ᵀ is m×n) and
 * LoRA fine-tunes it as W0ᵀ + BA with B ∈ R^{m×r}, A ∈ R^{r×n}; here
 *     W = W0 + AᵀBᵀ = W0 + Δ,   Δ = (BA)ᵀ ∈ R^{n×m},
 * trained on the softmax cross-entropy ℓ(W) (lrsweep/loss.h, λ =
 * logistic_lambda) with GD (step_rule = "fixed" or "backtracking") or
 * method = "adam".  With G = ∇ℓ(W) (n×m):
 *     ∇_A L = Bᵀ Gᵀ  (r×n),     ∇_B L = Gᵀ Aᵀ  (m×r).
 * θ = [vec(A); vec(B)] (column-major), r·n + m·r entries.
 *
 * INIT (INIT stream, lrsweep/problem.h's conventions).  `small`: A entries
 * α·N(0, 1) drawn column by column, B = 0 (the usual LoRA init; [P2]'s std
 * is α = init_scale).  `spectral`: B = 0, row i of A is a_i·u_iᵀ with
 * a_i = α·N(0, 1) and u_i the i-th left singular vector of W0 (n-dim: the
 * input-side singular direction of the head), i = 1..r (needs r ≤ min(n, m)).
 *
 * LOSS.  Records hold L − ℓ*, ℓ* = min_W ℓ(W) over full heads (the loss's
 * damped Newton; W* is the target of the update ΔW = W* − W0).
 *
 * RECORDS (lrsweep/result.h): train_acc (argmax of XW against the labels;
 * with real-valued Y, against argmax Y), test_loss (the objective ℓ on the
 * test split, (λ/2)‖W‖² included) and test_acc (NaN without a test split),
 * train_cross_entropy and test_cross_entropy (the plain cross-entropy
 * (1/N)Σ_i [logsumexp(z_i) − z_{i,c_i}] without (λ/2)‖W‖², on each split:
 * the reading [P2] §5.2 reports; lrs_loss_data_term), lora_norm
 * = ‖Δ‖_F = ‖BA‖_F, update_align = ‖U_rᵀ Δ V_r‖_F / ‖Δ‖_F with U_r, V_r the
 * top-r left/right singular vectors of ΔW (NaN while Δ = 0): the share of
 * the LoRA update inside the span of the target update's top directions.
 *
 * BACKEND.  One rank (the head is small): a group of G > 1 ranks is
 * LRS_ERR_UNSUPPORTED.
 */
#ifndef LRSWEEP_LORA_HEAD_H
#define LRSWEEP_LORA_HEAD_H

#include "lrsweep/datafile.h"
#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

/* Builds the model of `point` (model lora_head) from data already loaded
 * (d: borrowed; copied), as lrs_model_create does from the point's data
 * file.  Statuses: those of lrs_model_create, LRS_ERR_UNSUPPORTED (G > 1). */
lrs_status lrs_lora_head_create_from(const lrs_point *point, const lrs_datafile *d,
                                     lrs_linalg *la, lrs_model **model);

/* True when `m` is a lora_head model. */
bool lrs_lora_head_is(const lrs_model *m);

/* The current head W = W0 + Δ (n×m) and the target W* (after creation). */
const lrs_mat *lrs_lora_head_W(const lrs_model *m);
const lrs_mat *lrs_lora_head_Wstar(const lrs_model *m);

#endif
