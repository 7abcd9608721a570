/*
 * lrsweep/solver.h — gradient descent and gradient flow on any model
 * (lrsweep/model.h), stopping rules and trajectory records.
 *
 * GD (papers.md §1.2): θ_{t+1} = θ_t − η_t ∇L(θ_t), with the step rule of the
 * point (papers.md §1.6), each a row of the kinds catalog (lrsweep/kind.h)
 * in src/solver/step_rules.c:
 *   fixed         η_t = step_size (NaN: η_max of a covered two_layer model).
 *   backtracking  papers.md §3.2: η ← step_size (η_bt), then η ← bt_shrink·η
 *                 while the test fails: bt_test = armijo (default)
 *                 L(θ − η∇L) ≤ L(θ) − bt_sufficient·η‖∇L‖², or printed
 *                 (App. G.2.1, no η: often unsatisfiable).  Guard: after
 *                 bt_max_shrinks shrinks, or (armijo) once the demanded decrease
 *                 is below DBL_EPSILON·L, the search is a line-search failure
 *                 (summary.ls_failures, and the message): the tried step with
 *                 the smallest loss is taken if it decreased L, else the point
 *                 ends numerical_failure.  Trial losses count in
 *                 summary.loss_evals.  Any model.
 *   local         eq. 19 with ρ: η_t = min((1 + η0^d)^{t/2} η0, 1/K_t), 1/K_t
 *                 the positive root of η·K_t(η) = 1; η0 = step_size or η_max.
 *   global        eq. 19 with ρ̄: η_t = min((1 + η0^d)^{t/2} η0, 1/K̄_t);
 *                 when ρ̄(η0, 0) < 0 (η0 beyond η_max) K̄_t is undefined and
 *                 the point ends rule_undefined before its first step.
 *   xu2023        papers.md §3.1: η_t the positive root of dρ/dη of
 *                 [P1-2023]'s quartic ρ at θ_t (r_t = √(2KL_t), or the exact
 *                 ‖∇ℓ(W_t)‖ with xu2023_grad = exact), capped at η_max'
 *                 (xu2023_c1, xu2023_c2) with xu2023_cap = eta_max; squared
 *                 loss only (else LRS_ERR_UNSUPPORTED).
 * local/global/xu2023 need a two_layer model with a covered loss (else
 * LRS_ERR_UNSUPPORTED naming the model/loss: lrs_kind_check_method, the
 * same check the sweep-file validator runs).  A model offering the fused
 * step (lrsweep/model.h: gd_fused) moves θ itself under every rule but
 * backtracking, which needs ∇L as a vector.
 *
 * GF: θ' = −∇L(θ) integrated with GSL odeiv2 (rk8pd, rkf45, or msbdf with an
 * analytic — model->hess_vec — or central finite-difference Jacobian; msbdf
 * needs a dense P×P Jacobian and is refused for P > LRS_GF_MSBDF_MAX_PARAMS)
 * or with dop853 (src/solver/dop853.h: Dormand–Prince 8(5,3), Hairer's error
 * control in the RMS norm summed over the backend's ranks; records from its
 * 7th-order interpolant, steps never clipped to them),
 * absolute/relative tolerances atol/rtol (GSL's standard control, a_y = 1,
 * a_dydt = 0), up to t = horizon.  Records at t = 0 and about `records`
 * log-spaced times in [LRS_GF_FIRST_RECORD·horizon, horizon] (GSL's evolve
 * steps land exactly on them; dop853 interpolates them); the stopping tests
 * run after every accepted step.
 * rk8pd and rkf45 run with lrsweep's own gsl_odeiv2_control_type, GSL's
 * standard rule with the error norm max_i |err_i|/D_i maximized over the
 * model backend's ranks: every rank integrates its local block of θ and all
 * accept or reject the same steps (with one rank it is GSL's standard
 * control, bit for bit).  msbdf keeps GSL's control and is refused
 * (LRS_ERR_UNSUPPORTED) on a distributed backend: its Jacobian is dense in
 * the whole θ.
 *
 * DISTRIBUTED BACKENDS.  Every decision (step sizes of every rule,
 * backtracking's accept/reject, stopping, GF step control) is taken from
 * globally reduced scalars that are bitwise the same on every rank
 * (lrsweep/linalg.h), so the ranks run the same loop in lockstep.  The
 * wall-clock test reads each rank's own clock and is therefore reduced (a
 * maximum) when a deadline is set; failures of local work (allocations) are
 * agreed over the ranks before the next collective call.
 *
 * THEORY η0 (summary.theory.eta0, and the η0 of μ̄, K̄_t, ρ̄ and the bound
 * curves): fixed/local/global: the rule's η0 (step_size, or η_max when NaN);
 * backtracking: η_bt = step_size; xu2023, GF and method none: step_size, or
 * η_max.
 *
 * RECORDS (GD).  record_every = k > 0: steps 0, k, 2k, ... plus the last;
 * k = 0: about `records` log-spaced steps in [1, max_iter] (rounded, without
 * duplicates) plus step 0 and the last.  Record fields: see lrsweep/result.h;
 * `time` of a GD record is Σ_{k<t} η_k (the GF time GD approximates).
 *
 * STOPPING (checked at every GD iterate / accepted GF step, in this order):
 *   diverged   non-finite loss or L − ℓ* > blowup·(L0 − ℓ*): stop at once,
 *              the trajectory so far is kept (last record: the bad state).
 *   converged  L − ℓ* ≤ tol.
 *   timeout    max_point_seconds > 0 and the wall clock passed the deadline.
 *   max_iter / max_time  GD: max_iter steps taken; GF: t reached horizon.
 *   numerical_failure    GF: GSL returned an error (message has GSL's text),
 *              or an accepted (dop853: a proposed) step fell below
 *              LRS_GF_MIN_STEP·horizon; GD: backtracking found no decreasing step.
 *   rule_undefined  GD: the step rule has no value at θ_t (global beyond
 *              η_max, xu2023 without a positive root); θ stays at θ_t.
 * Point outcomes go to result->summary.status; they are not lrs_status errors.
 *
 * WORKSPACES.  Everything is allocated before the loop (result records are
 * reserved for the whole schedule); the iteration loop does not allocate.
 */
#ifndef LRSWEEP_SOLVER_H
#define LRSWEEP_SOLVER_H

#include <stdbool.h>

#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

enum {
  LRS_GF_MSBDF_MAX_PARAMS = 4096,  /* dense Jacobian limit for msbdf */
};
#define LRS_GF_FIRST_RECORD 1e-3   /* first log-spaced GF record / horizon */
#define LRS_GF_MIN_STEP 1e-14      /* GF: accepted step below this·horizon fails */

/*
 * Runs point->method (gd or gf) on `model` and fills result: summary.status,
 * message, iterations, final_time, rhs_evals, loss0, final_loss, iters_to,
 * time_to, max_drift, the rate fit (lrsweep/rate.h) and the records; then
 * calls model->ops->summarize.  method none: summarize only, status
 * theory_only.  `deadline`: lrs_now() value after which the run stops
 * with status timeout (+∞: none).  The result is appended to, not reset.
 * Returns LRS_OK when a result was produced (any point status); statuses:
 * LRS_ERR_UNSUPPORTED (rule/model/loss combination, msbdf too large),
 * LRS_ERR_CONFIG (bad solver fields: names the field), LRS_ERR_NOMEM,
 * LRS_ERR_GSL (allocation of GSL objects), model errors.  Collective over the
 * model's backend.
 */
lrs_status lrs_solver_run(lrs_model *model, const lrs_point *point, double deadline,
                          lrs_result *result);

/*
 * COOPERATIVE CANCELLATION.  `fn` is a process-wide poll that the long loops
 * of every later solve consult (each GD/Adam iteration, each accepted GF
 * step): when it answers true the solve ends with LRS_ERR_CANCELLED and no
 * result (the scheduler leaves the point pending).  The loops count their
 * polls and call `fn` only at a sync, every K polls, with K doubled or halved
 * so that syncs come about LRS_CANCEL_SYNC_SECONDS apart: one clock read per
 * sync, nothing per iteration.  On a distributed backend a sync is one max
 * reduction of (fn's answer, seconds since the last sync) over the group, so
 * every rank cancels at the same iteration and computes the same next K;
 * `fn` must therefore be installed on every rank of a group or on none.
 * fn NULL (the default) removes it: no syncs at all.  The poll touches no
 * number of the solve: a solve that is not cancelled gives the same bits.
 * It is also the solve's progress report: `at` says where the solve stands
 * (`lrsweep run` prints it on long points).
 */
#define LRS_CANCEL_SYNC_SECONDS 0.005
typedef struct {
  const lrs_point *point; /* the point being solved (method, max_iter, horizon) */
  int64_t step;           /* GD and Adam: iterations done; GF: accepted steps */
  double time;            /* GD: Σ η so far; GF: t */
  double loss;            /* the current L − ℓ* (the same on every rank) */
  double loss0;           /* L − ℓ* at t = 0 */
} lrs_solver_progress;
typedef bool (*lrs_cancel_fn)(void *ctx, const lrs_solver_progress *at);
void lrs_solver_set_cancel(lrs_cancel_fn fn, void *ctx);

#endif
