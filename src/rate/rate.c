/* Measured convergence rates (lrsweep/rate.h): the longest stable-slope
 * window of log(L − ℓ*) above the floor, fitted by least squares. */
#include "lrsweep/rate.h"

#include <math.h>

lrs_rate_opts lrs_rate_opts_default(void) {
  return (lrs_rate_opts){.slope_rtol = 0.25, .floor_factor = 10.0, .abs_floor = 0.0,
                         .min_points = 3};
}

/* Least squares of v = log y on x over [a, b]: slope and R². */
static void fit_line(const double *x, const double *y, size_t a, size_t b, double *slope,
                     double *r2) {
  const double cnt = (double)(b - a + 1);
  double mx = 0.0, mv = 0.0;
  for (size_t i = a; i <= b; i++) {
    mx += x[i];
    mv += log(y[i]);
  }
  mx /= cnt;
  mv /= cnt;
  double sxx = 0.0, sxv = 0.0, svv = 0.0;
  for (size_t i = a; i <= b; i++) {
    const double dx = x[i] - mx, dv = log(y[i]) - mv;
    sxx += dx * dx;
    sxv += dx * dv;
    svv += dv * dv;
  }
  *slope = sxv / sxx;
  /* R² = 1 − SS_res/SS_tot = sxv²/(sxx·svv) for a line with intercept. */
  *r2 = svv > 0.0 ? (sxv * sxv) / (sxx * svv) : 1.0;
}

lrs_rate_fit lrs_rate_fit_curve(const double *x, const double *y, size_t n,
                                const lrs_rate_opts *opts) {
  const lrs_rate_opts o = opts ? *opts : lrs_rate_opts_default();
  lrs_rate_fit fit = {.ok = false, .rate = NAN, .slope = NAN, .r2 = NAN, .begin = 0, .end = 0};

  /* 1. The floor cut from the smallest positive finite excess. */
  double ymin = INFINITY;
  for (size_t i = 0; i < n; i++)
    if (isfinite(y[i]) && y[i] > 0.0 && y[i] < ymin)
      ymin = y[i];
  if (!isfinite(ymin))
    return fit;
  double cut = o.floor_factor * ymin;
  if (o.abs_floor > cut)
    cut = o.abs_floor;
  /* Usable points: the leading run above the cut, starting at the first
   * usable one (a non-finite or non-positive start is skipped). */
  size_t first = 0;
  while (first < n && !(isfinite(y[first]) && y[first] > cut && isfinite(x[first])))
    first++;
  size_t last = first; /* one past the usable run */
  while (last < n && isfinite(y[last]) && y[last] > cut && isfinite(x[last]))
    last++;
  if (last - first < o.min_points || o.min_points < 2)
    return fit;

  /* 2. The widest window with stable local slopes (O(k²) over k ≤
   * LRS_RATE_SEARCH_POINTS points taken at a uniform stride: extend each start
   * while the running min/max of the local slopes stay within tolerance of
   * the chord slope). */
  const size_t stride = (last - first + LRS_RATE_SEARCH_POINTS - 1) / LRS_RATE_SEARCH_POINTS;
  double best_span = -1.0;
  size_t best_a = 0, best_b = 0;
  for (size_t a = first; a + stride < last; a += stride) {
    const double log_a = log(y[a]);
    double smin = INFINITY, smax = -INFINITY, log_prev = log_a;
    for (size_t b = a + stride; b < last; b += stride) {
      const double dx = x[b] - x[b - stride];
      if (!(dx > 0.0))
        break; /* abscissae must increase */
      const double log_b = log(y[b]);
      const double s = (log_b - log_prev) / dx;
      log_prev = log_b;
      if (s < smin)
        smin = s;
      if (s > smax)
        smax = s;
      const double chord = (log_b - log_a) / (x[b] - x[a]);
      if (!(chord < 0.0))
        continue;
      const double tol = o.slope_rtol * fabs(chord);
      if (smin < chord - tol || smax > chord + tol)
        continue; /* a later chord may still accept these slopes: keep going */
      if ((b - a) / stride + 1 < o.min_points)
        continue;
      const double span = x[b] - x[a];
      if (span > best_span || (span == best_span && b - a > best_b - best_a)) {
        best_span = span;
        best_a = a;
        best_b = b;
      }
    }
  }
  if (best_span <= 0.0)
    return fit;

  /* 3. The least-squares line over the window. */
  fit_line(x, y, best_a, best_b, &fit.slope, &fit.r2);
  fit.rate = exp(fit.slope);
  fit.begin = best_a;
  fit.end = best_b;
  fit.ok = true;
  return fit;
}

double lrs_rate_first_below(const double *x, const double *y, size_t n, double level) {
  for (size_t i = 0; i < n; i++)
    if (y[i] <= level)
      return x[i];
  return NAN;
}

bool lrs_rate_median_ci(const double *sorted, size_t n, double level, double *lo, double *hi) {
  /* P(B < j) accumulated in log space: 2^-n underflows for large n. */
  const double tail = 0.5 * (1 - level), log_half_n = -(double)n * log(2.0);
  double cdf = 0; /* P(B ≤ k - 1) at the top of the loop, for k = j */
  size_t j = 0;
  for (size_t k = 0; k < n / 2; k++) {
    double log_pmf = lgamma((double)n + 1) - lgamma((double)k + 1) -
                     lgamma((double)(n - k) + 1) + log_half_n;
    cdf += exp(log_pmf); /* now P(B ≤ k) = P(B < k + 1) */
    if (cdf > tail)
      break;
    j = k + 1;
  }
  if (j == 0)
    return false;
  *lo = sorted[j - 1];
  *hi = sorted[n - j];
  return true;
}
