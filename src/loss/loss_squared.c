/* Squared loss ½‖Y − XW‖² (papers.md §1.1; no 1/N): φ = ½(z − y)²,
 * μ = σ²_min(X), K = σ²_max(X) — and matrix sensing, the same φ on
 * (𝒜, y) in vec(W) (below). */
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

/* Matrix sensing (papers.md §4): ℓ(W) = ½ Σ_{i=1..N} (⟨A_i, W⟩ − y_i)²
 * = ½‖𝒜 vec(W) − y‖², 𝒜 ∈ R^{N×nm} with rows vec(A_i)ᵀ (the problem's
 * draws, lrsweep/problem.h).  A `vectorized` row: the squared loss of
 * (𝒜, y) in vec(W), so ∇ℓ = Σ_i (⟨A_i, W⟩ − y_i) A_i, the Hessian is 𝒜ᵀ𝒜
 * and μ = σ²_min(𝒜), K = σ²_max(𝒜) hold with equality; ℓ* by least squares
 * (loss.c's Newton on H = 𝒜ᵀ𝒜, one Cholesky factor and refinement). */
/* μ > 0 needs 𝒜 of full column rank, so N ≥ nm measurements; below that ℓ is
 * not strongly convex and W* is not unique: refused rather than run outside
 * [P1] (samples = 0, "N = n" elsewhere, is refused too). */
static bool check_point(const lrs_point *p, lrs_violation *v) {
  const int64_t nm = p->input_dim * p->output_dim;
  if (p->samples < nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "samples",
                       "samples = %lld but loss = \"sensing\" needs N ≥ input_dim·output_dim = "
                       "%lld measurements (μ = σ²_min(𝒜) > 0)",
                       (long long)p->samples, (long long)nm);
  return true;
}

const lrs_loss_ops lrs__loss_sensing = {
    .covered = true, .zero_min = true, .labels = false, .quadratic = true, .vectorized = true,
    .phi = phi, .dphi = dphi, .d2phi = d2phi, .ridge = ridge, .constants = constants,
    .check = check, .check_point = check_point};
