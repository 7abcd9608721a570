/* Private parts of the solver room: the run bookkeeping shared by GD and GF
 * (run.c), the GD state the step rules see (gd.c, step_rules.c), and the two
 * loops (gd.c, gf.c) that the entry point (solver.c) calls. */
#ifndef LRSWEEP_SOLVER_IMPL_H
#define LRSWEEP_SOLVER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/kind.h"
#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/solver.h"
#include "lrsweep/theory.h"

/* Shared run bookkeeping (GD and GF). */
typedef struct lrs__run {
  lrs_model *model;
  const lrs_point *p;
  lrs_result *res;
  double deadline;
  size_t P;         /* local parameter count (may be 0 on a distributed backend) */
  double *theta;    /* the model's parameters (borrowed) */
  double *grad;     /* P */
  double L0;        /* excess at t = 0 */
  int64_t evals;    /* gradient evaluations */
  /* Cancellation polls (lrs__cancel_poll): polls since the last sync, polls
   * between syncs, lrs_now() at the last sync. */
  int64_t poll_count, poll_every;
  double poll_last;
} lrs__run;

/* GD iteration state handed to step rules (lrsweep/kind.h). */
struct lrs__gd {
  lrs__run *run;
  double *theta_prev; /* P: backtracking's θ_t */
  double loss;        /* L(θ_t) − ℓ* */
  double grad_norm2;  /* ‖∇L(θ_t)‖² */
  double eta0;
  int64_t t;
  int64_t loss_evals;  /* loss-only evaluations (line-search trials) */
  int64_t ls_failures; /* iterations whose line search hit its guard */
  lrs_xu2023_cap xu;   /* xu2023's cap (xu2023_cap = eta_max) */
  /* A rule that cannot give a step sets halt (≠ pending) and halt_msg; the
   * loop then ends with that status, θ left at θ_t. */
  lrs_point_status halt;
  char halt_msg[LRS_RESULT_MESSAGE_MAX];
  double *state; /* a rule's own arrays (Adam's moments), freed by the loop */
};

/* Adam (papers.md §4) as the GD loop's self-stepping rule of method = adam
 * (adam.c): η0 = step_size, the learning rate. */
extern const lrs_step_rule_type lrs__adam_rule;

/* η0 convention shared by GD, GF and `none`: step_size when finite, else
 * η_max of a covered two_layer model, else NaN. */
double lrs__default_eta0(const lrs_point *p, const lrs_model *m);

/* Stopping checks at one iterate (order of lrsweep/solver.h): *out ←
 * LRS_POINT_PENDING to continue.  loss and grad_norm2 are global (the same
 * on every rank); the wall-clock test, which reads each rank's own clock, is
 * reduced over the model's backend (a rank past the deadline stops them
 * all), and only runs when a deadline is set.  Collective.  Statuses:
 * LRS_ERR_MPI. */
lrs_status lrs__stop_check(const lrs__run *run, double loss, double grad_norm2,
                           lrs_point_status *out);

/* The cancellation poll of a loop turn (lrsweep/solver.h: COOPERATIVE
 * CANCELLATION), after its stopping tests, at step `step`, time t (GD: Σ η)
 * and excess loss `loss`: LRS_ERR_CANCELLED when the installed poll asked
 * for it.  Collective at a sync (the same turns on every rank).  Statuses:
 * LRS_ERR_CANCELLED, LRS_ERR_MPI. */
lrs_status lrs__cancel_poll(lrs__run *run, int64_t step, double t, double loss, bool gf);

/* malloc of count doubles (at least one), agreed over the model's backend.
 * Statuses: LRS_ERR_NOMEM (on every rank when one failed). */
lrs_status lrs__alloc_doubles(const lrs__run *run, size_t count, double **a);

/* Records the first time each level of lrs_result_levels is reached. */
void lrs__levels_update(lrs__run *run, double loss, int64_t step, double time, bool gf);

/* Fills the summary's rate fit from the records (x = step or time). */
lrs_status lrs__fit_rate(lrs_result *res, bool by_time);

/* Sets summary.status and message (printf-style). */
void lrs__set_status(lrs_result *res, lrs_point_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The outcome's status and message, one text per outcome for GD and GF:
 * `at` says where the run stopped ("iteration 12", "t = 3.5"), loss is
 * L − ℓ* there. */
void lrs__set_outcome(lrs__run *run, lrs_point_status outcome, const char *at, double loss);

/* Hands η0 to the model's theory (lrsweep/model.h: set_eta0), if it has one. */
void lrs__set_eta0(lrs__run *run, double eta0);

lrs_status lrs__gd_run(lrs__run *run);
lrs_status lrs__gf_run(lrs__run *run);

#endif
