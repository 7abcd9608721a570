/*
 * lrsweep/lora.h — the [P2] model: LoRA fine-tuning of a factorized
 * pre-trained model (papers.md §2).
 *
 * ORIENTATION (papers.md §2.1).  Pre-trained factors W2 ∈ R^{m×h},
 * W1 ∈ R^{h×n}, Y_pre = W2W1 ∈ R^{m×n}; adapters A1 ∈ R^{r×n}, B1 ∈ R^{h×r},
 * A2 ∈ R^{r×h}, B2 ∈ R^{m×r}; P2 = W2 + B2A2, P1 = W1 + B1A1,
 * E = Y_ft − P2P1, L = ½‖E‖² (ℓ* = 0; the summary's loss_star is 0).
 * n = point->input_dim, m = point->output_dim, h = point->width,
 * r = point->lora_rank, k = min(m, n).
 *
 * PARAMETER LAYOUT (θ of lrsweep/model.h).  θ = [vec(A1); vec(B1); vec(A2);
 * vec(B2)], each block column-major (vec stacks the columns):
 *   θ[i + r·j]                  = A1[i, j]   (i < r, j < n)
 *   θ[rn + i + h·j]             = B1[i, j]   (i < h, j < r)
 *   θ[rn + hr + i + r·j]        = A2[i, j]   (i < r, j < h)
 *   θ[rn + 2hr + i + m·j]       = B2[i, j]   (i < m, j < r)
 * P = r(n + 2h + m) parameters.  (On a distributed backend each block is
 * the rank's local block of that matrix, in the same order.)  The gradient
 * has the same layout and is MINUS the gradient-flow field of papers.md
 * §2.1: ∇_{B1}L = −P2ᵀEA1ᵀ, ∇_{A1}L = −B1ᵀP2ᵀE, ∇_{B2}L = −EP1ᵀA2ᵀ,
 * ∇_{A2}L = −B2ᵀEP1ᵀ.
 *
 * EVALUATION.  The model works with F = P2P1 − W2W1 expanded in low-rank
 * terms, F = (W2B1 + B2(A2B1))A1 + B2(A2W1), and E = ΔY − F.  Mathematically
 * this is Y_ft − P2P1 with Y_pre = W2W1 (the factors are constructed so that
 * W2W1 = Y_pre; create checks it to LRS_LORA_FACTOR_RTOL).  It avoids the
 * cancellation of the O(‖Y_pre‖) terms in Y_ft − P2P1, so the loss can fall
 * far below ε·‖Y_pre‖² (and ℓ* = 0 is exact), and it costs
 * O(r(mh + hn + mn)) per gradient instead of O(mhn).
 *
 * PROBLEM (papers.md §2.1).
 *   Y_pre = U_Y Σ V_Yᵀ (thin SVD, singular values s_1 ≥ … ≥ s_k), with the
 *     sign of each pair (u_j, v_j) fixed so that the entry of u_j of largest
 *     magnitude (the first one on ties) is positive.
 *   G: the first k columns of a Haar-random orthogonal h×h matrix (needs
 *     h ≥ k).  Only those columns enter the model (W1, W2 and the spectral
 *     init use g_j = G e_j, j < k), so only they are drawn: Q of the QR of an
 *     h×k Gaussian with diag(R) ≥ 0.  Column j of that Q depends only on the
 *     first j Gaussian columns, so it equals the first k columns of the Q of
 *     the full h×h Gaussian drawn in the same (column-major) order.
 *   W2 = c·U_Y Σ^{1/2} Gᵀ, W1 = (1/c)·G Σ^{1/2} V_Yᵀ (c = point->balance > 0).
 *   (u, v) = (u_{j*}, v_{j*}) with j* the top (delta_pair top) or the k-th
 *   (bottom) singular pair (0-based index pair_index = 0 or k − 1);
 *   ΔY = σ u vᵀ (σ = point->delta_scale), Y_ft = Y_pre + ΔY.
 *   g = W1v/‖W1v‖ = g_{j*}, σ_W1 = ‖W1v‖ = √s_{j*} / c,
 *   σ_W2 = ‖W2ᵀu‖ = c√s_{j*}, δ_w = σ_W1/σ_W2 = 1/c²; γ1 = [g; v]/√2.
 *
 * INITIALIZATIONS (papers.md §2.2), α = lrs_point_init_std(point) > 0:
 *   small     A1, A2 entries α·N(0,1), B1 = B2 = 0.
 *   spectral  B1 = B2 = 0, row i of A1 = a_i v_{j_i}ᵀ, row i of A2 =
 *             b_i g_{j_i}ᵀ, a_i, b_i ~ α·N(0,1), with j_1 = j* (the pair of
 *             ΔY, whose rank is 1) and j_2 < j_3 < … < j_r the other pair
 *             indices in increasing order (the largest remaining singular
 *             directions of Y_pre).  Needs r ≤ k.
 *   (point->init gaussian/balanced are refused: LRS_ERR_CONFIG.)
 *
 * RANDOMNESS.  One gsl_rng_mt19937 per stream, seeded with the 64-bit
 * lrs_point_stream_seed folded to 32 bits ((s ^ (s >> 32)) & 0xffffffff, 0
 * mapped to 1) — the convention of lrsweep/problem.h; normals are
 * gsl_ran_gaussian_ziggurat(rng, 1.0) and are multiplied by their scale
 * afterwards, so points differing only in α (or c, σ) see the same draws
 * (common random numbers).  Matrices are filled column by column.
 * DRAW ORDER.
 *   DATA stream: Y_pre (m×n).
 *   INIT stream: the h×k Gaussian of G; then
 *     small:    A1 (r×n), then A2 (r×h), × α;
 *     spectral: a_1..a_r, then b_1..b_r, × α.
 *
 * OBSERVATIONS (papers.md §2.3–2.4), filled in each record:
 *   loss_signal   L_S = ½(σ − uᵀFv)²
 *   loss_noise    L_N = ½‖E − (uᵀEv)·uvᵀ‖² (= L − L_S, without the
 *                 cancellation of the subtraction)
 *   z1_fro, z2_fro  ‖Z1‖_F, ‖Z2‖_F, Z1 = [B1; A1ᵀ] ∈ R^{(h+n)×r},
 *                 Z2 = [B2; A2ᵀ] ∈ R^{(m+h)×r}
 *   z1_spec, z2_spec  ‖Z‖₂ = √λ_max(ZᵀZ) from the r×r Gram matrices
 *                 (ZᵀZ = BᵀB + AAᵀ), eigen-decomposed with GSL's symmv
 *   z_ratio       ‖Z1‖_F²/‖Z2‖_F²
 *   log10_misalign  log10(1 − |cos(γ1, U_Z1)|), U_Z1 = Z1w/‖Z1w‖ with w the
 *                 top eigenvector of Z1ᵀZ1, evaluated as log10(½‖U_Z1 −
 *                 sign(cos)·γ1‖²) (exact for unit vectors, no cancellation
 *                 of 1 − |cos|); −∞ when exactly aligned, NaN when Z1 = 0.
 *                 (Spectral init: at first the top direction of Z1 may be
 *                 another spectral direction, |cos| ≈ 0.)
 *   signal_coord  gᵀB1A1v
 * Non-finite states (obs->finite false) leave every field NaN.
 *
 * ALIGNMENT PHASE (papers.md §2.3–2.4).  For the `small` init, the phase ends
 * at the first observed state with ‖Z1‖_F ≥ LRS_LORA_ALIGN_FRACTION·S1 (¼S1),
 * where S1 = √(2|σ|/σ_W2) is ‖Z1‖ of the rank-one adapter that fits ΔY with
 * Z1 alone (Z1 = S1·γ1 gives W2B1A1 = ΔY): the adapter has left the O(α)
 * regime and the loss starts to fall.  Its step (GD) or time (GF) is
 * summary.lora.align_end and log10_misalign there is align_plateau.
 *   Why not "a multiple of ‖Z1(0)‖" (papers.md §2.4): in the alignment
 *   phase ‖Z1‖ grows like e^{σσ_W2 t} from ‖Z1(0)‖ ∝ α, so the time to grow
 *   by any fixed factor does not depend on α.  On the paper's setting (one
 *   seed, GD η = 1e-4) a 10× rule ends the phase at step 2917 with
 *   log10(1 − |cos|) = −2.99 for α = 1e-3, 1e-4 and 1e-5 alike, while this
 *   rule gives steps 4641 / 6532 /
 *   8424 (ln 10/(σσ_W2) = 1890 steps per decade of α, as log(1/α)/(σσ_W2)
 *   predicts) and plateaus −4.81 / −6.81 / −8.81 (paper: −4.75 / −6.75 /
 *   −8.75).  With δ_w near 1 and the bottom pair, Z2 takes a larger share of
 *   the fit and the final ‖Z1‖ is below ½S1, hence the fraction ¼.
 * GD observes every iterate, so align_end is exact; GF observes only at
 * record times, so it is the first record time past the threshold.  When
 * the threshold is never reached (e.g. δ_w > 1, where Z2 does the fitting)
 * both stay NaN; when ‖Z1(0)‖ is already past it, align_end = 0.  For the
 * `spectral` init there is no alignment phase (Thm 4.1): align_end = 0 and
 * align_plateau = NaN.
 *
 * SUMMARY.  delta_w, sigma_w1, sigma_w2 (above); final_floor = the loss of
 * the last observed state; local_rate = the rate of lrsweep/rate.h
 * (lrs_rate_fit_curve, default options) fitted on the recorded states from
 * align_end on (spectral: all of them), abscissa = step (GD) or time (GF),
 * so it is the per-iteration (GF: per unit time) contraction factor of L, as
 * summary.rate; NaN when no window fits.  The model keeps its own copy of the
 * recorded (x, L) pairs in a buffer sized at creation from the point's record
 * schedule, at most LRS_LORA_RATE_MAX_POINTS (the rate rule is O(n²)); if
 * more states are recorded than that, every other stored pair is dropped and
 * later ones are kept at the halved density (the fit keeps the whole range).
 * theory: only applicable = false is set (its columns keep the result's NaN).
 *
 * OPS.  hess_vec is implemented (exact product rule, low-rank as eval), so
 * GF with msbdf can use jacobian = analytic.  account_step is NULL.  No op
 * allocates.  GSL's error handler must be off (lrs_solve_point does it):
 * failures of the r×r eigensolver are returned as LRS_ERR_GSL.
 *
 * COLLECTIVENESS.  lrs_lora_create and every op are collective over the
 * backend `la`; lrs_lora_is and lrs_lora_problem_of are local.
 */
#ifndef LRSWEEP_LORA_H
#define LRSWEEP_LORA_H

#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

/* ‖Z1‖_F ≥ LRS_LORA_ALIGN_FRACTION·√(2|σ|/σ_W2) ends the alignment phase. */
#define LRS_LORA_ALIGN_FRACTION 0.25
/* Most (x, L) pairs kept for the local_rate fit (see SUMMARY). */
#define LRS_LORA_RATE_MAX_POINTS 4096
/* create fails (LRS_ERR_NUMERIC) when ‖W2W1 − Y_pre‖_F > this·‖Y_pre‖_F. */
#define LRS_LORA_FACTOR_RTOL 1e-12

/* The problem data of a LoRA model (read-only for callers; owned by the
 * model).  Matrices live on the model's backend. */
typedef struct lrs_lora_problem {
  size_t m, n, h, r, k;   /* k = min(m, n) */
  double c;               /* balance */
  double sigma;           /* σ of ΔY */
  double alpha;           /* init std */
  lrs_init_kind init;     /* small or spectral */
  lrs_pair pair;
  size_t pair_index;      /* j* (0-based): 0 (top) or k − 1 (bottom) */
  const double *s;        /* k singular values of Y_pre, descending */
  const size_t *dirs;     /* r singular indices j_1..j_r of the spectral
                             init (also filled for small, unused there) */
  const lrs_mat *Y_pre;   /* m×n */
  const lrs_mat *dY;      /* m×n, ΔY = σ u vᵀ */
  const lrs_mat *U;       /* m×k, left singular vectors of Y_pre (signs fixed) */
  const lrs_mat *Vt;      /* k×n, right singular vectors (rows) */
  const lrs_mat *G;       /* h×k, orthonormal columns */
  const lrs_mat *W1;      /* h×n */
  const lrs_mat *W2;      /* m×h */
  const lrs_mat *u, *v, *g; /* m×1, n×1, h×1 */
  double sigma_w1, sigma_w2, delta_w;
  double factor_residual; /* ‖W2W1 − Y_pre‖_F / ‖Y_pre‖_F */
  double z1_norm0;        /* ‖Z1(0)‖_F */
  double z1_scale;        /* S1 = √(2|σ|/σ_W2) */
  double align_threshold; /* LRS_LORA_ALIGN_FRACTION·S1 */
} lrs_lora_problem;

/*
 * The LoRA model of a point (see the header comment): generates Y_pre, its
 * SVD, G, the factors, ΔY and the initial adapters, and sizes every
 * workspace.  θ holds the initial adapters on return.  Checks the point:
 * model lora, n, m, h, r ≥ 1, h ≥ min(m, n), init small|spectral (spectral:
 * r ≤ min(m, n)), balance > 0 finite, delta_scale finite, α > 0 finite.
 * Statuses: LRS_ERR_CONFIG (names the field), LRS_ERR_NOMEM, LRS_ERR_RANGE,
 * LRS_ERR_LINALG, LRS_ERR_NUMERIC (W2W1 ≠ Y_pre beyond LRS_LORA_FACTOR_RTOL),
 * LRS_ERR_GSL.  *model is NULL on failure.  Collective over la.
 */
lrs_status lrs_lora_create(const lrs_point *point, lrs_linalg *la, lrs_model **model);

/* True when `m` is a LoRA model (NULL-safe). */
bool lrs_lora_is(const lrs_model *m);

/* The problem data of a LoRA model (NULL if m is not one). */
const lrs_lora_problem *lrs_lora_problem_of(const lrs_model *m);

#endif
