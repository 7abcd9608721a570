/*
 * src/solver/dop853.h — private to the solver room: the Dormand–Prince 8(5,3)
 * explicit Runge–Kutta pair with its 7th-order continuous extension (dense
 * output), on a flat vector of doubles.
 *
 * Method: 12 stages give the 8th-order solution y1 (local extrapolation),
 * a 13th is f(t + h, y1) — the first stage of the next step (FSAL) — and 3
 * more, only for a step whose interior is interpolated, give the 7th-order
 * interpolant.  Coefficients: Prince & Dormand, J. Comput. Appl. Math. 7
 * (1981) 67–75; Hairer, Nørsett & Wanner, Solving Ordinary Differential
 * Equations I, 2nd ed., §II.5 (the pair), §II.6 (continuous extensions) and
 * §II.10 (DOP853's dense output), typed in src/solver/dop853.c and checked
 * against the order conditions by tests/solver/test_dop853_tableau.py.
 *
 * ERROR CONTROL (HNW §II.4 and §II.10).  With sc_i = atol + rtol·max(|y0_i|,
 * |y1_i|), the 5th-order estimate e5 = y1 − ŷ5 and the 3rd-order estimate
 * e3 = y1 − ŷ3, both in the RMS norm ‖e‖ = (Σ_i (e_i/sc_i)² / N)^{1/2} over
 * all N components of the whole group (a sum reduced over the ranks),
 *   err = ‖e5‖² / (‖e5‖² + 0.01‖e3‖²)^{1/2}   (behaves like h⁸).
 * A step is accepted when err ≤ 1; the next step is h·min(6, max(1/3,
 * 0.9·err^{−1/8})), not larger than h after a rejection.
 *
 * DISTRIBUTED VECTORS.  y may be one rank's block of a longer vector (n may
 * be 0): the only cross-rank quantities are the sums of the error norm (and
 * of the starting-step norms), formed by the caller's `sum` callback; when it
 * returns the same bits on every rank, every rank takes the same steps.
 *
 * WORKSPACES.  lrs__dop853_create allocates everything (19 vectors of n); the
 * other calls do not allocate.
 */
#ifndef LRSWEEP_SOLVER_DOP853_H
#define LRSWEEP_SOLVER_DOP853_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/status.h"

/* f ← f(t, y); y and f have the engine's n entries.  A status other than
 * LRS_OK ends the call that evaluated it with that status. */
typedef lrs_status (*lrs__ode_rhs)(void *ctx, double t, const double *y, double *f);

/* vals[0..count) ← their sums over the ranks that share the vector (the
 * same bits on every rank).  NULL: the vector is not distributed. */
typedef lrs_status (*lrs__ode_sum)(void *ctx, double *vals, size_t count);

/* Result of lrs__dop853_step. */
typedef enum {
  LRS__DOP853_ACCEPTED,  /* one step taken: t, y moved */
  LRS__DOP853_NONFINITE, /* a stage or the new y is not finite (the state is unchanged) */
  LRS__DOP853_TOO_SMALL  /* the step size fell below h_min (or below t's rounding) */
} lrs__dop853_outcome;

typedef struct lrs__dop853_opts {
  double rtol, atol; /* sc_i = atol + rtol·max(|y0_i|, |y1_i|); not both 0 */
  double h_init;     /* first step size; 0: the starting-step rule of HNW §II.4 */
  double h_min;      /* a step size below it ends with LRS__DOP853_TOO_SMALL */
  double h_max;      /* step sizes are at most this (> 0; INFINITY for none) */
} lrs__dop853_opts;

typedef struct lrs__dop853 {
  size_t n;
  lrs__dop853_opts o;
  lrs__ode_rhs rhs;
  lrs__ode_sum sum;
  void *ctx;
  double n_global;   /* N: components over all ranks */
  double t, h;       /* current time and the next step size proposed */
  double t_prev, h_prev; /* the last accepted step: [t_prev, t_prev + h_prev] */
  double *block;     /* the workspace: the vectors below */
  double *y, *y_prev, *y_new, *y_stage;
  double *k[17];     /* k[1..16]: stage derivatives (k[0] unused) */
  bool fsal_pending; /* k[13] = f(t, y) is the next step's k[1] */
  bool dense_ready;  /* k[14..16] of the last step are evaluated */
  bool rejected;     /* the last attempt was rejected */
  int64_t n_rhs, n_accepted, n_rejected, n_dense;
  double last_err;   /* err of the last attempt */
} lrs__dop853;

/* Allocates an engine for vectors of n doubles (n may be 0).
 * Statuses: LRS_ERR_NOMEM. */
lrs_status lrs__dop853_create(size_t n, lrs__dop853 **out);

/* Frees the engine, sets *s to NULL.  NULL-safe. */
void lrs__dop853_destroy(lrs__dop853 **s);

/* Starts an integration at (t0, y0): evaluates f(t0, y0), and when
 * o->h_init is 0 one more f for the starting step (HNW §II.4).  Collective
 * through `sum`.  Statuses: LRS_ERR_CONFIG (tolerances, h_min/h_max), the
 * callbacks' statuses. */
lrs_status lrs__dop853_start(lrs__dop853 *s, const lrs__dop853_opts *o, lrs__ode_rhs rhs,
                             lrs__ode_sum sum, void *ctx, double t0, const double *y0);

/* Takes one accepted step towards t_end (> t), retrying rejected attempts
 * with smaller steps; a step that would end within 1% of its size before
 * t_end is stretched to end exactly at t_end.  The last f evaluated on
 * LRS__DOP853_ACCEPTED is f(t, y) at the new (t, y), so a caller can take
 * by-products of that evaluation.  Collective through `sum`.  Statuses: the
 * callbacks' statuses. */
lrs_status lrs__dop853_step(lrs__dop853 *s, double t_end, lrs__dop853_outcome *out);

/* yout ← the 7th-order interpolant of the last accepted step at time
 * t ∈ [t_prev, t] (the new t gives y itself).  The first call after a step
 * evaluates its 3 extra stages.  Statuses: LRS_ERR_INTERNAL (no step taken,
 * t outside the step), the rhs callback's statuses. */
lrs_status lrs__dop853_dense(lrs__dop853 *s, double t, double *yout);

/* The typed coefficients as the engine uses them (1-based as in HNW):
 * c[1..16], a[i][j] (i = 2..16, j < i; row 13 is empty: stage 13 is
 * f(t + h, y1), its row is b), b[1..12], the weights
 * of the 5th-order error estimate e5[j] = b_j − b̂5_j, of the 3rd-order
 * solution b3[j] (ŷ3 = y0 + hΣ b3_j k_j), and the dense-output d[4..7][j].
 * For tests. */
typedef struct lrs__dop853_tableau {
  const double *c, *b, *e5, *b3;
  const double (*a)[17];
  const double (*d)[17];
} lrs__dop853_tableau;
lrs__dop853_tableau lrs__dop853_tableau_get(void);

#endif
