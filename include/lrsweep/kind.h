/*
 * lrsweep/kind.h — the kinds catalog: one descriptor row per model, per loss
 * and per GD step rule, holding every fact about the kind that other rooms
 * need (STYLE.md habit 13, after GSL's gsl_odeiv2_step_type and PETSc's
 * VecRegister).  config, grid, sched, the solver and solve ask the rows and
 * never name a kind; docs/kinds.md says how to add one.
 *
 * REGISTRATION.  The kind lists of lrsweep/point.h (LRS_MODEL_LIST,
 * LRS_LOSS_LIST, LRS_STEP_RULE_LIST) give each kind its enum value, its
 * spelling and its row; the lookups below index tables generated from those
 * lists (src/kind/kind.c).  A row is defined in the kind's own file, beside
 * its numerics: models in src/model and src/lora, losses in src/loss (row
 * type lrs_loss_ops, lrsweep/loss.h), step rules in src/solver/step_rules.c.
 *
 * CHECKS.  A point's cross-parameter constraints live in the rows' `check`
 * functions and in the generic rules of lrs_kind_check_* below (a rule that
 * needs [P1]'s theory needs a model and loss the theory covers; a model
 * takes only its inits and losses).  `lrs config` refuses a violating point
 * at load time with the sweep file's line of the parameter at fault, and
 * the numerics refuse it again when built from a point directly (model
 * creation, lrs_solver_run), so no constraint is written twice.
 */
#ifndef LRSWEEP_KIND_H
#define LRSWEEP_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/point.h"
#include "lrsweep/status.h"

typedef struct lrs_model lrs_model;
typedef struct lrs_linalg lrs_linalg;
typedef struct lrs_loss_ops lrs_loss_ops;
typedef struct lrs__gd lrs__gd; /* the GD loop's state (solver room) */

/* A violated constraint: which parameter is at fault and why. */
typedef struct lrs_violation {
  lrs_status code;   /* LRS_ERR_CONFIG: a value; LRS_ERR_UNSUPPORTED: a combination
                        of kinds that lrsweep does not define */
  const char *param; /* the parameter at fault (a key of lrsweep/config.h's table) */
  char what[512];    /* one line, without the location */
} lrs_violation;

/* Fills *v and returns false (for `return lrs_violate(...)` in checks). */
bool lrs_violate(lrs_violation *v, lrs_status code, const char *param, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The bit of an enum value in the kind masks below. */
#define LRS_KIND_BIT(value) (1u << (unsigned)(value))

/* A model (lrsweep/model.h). */
typedef struct lrs_model_type {
  uint32_t inits;  /* LRS_KIND_BIT of each lrs_init_kind it takes */
  uint32_t losses; /* LRS_KIND_BIT of each loss it trains */
  bool p1_theory;  /* [P1]'s theory applies (with a loss the theory covers) */
  bool default_step; /* rules that need step_size take the model's own step
                        (ops->eta_max) when a sweep gives none */
  bool data_file;    /* reads X and Y from a data file (data = "file",
                        lrsweep/datafile.h) */
  bool data_W0;      /* needs the data file's W0 (checked with its sizes) */
  /* Constraints between the point's parameters (true: none violated). */
  bool (*check)(const lrs_point *p, lrs_violation *v);
  /* The width of the matrices the solver iterates on. */
  int64_t (*solve_width)(const lrs_point *p);
  /* Flops of one evaluation of L and ∇L, and of the set-up before the first
   * (the scheduler's cost model). */
  void (*cost)(const lrs_point *p, double *per_eval, double *setup);
  /* Builds the model's implementation into the shell (ops and impl; la is
   * set).  Called by lrs_model_create after the checks.  Collective. */
  lrs_status (*init)(const lrs_point *p, lrs_model *shell);
} lrs_model_type;

/* A GD step rule (papers.md §1.6; lrsweep/solver.h). */
typedef struct lrs_step_rule_type {
  bool needs_step_size; /* a sweep file must give step_size (the numerics'
                           fixed rule runs at η_max without one) */
  bool needs_p1;        /* uses [P1]'s theory: a model and loss it covers */
  uint32_t losses;      /* LRS_KIND_BIT of the losses it is defined for (0: any) */
  bool self_stepping;   /* moves θ to θ_{t+1} itself (needs ∇L as a vector) */
  double evals_per_step; /* expected objective evaluations per iteration (cost) */
  /* Constraints on the rule's own parameters (NULL: none). */
  bool (*check)(const lrs_point *p, lrs_violation *v);
  /* η0 of the run (the theory's η0); a message in why when unusable. */
  lrs_status (*eta0)(lrs__gd *g, double *eta0, char *why, size_t why_len);
  /* η_t at θ_t; self-stepping rules also move θ to θ_{t+1}. */
  lrs_status (*choose)(lrs__gd *g, double *eta);
} lrs_step_rule_type;

/* The rows of a kind (NULL for a value outside its list). */
const lrs_model_type *lrs_model_type_of(lrs_model_kind kind);
const lrs_loss_ops *lrs_loss_type_of(lrs_loss_kind kind);
const lrs_step_rule_type *lrs_step_rule_type_of(lrs_step_rule rule);

/* The point's model, loss and inits agree (what building the model needs). */
bool lrs_kind_check_model(const lrs_point *p, lrs_violation *v);
/* The point's method and step rule agree with its model and loss. */
bool lrs_kind_check_method(const lrs_point *p, lrs_violation *v);
/* Both of the above, and the step size a sweep file must give
 * (needs_step_size): every constraint between a point's parameters. */
bool lrs_kind_check_point(const lrs_point *p, lrs_violation *v);
/* The same two checks for the numerics: LRS_OK, or the violation raised
 * with its code and message (lrsweep/status.h). */
lrs_status lrs_kind_model_ok(const lrs_point *p);
lrs_status lrs_kind_method_ok(const lrs_point *p);

/* The width the solver iterates on (the model's solve_width): n + m for a
 * two_layer point in reduced coordinates with h > n + m, else h.  Cost
 * models and the group rule use it. */
int64_t lrs_point_solve_width(const lrs_point *point);

/* At most how many trajectory records a point's solve appends: GD and Adam
 * every k-th step ⌊max_iter/k⌋ + 2, otherwise (log-spaced: GF, or GD with
 * record_every = 0) max(records, 1) + 1.  The one statement of the rule: the
 * GF loop reserves this many records before it starts, the GD loop a first
 * chunk of them (a point that meets tol early never needs the rest; beyond,
 * appends double the buffer), plan sizes the store and a point's memory with
 * it. */
int64_t lrs_point_max_records(const lrs_point *point);

/* Rough bytes a point's solve holds on one rank: ~10 copies of the (n+m) ×
 * solve-width parameter matrix (θ, ∇L, trial steps, workspaces), or 3 of
 * the (n+m) × h set-up's (W1(0), W2(0), B(0)ᵀ and its basis) when the solve
 * width is narrower and that is more, what its
 * loss row needs for its data (lrs_loss_memory: the sensing operator's N·nm
 * doubles, a data file's N samples, their copies) and its records; plan's
 * warnings use it, nothing is refused by it. */
double lrs_point_memory(const lrs_point *point);

/* Rough cost of solving a point in floating-point operations (the model's
 * per-evaluation and set-up flops times the evaluations its method and rule
 * take); only ratios between points matter (scheduling, sharding, ETA). */
double lrs_point_cost(const lrs_point *point);

#endif
