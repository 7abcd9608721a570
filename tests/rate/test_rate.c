/* Rate fitting (lrsweep/rate.h) on synthetic curves with known rates. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lrs_test.h"
#include "lrsweep/rate.h"

enum { NMAX = 400 };

/* The order-statistic index j of the 95% median interval by exact integer
 * arithmetic: the largest j with sum_{i<j} C(n,i) <= 0.025 * 2^n. */
static size_t exact_j(unsigned n) {
  unsigned long long c = 1, below = 0, total = 1ULL << n;
  size_t j = 0;
  for (unsigned i = 0; i < n / 2; i++) {
    below += c; /* sum_{i' <= i} C(n, i') */
    if (below * 1000 > total * 25)
      break;
    j = i + 1;
    c = c * (n - i) / (i + 1);
  }
  return j;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void median_ci_checks(void) {
  double v[64];
  for (unsigned n = 2; n <= 50; n++) { /* 1000·2^n fits 64 bits */
    for (unsigned i = 0; i < n; i++)
      v[i] = (double)i;
    double lo = NAN, hi = NAN;
    size_t j = exact_j(n);
    bool ok = lrs_rate_median_ci(v, n, 0.95, &lo, &hi);
    if (j == 0)
      LRS_CHECK(!ok, "n = %u: too few values for a 95%% interval", n);
    else
      LRS_CHECK(ok && lo == (double)(j - 1) && hi == (double)(n - j),
                "n = %u: interval x_(%zu)..x_(%zu) as exact binomial sums give", n, j,
                (size_t)n + 1 - j);
  }
  /* Coverage: the interval holds the true median (0.5) of uniform samples in
   * at least 95% of trials (a fixed LCG: reproducible). */
  unsigned long long s = 12345;
  int covered = 0, trials = 4000;
  for (int t = 0; t < trials; t++) {
    for (int i = 0; i < 20; i++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      v[i] = (double)(s >> 11) / 9007199254740992.0;
    }
    qsort(v, 20, sizeof v[0], cmp_double);
    double lo, hi;
    lrs_rate_median_ci(v, 20, 0.95, &lo, &hi);
    covered += lo <= 0.5 && 0.5 <= hi;
  }
  LRS_CHECK(covered >= (int)(0.94 * trials), "median interval covers the median in %d of %d trials",
            covered, trials);
}

int main(void) {
  median_ci_checks();
  double x[NMAX], y[NMAX];

  /* Pure geometric: L_k = 3·0.7^k. */
  for (size_t k = 0; k < 60; k++) {
    x[k] = (double)k;
    y[k] = 3.0 * pow(0.7, (double)k);
  }
  lrs_rate_fit f = lrs_rate_fit_curve(x, y, 60, NULL);
  LRS_CHECK(f.ok && lrs_test_close(f.rate, 0.7, 1e-12, 0) && f.r2 > 1.0 - 1e-12,
            "geometric curve: rate %.15g (0.7), R² %.15g", f.rate, f.r2);

  /* Geometric with a floor at machine precision: L_k = 0.5^k + 1e-25. */
  for (size_t k = 0; k < 120; k++) {
    x[k] = (double)k;
    y[k] = pow(0.5, (double)k) + 1e-25;
  }
  f = lrs_rate_fit_curve(x, y, 120, NULL);
  LRS_CHECK(f.ok && lrs_test_close(f.rate, 0.5, 1e-3, 0),
            "geometric + floor: rate %.6g (0.5), window [%zu, %zu]", f.rate, f.begin, f.end);
  LRS_CHECK(f.end < 80 && f.end > 50, "the window stops before the floor (end %zu)", f.end);

  /* A fast transient then the linear phase: 0.1^k early plus 0.9^k. */
  for (size_t k = 0; k < 200; k++) {
    x[k] = (double)k;
    y[k] = 100.0 * pow(0.1, (double)k) + pow(0.9, (double)k) + 1e-30;
  }
  f = lrs_rate_fit_curve(x, y, 200, NULL);
  LRS_CHECK(f.ok && lrs_test_close(f.rate, 0.9, 1e-4, 0),
            "transient + linear phase + floor: rate %.8g (0.9)", f.rate);

  /* Noisy floor: the plateau oscillates around 1e-20. */
  for (size_t k = 0; k < 150; k++) {
    x[k] = (double)k;
    const double floor = 1e-20 * (1.0 + 0.5 * sin(3.0 * (double)k));
    y[k] = pow(0.6, (double)k) + floor;
  }
  f = lrs_rate_fit_curve(x, y, 150, NULL);
  LRS_CHECK(f.ok && lrs_test_close(f.rate, 0.6, 1e-3, 0),
            "noisy floor: rate %.8g (0.6)", f.rate);

  /* Log-spaced GF-like abscissae: L(t) = e^{−2.5t}, t ∈ [1e-3, 20]. */
  const size_t n = 100;
  for (size_t i = 0; i < n; i++) {
    x[i] = 1e-3 * pow(2e4, (double)i / (double)(n - 1));
    y[i] = exp(-2.5 * x[i]) + 1e-28;
  }
  f = lrs_rate_fit_curve(x, y, n, NULL);
  LRS_CHECK(f.ok && lrs_test_close(log(f.rate), -2.5, 1e-6, 0),
            "log-spaced times: rate per unit time e^{%.9g} (e^{-2.5})", log(f.rate));

  /* Increasing (diverging) curve: no window. */
  for (size_t k = 0; k < 30; k++) {
    x[k] = (double)k;
    y[k] = pow(1.3, (double)k);
  }
  f = lrs_rate_fit_curve(x, y, 30, NULL);
  LRS_CHECK(!f.ok && isnan(f.rate), "an increasing curve has no rate");

  /* Too few points. */
  f = lrs_rate_fit_curve(x, y, 2, NULL);
  LRS_CHECK(!f.ok, "two points are not enough");

  /* first_below */
  for (size_t k = 0; k < 10; k++) {
    x[k] = (double)k;
    y[k] = pow(0.1, (double)k);
  }
  LRS_CHECK(lrs_rate_first_below(x, y, 10, 2e-4) == 4.0, "first_below finds the first hit");
  LRS_CHECK(isnan(lrs_rate_first_below(x, y, 10, 1e-30)), "first_below: NaN when never hit");
  return lrs_test_done();
}
