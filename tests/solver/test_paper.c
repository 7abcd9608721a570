/* The paper's setting (papers.md §1.7): n = m = 10, X orthogonal, N(0,1)
 * init (init_scale 1), teacher targets, σ² = 0.01, `local` rule.
 *   - α1/α2 averaged over 10 seeds within 0.05 of 0.555 / 0.675 / 0.829 for
 *     h = 500 / 1000 / 4000 (Fig. 1 titles);
 *   - the local rule reaches L ≤ 1e-24 within 20–32 / 16–26 / 11–20
 *     iterations (Fig. 1: ≈ 23–28 / 19–22 / 14–16);
 *   - the measured loss never rises above its Π ρ bound (eq. 12). */
#include <math.h>

#include "lrs_test.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

int main(void) {
  const int64_t widths[3] = {500, 1000, 4000};
  const double ratio_ref[3] = {0.555, 0.675, 0.829};
  const int64_t it_lo[3] = {20, 16, 11}, it_hi[3] = {32, 26, 20};
  enum { SEEDS = 10 };
  for (int w = 0; w < 3; w++) {
    double ratio_sum = 0.0;
    int64_t it_min = INT64_MAX, it_max = -1;
    bool all_converged = true, under_bound = true, local_used = true;
    for (int s = 0; s < SEEDS; s++) {
      lrs_point p = lrs_test_point();
      p.width = widths[w];
      p.replicate = s;
      p.tol = 1e-24;
      p.max_iter = 60;
      p.record_every = 1;
      lrs_status st;
      lrs_result *r = lrs_test_solve(&p, &st);
      const lrs_summary *sm = &r->summary;
      ratio_sum += sm->theory.alpha1 / sm->theory.alpha2;
      all_converged = all_converged && st == LRS_OK && sm->status == LRS_POINT_CONVERGED;
      if (sm->iterations < it_min)
        it_min = sm->iterations;
      if (sm->iterations > it_max)
        it_max = sm->iterations;
      for (size_t i = 0; i < r->n_records; i++) {
        const lrs_record *q = &r->records[i];
        /* L(t) ≤ Π_{k<t} ρ(η_k, k)·L0 (relative slack for rounding only) */
        under_bound = under_bound && q->loss <= q->bound_local * (1 + 1e-10);
        if (i + 1 < r->n_records) /* η_t ≤ 1/K_t: ηK_t(η) ≤ 1 */
          local_used = local_used && q->step_size * q->K_t <= 1 + 1e-12 && q->rho_t < 1;
      }
      lrs_result_destroy(&r);
    }
    const double ratio = ratio_sum / SEEDS;
    LRS_CHECK(fabs(ratio - ratio_ref[w]) <= 0.05,
              "h = %lld: mean α1/α2 over %d seeds = %.4f (paper %.3f ± 0.05)",
              (long long)widths[w], SEEDS, ratio, ratio_ref[w]);
    LRS_CHECK(all_converged && it_min >= it_lo[w] && it_max <= it_hi[w],
              "h = %lld: local rule reaches L ≤ 1e-24 in %lld–%lld iterations (accepted %lld–%lld)",
              (long long)widths[w], (long long)it_min, (long long)it_max, (long long)it_lo[w],
              (long long)it_hi[w]);
    LRS_CHECK(under_bound, "h = %lld: measured L(t) never above Π ρ(η_k, k)·L0",
              (long long)widths[w]);
    LRS_CHECK(local_used, "h = %lld: every step has η_t K_t(η_t) ≤ 1 and ρ_t < 1",
              (long long)widths[w]);
  }
  return lrs_test_done();
}
