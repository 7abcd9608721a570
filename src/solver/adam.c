/* Adam (Kingma & Ba; papers.md §4) on any model's θ: method = "adam" runs
 * the GD loop (gd.c: records, stopping, levels) with this self-stepping rule
 * in place of a step rule.  Learning rate = step_size; β1, β2, ε =
 * adam_beta1, adam_beta2, adam_eps.  Element-wise, so a distributed θ (each
 * rank its own block) needs no communication. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "solver_impl.h"

/* η0 is the learning rate; the moments m, v (2P doubles, zero) are the
 * loop's g->state. */
static lrs_status adam_eta0(lrs__gd *g, double *eta0, char *why, size_t why_len) {
  const lrs_point *p = g->run->p;
  *eta0 = p->step_size;
  if (!(*eta0 > 0.0) || !isfinite(*eta0)) {
    snprintf(why, why_len, "adam: step_size = %g is not a positive learning rate", p->step_size);
    return LRS_OK;
  }
  LRS_TRY(lrs__alloc_doubles(g->run, 2 * g->run->P, &g->state));
  memset(g->state, 0, 2 * g->run->P * sizeof *g->state);
  return LRS_OK;
}

/* Step t + 1 from ∇L(θ_t) (run->grad):
 *   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,
 *   θ ← θ − lr · (m / (1 − β1^{t+1})) / (√(v / (1 − β2^{t+1})) + ε). */
static lrs_status adam_choose(lrs__gd *g, double *eta) {
  const lrs_point *p = g->run->p;
  const double b1 = p->adam_beta1, b2 = p->adam_beta2, eps = p->adam_eps, lr = g->eta0;
  const double k = (double)(g->t + 1);
  const double c1 = 1.0 - pow(b1, k), c2 = 1.0 - pow(b2, k);
  const size_t P = g->run->P;
  double *m = g->state, *v = g->state + P, *theta = g->run->theta;
  const double *grad = g->run->grad;
  for (size_t i = 0; i < P; i++) {
    m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
    v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
    theta[i] -= lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
  }
  *eta = lr;
  return LRS_OK;
}

const lrs_step_rule_type lrs__adam_rule = {
    .needs_step_size = true,
    .self_stepping = true,
    .evals_per_step = 1.0,
    .eta0 = adam_eta0,
    .choose = adam_choose,
};
