/*
 * lrsweep/rate.h — measured convergence rates from a trajectory (pure libm).
 *
 * THE RULE.  Input: record abscissae x_i (GD iteration or GF time, increasing)
 * and excess losses y_i = L_i − ℓ*.
 *   1. Usable points: y_i > 0 and finite, and above the floor cut
 *      max(abs_floor, floor_factor · min_i y_i) — this drops the plateau at
 *      machine precision (and, for runs stopped at a tolerance, the last
 *      decade, which costs nothing).  Only the leading run of usable points
 *      is kept: once a point falls below the cut, the rest is floor.
 *   2. Among windows [a, b] of consecutive usable points (≥ min_points) whose
 *      chord slope S = (log y_b − log y_a)/(x_b − x_a) is negative and whose
 *      every local slope (between consecutive points) lies within
 *      slope_rtol·|S| of S, take the one spanning the largest x-range
 *      (ties: more points, then earlier) — "the longest window where the
 *      local slope is stable".
 *      Beyond LRS_RATE_SEARCH_POINTS usable points, the search looks at every
 *      k-th point (a uniform stride), keeping it fast on long trajectories.
 *   3. Least-squares line of log y on x over the window (every point in
 *      it): slope β, R².  The
 *      rate is e^β: the per-iteration (GF: per unit time) contraction factor
 *      of L − ℓ*, so L − ℓ* ≈ C·rate^x.
 * No window: ok = false, rate and r2 NaN.
 */
#ifndef LRSWEEP_RATE_H
#define LRSWEEP_RATE_H

#include <stdbool.h>
#include <stddef.h>

enum { LRS_RATE_SEARCH_POINTS = 2048 };

typedef struct lrs_rate_opts {
  double slope_rtol;   /* default 0.25 */
  double floor_factor; /* default 10 */
  double abs_floor;    /* default 0 */
  size_t min_points;   /* default 3 */
} lrs_rate_opts;

typedef struct lrs_rate_fit {
  bool ok;
  double rate;   /* e^β */
  double slope;  /* β = d log(L − ℓ*)/dx */
  double r2;     /* coefficient of determination of the fit */
  size_t begin, end; /* window: indices begin..end inclusive */
} lrs_rate_fit;

lrs_rate_opts lrs_rate_opts_default(void);

/* Fits the rate of y(x) (n points) by the rule above.  opts may be NULL.
 * O(n + LRS_RATE_SEARCH_POINTS²) time, no allocation. */
lrs_rate_fit lrs_rate_fit_curve(const double *x, const double *y, size_t n,
                                const lrs_rate_opts *opts);

/* The first x_i with y_i ≤ level (NaN if none). */
double lrs_rate_first_below(const double *x, const double *y, size_t n, double level);

/*
 * A distribution-free confidence interval of the median of n values (sorted
 * ascending, finite): the order statistics [x_(j), x_(n+1-j)] (1-based) with
 * the largest j such that P(B < j) ≤ (1 − level)/2 for B ~ Binomial(n, ½),
 * which cover the median with probability ≥ level whatever the distribution.
 * False when n is too small for any such j (n < 6 at level 0.95).
 */
bool lrs_rate_median_ci(const double *sorted, size_t n, double level, double *lo, double *hi);
#endif
