/* ℓ2-regularized multi-output logistic loss (papers.md §1.1):
 * ℓ(W) = (1/N) Σ_ij log(1 + exp(−y_ij z_ij)) + (λ/2)‖W‖², y_ij ∈ {±1},
 * μ = λ, K = λ + σ²_max(X)/(4N) (φ'' ≤ 1/(4N) per entry). */
#include <math.h>

#include "lrsweep/loss.h"

/* log(1 + e^t) without overflow or cancellation. */
static double softplus(double t) { return t > 0.0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
/* 1/(1 + e^{−t}) without overflow. */
static double sigmoid(double t) {
  if (t >= 0.0)
    return 1.0 / (1.0 + exp(-t));
  const double e = exp(t);
  return e / (1.0 + e);
}

static double phi(double z, double y, const lrs_loss_entry_ctx *c) {
  return c->inv_N * softplus(-y * z);
}
/* d/dz log(1 + e^{−yz}) = −y σ(−yz). */
static double dphi(double z, double y, const lrs_loss_entry_ctx *c) {
  return -c->inv_N * y * sigmoid(-y * z);
}
/* d²/dz² = y² σ(yz) σ(−yz) = σ(z)σ(−z) for y = ±1. */
static double d2phi(double z, double y, const lrs_loss_entry_ctx *c) {
  (void)y;
  return c->inv_N * sigmoid(z) * sigmoid(-z);
}
static double ridge(const lrs_loss_params *p) { return p->lambda; }
static void constants(const lrs_loss_params *p, double smin2, double smax2, size_t N,
                      double *mu, double *K) {
  (void)smin2;
  *mu = p->lambda;
  *K = p->lambda + smax2 / (4.0 * (double)N);
}
static lrs_status check(const lrs_loss_params *p) {
  if (!(p->lambda > 0.0) || !isfinite(p->lambda))
    return LRS_RAISE(LRS_ERR_CONFIG, "logistic_lambda = %g: the logistic loss needs λ > 0",
                     p->lambda);
  return LRS_OK;
}

const lrs_loss_ops lrs__loss_logistic = {
    .covered = true, .zero_min = false,
    .labels = true, .quadratic = false, .phi = phi, .dphi = dphi, .d2phi = d2phi, .ridge = ridge,
    .constants = constants, .check = check};
