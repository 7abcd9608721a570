/* Huber loss with threshold δ on the residual r = z − y: ½r² for |r| ≤ δ,
 * δ(|r| − δ/2) beyond.  K = σ²_max(X); not strongly convex, so outside
 * [P1] (papers.md §1.1): μ = NaN, theory columns NaN. */
#include <math.h>

#include "lrsweep/loss.h"

static double phi(double z, double y, const lrs_loss_entry_ctx *c) {
  const double r = z - y, a = fabs(r), d = c->p->delta;
  return a <= d ? 0.5 * r * r : d * (a - 0.5 * d);
}
static double dphi(double z, double y, const lrs_loss_entry_ctx *c) {
  const double r = z - y, d = c->p->delta;
  return r > d ? d : (r < -d ? -d : r);
}
static double d2phi(double z, double y, const lrs_loss_entry_ctx *c) {
  return fabs(z - y) <= c->p->delta ? 1.0 : 0.0;
}
static double ridge(const lrs_loss_params *p) {
  (void)p;
  return 0.0;
}
static void constants(const lrs_loss_params *p, double smin2, double smax2, size_t N,
                      double *mu, double *K) {
  (void)p, (void)smin2, (void)N;
  *mu = NAN;
  *K = smax2;
}
static lrs_status check(const lrs_loss_params *p) {
  if (!(p->delta > 0.0) || !isfinite(p->delta))
    return LRS_RAISE(LRS_ERR_CONFIG, "huber_delta = %g: the Huber loss needs δ > 0",
                     p->delta);
  return LRS_OK;
}

const lrs_loss_ops lrs__loss_huber = {
    .covered = false, .uncovered_why = "not strongly convex", .zero_min = true,
    .labels = false, .quadratic = false, .phi = phi, .dphi = dphi, .d2phi = d2phi, .ridge = ridge,
    .constants = constants, .check = check};
