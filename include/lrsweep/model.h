/*
 * lrsweep/model.h — the pluggable model interface the solver is generic over.
 *
 * WHAT.  A model owns a parameter vector θ (its rank-local part: a plain
 * double array of length ops->param_count) and knows how to evaluate the
 * training objective at θ.  The solver (lrsweep/solver.h) runs gradient
 * descent (`fixed`, `backtracking`) and gradient flow (GSL odeiv2) on ANY
 * model through this table; the [P1] step rules (`local`, `global`, `xu2023`)
 * additionally need the two_layer model's theory (lrsweep/two_layer.h) and
 * refuse other models with LRS_ERR_UNSUPPORTED.
 *
 * Implemented models: two_layer ([P1], lrsweep/two_layer.h) and lora ([P2],
 * lrsweep/lora.h).  A model is a row of the kinds catalog (lrsweep/kind.h:
 * its checks, cost, solver width and `init`) whose init fills the shell that
 * lrs_model_create allocates with its own ops table (docs/kinds.md).
 *
 * PARAMETER LAYOUT.  θ is the model's own storage, returned by ops->params:
 * GD updates it in place (θ ← θ − η g) and GF copies its ODE state into it
 * before each evaluation.  The gradient has the same layout and length.  For a
 * distributed backend θ is the concatenation of the rank's local blocks
 * (param_count is this rank's count, possibly 0), so element-wise updates
 * stay local and global reductions (‖g‖²) go through
 * lrs_linalg_sum(model->la, ...).  The layout of two_layer is documented in
 * lrsweep/two_layer.h.
 *
 * CALL PROTOCOL (what the solver guarantees, what a model may rely on):
 *   1. eval() is called after every change of θ and before observe(),
 *      account_step() or hess_vec() at that θ; models may cache per-θ
 *      quantities in eval() and reuse them in those three.
 *   2. GD, every iteration t (θ = θ_t, eval done):
 *        observe(t, rec or NULL)   — rec when step t is recorded;
 *        the step rule picks η_t (may evaluate trial points: eval() again);
 *        account_step(η_t, rec or NULL) — same rec as the observe of step t.
 *      After the loop the final state is observed once more (no account_step).
 *   3. GF: observe(k, rec) at each record time; account_step is never called.
 *   4. summarize() once at the end (after the last observe).
 * None of the ops may allocate except create/destroy: sizes are fixed at
 * creation (workspace discipline, STYLE.md habit 7).
 *
 * COLLECTIVENESS.  Every op is collective over model->la's communicator.
 */
#ifndef LRSWEEP_MODEL_H
#define LRSWEEP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/linalg.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

typedef struct lrs_model lrs_model;

/* What the solver knows about the state being observed. */
typedef struct lrs_observe {
  int64_t step;      /* GD iteration t, or GF record number */
  double time;       /* GD: Σ_{k<t} η_k; GF: t */
  double loss;       /* L(θ) − ℓ* from the last eval() */
  double grad_norm2; /* ‖∇L(θ)‖² (global) */
  bool finite;       /* false when θ or the loss is not finite: observe must
                        then fill only what it can without factorizations */
  bool discrete;     /* true for GD (account_step follows each observe, and
                        step-indexed bounds make sense); false for GF */
} lrs_observe;

/* Receives one named matrix (rows×cols, column-major) of a point's problem;
 * `doc` says what it is and its orientation. */
typedef lrs_status (*lrs_dump_fn)(void *ctx, const char *name, size_t rows, size_t cols,
                                  const double *colmajor, const char *doc);

typedef struct lrs_model_ops {
  lrs_model_kind kind;

  /* Length of this rank's parameter vector θ (and of the gradient). */
  size_t (*param_count)(const lrs_model *m);

  /* The model's own parameter storage θ (param_count doubles).  Never NULL. */
  double *(*params)(lrs_model *m);

  /*
   * Evaluates the objective at θ: *excess ← L(θ) − ℓ* (the loss above its
   * minimum; the model computes it in the most accurate way it knows), and,
   * when grad != NULL, grad ← ∇L(θ) (param_count doubles, θ's layout).
   * Non-finite values are returned, not raised: the solver decides what a
   * diverged run is.  Statuses: only resource/programming errors.
   */
  lrs_status (*eval)(lrs_model *m, double *excess, double *grad);

  /* Optional (NULL: the solver keeps its own buffer): the model's gradient
   * storage (param_count doubles; never NULL, also when param_count is 0),
   * where eval() forms ∇L anyway; passed as eval's grad it saves the copy.
   * Changed only by eval() with grad != NULL. */
  double *(*grad_storage)(lrs_model *m);

  /* Optional (NULL when unavailable): hv ← ∇²L(θ)·v at the θ of the last
   * eval() (for GF's analytic Jacobian). */
  lrs_status (*hess_vec)(lrs_model *m, const double *v, double *hv);

  /*
   * Per-state observations at the current θ.  Always called once per GD
   * iteration (so models can keep running products cheaply); rec is NULL when
   * the step is not recorded, else the model fills ITS record fields (e.g.
   * σ²(T), μ_t, bounds, imbalance drift; LoRA's alignment fields) and leaves
   * the solver's (step, time, loss, grad_norm, step_size) alone.
   */
  lrs_status (*observe)(lrs_model *m, const lrs_observe *obs, lrs_record *rec);

  /* Optional: the GD step η taken from the last observed state.  Fills the
   * step-dependent record fields (K_t(η), ρ_t) in rec when not NULL and
   * advances running bound products. */
  lrs_status (*account_step)(lrs_model *m, double eta, lrs_record *rec);

  /*
   * Optional fused GD step (the three ops, or none).  When gd_fused(m) is
   * true, GD with a rule that does not need ∇L itself (not backtracking)
   * evaluates with eval(m, excess, NULL), takes ‖∇L‖² from grad_norm2 and
   * moves θ with descend: θ ← θ − η∇L(θ), both at the θ of the last eval.
   * The model never writes ∇L out, so a large θ is read once per step
   * instead of three times (two_layer in full coordinates with h > n + m).
   */
  bool (*gd_fused)(const lrs_model *m);
  lrs_status (*grad_norm2)(lrs_model *m, double *out);
  lrs_status (*descend)(lrs_model *m, double eta);
  /* Optional (NULL: no theory): η_max of the model's theory at t = 0, NaN
   * where the theory does not apply (lrsweep/solver.h: THEORY η0). */
  double (*eta_max)(const lrs_model *m);
  /* Optional: sets η0 of the model's theory (μ̄, K̄_t, ρ̄ and the bound
   * curves use it); called once, before the first observe(). */
  void (*set_eta0)(lrs_model *m, double eta0);
  /* Hands the problem's data and initial weights to `emit`, by name
   * (lrs_solve_dump; local). */
  lrs_status (*dump)(lrs_model *m, lrs_dump_fn emit, void *ctx);
  /* Fills the model's part of the summary (loss_star, theory or lora). */
  lrs_status (*summarize)(lrs_model *m, lrs_summary *summary);

  /* Frees the implementation (not the lrs_model shell). */
  void (*destroy)(lrs_model *m);
} lrs_model_ops;

/* The shell every model shares; `impl` is the model's private state. */
struct lrs_model {
  const lrs_model_ops *ops;
  lrs_linalg *la; /* borrowed: the backend the model's matrices live on */
  void *impl;
};

/*
 * Builds the model a point describes (problem data, initialization, loss,
 * theory constants at t = 0), on backend `la`: checks the point against the
 * catalog (lrs_kind_check_model), allocates the shell and calls the model
 * kind's init.  *model is NULL on failure.  Statuses: LRS_ERR_CONFIG
 * (inconsistent point, message says which field), LRS_ERR_NOMEM,
 * LRS_ERR_LINALG, LRS_ERR_GSL.  Collective over la.
 */
lrs_status lrs_model_create(const lrs_point *point, lrs_linalg *la, lrs_model **model);

/* An empty shell on backend `la` for a kind's constructor to fill (used by
 * lrs_model_create, and by constructors from explicit data such as
 * lrs_two_layer_create_from).  Statuses: LRS_ERR_NOMEM (agreed over la). */
lrs_status lrs_model_shell_create(lrs_linalg *la, lrs_model **model);

/* Destroys the model and sets *model to NULL.  NULL-safe. */
void lrs_model_destroy(lrs_model **model);

/* Gathers matrix A and hands it to `emit` column-major (for ops->dump). */
lrs_status lrs_model_emit_mat(lrs_dump_fn emit, void *ctx, const char *name, const lrs_mat *A,
                              const char *doc);

/* Global ‖v‖² of a vector in θ's layout (local dot + lrs_linalg_sum). */
lrs_status lrs_model_norm2(const lrs_model *m, const double *v, double *out);

#endif
