/*
 * lrsweep/result.h — the result of one point: a summary row plus trajectory
 * records.  This struct is the contract between the solver (which fills it),
 * the scheduler (which ships it between ranks) and the store (which writes it).
 *
 * Unset doubles are NaN; unset counts are -1.  Theory columns of a loss or
 * model the theory does not cover stay NaN with theory.applicable = false.
 */
#ifndef LRSWEEP_RESULT_H
#define LRSWEEP_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/status.h"

#define LRS_POINT_STATUS_LIST(X)                                               \
  X(LRS_POINT_PENDING, "pending")                                              \
  X(LRS_POINT_CONVERGED, "converged")                                          \
  X(LRS_POINT_MAX_ITER, "max_iter")                                            \
  X(LRS_POINT_MAX_TIME, "max_time")                                            \
  X(LRS_POINT_DIVERGED, "diverged")                                            \
  X(LRS_POINT_NUMERICAL_FAILURE, "numerical_failure")                          \
  X(LRS_POINT_TIMEOUT, "timeout")                                              \
  X(LRS_POINT_ERROR, "error")                                                  \
  X(LRS_POINT_THEORY_ONLY, "theory_only")                                      \
  X(LRS_POINT_RULE_UNDEFINED, "rule_undefined") /* the step rule has no value */

#define LRS__ENUM_MEMBER(name, text) name,
typedef enum {
  LRS_POINT_STATUS_LIST(LRS__ENUM_MEMBER) LRS_POINT_STATUS_COUNT
} lrs_point_status;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_point_status_names[];

/* Which term bound η_max in eq. (101)–(102) of [P1] (papers.md §1.5). */
#define LRS_ETA_BOUND_LIST(X)                                                  \
  X(LRS_ETA_BOUND_NONE, "none")                                                \
  X(LRS_ETA_BOUND_ETA1, "eta1")                                                \
  X(LRS_ETA_BOUND_ETA2, "eta2")                                                \
  X(LRS_ETA_BOUND_LOG, "log")                                                  \
  X(LRS_ETA_BOUND_ETA2_UNDERFLOW, "eta2_underflow") /* η⁽²⁾ < DBL_MIN: η_max = 0 */
#define LRS__ENUM_MEMBER(name, text) name,
typedef enum { LRS_ETA_BOUND_LIST(LRS__ENUM_MEMBER) LRS_ETA_BOUND_COUNT } lrs_eta_bound;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_eta_bound_names[];

/* [P1] constants at t = 0 (papers.md §1.3–1.5). */
typedef struct lrs_theory {
  bool applicable;  /* the loss and model are covered by [P1] */
  double mu, K;     /* strong convexity / smoothness of ℓ in W */
  double lambda_plus, lambda_minus, delta_under, delta_plus, delta_minus;
  double beta1, beta2, alpha1, alpha2;
  double mu_bar, K_bar0;      /* at η0 */
  double eta1, eta2, eta_max; /* eq. 101, 102, and their min with the log term */
  lrs_eta_bound eta_max_bound;
  double eta0;                /* the initial step actually used */
  double rho_bar0;            /* ρ̄(η0, 0) */
  double asymptotic_rate;     /* 1 − (μ/K) α1/α2 */
  /* β2, α2 and the rate with ‖W*‖_F for σ_max(W*) (papers.md §3.3); the
   * point's beta2_norm says which pair drove η_max, μ̄, K̄_t and ρ̄. */
  double beta2_fro, alpha2_fro, asymptotic_rate_fro;
} lrs_theory;

/* LoRA summary quantities (papers.md §2.4). */
typedef struct lrs_lora_summary {
  double delta_w;         /* σ_W1/σ_W2 */
  double sigma_w1, sigma_w2;
  double align_end;       /* step (GD) or time (GF) the alignment phase ends */
  double align_plateau;   /* log10(1 − |cos|) at the end of alignment */
  double final_floor;     /* final loss */
  double local_rate;      /* fitted rate after alignment */
} lrs_lora_summary;

enum { LRS_RESULT_LEVELS = 3, LRS_RESULT_MESSAGE_MAX = 256 };
/* Relative loss levels for iters_to/time_to: L ≤ level · L0. */
extern const double lrs_result_levels[LRS_RESULT_LEVELS]; /* 1e-3, 1e-6, 1e-10 */

typedef struct lrs_summary {
  lrs_point_status status;
  char message[LRS_RESULT_MESSAGE_MAX]; /* why, for failures ("" otherwise) */
  int64_t iterations;   /* GD iterations taken (GF: accepted ODE steps) */
  double final_time;    /* GF time reached (GD: NaN) */
  int64_t rhs_evals;    /* gradient evaluations (GD and GF) */
  int64_t loss_evals;   /* loss-only evaluations (line-search trials) */
  int64_t ls_failures;  /* GD iterations whose line search hit its guard */
  double loss0, final_loss, loss_star; /* L(0), L(end), ℓ* (0 if min ℓ = 0) */
  double rate;          /* fitted per-iteration (GF: per unit time) rate */
  double rate_r2;       /* fit quality: R² of log(L − ℓ*) on the window */
  int64_t rate_begin, rate_end; /* record indices of the fit window */
  int64_t iters_to[LRS_RESULT_LEVELS]; /* -1 when the level is not reached */
  double time_to[LRS_RESULT_LEVELS];   /* GF; NaN when not reached */
  double max_drift;     /* max ‖D(t) − D(0)‖ along the run */
  lrs_theory theory;
  lrs_lora_summary lora;
  double wall_seconds;
} lrs_summary;

/* One trajectory record.  Fields a model does not have are NaN. */
typedef struct lrs_record {
  int64_t step;         /* GD iteration, or GF record number */
  double time;          /* GF time (GD: step · η-sum, i.e. Σ η_k) */
  double loss;          /* L − ℓ* */
  double grad_norm;     /* ‖∇L‖ over all parameters */
  double step_size;     /* η_t taken from here (GD) */
  double sigma_min2_T, sigma_max2_T; /* σ²_min/max(T_t) (§1.4) */
  double mu_t, K_t, rho_t;           /* local PL, smoothness, rate (eq. 10–12) */
  double bound_local;   /* Π ρ(η_k, k) · L0 */
  double bound_global;  /* Π ρ̄(η_k, k) · L0 */
  double bound_const;   /* L0 ρ̄(η0, 0)^t */
  double imbalance_drift; /* ‖D(t) − D(0)‖ */
  /* LoRA (§2.4) */
  double loss_signal, loss_noise;
  double log10_misalign;  /* log10(1 − |cos(γ1, U_{Z1})|) */
  double z1_fro, z2_fro, z1_spec, z2_spec, z_ratio; /* z_ratio = ‖Z1‖²/‖Z2‖² */
  double signal_coord;    /* gᵀ B1 A1 v */
} lrs_record;

/* The record's columns, in struct order: names, offsets and types, for
 * writers (store, TSV) that must not list the fields by hand. */
typedef enum { LRS_FIELD_INT64, LRS_FIELD_DOUBLE } lrs_field_type;
typedef struct lrs_field {
  const char *name;
  size_t offset;
  lrs_field_type type;
} lrs_field;
extern const lrs_field lrs_record_fields[];
extern const size_t lrs_record_field_count;

typedef struct lrs_result {
  lrs_summary summary;
  lrs_record *records;
  size_t n_records, cap_records;
} lrs_result;

/* Allocates an empty result with room for `capacity` records. */
lrs_status lrs_result_create(size_t capacity, lrs_result **result);
/* Frees the result and sets *result to NULL.  NULL-safe. */
void lrs_result_destroy(lrs_result **result);
/* Empties the result for reuse (keeps its memory); summary fields unset. */
void lrs_result_reset(lrs_result *result);
/* A record with every field unset (NaN / -1). */
lrs_record lrs_record_unset(void);
/* Makes room for at least `capacity` records in total, so that the next
 * appends up to that count do not allocate (solvers reserve before their
 * loop).  Statuses: LRS_ERR_NOMEM. */
lrs_status lrs_result_reserve(lrs_result *result, size_t capacity);
/* Appends a copy of *rec, growing the buffer when needed. */
lrs_status lrs_result_append(lrs_result *result, const lrs_record *rec);

#endif
