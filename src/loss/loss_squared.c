/* Squared loss ½‖Y − XW‖² (papers.md §1.1; no 1/N): φ = ½(z − y)²,
 * μ = σ²_min(X), K = σ²_max(X). */
#include "lrsweep/loss.h"

static double phi(double z, double y, const lrs_loss_entry_ctx *c) {
  (void)c;
  const double r = z - y;
  return 0.5 * r * r;
}
static double dphi(double z, double y, const lrs_loss_entry_ctx *c) {
  (void)c;
  return z - y;
}
static double d2phi(double z, double y, const lrs_loss_entry_ctx *c) {
  (void)z, (void)y, (void)c;
  return 1.0;
}
static double ridge(const lrs_loss_params *p) {
  (void)p;
  return 0.0;
}
static void constants(const lrs_loss_params *p, double smin2, double smax2, size_t N,
                      double *mu, double *K) {
  (void)p, (void)N;
  *mu = smin2;
  *K = smax2;
}
static lrs_status check(const lrs_loss_params *p) {
  (void)p;
  return LRS_OK;
}

const lrs_loss_ops lrs__loss_squared = {
    .covered = true, .zero_min = true,
    .labels = false, .quadratic = true, .phi = phi, .dphi = dphi, .d2phi = d2phi, .ridge = ridge,
    .constants = constants, .check = check};
