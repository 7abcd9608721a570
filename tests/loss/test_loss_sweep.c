/* The new losses under GD with [P1]'s rules, through lrs_solve_point:
 *   - sweeps/p1_sensing.toml (argv[1]), every point: converged, every
 *     recorded L − ℓ* ≤ Π ρ(η_k, k)·L0 (eq. 12; bound_local), η_t K_t ≤ 1,
 *     and the fitted rate ≤ ρ̄(η0, 0) (eq. 16) and ≤ 1 − (μ/K)α1/α2 (the
 *     comparisons analysis/rates.py reports), as tests/solver/test_paper.c
 *     checks the squared loss;
 *   - softmax cross-entropy with the `local` rule on one small point: the
 *     same record bound, and the rate ≤ ρ̄(η0, 0). */
#include <math.h>

#include "lrs_test.h"
#include "lrsweep/config.h"
#include "lrsweep/grid.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

/* Checks one GD run against [P1]'s bounds; returns whether it passed. */
static bool within_bounds(const lrs_result *r, bool *conv, double *rate, double *rho_bar0,
                          double *asym) {
  const lrs_summary *s = &r->summary;
  bool ok = s->theory.applicable && r->n_records > 2;
  for (size_t i = 0; i < r->n_records; i++) {
    const lrs_record *q = &r->records[i];
    ok = ok && q->loss <= q->bound_local * (1 + 1e-10);
    if (i + 1 < r->n_records)
      ok = ok && q->step_size * q->K_t <= 1 + 1e-12 && q->rho_t < 1;
  }
  *conv = s->status == LRS_POINT_CONVERGED;
  *rate = s->rate;
  *rho_bar0 = s->theory.rho_bar0;
  *asym = s->theory.asymptotic_rate;
  return ok;
}

static void test_sweep(const char *path) {
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  const lrs_status cs = lrs_config_load_file(path, &cfg);
  LRS_CHECK(cs == LRS_OK && lrs_grid_create(cfg, &grid) == LRS_OK, "%s loads", path);
  if (!grid)
    return;
  const uint64_t count = lrs_grid_size(grid);
  uint64_t bounded = 0, converged = 0, under_rho = 0, under_asym = 0;
  double worst = 0.0;
  for (uint64_t k = 0; k < count; k++) {
    lrs_point p;
    lrs_grid_point(grid, k, &p);
    lrs_status st;
    lrs_result *r = lrs_test_solve(&p, &st);
    bool conv = false;
    double rate = NAN, rho = NAN, asym = NAN;
    const bool ok = st == LRS_OK && within_bounds(r, &conv, &rate, &rho, &asym);
    bounded += ok;
    converged += ok && conv;
    under_rho += ok && rate > 0 && rate <= rho;
    under_asym += ok && rate > 0 && rate <= asym;
    if (ok)
      worst = fmax(worst, rate / rho);
    lrs_result_destroy(&r);
  }
  LRS_CHECK(count == 9 && bounded == count,
            "p1_sensing: every recorded L − ℓ* of %llu points under Π ρ·L0, η_t K_t ≤ 1",
            (unsigned long long)count);
  LRS_CHECK(converged == count, "p1_sensing: %llu of %llu points reached tol",
            (unsigned long long)converged, (unsigned long long)count);
  LRS_CHECK(under_rho == count && under_asym == count,
            "p1_sensing: measured rate ≤ ρ̄(η0, 0) at %llu and ≤ 1 − (μ/K)α1/α2 at %llu of %llu "
            "points (largest rate/ρ̄ %.3f)",
            (unsigned long long)under_rho, (unsigned long long)under_asym,
            (unsigned long long)count, worst);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
}

static void test_softmax(void) {
  lrs_point p = lrs_test_point();
  p.loss = LRS_LOSS_SOFTMAX;
  p.logistic_lambda = 0.05;
  p.input_dim = 4;
  p.output_dim = 3;
  p.samples = 30;
  p.data = LRS_DATA_GAUSSIAN;
  p.width = 60;
  p.sigma2 = 0.5;
  p.max_iter = 400;
  p.tol = 1e-8;
  lrs_status st;
  lrs_result *r = lrs_test_solve(&p, &st);
  bool conv = false;
  double rate = NAN, rho = NAN, asym = NAN;
  const bool ok = st == LRS_OK && within_bounds(r, &conv, &rate, &rho, &asym);
  LRS_CHECK(ok && r->summary.loss_star > 0,
            "softmax, local rule: every recorded L − ℓ* under Π ρ·L0 (ℓ* = %.6g)",
            r->summary.loss_star);
  LRS_CHECK(ok && rate > 0 && rate <= rho, "softmax: measured rate %.4f ≤ ρ̄(η0, 0) = %.4f", rate,
            rho);
  lrs_result_destroy(&r);
}

int main(int argc, char **argv) {
  LRS_CHECK(argc == 2, "usage: test_loss_sweep SWEEP.toml");
  if (argc == 2)
    test_sweep(argv[1]);
  test_softmax();
  return lrs_test_done();
}
